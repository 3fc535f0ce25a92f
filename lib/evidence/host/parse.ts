/**
 * The collector's output, validated. Unknown schema versions, malformed,
 * truncated or hostile output are reported as a reason, never thrown.
 */
import { CollectorOutput, COLLECTOR_SCHEMA, SSM_STDOUT_LIMIT, type HostEvidence } from '../../host-evidence.js';
import { fail, ok, type Result } from '../../result.js';

export { COLLECTOR_SCHEMA, SSM_STDOUT_LIMIT, type HostEvidence };

/** Parse one collector run's stdout. */
export function parseCollectorOutput(stdout: string): Result<HostEvidence> {
  const text = stdout.trim();
  if (!text) return fail('the collector printed nothing');
  if (stdout.length >= SSM_STDOUT_LIMIT)
    return fail(`collector output reached the ${SSM_STDOUT_LIMIT}-character SSM limit and may be truncated`);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return fail(`collector output is not valid JSON (${(err as Error).message.slice(0, 120)})`);
  }
  const schema = (json as { schema?: unknown } | null)?.schema;
  if (typeof schema === 'string' && schema !== COLLECTOR_SCHEMA)
    return fail(`unsupported collector schema "${schema.slice(0, 60)}" (this scanner reads ${COLLECTOR_SCHEMA})`);
  const parsed = CollectorOutput.safeParse(json);
  if (!parsed.success) {
    const i = parsed.error.issues[0]!;
    return fail(`collector output does not match ${COLLECTOR_SCHEMA}: ${i.path.join('.') || '(root)'}: ${i.message}`.slice(0, 300));
  }
  if (parsed.data.truncated) return fail(`collector output truncated: ${parsed.data.errors[0] ?? 'over its size cap'}`.slice(0, 300));
  return ok(parsed.data);
}
