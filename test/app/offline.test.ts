/** The HTTP API end to end through serverless-offline (loopback), backed by the emulator. IAM auth cannot be emulated (--noAuth); the template test checks AWS_IAM. */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { seedEstate } from '../../scripts/estate.js';
import { freePort } from '../../scripts/influxd.js';
import { testAccount } from '../support/aws.js';
import { createAppResources } from '../support/app.js';

const root = new URL('../../', import.meta.url).pathname;
let offline: ChildProcess;
let base = '';
let log = '';

beforeAll(async () => {
  const account = await testAccount();
  const res = await createAppResources(account, 'eu-west-1', 'offline');
  await seedEstate(account.seeder('eu-west-1'), {
    region: 'eu-west-1',
    groups: [{ name: 'open', rules: [{ ports: 8086, cidrs: ['0.0.0.0/0'] }] }],
    instances: [{ name: 'db', tags: { influxdb: '' }, groups: ['open'] }],
  });
  const [http, lambda] = [await freePort(), await freePort()];
  offline = spawn(
    process.execPath,
    [
      `${root}node_modules/serverless/bin/serverless.js`,
      'offline',
      'start',
      '-s',
      'local',
      '--noAuth',
      '--useInProcess',
      '--host',
      '127.0.0.1',
      '--httpPort',
      String(http),
      '--lambdaPort',
      String(lambda),
    ],
    {
      cwd: root,
      env: {
        ...process.env,
        ...account.env('eu-west-1'),
        INFLUXGUARD_TABLE: res.table,
        INFLUXGUARD_QUEUE_URL: res.queueUrl,
        SLS_TELEMETRY_DISABLED: '1',
        POWERTOOLS_LOG_LEVEL: 'ERROR',
      },
      detached: true,
    },
  );
  offline.stdout!.on('data', (d: Buffer) => (log += d.toString()));
  offline.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  const deadline = Date.now() + 60_000;
  while (!/Server ready/.test(log)) {
    if (Date.now() > deadline || offline.exitCode !== null) throw new Error(`serverless-offline did not start: ${log.slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  base = `http://127.0.0.1:${http}`;
}, 90_000);

afterAll(() => {
  if (offline?.pid) {
    try {
      process.kill(-offline.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

const call = async (method: string, path: string, body?: unknown) => {
  const r = await fetch(`${base}${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
  });
  return { status: r.status, body: (await r.json()) as Record<string, any> };
};

describe('the API through serverless-offline', () => {
  it('POST /scans with wait=true returns the findings document', async () => {
    const r = await call('POST', '/scans', { wait: true, regions: ['eu-west-1'] });
    expect(r.status).toBe(200);
    expect(
      r.body.findings.some((f: { checkId: string; status: string }) => f.checkId === 'net.http-port-public' && f.status === 'FAILED'),
    ).toBe(true);
    const status = await call('GET', `/scans/${r.body.scanId}`);
    expect(status).toMatchObject({ status: 200, body: { status: 'completed' } });
  });
  it('POST /scans without wait returns 202 and a scanId', async () => {
    const r = await call('POST', '/scans', { regions: ['eu-west-1'] });
    expect(r.status).toBe(202);
    expect((await call('GET', `/scans/${r.body.scanId}`)).body).toMatchObject({
      status: 'running',
      progress: { unitsDone: 0, unitsTotal: 1 },
    });
  });
  it('an invalid body is a 400 naming the field; an unknown scan a 404', async () => {
    expect(await call('POST', '/scans', { regions: ['Mars'] })).toEqual({
      status: 400,
      body: { error: 'regions.0: is not a region name', field: 'regions.0' },
    });
    expect(await call('GET', '/scans/unknown-scan')).toEqual({ status: 404, body: { error: 'scan not found', scanId: 'unknown-scan' } });
  });
});

describe('the API under a bounded load (loopback, serverless-offline)', () => {
  it('answers a few hundred concurrent requests correctly: no 5xx, idempotent retries give one scan', async () => {
    const keys = Array.from(
      { length: Number(process.env.INFLUXGUARD_LOAD_KEYS ?? 150) },
      (_, i) => `load-key-${String(i).padStart(4, '0')}`,
    );
    const latency = { POST: [] as number[], GET: [] as number[] };
    const timed = async <T>(method: keyof typeof latency, fn: () => Promise<T>) => {
      const t = performance.now();
      const r = await fn();
      latency[method].push(performance.now() - t);
      return r;
    };
    const post = (key: string) =>
      timed('POST', async () => {
        const r = await fetch(`${base}/scans`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'idempotency-key': key },
          body: JSON.stringify({ regions: ['eu-west-1'] }),
        });
        return { status: r.status, body: (await r.json()) as { scanId: string } };
      });
    const started = performance.now();
    // Every key twice at once (a client retrying): 2 x keys POSTs in flight together, then a status read per answer, all in flight.
    // (--useInProcess: invocations share one warm handler, as a warm Lambda would; worker threads would each cold-load the SDK.)
    const posts = (await Promise.all(keys.map((k) => Promise.all([post(k), post(k)])))).flat();
    const gets = await Promise.all(posts.map((p) => timed('GET', async () => (await fetch(`${base}/scans/${p.body.scanId}`)).status)));
    const seconds = (performance.now() - started) / 1000;
    if (posts.some((p) => p.status !== 202))
      console.log(
        log
          .split('\n')
          .filter((l) => /request failed|dispatch failed/.test(l))
          .slice(0, 5)
          .join('\n'),
      ); // why, when it fails
    expect(posts.filter((p) => p.status !== 202)).toEqual([]);
    expect(gets.filter((s) => s !== 200)).toEqual([]);
    const byKey = new Map<string, Set<string>>();
    posts.forEach((p, i) => {
      const k = keys[Math.floor(i / 2)]!;
      byKey.set(k, (byKey.get(k) ?? new Set()).add(p.body.scanId));
    });
    expect([...byKey.values()].every((ids) => ids.size === 1)).toBe(true);
    expect(new Set(posts.map((p) => p.body.scanId)).size).toBe(keys.length);
    const dist = (xs: number[]) => {
      const s = [...xs].sort((a, b) => a - b);
      const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))]!.toFixed(0);
      return `p50 ${q(0.5)} ms, p95 ${q(0.95)} ms, p99 ${q(0.99)} ms, max ${q(1)} ms`;
    };
    console.info(
      `API load: ${posts.length} concurrent POST /scans (${keys.length} idempotency keys x 2) then ${gets.length} concurrent GET /scans/{id} in ${seconds.toFixed(1)} s, 0 5xx; ` +
        `POST ${dist(latency.POST)}; GET ${dist(latency.GET)}`,
    );
  }, 180_000);
});
