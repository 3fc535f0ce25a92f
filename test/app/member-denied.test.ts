/**
 * A member account whose role cannot be assumed (or whose STS refuses) never
 * blocks a fanned-out scan: its unit is recorded as incomplete, with the
 * reason, and the scan completes (it used to throw, be retried into the DLQ,
 * and leave the scan "running" for ever).
 */
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { appDeps, resetAppDeps } from '../../lib/app/runtime.js';
import { runUnit, scanStatus } from '../../lib/app/service.js';
import { planUnits } from '../../lib/app/units.js';
import { testAccount, type TestAccount } from '../support/aws.js';
import { createAppResources, type AppResources } from '../support/app.js';

const R = 'eu-west-2';
const MEMBER = '222233334444';
let account: TestAccount;
let res: AppResources;
const savedEnv = { ...process.env };
let sts: ReturnType<typeof mockClient>;

beforeAll(async () => {
  account = await testAccount();
  res = await createAppResources(account, R, 'denied');
  Object.assign(process.env, account.env(R), {
    INFLUXGUARD_TABLE: res.table,
    INFLUXGUARD_QUEUE_URL: res.queueUrl,
    INFLUXGUARD_ACCOUNTS: `self,${MEMBER}`,
    POWERTOOLS_LOG_LEVEL: 'ERROR',
  });
  resetAppDeps();
  sts = mockClient(STSClient);
  const denied = Object.assign(new Error('User is not authorized to perform: sts:AssumeRole'), {
    name: 'AccessDenied',
    $fault: 'client',
    $metadata: { httpStatusCode: 403 },
  });
  // The scanner's own identity answers once; the member account's identity call is refused.
  sts.on(GetCallerIdentityCommand).resolvesOnce({ Account: account.accountId }).rejects(denied);
  sts.on(AssumeRoleCommand).rejects(denied);
}, 60_000);
afterAll(() => {
  sts.restore();
  resetAppDeps();
  process.env = savedEnv;
});

it('records the unit as incomplete with the reason, and the scan completes', async () => {
  const deps = appDeps();
  const [unit] = planUnits('scan-denied', [{ accountId: MEMBER, region: R, instanceIds: [] }], 100, { publish: true });
  await deps.store.createScan({ scanId: 'scan-denied', createdAt: new Date().toISOString(), request: {}, unitsTotal: 1 }, new Date());
  const r = await runUnit(unit!, deps);
  expect(r.completedScan).toBe(true);
  expect(r.unitResult.incomplete).toEqual([expect.stringMatching(/^222233334444\/eu-west-2 could not be scanned: .*AccessDenied/)]);
  const status = await scanStatus('scan-denied', deps);
  expect(status).toMatchObject({ status: 'completed', incomplete: [expect.stringMatching(/could not be scanned/)] });
});
