/**
 * The retry policy, in one place: attempts per AWS service for the SDK's
 * standard retry mode (which backs off with jitter and retries throttling,
 * 5xx and transient network errors), and the backoff our own loops use on
 * top of it (Security Hub batches, SSM result polling). The per-scan deadline
 * (ScanDeps.deadline) bounds them all so a caller keeps time to publish.
 */

/** SDK attempts per service: more where a failure costs findings, fewer on the identity path. */
export const SDK_ATTEMPTS: Record<string, number> = {
  sts: 3,
  ec2: 5,
  ssm: 5,
  securityhub: 6,
  sns: 5,
  sqs: 5,
  dynamodb: 5,
  organizations: 4,
  'timestream-influxdb': 5,
  elasticloadbalancing: 5,
};

export function sdkAttempts(service: string, configured: number): number {
  // An operator's setting caps the policy (tests and the CLI keep runs short); the policy never exceeds it.
  return Math.max(1, Math.min(configured, Object.hasOwn(SDK_ATTEMPTS, service) ? SDK_ATTEMPTS[service]! : configured));
}

/** Exponential backoff with full jitter in [0.5, 1.5) × base × 2^attempt, capped. */
export function backoffMs(attempt: number, baseMs: number, capMs: number, random: () => number = Math.random): number {
  return Math.min(capMs, baseMs * 2 ** attempt) * (0.5 + random());
}
