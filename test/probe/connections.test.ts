/**
 * What an HTTPS endpoint's probe costs in connections (issue 33: the prober's
 * CPU per endpoint), against local TLS servers that answer like InfluxDB 1.x:
 * one full handshake carries every HTTP request; a server that will not keep
 * connections alive still gets every request; the certificate is read once,
 * the leaf only, and its facts are as before.
 */
import { afterEach, describe, expect, it, jest } from '@jest/globals';
import type { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:https';
import { join } from 'node:path';
import { TLSSocket, type TLSSocket as Secured } from 'node:tls';
import { probeOptions } from '../../lib/evidence/probe/gather.js';
import { certificateFacts, handshake } from '../../lib/evidence/probe/http.js';
import { DEBUG_REQUESTS, DIAGNOSTIC_PATHS, probeEndpoint, QUERY_PATH } from '../../lib/evidence/probe/index.js';
import { parseConfig } from '../../lib/config.js';
import type { ResolvedTarget } from '../../lib/evidence/probe/target.js';
import { certificates } from '../../scripts/influxd.js';

/** The requests a probe of an InfluxDB 1.x with authentication on (and /debug/vars closed) makes, in no order. */
const EXPECTED = ['/ping', QUERY_PATH, QUERY_PATH, '/api/v2/setup', ...DIAGNOSTIC_PATHS, DEBUG_REQUESTS].sort();

/** A TLS server answering like InfluxDB 1.8 with authentication on; `after` may spoil each answer's connection. */
async function influxLike(after: (res: ServerResponse) => void = () => undefined, groups?: string) {
  const pem = readFileSync(join(certificates(), 'valid.combined.pem'));
  const seen = { handshakes: 0, requests: [] as string[], sockets: new Set<unknown>() };
  const answer = (req: IncomingMessage, res: ServerResponse) => {
    seen.requests.push(req.url ?? '');
    seen.sockets.add(req.socket);
    after(res);
    if (req.url === '/ping') res.writeHead(204, { 'x-influxdb-version': '1.8.10', 'x-influxdb-build': 'OSS' }).end();
    else if (req.url?.startsWith('/query'))
      res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"unable to parse authentication credentials"}');
    else res.writeHead(404, { 'content-type': 'text/plain' }).end('404 page not found\n');
  };
  const server = createServer({ key: pem, cert: pem, ...(groups ? { ecdhCurve: groups } : {}) }, answer);
  server.on('secureConnection', () => seen.handshakes++);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  const target: ResolvedTarget = {
    input: `https://127.0.0.1:${port}`,
    host: '127.0.0.1',
    port,
    scheme: 'https',
    address: '127.0.0.1',
    family: 4,
  };
  const close = () => new Promise<void>((r) => server.close(() => r()).closeAllConnections());
  return { seen, target, close };
}

const opts = probeOptions(
  parseConfig({
    probe: {
      allowedCidrs: ['127.0.0.0/8'],
      connectTimeoutMs: 2000,
      tlsTimeoutMs: 2000,
      responseTimeoutMs: 3000,
      caFiles: [join(certificates(), 'ca.pem')],
    },
  }),
);

afterEach(() => {
  jest.restoreAllMocks();
});

describe('an HTTPS endpoint probe', () => {
  it('makes one full TLS handshake, and every HTTP request goes over it', async () => {
    const s = await influxLike();
    const r = await probeEndpoint(s.target, opts);
    await s.close();
    expect(r).toMatchObject({
      ok: true,
      value: { fingerprint: { flavour: 'influxdb-1' }, tls: { ok: true, value: { trusted: true, nameMatches: true } } },
    });
    expect(s.seen.handshakes).toBe(1);
    expect(s.seen.sockets.size).toBe(1);
    expect([...s.seen.requests].sort()).toEqual(EXPECTED);
  });

  it('a server answering `Connection: close` still gets every request (each on a connection of its own)', async () => {
    const s = await influxLike((res) => res.setHeader('connection', 'close'));
    const r = await probeEndpoint(s.target, opts);
    await s.close();
    expect(r.ok).toBe(true);
    expect([...s.seen.requests].sort()).toEqual(EXPECTED);
    expect(s.seen.handshakes).toBe(EXPECTED.length);
    if (!r.ok) return;
    expect(Object.values(r.value.diagnostics).every((d) => d.ok)).toBe(true);
    expect([r.value.query.ok, r.value.jwt.ok, r.value.setup.ok]).toEqual([true, true, true]);
  });

  it('a server that drops each connection after one answer, without saying so, still gets every request', async () => {
    const s = await influxLike((res) => res.once('finish', () => res.socket?.destroy()));
    const r = await probeEndpoint(s.target, opts);
    await s.close();
    expect(r.ok).toBe(true);
    expect([...s.seen.requests].sort()).toEqual(EXPECTED);
    if (!r.ok) return;
    expect(Object.values(r.value.diagnostics).every((d) => d.ok)).toBe(true);
  });

  it("reads the certificate once and the leaf only: Node's name check is not handed the translated chain", async () => {
    const s = await influxLike();
    const read = jest.spyOn(TLSSocket.prototype, 'getPeerCertificate');
    const r = await probeEndpoint(s.target, opts);
    await s.close();
    expect(r).toMatchObject({ ok: true, value: { tls: { ok: true, value: { trusted: true, nameMatches: true } } } });
    expect(read).not.toHaveBeenCalled();
  });

  it('offers no post-quantum key share: a server that prefers X25519MLKEM768 settles on X25519', async () => {
    const s = await influxLike(undefined, 'X25519MLKEM768:X25519:P-256');
    const h = await handshake(s.target, { timeouts: opts.timeouts, keep: true });
    const group = h.ok ? (h.value.socket as Secured).getEphemeralKeyInfo() : undefined;
    if (h.ok) h.value.socket?.destroy();
    await s.close();
    expect(group).toMatchObject({ name: 'X25519' });
  });
});

describe('certificateFacts', () => {
  it('names as the certificate writes them: RFC 2253 escapes undone, repeated attributes joined with +', () => {
    const cert = {
      subject: 'C=US\nO=Foo\\, Inc.\nOU=a\nOU=b\nCN=influx.example',
      issuer: 'CN=influxguard test CA',
      validFrom: 'Jan  1 00:00:00 2026 GMT',
      validTo: 'Jan  1 00:00:00 2027 GMT',
      subjectAltName: 'DNS:influx.example, IP Address:10.0.0.1',
      fingerprint256: 'AB:CD',
    } as unknown as X509Certificate;
    expect(certificateFacts(cert)).toEqual({
      subject: 'C=US, O=Foo, Inc., OU=a+b, CN=influx.example',
      issuer: 'CN=influxguard test CA',
      validFrom: '2026-01-01T00:00:00.000Z',
      validTo: '2027-01-01T00:00:00.000Z',
      selfSigned: false,
      subjectAltNames: ['DNS:influx.example', 'IP Address:10.0.0.1'],
      fingerprint256: 'AB:CD',
    });
  });
});
