/**
 * The collector's reading of InfluxDB 3's local-file catalog on a real 3.6.0 that has lived: more than 100 catalog
 * operations (3.6.0 then writes `catalog/v2/snapshot` at each hundredth sequence number and keeps every log file
 * beside it), a named admin token deleted (routine; `_admin` itself cannot be deleted: 405 "cannot delete operator
 * token", measured), and more than 2,000 log files, most of them older than the snapshot. The test creates and
 * deletes the tokens itself (the scanner never calls these endpoints); the server stays on loopback, telemetry off.
 * Skipped when the binary is not in the cache.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { collectLocal } from '../../lib/evidence/host/local.js';
import type { HostEvidence, Result } from '../../lib/model.js';
import type { RunningInfluxd } from '../../scripts/influxd.js';
import { createV3Token, influxdb3Binary, startInfluxdb3 } from '../../scripts/influxdb3.js';
import { judgeHost } from '../support/fixtures.js';

const found = influxdb3Binary();
const binary = 'binary' in found ? found.binary : undefined;

let server: RunningInfluxd | undefined;
let admin = '';

/** One test-fixture call with the admin token (never the scanner's). */
async function call(method: 'POST' | 'DELETE', path: string, body?: unknown): Promise<number> {
  const r = await fetch(`${server!.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  await r.arrayBuffer();
  return r.status;
}
const namedAdmin = (name: string) => call('POST', '/api/v3/configure/token/named_admin', { token_name: name });
const deleteToken = (name: string) => call('DELETE', `/api/v3/configure/token?token_name=${encodeURIComponent(name)}`);

const catalogDir = () => join(server!.dir, 'data', 'influxguard-test', 'catalog', 'v2');
const snapshotSequence = () =>
  (JSON.parse(readFileSync(join(catalogDir(), 'snapshot')).subarray(14).toString()) as { sequence: number }).sequence;
const collect = async () => collectLocal({ pids: [server!.pid] }, 60_000);
const verdict = (h: Result<HostEvidence>) => judgeHost(h).find((f) => f.checkId === 'auth.v3-admin-token-unclaimed');
const catalogOf = (h: Result<HostEvidence>) => (h.ok ? h.value.processes[0]?.catalog : h.reason);

beforeAll(async () => {
  if (!binary) return;
  server = await startInfluxdb3(binary);
  const claimed = await createV3Token(server.url, 'admin');
  expect(claimed.status).toBe(201);
  admin = claimed.token!;
}, 90_000);
afterAll(() => server?.stop());

(binary ? describe : describe.skip)('the catalog of a real 3.6.0 that has lived', () => {
  it('a real snapshot (sequence 100) then a named token deleted: the admin token is still read (PASSED), never the token', async () => {
    for (let i = 0; i < 100; i++) expect(await namedAdmin(`ci-${i}`)).toBe(201);
    expect(snapshotSequence()).toBeGreaterThanOrEqual(100);
    expect(await deleteToken('ci-7')).toBe(200);
    expect(await deleteToken('_admin')).toBe(405); // the server never deletes its admin token
    const h = await collect();
    expect(catalogOf(h)).toMatchObject({ format: 'idb3.004', adminToken: true });
    expect(verdict(h)).toMatchObject({ status: 'PASSED' });
    expect(JSON.stringify(h)).not.toContain(admin);
  }, 60_000);

  it('more than 2,000 log files, all but the last few older than the snapshot: still read (PASSED)', async () => {
    // Pairs of create and delete: the catalog's log grows, its snapshot stays small.
    for (let i = 0; readdirSync(join(catalogDir(), 'logs')).length <= 2100; i++) {
      expect(await namedAdmin(`churn-${i}`)).toBe(201);
      expect(await deleteToken(`churn-${i}`)).toBe(200);
    }
    expect(snapshotSequence()).toBeGreaterThan(2000);
    const h = await collect();
    expect(catalogOf(h)).toMatchObject({ format: 'idb3.004', adminToken: true });
    expect(verdict(h)).toMatchObject({ status: 'PASSED' });
  }, 90_000);

  it('an offline admin token loaded at start (--admin-token-file, the remediation): the catalog shows it (PASSED), the server refuses a first caller (409)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ig-v3-offline-'));
    const file = join(dir, 'admin.json');
    const made = spawnSync(binary!, ['create', 'token', '--admin', '--offline', '--output-file', file], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '', HOME: dir },
    });
    expect(made.status).toBe(0);
    const token = (JSON.parse(readFileSync(file, 'utf8')) as { token: string }).token;
    const offline = await startInfluxdb3(binary!, { adminTokenFile: file });
    try {
      const h = await collectLocal({ pids: [offline.pid] }, 60_000);
      expect(catalogOf(h)).toMatchObject({ format: 'idb3.004', adminToken: true });
      expect(verdict(h)).toMatchObject({ status: 'PASSED' });
      expect(JSON.stringify(h)).not.toContain(token);
      expect((await createV3Token(offline.url, 'admin')).status).toBe(409);
    } finally {
      await offline.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
