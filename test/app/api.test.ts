/** The HTTP API handler with the sample events, against the emulator. */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { handler as api } from '../../handlers/api.js';
import { handler as dispatch } from '../../handlers/dispatch.js';
import { resetAppDeps } from '../../lib/app/runtime.js';
import { parseScanRequest, RequestError } from '../../lib/app/service.js';
import { seedEstate, type SeededEstate } from '../../scripts/estate.js';
import { testAccount, type TestAccount } from '../support/aws.js';
import { createAppResources, lambdaContext, type AppResources } from '../support/app.js';

let account: TestAccount;
let res: AppResources;
let estate: SeededEstate;
const savedEnv = { ...process.env };
const event = (name: string, over: Record<string, unknown> = {}) => ({
  ...JSON.parse(readFileSync(new URL(`../../events/${name}`, import.meta.url), 'utf8')),
  ...over,
});
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
  Object.assign(process.env, account.env('eu-west-1'), {
    INFLUXGUARD_TABLE: res.table,
    INFLUXGUARD_QUEUE_URL: res.queueUrl,
    INFLUXGUARD_PROBE_ENABLED: 'false',
    POWERTOOLS_LOG_LEVEL: 'ERROR',
  });
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
    expect(Object.keys(r.body)).toEqual(['scanId', 'startedAt', 'finishedAt', 'scope', 'findings', 'summary', 'incomplete']);
    expect(r.body.incomplete).toEqual([]);
    expect(
      r.body.findings.filter((f: { checkId: string; status: string }) => f.checkId === 'net.http-port-public' && f.status === 'FAILED'),
    ).toHaveLength(3);
    const status = await call(event('api-get-scan.json', { rawPath: `/scans/${r.body.scanId}` }));
    expect(status.body).toMatchObject({ status: 'completed', progress: { unitsDone: 1, unitsTotal: 1 }, incomplete: [] });
  });

  it('a named instance that does not exist is named in `incomplete`', async () => {
    const r = await call(
      event('api-post-scans-wait.json', { body: '{"wait": true, "regions": ["eu-west-1"], "instanceIds": ["i-0123456789abcdef0"]}' }),
    );
    expect(r.status).toBe(200);
    expect(r.body.incomplete).toEqual(
      expect.arrayContaining([expect.stringMatching(/not found among the selected .*\/eu-west-1: i-0123456789abcdef0$/)]),
    );
  });

  it('a scan in which no instance matched says so in `incomplete`, naming the selectors and the region', async () => {
    const r = await call(event('api-post-scans-wait.json', { body: '{"wait": true, "regions": ["us-west-1"]}' }));
    expect(r.status).toBe(200);
    expect(r.body.incomplete).toEqual(['no instance matched tag influxdb / Service=influxdb|InfluxDB in us-west-1']);
    const status = await call(event('api-get-scan.json', { rawPath: `/scans/${r.body.scanId}` }));
    expect(status.body.incomplete).toEqual(['no instance matched tag influxdb / Service=influxdb|InfluxDB in us-west-1']);
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

  it('a scan of chosen checks says so in its document and its status; checks that could read nothing are a 400', async () => {
    const body = { wait: true, regions: ['eu-west-1'], checks: ['net.http-port-public'] };
    const r = await call(event('api-post-scans-wait.json', { body: JSON.stringify(body) }));
    expect(r.status).toBe(200);
    expect(r.body.scope.checks).toEqual(['net.http-port-public']);
    expect(new Set(r.body.findings.map((f: { checkId: string }) => f.checkId))).toEqual(new Set(['net.http-port-public']));
    const status = await call(event('api-get-scan.json', { rawPath: `/scans/${r.body.scanId}` }));
    expect(status.body.scope.checks).toEqual(['net.http-port-public']);
    // Host evidence is never collected by wait=true (nor by this stack), the probe is off: no finding could come.
    for (const [checks, wait] of [
      [['host.rpc-bind-all-interfaces'], true],
      [['net.http-port-public', 'tls.legacy-protocols'], false],
    ] as const) {
      const refused = await call(
        event(wait ? 'api-post-scans-wait.json' : 'api-post-scans.json', {
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ ...(wait ? { wait } : {}), regions: ['eu-west-1'], checks }),
        }),
      );
      expect(refused).toEqual({
        status: 400,
        body: {
          field: 'checks',
          error: expect.stringMatching(new RegExp(`^checks: ${checks.at(-1)} reads only evidence this scan does not gather \\(`)),
        },
      });
    }
  });

  it('a scan of audit checks is dispatched: the workers hold the audit configuration, not the API', async () => {
    Object.assign(process.env, { INFLUXGUARD_PROBE_ENABLED: 'true' });
    resetAppDeps();
    try {
      const body = JSON.stringify({ regions: ['eu-west-1'], checks: ['users.admin-privileges'] });
      const r = await call(event('api-post-scans.json', { headers: { 'content-type': 'application/json' }, body }));
      expect(r.status).toBe(202);
    } finally {
      Object.assign(process.env, { INFLUXGUARD_PROBE_ENABLED: 'false' });
      resetAppDeps();
    }
  });

  it('a malformed body is a 400 naming the field', async () => {
    expect(await call(event('api-post-scans-invalid.json'))).toEqual({
      status: 400,
      body: { error: 'regions.0: is not a region name', field: 'regions.0' },
    });
    expect((await call(event('api-post-scans.json', { body: '{"regions": "eu-west-1"}' }))).body.field).toBe('regions');
    expect((await call(event('api-post-scans.json', { body: '{"checks": ["net.nope"]}' }))).body.error).toMatch(
      /checks.0: is not a check id/,
    );
    expect((await call(event('api-post-scans.json', { body: '{"region": ["eu-west-1"]}' }))).body).toMatchObject({
      error: 'unknown field(s): region',
    });
    expect((await call(event('api-post-scans.json', { body: '{not json' }))).body).toMatchObject({
      error: 'the body is not valid JSON',
      field: '(body)',
    });
    expect(
      (await call(event('api-post-scans-wait.json', { body: '{"wait": true, "regions": ["eu-west-1", "us-east-1"]}' }))).body.field,
    ).toBe('wait');
    expect((await call(event('api-post-scans.json', { headers: { 'idempotency-key': 'x' } }))).body.field).toBe('Idempotency-Key');
  });
});

