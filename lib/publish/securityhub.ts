/**
 * Security Hub transport: read this generator's ACTIVE findings for a scope,
 * and import findings in batches (≤ 100 findings, < 6 MB), paced for the
 * service's rate (~10 requests/s), retrying throttling and 5xx with
 * exponential backoff and jitter, and retrying entries reported in
 * FailedFindings that can succeed. Every finding ends imported or listed as
 * failed, never dropped.
 */
import {
  BatchImportFindingsCommand,
  paginateGetFindings,
  type AwsSecurityFinding,
  type SecurityHubClient,
} from '@aws-sdk/client-securityhub';
import { backoffMs } from '../aws/retry.js';
import { errorCode, oneLine } from '../errors.js';
import { sleep } from '../util/time.js';
import { GENERATOR_PREFIX, HeldFinding, productArn } from '../findings/asff.js';

export const BATCH_MAX = 100;
export const BATCH_BYTES_MAX = 6 * 1024 * 1024 - 64 * 1024;

export interface ImportOptions {
  /** Least time between the starts of two BatchImportFindings calls (10 requests/s sustained, per account and region). */
  pacingMs?: number;
  /** Attempts per batch for throttling and 5xx, and rounds for retryable FailedFindings. */
  maxAttempts?: number;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

export interface ImportResult {
  imported: number;
  failed: { id: string; reason: string }[];
  calls: number;
}

const RETRYABLE_CODE =
  /Throttl|TooManyRequests|LimitExceeded|RequestLimitExceeded|InternalException|InternalError|ServiceUnavailable|InternalFailure|SlowDown/i;

function retryable(err: unknown): boolean {
  const status = (err as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode ?? 0;
  return status === 429 || status >= 500 || RETRYABLE_CODE.test(errorCode(err));
}

/** Batches of at most 100 findings and under 6 MB each, drawn lazily (a fleet's findings are never all built at once). */
export function* batches(findings: Iterable<AwsSecurityFinding>): Generator<AwsSecurityFinding[]> {
  let current: AwsSecurityFinding[] = [];
  let bytes = 0;
  for (const f of findings) {
    const size = Buffer.byteLength(JSON.stringify(f));
    if (current.length && (current.length >= BATCH_MAX || bytes + size > BATCH_BYTES_MAX)) {
      yield current;
      current = [];
      bytes = 0;
    }
    current.push(f);
    bytes += size;
  }
  if (current.length) yield current;
}

export async function importFindings(
  client: SecurityHubClient,
  findings: Iterable<AwsSecurityFinding>,
  opts: ImportOptions = {},
): Promise<ImportResult> {
  const pause = opts.sleep ?? sleep;
  const pacing = opts.pacingMs ?? 100;
  const maxAttempts = opts.maxAttempts ?? 6;
  const now = opts.now ?? Date.now;
  const result: ImportResult = { imported: 0, failed: [], calls: 0 };
  let lastStart = -Infinity;
  let pending: Iterable<AwsSecurityFinding> = findings;
  let left = true;
  for (let round = 0; round < maxAttempts && left; round++) {
    const retryLater: AwsSecurityFinding[] = [];
    for (const batch of batches(pending)) {
      let attempt = 0;
      for (;;) {
        // Starts are spaced, not the gaps: a call's own latency counts towards the pacing.
        const wait = lastStart + pacing - now();
        if (wait > 0) await pause(wait);
        lastStart = now();
        result.calls++;
        try {
          const out = await client.send(new BatchImportFindingsCommand({ Findings: batch }));
          const failedIds = new Map(
            (out.FailedFindings ?? []).map((x) => [x.Id ?? '', `${x.ErrorCode ?? 'Error'}: ${x.ErrorMessage ?? ''}`]),
          );
          result.imported += batch.length - failedIds.size;
          for (const f of batch) {
            const reason = failedIds.get(f.Id ?? '');
            if (reason === undefined) continue;
            if (RETRYABLE_CODE.test(reason) && round + 1 < maxAttempts) retryLater.push(f);
            else result.failed.push({ id: f.Id ?? '?', reason: `FailedFindings: ${reason}` });
          }
          break;
        } catch (err) {
          attempt++;
          if (!retryable(err) || attempt >= maxAttempts) {
            for (const f of batch)
              result.failed.push({
                id: f.Id ?? '?',
                reason: `securityhub:BatchImportFindings failed after ${attempt} attempt(s): ${errorCode(err)}: ${oneLine(err, 200)}`,
              });
            break;
          }
          await pause(backoffMs(attempt, 200, 10_000));
        }
      }
    }
    pending = retryLater;
    left = retryLater.length > 0;
    if (left) await pause(backoffMs(round, 500, 10_000));
  }
  if (left) for (const f of pending) result.failed.push({ id: f.Id ?? '?', reason: 'FailedFindings: still failing after retries' });
  return result;
}

/**
 * This generator's ACTIVE findings for one account × region, by Id (re-filtered here: never trust a filter to be applied).
 * Findings for which `whole` is false are kept as a HeldFinding (status, severity, digest, dates): memory stays
 * proportional to what may be resolved or archived, not to a fleet's findings.
 */
export async function readActive(
  client: SecurityHubClient,
  accountId: string,
  region: string,
  whole: (id: string) => boolean = () => true,
): Promise<Map<string, AwsSecurityFinding | HeldFinding>> {
  const prefix = `${GENERATOR_PREFIX}${accountId}/${region}/`;
  const out = new Map<string, AwsSecurityFinding | HeldFinding>();
  const strings = new Map<string, string>();
  const pages = paginateGetFindings(
    { client, pageSize: 100 },
    {
      Filters: {
        ProductArn: [{ Value: productArn(region, accountId), Comparison: 'EQUALS' }],
        GeneratorId: [{ Value: GENERATOR_PREFIX, Comparison: 'PREFIX' }],
        AwsAccountId: [{ Value: accountId, Comparison: 'EQUALS' }],
        RecordState: [{ Value: 'ACTIVE', Comparison: 'EQUALS' }],
        Id: [{ Value: prefix, Comparison: 'PREFIX' }],
      },
    },
  );
  for await (const page of pages) {
    for (const f of page.Findings ?? [])
      if (f.Id?.startsWith(prefix) && f.RecordState !== 'ARCHIVED' && f.AwsAccountId === accountId)
        out.set(f.Id, whole(f.Id) ? f : HeldFinding.of(f, strings));
  }
  return out;
}
