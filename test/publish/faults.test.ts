/** Security Hub under throttling storms, 5xx and partial FailedFindings: every finding ends imported or reported. */
import { afterAll, afterEach, describe, expect, it } from '@jest/globals';
import { BatchImportFindingsCommand, SecurityHubClient, type AwsSecurityFinding } from '@aws-sdk/client-securityhub';
import { mockClient } from 'aws-sdk-client-mock';
import { importFindings } from '../../lib/publish/securityhub.js';

const hub = mockClient(SecurityHubClient);
afterEach(() => {
  hub.reset();
});
afterAll(() => {
  hub.restore();
});
const client = () => new SecurityHubClient({ region: 'eu-west-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
const findings = (n: number): AwsSecurityFinding[] =>
  Array.from({ length: n }, (_, i) => ({ Id: `influxguard/f-${i}` }) as AwsSecurityFinding);
const err = (name: string, status: number) => Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status } });
const sleeps: number[] = [];
const opts = { pacingMs: 100, sleep: async (ms: number) => void sleeps.push(ms), now: () => 0 };

describe('importFindings', () => {
  it('rides out a throttling storm and 5xx, paced between calls', async () => {
    sleeps.length = 0;
    hub
      .on(BatchImportFindingsCommand)
      .rejectsOnce(err('ThrottlingException', 429))
      .rejectsOnce(err('TooManyRequestsException', 429))
      .rejectsOnce(err('InternalException', 500))
      .rejectsOnce(err('ServiceUnavailable', 503))
      .resolves({ SuccessCount: 100, FailedCount: 0, FailedFindings: [] });
    const r = await importFindings(client(), findings(250), opts);
    expect(r).toMatchObject({ imported: 250, failed: [] });
    expect(r.calls).toBe(3 + 4);
    expect(sleeps.filter((s) => s === 100).length).toBeGreaterThanOrEqual(6); // paced at ~10 requests/s
    expect(Math.max(...sleeps)).toBeLessThanOrEqual(10_000);
  });

  it('retries retryable FailedFindings, reports the others, drops none', async () => {
    let round = 0;
    hub.on(BatchImportFindingsCommand).callsFake((input: { Findings: AwsSecurityFinding[] }) => {
      round++;
      const failed = input.Findings.filter((f) => f.Id === 'influxguard/f-3' || (round === 1 && f.Id === 'influxguard/f-5'));
      return {
        SuccessCount: input.Findings.length - failed.length,
        FailedCount: failed.length,
        FailedFindings: failed.map((f) =>
          f.Id === 'influxguard/f-3'
            ? { Id: f.Id, ErrorCode: 'InvalidInput', ErrorMessage: 'Finding size exceeded' }
            : { Id: f.Id, ErrorCode: 'InternalException', ErrorMessage: 'try again' },
        ),
      };
    });
    const r = await importFindings(client(), findings(10), opts);
    expect(r.imported).toBe(9);
    expect(r.failed).toEqual([{ id: 'influxguard/f-3', reason: 'FailedFindings: InvalidInput: Finding size exceeded' }]);
    expect(round).toBe(2); // f-5 retried once and imported
  });

  it('a non-retryable error or an endless storm ends with every finding listed as failed', async () => {
    hub.on(BatchImportFindingsCommand).rejects(err('AccessDeniedException', 403));
    const denied = await importFindings(client(), findings(3), opts);
    expect(denied.imported).toBe(0);
    expect(denied.failed.map((f) => f.id)).toEqual(['influxguard/f-0', 'influxguard/f-1', 'influxguard/f-2']);
    expect(denied.failed[0]!.reason).toMatch(/after 1 attempt\(s\): AccessDeniedException/);
    hub.reset();
    hub.on(BatchImportFindingsCommand).rejects(err('ThrottlingException', 429));
    const storm = await importFindings(client(), findings(150), { ...opts, maxAttempts: 4 });
    expect(storm.failed).toHaveLength(150);
    expect(storm.calls).toBe(2 * 4);
  });
});