describe('POST /scans: who may scan what (issue 19, item 7)', () => {
  it('refuses an account outside the configured set with 403 naming it, also with wait=true', async () => {
    const r = await call(event('api-post-scans.json', { headers: {}, body: '{"accounts":["999988887777"]}' }));
    expect(r).toEqual({
      status: 403,
      body: { error: 'account 999988887777 is not in the scanner’s configured accounts', field: 'accounts', account: '999988887777' },
    });
    const w = await call(event('api-post-scans-wait.json', { body: '{"wait":true,"regions":["eu-west-1"],"accounts":["999988887777"]}' }));
    expect(w.status).toBe(403);
    const own = await call(event('api-post-scans.json', { headers: {}, body: JSON.stringify({ accounts: [account.accountId] }) }));
    expect(own.status).toBe(202);
  });

  it('records the caller’s identity on the scan', async () => {
    const r = await call(event('api-post-scans.json', { headers: {} }));
    const got = await call(event('api-get-scan.json', { rawPath: `/scans/${r.body.scanId}` }));
    expect(got.body.requestedBy).toBe('arn:aws:iam::123456789012:user/security');
  });

  it('wait=true neither publishes nor collects host evidence in the API (its role cannot)', async () => {
    const r = await call(event('api-post-scans-wait.json', { body: '{"wait":true,"regions":["eu-west-1"],"publish":true}' }));
    expect(r).toEqual({
      status: 400,
      body: { error: 'publish: wait=true scans are never published (drop wait to publish)', field: 'publish' },
    });
  });
});

