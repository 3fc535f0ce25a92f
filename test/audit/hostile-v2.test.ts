/**
 * The 2.x audit against a loopback server that answers like InfluxDB 2.x but
 * misbehaves (review items 4 and 5): a partial list must never look complete.
 * No real influxd pages wrongly or grants what is asked here, hence a fake.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from '@jest/globals';
import { AuditCredentials } from '../../lib/evidence/audit/credentials.js';
import { auditEndpoint } from '../../lib/evidence/audit/index.js';
import type { AuditPermission } from '../../lib/model.js';

const TOKEN = 'audit-token-value';
type Answers = { perms: AuditPermission[]; users: (offset: number) => { id: string; name: string }[] };

let server: Server | undefined;
afterEach(() => new Promise<void>((done) => (server ? server.close(() => done()) : done())));

async function audit(a: Answers) {
  server = createServer((req, res) => {
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
  const t = {
    input: `http://127.0.0.1:${port}`,
    scheme: 'http' as const,
    host: '127.0.0.1',
    port,
    address: '127.0.0.1',
    family: 4 as const,
  };
  return auditEndpoint(t, AuditCredentials.token(TOKEN), {
    timeouts: { connectMs: 1000, tlsMs: 1000, responseMs: 2000 },
    deadlineMs: 5000,
    allowPlainHttp: false,
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
