/**
 * The audit credential against hostile loopback servers (CHECKS.md: "Audit credentials go only to an endpoint bound
 * to their secret … whose TLS certificate verifies"): a server that redirects elsewhere, one whose next connection
 * presents another certificate, one that echoes what it was sent. Each records every Authorization header it gets.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { createServer as createHttps, type Server } from 'node:https';
import { type AddressInfo, createServer as createTcp, connect, type Server as TcpServer } from 'node:net';
import { join } from 'node:path';
import { AuditCredentials } from '../../lib/evidence/audit/credentials.js';
import { gatherAudit } from '../../lib/evidence/audit/gather.js';
import { auditEndpoint } from '../../lib/evidence/audit/index.js';
import { parseConfig } from '../../lib/config.js';
import type { ProbeTarget, ResolvedTarget } from '../../lib/evidence/probe/target.js';
import { certificates } from '../../scripts/influxd.js';

const TOKEN = 'audit-token-5f0e9a71';
const PASSWORD = 'audit-password-c3d81b';
const pem = (name: string) => readFileSync(join(certificates(), name), 'utf8');
const OPERATOR = [
  { action: 'read', resource: { type: 'authorizations' } },
  { action: 'read', resource: { type: 'users' } },
];

const servers: (Server | TcpServer)[] = [];
const sockets: { destroy: () => void }[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await Promise.all(
    servers.splice(0).map(
      (s) =>
        new Promise<void>((r) => {
          if ('closeAllConnections' in s) s.closeAllConnections();
          s.close(() => r());
        }),
    ),
  );
});
const listen = async <S extends Server | TcpServer>(s: S): Promise<number> => {
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return (s.address() as AddressInfo).port;
};

/** An HTTPS server (the `valid` certificate names 127.0.0.1 and localhost; ca.pem issued it) recording what it is sent. */
async function recorder(
  handler: (path: string, res: import('node:http').ServerResponse) => void,
  cert: 'valid' | 'selfsigned' = 'valid',
): Promise<{ port: number; sent: string[] }> {
  const sent: string[] = [];
  const s = createHttps({ cert: pem(`${cert}.pem`), key: pem(`${cert}.key`) }, (req, res) => {
    if (req.headers.authorization) sent.push(req.headers.authorization);
    handler(req.url ?? '/', res);
  });
  return { port: await listen(s), sent };
}
const json = (res: import('node:http').ServerResponse, body: unknown, headers: Record<string, string> = {}) =>
  res.writeHead(200, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));

const target = (port: number, host = '127.0.0.1'): ResolvedTarget => ({
  input: `https://${host}:${port}`,
  scheme: 'https',
  host,
  port,
  address: '127.0.0.1',
  family: 4,
});
const audit = (port: number, credentials: AuditCredentials) =>
  auditEndpoint(target(port), credentials, {
    timeouts: { connectMs: 1000, tlsMs: 1000, responseMs: 2000 },
    deadlineMs: 5000,
    ca: [pem('ca.pem')],
    insecureLab: false,
  });

