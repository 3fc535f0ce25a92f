/**
 * The 2.x audit against a loopback server that answers like InfluxDB 2.x but
 * misbehaves (review items 4 and 5): a partial list must never look complete.
 * No real influxd pages wrongly or grants what is asked here, hence a fake.
 * And where the token goes (issue 27): only over TLS whose certificate
 * verifies and names the endpoint; the fake records every header it is sent.
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from '@jest/globals';
import { AuditCredentials } from '../../lib/evidence/audit/credentials.js';
import { auditEndpoint } from '../../lib/evidence/audit/index.js';
import type { AuditPermission } from '../../lib/model.js';
import { certificates } from '../../scripts/influxd.js';

const TOKEN = 'audit-token-value';
type Answers = { perms: AuditPermission[]; users: (offset: number) => { id: string; name: string }[] };

let server: Server | undefined;
const closeServer = () => new Promise<void>((done) => (server ? server.close(() => done()) : done()));
afterEach(closeServer);
/** The Authorization headers the server received. */
const sent: string[] = [];
const pem = (name: string) => readFileSync(join(certificates(), name), 'utf8');

interface Where {
  /** The certificate the server presents (make-certs.sh: `valid` names 127.0.0.1 and localhost, from ca.pem). */
  cert?: 'valid' | 'selfsigned';
  /** The host the target names (pinned to 127.0.0.1). */
  host?: string;
  /** The operator CA given (default: ca.pem); null: none (the system store). */
  ca?: string | null;
  lab?: boolean;
}

async function audit(a: Answers, w: Where = {}) {
  await closeServer();
  sent.length = 0;
  const cert = w.cert ?? 'valid';
  server = createServer({ cert: pem(`${cert}.pem`), key: pem(`${cert}.key`) }, (req, res) => {
    if (req.headers.authorization) sent.push(req.headers.authorization);
    const url = new URL(req.url ?? '/', 'http://x');
    const body =
      url.pathname === '/api/v2/authorizations'
        ? {
            authorizations: [
              {
                id: 'a1',
                token: TOKEN,
                status: 'active',
                userID: 'u0',
                permissions: a.perms.map(({ action, ...resource }) => ({ action, resource })),
              },
            ],
          }
        : url.pathname === '/api/v2/users'
          ? { users: a.users(Number(url.searchParams.get('offset') ?? 0)) }
          : url.pathname === '/api/v2/orgs'
            ? { orgs: [{ id: 'o1', name: 'org' }] }
            : undefined;
    res.writeHead(body ? 200 : 404, { 'content-type': 'application/json' }).end(JSON.stringify(body ?? { message: 'not found' }));
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  const host = w.host ?? '127.0.0.1';
  const t = { input: `https://${host}:${port}`, scheme: 'https' as const, host, port, address: '127.0.0.1', family: 4 as const };
  const ca = w.ca === undefined ? 'ca.pem' : w.ca;
  return auditEndpoint(t, AuditCredentials.token(TOKEN), {
    timeouts: { connectMs: 1000, tlsMs: 1000, responseMs: 2000 },
    deadlineMs: 5000,
    ...(ca ? { ca: [pem(ca)] } : {}),
    insecureLab: w.lab ?? false,
  });
}

const operator: AuditPermission[] = [
  { action: 'read', type: 'authorizations' },
  { action: 'read', type: 'users' },
];
const users = (from: number, n: number) => Array.from({ length: n }, (_, i) => ({ id: `u${from + i}`, name: `user${from + i}` }));

describe('2.x audit against a misbehaving server', () => {
  it('reads every page of users from a server that pages (the control)', async () => {
    const a = await audit({ perms: operator, users: (offset) => (offset === 0 ? users(0, 100) : offset === 100 ? users(100, 3) : []) });
    expect(a).toMatchObject({ flavour: 'influxdb-2', scope: 'every organisation' });
    expect('users' in a && a.users).toHaveLength(103);
  });
  it('a server that ignores paging (a full page with nothing new) makes the audit NOT_AVAILABLE, not a partial list (review 4)', async () => {
    const a = await audit({ perms: operator, users: () => users(0, 100) });
    expect(a).toEqual({ flavour: 'influxdb-2', unavailable: expect.stringMatching(/\/api\/v2\/users: .*paging/) });
  });
  it.each([
    [
      'users of one organisation',
      [
        { action: 'read', type: 'authorizations' },
        { action: 'read', type: 'users', orgID: 'o1' },
      ],
    ],
    [
      'one user',
      [
        { action: 'read', type: 'authorizations' },
        { action: 'read', type: 'users', id: 'u0' },
      ],
    ],
  ] as [string, AuditPermission[]][])('a token that reads only %s cannot audit: NOT_AVAILABLE (review 5)', async (_, perms) => {
    const a = await audit({ perms, users: (offset) => (offset === 0 ? users(0, 3) : []) });
    expect(a).toEqual({ flavour: 'influxdb-2', unavailable: expect.stringContaining('cannot read every token and user') });
  });
});

describe('the token goes only over TLS whose certificate verifies (issue 27)', () => {
  const answers: Answers = { perms: operator, users: (offset) => (offset === 0 ? users(0, 3) : []) };

  it("the certificate names the endpoint tag's host name (localhost: sent), or not (db.example: nothing sent)", async () => {
    expect(await audit(answers, { host: 'localhost' })).toMatchObject({ flavour: 'influxdb-2', scope: 'every organisation' });
    expect(sent).toContain(`Token ${TOKEN}`);
    expect(await audit(answers, { host: 'db.example' })).toEqual({
      flavour: 'influxdb-2',
      unavailable: expect.stringMatching(
        /^credentials not sent: the certificate of db\.example:\d+ does not verify: ERR_TLS_CERT_ALTNAME_INVALID/,
      ),
    });
    expect(sent).toEqual([]);
  });

  it('with an operator CA, only that CA: a certificate it did not issue is refused', async () => {
    expect(await audit(answers, { cert: 'selfsigned' })).toEqual({
      flavour: 'influxdb-2',
      unavailable: expect.stringMatching(/does not verify: .*self-signed certificate; it was not issued by the operator CA/),
    });
    expect(sent).toEqual([]);
  });

  it("without one, the system store: the test CA's certificate does not verify, and nothing is sent", async () => {
    expect(await audit(answers, { ca: null })).toEqual({
      flavour: 'influxdb-2',
      unavailable: expect.stringMatching(/does not verify: .*; pass the CA that issued it with --audit-ca/),
    });
    expect(sent).toEqual([]);
  });

  it('--audit-insecure-lab sends it without verifying, and the evidence says so', async () => {
    expect(await audit(answers, { cert: 'selfsigned', ca: null, lab: true })).toMatchObject({ flavour: 'influxdb-2', insecureLab: true });
    expect(sent).toContain(`Token ${TOKEN}`);
  });

  it('plain HTTP never receives credentials, loopback included (no connection is made)', async () => {
    for (const address of ['127.0.0.1', '10.255.255.1']) {
      const t = { input: `http://${address}:8086`, scheme: 'http' as const, host: address, port: 8086, address, family: 4 as const };
      const a = await auditEndpoint(t, AuditCredentials.token(TOKEN), {
        timeouts: { connectMs: 100, tlsMs: 100, responseMs: 100 },
        deadlineMs: 1000,
        insecureLab: true,
      });
      expect(a).toEqual({
        flavour: 'influxdb-2',
        unavailable: expect.stringMatching(/^credentials not sent: .* plain HTTP .*--audit-insecure-lab/),
      });
    }
  });
});
