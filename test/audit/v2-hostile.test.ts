/**
 * The 2.x audit's token findings against a hostile InfluxDB 2.x imitation on loopback (TLS, the test CA as the
 * operator CA): tens of thousands of operator, write-every-bucket and inactive users' tokens with long descriptions
 * holding C1 controls, under the audit's 4 MiB answer cap. Each finding lists at most LISTED_MAX of them with the count
 * (as the 3.x audit's admin tokens, test/probe/v3-hostile.test.ts), no control character and no token reaches an
 * output. No real influxd holds such a list, hence a fake.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import { join } from 'node:path';
import { LISTED_MAX } from '../../lib/checks/support.js';
import { AuditCredentials } from '../../lib/evidence/audit/credentials.js';
import { toAsff } from '../../lib/findings/asff.js';
import type { Finding, ScanDocument } from '../../lib/model.js';
import { probeRun } from '../../lib/probe.js';
import { certificates } from '../../scripts/influxd.js';
import { loopbackConfig, RAW_CONTROL } from '../support/hostile.js';

const TOKEN = `v2-audit-${'S3cr3t'.repeat(8)}`;
/** Tokens of each kind the server lists (three kinds: under the 4 MiB cap with their descriptions). */
const EACH = 5_000;
/** Users the server pages (`?limit=100`), every one inactive: the audit reads at most 50 pages. */
const USERS = 4_000;

let server: Server | undefined;
let url = '';
afterAll(() => {
  server?.closeAllConnections?.();
  server?.close();
});

const auth = (i: number, kind: 'operator' | 'bucket' | 'inactive') => ({
  id: `${kind[0]}${i.toString(36).padStart(4, '0')}`,
  description: `\u009b${'d'.repeat(60)}${i}`,
  status: 'active',
  ...(kind === 'inactive' ? { userID: `u${i % USERS}` } : {}),
  permissions: [
    kind === 'operator'
      ? { action: 'write', resource: { type: 'authorizations' } }
      : { action: kind === 'bucket' ? 'write' : 'read', resource: { type: 'buckets', orgID: 'o1' } },
  ],
});

beforeAll(async () => {
  const authorizations = JSON.stringify({
    authorizations: [
      {
        id: 'audit',
        token: TOKEN,
        status: 'active',
        permissions: [
          { action: 'read', resource: { type: 'authorizations' } },
          { action: 'read', resource: { type: 'users' } },
        ],
      },
      ...Array.from({ length: EACH }, (_, i) => auth(i, 'operator')),
      ...Array.from({ length: EACH }, (_, i) => auth(i, 'bucket')),
      ...Array.from({ length: EACH }, (_, i) => auth(i, 'inactive')),
    ],
  });
  // Under the audit's 4 MiB cap (a longer answer is refused whole).
  expect(Buffer.byteLength(authorizations)).toBeLessThan(4 << 20);
  const pem = (name: string) => readFileSync(join(certificates(), name));
  server = createServer({ cert: pem('valid.pem'), key: pem('valid.key') }, (req, res) => {
    const u = new URL(req.url ?? '/', 'https://x');
    if (u.pathname === '/ping') return void res.writeHead(204, { 'x-influxdb-version': 'v2.7.11', 'x-influxdb-build': 'OSS' }).end();
    if (req.headers.authorization !== `Token ${TOKEN}`) return void res.writeHead(401, { 'content-type': 'application/json' }).end('{}');
    const offset = Number(u.searchParams.get('offset') ?? 0);
    const body =
      u.pathname === '/api/v2/authorizations'
        ? authorizations
        : u.pathname === '/api/v2/users'
          ? JSON.stringify({
              users: Array.from({ length: Math.max(0, Math.min(100, USERS - offset)) }, (_, i) => ({
                id: `u${offset + i}`,
                name: `\u009b${'n'.repeat(60)}${offset + i}`,
                status: 'inactive',
              })),
            })
          : u.pathname === '/api/v2/orgs'
            ? JSON.stringify({ orgs: offset ? [] : [{ id: 'o1', name: 'org' }] })
            : undefined;
    res.writeHead(body ? 200 : 404, { 'content-type': 'application/json' }).end(body ?? '{"message":"not found"}');
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  url = `https://127.0.0.1:${(server.address() as { port: number }).port}`;
}, 30_000);

const config = () => loopbackConfig(3000);
const one = (doc: ScanDocument, id: string): Finding => doc.findings.find((f) => f.checkId === id)!;

describe('the 2.x audit against a server listing tens of thousands of tokens', () => {
  it('each token finding FAILED with the exact count, at most LISTED_MAX tokens listed, bounded, no control character or token', async () => {
    const doc = (await probeRun([url], config(), { credentials: AuditCredentials.token(TOKEN) })).document;
    const checks = {
      'tokens.all-access-excess': { listed: 'tokens', count: `${EACH} active operator/all-access tokens` },
      'tokens.write-all-buckets': { listed: 'tokens', count: `${EACH} tokens that may write every bucket` },
      'tokens.inactive-user-active': { listed: 'tokens', count: `${EACH} active tokens of inactive users` },
    } as const;
    for (const [id, want] of Object.entries(checks)) {
      const f = one(doc, id);
      expect({ id, status: f.status }).toEqual({ id, status: 'FAILED' });
      expect(f.evidence.summary).toContain(want.count);
      expect(f.evidence.summary).toMatch(new RegExp(`and ${EACH - LISTED_MAX} more`));
      expect((f.evidence[want.listed] as unknown[]).length).toBe(LISTED_MAX);
      expect(f.evidence.tokensNotListed).toBe(EACH - LISTED_MAX);
      expect({ id, size: JSON.stringify(f).length < 64 * 1024 }).toEqual({ id, size: true });
      const asff = JSON.stringify(toAsff({ ...f, accountId: '123456789012', region: 'eu-west-1' }, { now: doc.finishedAt }));
      expect({ id, raw: RAW_CONTROL.test(asff), token: asff.includes(TOKEN) }).toEqual({ id, raw: false, token: false });
    }
    // The inactive users are listed with the same bound.
    const inactive = one(doc, 'tokens.inactive-user-active');
    expect((inactive.evidence.inactiveUsers as unknown[]).length).toBe(LISTED_MAX);
    expect(inactive.evidence.inactiveUsersNotListed).toBe(USERS - LISTED_MAX);
    expect(JSON.stringify(doc)).not.toContain(TOKEN);
  }, 60_000);
});