describe('POST /scans: idempotency keys (issue 19, item 10)', () => {
  const post = (key: string, body: unknown) =>
    event('api-post-scans.json', { headers: { 'content-type': 'application/json', 'idempotency-key': key }, body: JSON.stringify(body) });
  it('a failed enqueue marks the scan failed and does not burn the key', async () => {
    process.env.INFLUXGUARD_QUEUE_URL = `${res.queueUrl}-missing`;
    resetAppDeps();
    const failed = await call(post('key-sqs-down-0001', { regions: ['eu-west-1'] }));
    expect(failed.status).toBe(503);
    expect(failed.body).toMatchObject({ error: expect.stringMatching(/could not enqueue/), scanId: expect.any(String) });
    process.env.INFLUXGUARD_QUEUE_URL = res.queueUrl;
    resetAppDeps();
    const status = await call(event('api-get-scan.json', { rawPath: `/scans/${failed.body.scanId}` }));
    expect(status.body).toMatchObject({ status: 'failed' });
    const retry = await call(post('key-sqs-down-0001', { regions: ['eu-west-1'] }));
    expect(retry.status).toBe(202);
    expect(retry.body.replayed).toBeUndefined();
    expect(retry.body.scanId).not.toBe(failed.body.scanId);
    expect(await call(post('key-sqs-down-0001', { regions: ['eu-west-1'] }))).toEqual({
      status: 202,
      body: { scanId: retry.body.scanId, replayed: true },
    });
  });

  it('the same key with a different body is a 409', async () => {
    expect((await call(post('key-body-0001', { regions: ['eu-west-1'] }))).status).toBe(202);
    expect(await call(post('key-body-0001', { regions: ['eu-west-1'], publish: true }))).toEqual({
      status: 409,
      body: { error: 'Idempotency-Key was already used with a different request body', field: 'Idempotency-Key' },
    });
  });
});

describe('GET /scans/{scanId}', () => {
  it('an unknown id is a 404', async () => {
    expect(await call(event('api-get-scan.json', { rawPath: '/scans/no-such-scan' }))).toEqual({
      status: 404,
      body: { error: 'scan not found', scanId: 'no-such-scan' },
    });
  });
});

describe('output', () => {
  /** Everything written to stdout and stderr while `fn` runs (Powertools writes through its own Console). */
  const written = async (fn: () => Promise<unknown>) => {
    const out: string[] = [];
    const spies = [process.stdout, process.stderr].map((s) => {
      const write = s.write.bind(s);
      s.write = ((chunk: string | Uint8Array, ...rest: never[]) => {
        out.push(String(chunk));
        return write(chunk, ...rest);
      }) as typeof s.write;
      return () => (s.write = write as typeof s.write);
    });
    try {
      await fn().catch(() => undefined);
    } finally {
      for (const restore of spies) restore();
    }
    return out.join('');
  };
  it('no "No application metrics to publish" warning: the API records no metrics, a failed dispatch records one', async () => {
    expect(await written(() => call(event('api-get-scan.json', { rawPath: '/scans/no-such-scan' })))).not.toMatch(/No application metrics/);
    const queue = process.env.INFLUXGUARD_QUEUE_URL;
    process.env.INFLUXGUARD_QUEUE_URL = `${res.queueUrl}-missing`;
    resetAppDeps();
    try {
      expect(await written(() => dispatch({} as never, lambdaContext('dispatch')))).not.toMatch(/No application metrics/);
    } finally {
      process.env.INFLUXGUARD_QUEUE_URL = queue;
      resetAppDeps();
    }
  });
});

describe('the request schema', () => {
  it('names fields in its errors', () => {
    expect(() => parseScanRequest({ instanceIds: ['x'] })).toThrow(RequestError);
    expect(parseScanRequest({ instanceIds: [estate.instances.db![0]], publish: true })).toEqual({
      instanceIds: [estate.instances.db![0]],
      publish: true,
    });
  });
});