describe('the audit credential never follows a server elsewhere', () => {
  it.each([
    ['a 2.x token', 307, AuditCredentials.token(TOKEN)],
    ['a 1.x password', 302, AuditCredentials.password('admin', PASSWORD)],
  ])(
    '%s: a verified server that redirects (HTTP %i) to another verified server: the other never receives it',
    async (_, code, credentials) => {
      const elsewhere = await recorder((_path, res) => json(res, { results: [] }));
      const first = await recorder((path, res) => res.writeHead(code, { location: `https://localhost:${elsewhere.port}${path}` }).end());
      const a = await audit(first.port, credentials);
      expect(a).toMatchObject({ unavailable: expect.stringMatching(new RegExp(`HTTP ${code}`)) });
      expect(first.sent.length).toBeGreaterThan(0); // the bound, verified endpoint got it (that is allowed)
      expect(elsewhere.sent).toEqual([]);
    },
  );

  it('a server whose first connection verifies, then closes it (Connection: close) and presents a self-signed certificate on the next: nothing sent there', async () => {
    const good = await recorder((path, res) =>
      path.startsWith('/api/v2/authorizations')
        ? json(res, { authorizations: [{ id: 'a1', token: TOKEN, status: 'active', permissions: OPERATOR }] }, { connection: 'close' })
        : json(res, { users: [], orgs: [] }),
    );
    const bad = await recorder((_path, res) => json(res, { users: [], orgs: [] }), 'selfsigned');
    // One port: the first connection reaches the good server, every later one the impostor.
    let n = 0;
    const front = createTcp((c) => {
      const s = connect(n++ === 0 ? good.port : bad.port, '127.0.0.1');
      sockets.push(c, s);
      c.pipe(s).pipe(c);
      c.on('error', () => s.destroy());
      s.on('error', () => c.destroy());
    });
    const port = await listen(front);
    const a = await audit(port, AuditCredentials.token(TOKEN));
    expect(good.sent.length).toBeGreaterThan(0); // /ping and /api/v2/authorizations, on the verified connection
    expect(n).toBeGreaterThan(1); // it did connect again
    expect(bad.sent).toEqual([]);
    expect(a).toMatchObject({ unavailable: expect.stringMatching(/\/api\/v2\/users: .*(self-signed|certificate)/) });
  });

  it('a verified server that echoes the credential in its errors: the reason carries neither the password nor its Basic encoding', async () => {
    const basic = Buffer.from(`admin:${PASSWORD}`).toString('base64');
    const echo = await recorder((_path, res) =>
      res
        .writeHead(403, { 'content-type': 'application/json' })
        .end(JSON.stringify({ error: `refused admin:${PASSWORD} (Basic ${basic})` })),
    );
    const a = await audit(echo.port, AuditCredentials.password('admin', PASSWORD));
    expect(a).toMatchObject({ unavailable: expect.stringContaining('HTTP 403') });
    expect(JSON.stringify(a)).not.toContain(PASSWORD);
    expect(JSON.stringify(a)).not.toContain(basic);
  });
});

describe("an instance's endpoint tag naming somewhere else (whoever can tag the bound instance)", () => {
  const config = parseConfig({ audit: { ca: pem('ca.pem') } });
  const answering = () => recorder((_path, res) => json(res, { results: [] }));
  const tagged = (host: string, port: number): ProbeTarget => ({
    input: `https://${host}:${port}`,
    scheme: 'https',
    host,
    port,
    owner: { label: 'the influxdb:endpoint tag of i-0123456789abcdef0', addresses: ['10.0.0.5'], endpointCidrs: [] },
  });

  it("an address that is not the instance's (nor in an endpoint CIDR), though allowed to probe: nothing sent", async () => {
    const other = await answering();
    const r = await gatherAudit(tagged('127.0.0.1', other.port), AuditCredentials.password('admin', PASSWORD), ['127.0.0.0/8'], config);
    expect(r).toEqual({ ok: false, reason: expect.stringMatching(/^credentials not sent: refused .*not an address of the instance/) });
    expect(other.sent).toEqual([]);
  });

  it("a host name that resolves to the instance's address and another: refused, nothing sent", async () => {
    const other = await answering();
    const resolver = async () => [
      { address: '10.0.0.5', family: 4 },
      { address: '127.0.0.1', family: 4 },
    ];
    const r = await gatherAudit(
      tagged('db.example', other.port),
      AuditCredentials.token(TOKEN),
      ['10.0.0.0/8', '127.0.0.0/8'],
      config,
      resolver,
    );
    expect(r).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/^credentials not sent: refused .*127\.0\.0\.1 is not an address/),
    });
    expect(other.sent).toEqual([]);
  });

  it("a host name that resolves to the instance's own address but whose certificate names another: nothing sent", async () => {
    const server = await answering();
    const owned = { ...tagged('db.example', server.port), owner: { label: 'tag', addresses: ['127.0.0.1'], endpointCidrs: [] } };
    const resolver = async () => [{ address: '127.0.0.1', family: 4 }];
    const r = await gatherAudit(owned, AuditCredentials.token(TOKEN), ['127.0.0.0/8'], config, resolver);
    expect(r).toMatchObject({
      ok: true,
      value: { unavailable: expect.stringMatching(/^credentials not sent: the certificate of db\.example:\d+ does not verify/) },
    });
    expect(server.sent).toEqual([]);
  });
});
