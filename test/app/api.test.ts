/** The HTTP API handler with the sample events, against the emulator. */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { handler as api } from '../../handlers/api.js';
import { resetAppDeps } from '../../lib/app/runtime.js';
import { parseScanRequest, RequestError } from '../../lib/app/service.js';
import { seedEstate, type SeededEstate } from '../../scripts/estate.js';
import { testAccount, type TestAccount } from '../support/aws.js';
import { createAppResources, lambdaContext, type AppResources } from '../support/app.js';

let account: TestAccount;
let res: AppResources;
let estate: SeededEstate;
const savedEnv = { ...process.env };
const event = (name: string, over: Record<string, unknown> = {}) => ({ ...JSON.parse(readFileSync(new URL(`../../events/${name}`, import.meta.url), 'utf8')), ...over });
const call = async (e: unknown) => {
  const r = (await api(e as never, lambdaContext('api'))) as { statusCode: number; body: string };
  return { status: r.statusCode, body: JSON.parse(r.body) };
};

beforeAll(async () => {
  account = await testAccount();
  res = await createAppResources(account, 'eu-west-1', 'api');
  estate = await seedEstate(account.seeder('eu-west-1'), {
    region: 'eu-west-1',
    groups: [{ name: 'open', rules: [{ ports: 8086, cidrs: ['0.0.0.0/0'] }] }],
    instances: [{ name: 'db', tags: { influxdb: '' }, groups: ['open'], count: 3 }],
  });
  Object.assign(process.env, account.env('eu-west-1'), { INFLUXGUARD_TABLE: res.table, INFLUXGUARD_QUEUE_URL: res.queueUrl, INFLUXGUARD_PROBE_ENABLED: 'false', POWERTOOLS_LOG_LEVEL: 'ERROR' });
  resetAppDeps();
});
afterAll(() => {
  resetAppDeps();
  process.env = savedEnv;
});

describe('POST /scans', () => {
  it('wait=true answers 200 with the findings document', async () => {
    const r = await call(event('api-post-scans-wait.json'));
    expect(r.status).toBe(200);
    expect(Object.keys(r.body)).toEqual(['scanId', 'startedAt', 'finishedAt', 'scope', 'findings', 'summary']);
    expect(r.body.findings.filter((f: { checkId: string; status: string }) => f.checkId === 'net.http-port-public' && f.status === 'FAILED')).toHaveLength(3);
    const status = await call(event('api-get-scan.json', { rawPath: `/scans/${r.body.scanId}` }));
    expect(status.body).toMatchObject({ status: 'completed', progress: { unitsDone: 1, unitsTotal: 1 } });
  });

  it('without wait: 202 with a scanId, units on the queue; an idempotent retry returns the same scan', async () => {
    const first = await call(event('api-post-scans.json'));
    expect(first.status).toBe(202);
    expect(first.body).toMatchObject({ scanId: expect.any(String), unitsTotal: 1 });
    const again = await call(event('api-post-scans.json'));
    expect(again).toEqual({ status: 202, body: { scanId: first.body.scanId, replayed: true } });
    const got = await call(event('api-get-scan.json', { rawPath: `/scans/${first.body.scanId}` }));
    expect(got.body).toMatchObject({ status: 'running', progress: { unitsDone: 0, unitsTotal: 1 } });
  });

  it('a malformed body is a 400 naming the field', async () => {
    expect(await call(event('api-post-scans-invalid.json'))).toEqual({ status: 400, body: { error: 'regions.0: is not a region name', field: 'regions.0' } });
    expect((await call(event('api-post-scans.json', { body: '{"regions": "eu-west-1"}' }))).body.field).toBe('regions');
    expect((await call(event('api-post-scans.json', { body: '{"checks": ["net.nope"]}' }))).body.error).toMatch(/checks.0: is not a check id/);
    expect((await call(event('api-post-scans.json', { body: '{"region": ["eu-west-1"]}' }))).body).toMatchObject({ error: 'unknown field(s): region' });
    expect((await call(event('api-post-scans.json', { body: '{not json' }))).body).toMatchObject({ error: 'the body is not valid JSON', field: '(body)' });
    expect((await call(event('api-post-scans-wait.json', { body: '{"wait": true, "regions": ["eu-west-1", "us-east-1"]}' }))).body.field).toBe('wait');
    expect((await call(event('api-post-scans.json', { headers: { 'idempotency-key': 'x' } }))).body.field).toBe('Idempotency-Key');
  });
});

describe('GET /scans/{scanId}', () => {
  it('an unknown id is a 404', async () => {
    expect(await call(event('api-get-scan.json', { rawPath: '/scans/no-such-scan' }))).toEqual({ status: 404, body: { error: 'scan not found', scanId: 'no-such-scan' } });
  });
});

describe('the request schema', () => {
  it('names fields in its errors', () => {
    expect(() => parseScanRequest({ instanceIds: ['x'] })).toThrow(RequestError);
    expect(parseScanRequest({ instanceIds: [estate.instances.db![0]], publish: true })).toEqual({ instanceIds: [estate.instances.db![0]], publish: true });
  });
});
