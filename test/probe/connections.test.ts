/**
 * What an HTTPS endpoint's probe costs in connections (issue 33: the prober's
 * CPU per endpoint), against local TLS servers that answer like InfluxDB 1.x:
 * one full handshake carries every HTTP request; a server that will not keep
 * connections alive still gets every request; the certificate is read once,
 * the leaf only, and its facts are as before.
 */
import { afterEach, describe, expect, it, jest } from '@jest/globals';
import type { X509Certificate } from 'node:crypto';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:https';
import { join } from 'node:path';
import { createServer as createTlsServer, type Server as TlsServer, TLSSocket, type TLSSocket as Secured } from 'node:tls';
import { probeOptions } from '../../lib/evidence/probe/gather.js';
import { BODY_CAP, certificateFacts, endpointAgent, endpointLane, get, handshake } from '../../lib/evidence/probe/http.js';
import { DEBUG_REQUESTS, DIAGNOSTIC_PATHS, probeEndpoint, QUERY_PATH } from '../../lib/evidence/probe/index.js';
import { parseConfig } from '../../lib/config.js';
import type { ResolvedTarget } from '../../lib/evidence/probe/target.js';
import { certificates } from '../../scripts/influxd.js';

/** The requests a probe of an InfluxDB 1.x with authentication on (and /debug/vars closed) makes, in no order. */
const EXPECTED = ['/ping', QUERY_PATH, QUERY_PATH, '/api/v2/setup', ...DIAGNOSTIC_PATHS, DEBUG_REQUESTS].sort();

/** The server listening on 127.0.0.1, as the target the prober resolved. */
async function listening(server: TlsServer): Promise<ResolvedTarget> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  return { input: `https://127.0.0.1:${port}`, host: '127.0.0.1', port, scheme: 'https', address: '127.0.0.1', family: 4 };
}

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
  const target = await listening(server);
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

/** A TLS server that answers each request with the bytes `reply(path)` gives (undefined: say nothing), counting handshakes. */
async function rawTls(reply: (path: string, socket: TLSSocket) => string | Buffer | undefined) {
  const pem = readFileSync(join(certificates(), 'valid.combined.pem'));
  const seen = { handshakes: 0, requests: [] as string[] };
  const server = createTlsServer({ key: pem, cert: pem }, (socket) => {
    seen.handshakes++;
    socket.on('error', () => undefined);
    let pending = '';
    socket.on('data', (d: Buffer) => {
      pending += d.toString('latin1');
      for (let end = pending.indexOf('\r\n\r\n'); end >= 0; end = pending.indexOf('\r\n\r\n')) {
        const path = pending.slice(0, end).split(' ')[1] ?? '';
        pending = pending.slice(end + 4);
        seen.requests.push(path);
        const answer = reply(path, socket);
        if (answer !== undefined && !socket.destroyed) socket.write(answer);
      }
    });
  });
  const target = await listening(server);
  const sockets = new Set<TLSSocket>();
  server.on('secureConnection', (s) => sockets.add(s));
  const close = () =>
    new Promise<void>((r) => {
      for (const s of sockets) s.destroy();
      server.close(() => r());
    });
  return { seen, target, close };
}

const timeouts = { connectMs: 1000, tlsMs: 1000, responseMs: 1500 };

/** One endpoint's requests as the prober makes them: on the lane over the inspection handshake's connection, node:http behind it. */
async function endpoint(target: ResolvedTarget) {
  const h = await handshake(target, { timeouts, keep: true });
  if (!h.ok || !h.value.socket) throw new Error('no handshake');
  const lane = endpointLane(target, h.value.socket);
  const agent = endpointAgent(target, 'https');
  const ask = (path: string, extra: Partial<Parameters<typeof get>[1]> = {}) =>
    get(target, { scheme: 'https', path, timeouts, agent, lane, ...extra });
  const done = () => {
    agent.destroy();
    lane.close();
  };
  return { ask, done, socket: h.value.socket };
}

const http = (head: string, body = '') => `HTTP/1.1 ${head}\r\n\r\n${body}`;

describe('the requests on the kept connection', () => {
  it('reads chunked bodies (extensions, trailers) and repeated headers as node:http does, all on one connection', async () => {
    const s = await rawTls((path) =>
      path === '/chunked'
        ? http(
            '200 OK\r\nTransfer-Encoding: chunked\r\nX-A: 1\r\nX-A: 2\r\nContent-Type: a\r\nContent-Type: b\r\nSet-Cookie: x=1\r\nSet-Cookie: y=2',
            '5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n',
          )
        : http('204 No Content\r\nX-Influxdb-Version: 1.8.10'),
    );
    const e = await endpoint(s.target);
    const first = await e.ask('/ping');
    const chunked = await e.ask('/chunked');
    const again = await e.ask('/ping');
    e.done();
    await s.close();
    expect(first).toMatchObject({ ok: true, value: { status: 204, headers: { 'x-influxdb-version': '1.8.10' }, body: '' } });
    expect(chunked).toEqual({
      ok: true,
      value: {
        status: 200,
        headers: { 'transfer-encoding': 'chunked', 'x-a': '1, 2', 'content-type': 'a', 'set-cookie': 'x=1, y=2' },
        body: 'hello world',
        truncated: false,
      },
    });
    expect(again.ok).toBe(true);
    expect(s.seen.handshakes).toBe(1);
  });

  it('an answer of another kind (no length: read to the close) is asked again through node:http, with the same result', async () => {
    const s = await rawTls((path, socket) => {
      if (path !== '/to-close') return http('204 No Content');
      socket.end('HTTP/1.1 200 OK\r\nX-Influxdb-Version: 1.8.10\r\n\r\nuntil the close');
      return undefined;
    });
    const e = await endpoint(s.target);
    const r = await e.ask('/to-close');
    e.done();
    await s.close();
    expect(r).toMatchObject({ ok: true, value: { status: 200, body: 'until the close', truncated: false } });
    expect(s.seen.requests).toEqual(['/to-close', '/to-close']);
  });

  it('bodies stop at the cap (truncated); the connection is then given up, and the next request still answered', async () => {
    const big = 'a'.repeat(BODY_CAP + 100);
    const s = await rawTls((path) => (path === '/big' ? http(`200 OK\r\nContent-Length: ${big.length}`, big) : http('204 No Content')));
    const e = await endpoint(s.target);
    const r = await e.ask('/big');
    const next = await e.ask('/ping');
    e.done();
    await s.close();
    expect(r.ok && [r.value.body.length, r.value.truncated]).toEqual([BODY_CAP, true]);
    expect(next).toMatchObject({ ok: true, value: { status: 204 } });
    expect(s.seen.handshakes).toBe(2);
  });

  it('headers that trickle or never end are bounded: by the response timeout, and by 32 KiB', async () => {
    const s = await rawTls((path, socket) => {
      if (path === '/trickle') {
        socket.write('HTTP/1.1 200 OK\r\n');
        const timer = setInterval(() => (socket.destroyed ? clearInterval(timer) : socket.write('X-A: a\r\n')), 50);
        socket.on('close', () => clearInterval(timer));
        return undefined;
      }
      return `HTTP/1.1 200 OK\r\n${`X-Filler: ${'x'.repeat(1000)}\r\n`.repeat(40)}\r\n`;
    });
    const e = await endpoint(s.target);
    const [trickle, endless] = await Promise.all([e.ask('/trickle'), e.ask('/endless')]);
    e.done();
    await s.close();
    expect(trickle).toEqual({ ok: false, reason: `no complete response within ${timeouts.responseMs} ms (probe.responseTimeoutMs)` });
    expect(endless.ok).toBe(false);
  });

  it('a second answer to one request is not taken for the next request’s', async () => {
    const s = await rawTls((path) =>
      path === '/twice'
        ? http('200 OK\r\nContent-Length: 1', 'a') + http('200 OK\r\nContent-Length: 5', 'stray')
        : http('200 OK\r\nContent-Length: 2', 'ok'),
    );
    const e = await endpoint(s.target);
    const twice = await e.ask('/twice');
    const next = await e.ask('/next');
    e.done();
    await s.close();
    expect(twice).toMatchObject({ ok: true, value: { body: 'a' } });
    expect(next).toMatchObject({ ok: true, value: { body: 'ok' } });
    // The lane gives its connection up without an answer; node:http asks again on one of its own, and gives that up too.
    expect(s.seen.requests).toEqual(['/twice', '/twice', '/next']);
    expect(s.seen.handshakes).toBe(3);
  });
});

/** The same request through node:http alone (a connection of the agent's own), as the prober asked before the lane. */
async function viaNodeHttp(target: ResolvedTarget, path: string, statusOnly = false) {
  const agent = endpointAgent(target, 'https');
  const r = await get(target, { scheme: 'https', path, timeouts, agent, statusOnly });
  agent.destroy();
  return r;
}

/** A server answering every request with `answer`, asked for it (whole, and status only) on the lane and through node:http alone. */
async function bothWays(answer: string) {
  const s = await rawTls(() => Buffer.from(answer, 'latin1'));
  const e = await endpoint(s.target);
  const onLane = [await e.ask('/ping'), await e.ask('/metrics', { statusOnly: true })];
  e.done();
  const alone = [await viaNodeHttp(s.target, '/ping'), await viaNodeHttp(s.target, '/metrics', true)];
  await s.close();
  return { onLane, alone };
}

/** Write `text` a byte at a time, each in a TLS record of its own (writes in one tick would share one). */
function trickle(socket: TLSSocket, text: string, at = 0): undefined {
  if (at < text.length && !socket.destroyed) socket.write(text[at]!, () => setImmediate(() => trickle(socket, text, at + 1)));
  return undefined;
}

describe('the kept connection against a hostile server (lane.ts)', () => {
  it('once the endpoint deadline is reached, a request waiting behind the lane is not asked again through node:http', async () => {
    const deadline = new AbortController();
    const s = await rawTls((path) => {
      if (path === '/stall') deadline.abort();
      return undefined; // never answers
    });
    const e = await endpoint(s.target);
    const [stalled, queued] = await Promise.all([
      e.ask('/stall', { signal: deadline.signal }),
      e.ask('/queued', { signal: deadline.signal }),
    ]);
    e.done();
    await s.close();
    expect([stalled, queued]).toEqual([
      { ok: false, reason: 'the endpoint deadline was reached' },
      { ok: false, reason: 'the endpoint deadline was reached' },
    ]);
    expect(s.seen.requests).toEqual(['/stall']);
  });

  it('bytes that come while no request is out cost the connection: the next request is asked on another', async () => {
    let server: TLSSocket | undefined;
    const s = await rawTls((path, socket) => {
      server = socket;
      return http('200 OK\r\nContent-Length: 2', path === '/a' ? 'aa' : 'bb');
    });
    const e = await endpoint(s.target);
    const a = await e.ask('/a');
    const stray = once(e.socket, 'data');
    server?.write(http('200 OK\r\nContent-Length: 5', 'stray'));
    await stray;
    const b = await e.ask('/b');
    e.done();
    await s.close();
    expect([a.ok && a.value.body, b.ok && b.value.body]).toEqual(['aa', 'bb']);
    expect(s.seen.requests).toEqual(['/a', '/b']);
    expect(s.seen.handshakes).toBe(2);
  });

  it('a head trickled a byte at a time is not copied again with each byte (a hostile server’s CPU lever)', async () => {
    const answer = http(`200 OK\r\nContent-Length: 2\r\nX-Filler: ${'x'.repeat(4000)}`, 'ok');
    const s = await rawTls((_, socket) => trickle(socket, answer));
    const e = await endpoint(s.target);
    const concat = jest.spyOn(Buffer, 'concat');
    const r = await e.ask('/ping');
    const copied = concat.mock.results.reduce((n, c) => n + (c.value as Buffer).length, 0);
    e.done();
    await s.close();
    expect(r.ok && r.value.headers['x-filler']?.length).toBe(4000);
    expect(s.seen.requests).toEqual(['/ping']);
    expect(copied).toBeLessThan(4 * answer.length); // was about answer.length² / 2
  });

  it('a probe whose server stalls after /ping asks nothing more once its deadline is reached', async () => {
    const s = await rawTls((path) => (path === '/ping' ? http('204 No Content\r\nX-Influxdb-Version: 1.8.10') : undefined));
    const r = await probeEndpoint(s.target, { ...opts, timeouts, deadlineMs: 300 });
    await s.close();
    expect(r).toMatchObject({ ok: true, value: { query: { ok: false, reason: 'the endpoint deadline was reached' } } });
    expect(s.seen.requests).toEqual(['/ping', QUERY_PATH]);
  });

  it.each([
    ['not HTTP', 'SSH-2.0-OpenSSH_9.6\r\n'],
    ['not HTTP, no line end', 'hello'],
    ['bare LF line ends', 'HTTP/1.1 200 OK\nContent-Length: 2\nX-Influxdb-Version: 1.8.10\n\nok'],
    ['a bare LF among the headers', 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-Influxdb-Version: 1.8.10\n\nok'],
  ])(
    'an answer whose head node:http refuses at once is not waited for to the timeout (%s): the same result as node:http',
    async (_, answer) => {
      // The server says this and then nothing (the connection stays open).
      const s = await rawTls(() => answer);
      const e = await endpoint(s.target);
      const onLane = await e.ask('/ping');
      e.done();
      const alone = await viaNodeHttp(s.target, '/ping');
      await s.close();
      expect(alone.ok).toBe(false);
      expect(onLane).toEqual(alone);
    },
  );

  it('a head that arrives a byte at a time (CR and LF apart) is still carried on the kept connection', async () => {
    const answer = http('200 OK\r\nContent-Length: 2\r\nX-Influxdb-Version: 1.8.10', 'ok');
    const s = await rawTls((_, socket) => trickle(socket, answer));
    const e = await endpoint(s.target);
    const r = await e.ask('/ping');
    e.done();
    await s.close();
    expect(r).toEqual({
      ok: true,
      value: { status: 200, headers: { 'content-length': '2', 'x-influxdb-version': '1.8.10' }, body: 'ok', truncated: false },
    });
    expect(s.seen.requests).toEqual(['/ping']);
  });

  it.each([
    ['a 204 with a body', http('204 No Content\r\nX-Influxdb-Version: 1.8.10', 'body')],
    ['a 304 with a body', http('304 Not Modified', 'body')],
    ['bytes after a Content-Length body', http('200 OK\r\nContent-Length: 2', 'okXYZ')],
    ['bytes after a chunked body', http('200 OK\r\nTransfer-Encoding: chunked', '2\r\nok\r\n0\r\n\r\nXYZ')],
  ])('an answer with bytes after it is node:http’s to judge (%s): the same result as node:http', async (_, answer) => {
    const { onLane, alone } = await bothWays(answer);
    expect(onLane).toEqual(alone);
  });

  /** Answers that test the lane's parsing; each read the same on the lane (or asked again through node:http) as by node:http alone. */
  const TRICKY: [string, string][] = [
    [
      'repeated and oddly cased headers the checks read',
      http(
        [
          '200 OK',
          'Content-Length: 2',
          'X-INFLUXDB-VERSION: 1.8.10',
          'x-influxdb-version: 2.7.1',
          'X-Influxdb-Build: OSS',
          'Access-Control-Allow-Origin: *',
          'access-control-allow-origin: https://evil.example',
          'Access-Control-Allow-Credentials: true',
          'Set-Cookie: a=1; Secure',
          'set-cookie: b=2',
          'WWW-Authenticate: Basic realm="InfluxDB"',
          'Www-Authenticate: Bearer',
          'Strict-Transport-Security: max-age=1',
          'Strict-Transport-Security: max-age=2',
          'X-Frame-Options:   DENY  ',
          'X-Content-Type-Options:',
          'X-Content-Type-Options: nosniff',
          'Content-Type: a',
          'Content-Type: b',
          'Server: one',
          'Server: two',
          'Cookie: a',
          'Cookie: b',
          'Constructor: c',
          'X-Tab: a\t\tb',
        ].join('\r\n'),
        'ok',
      ),
    ],
    ['no reason phrase, HTTP/1.0', 'HTTP/1.0 401\r\nContent-Length: 2\r\nWWW-Authenticate: Basic realm="InfluxDB"\r\n\r\nno'],
    ['100 Continue first', `HTTP/1.1 100 Continue\r\n\r\n${http('200 OK\r\nContent-Length: 2', 'ok')}`],
    ['103 Early Hints first', `HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n${http('204 No Content\r\nX-Influxdb-Version: 1.8.10')}`],
    ['Transfer-Encoding: gzip, chunked', http('200 OK\r\nTransfer-Encoding: gzip, chunked', '2\r\nok\r\n0\r\n\r\n')],
    ['Content-Length and Transfer-Encoding', http('200 OK\r\nContent-Length: 2\r\nTransfer-Encoding: chunked', '2\r\nok\r\n0\r\n\r\n')],
    ['two equal Content-Lengths', http('200 OK\r\nContent-Length: 2\r\nContent-Length: 2', 'ok')],
    ['two different Content-Lengths', http('200 OK\r\nContent-Length: 2\r\nContent-Length: 3', 'ok!')],
    ['a list for Content-Length', http('200 OK\r\nContent-Length: 2, 2', 'ok')],
    ['a Content-Length with leading zeros', http('200 OK\r\nContent-Length: 0002', 'ok')],
    ['a chunk size of 8 hex digits', http('200 OK\r\nTransfer-Encoding: chunked', '00000002\r\nok\r\n0\r\n\r\n')],
    ['a negative chunk size', http('200 OK\r\nTransfer-Encoding: chunked', '-2\r\nok\r\n0\r\n\r\n')],
    ['chunk extensions and trailers', http('200 OK\r\nTransfer-Encoding: chunked', '2;a=b;c\r\nok\r\n0;x\r\nX-T: 1\r\nX-U: 2\r\n\r\n')],
    ['obs-fold', http('200 OK\r\nContent-Length: 2\r\nX-A: 1\r\n  2', 'ok')],
    ['a space before the colon', http('200 OK\r\nContent-Length: 2\r\nX-Influxdb-Version : 1.8.10', 'ok')],
    ['a NUL in a value', http('200 OK\r\nContent-Length: 2\r\nX-Influxdb-Version: 1.8\u000010', 'ok')],
    ['an escape sequence in a value', http('200 OK\r\nContent-Length: 2\r\nX-Influxdb-Version: 1.8\u001b[31m', 'ok')],
    ['a bare CR in a value', http('200 OK\r\nContent-Length: 2\r\nX-A: 1\r2', 'ok')],
    ['UTF-8 and C1 bytes in a value', http('200 OK\r\nContent-Length: 2\r\nX-Influxdb-Version: 1.8 caf\u00c3\u00a9 \u009b31m', 'ok')],
    ['a status of 600', http('600 Odd\r\nContent-Length: 2', 'ok')],
    ['HTTP/2.0 in the status line', 'HTTP/2.0 200 OK\r\nContent-Length: 2\r\n\r\nok'],
    ['__proto__ as a header', http('200 OK\r\nContent-Length: 2\r\n__proto__: x', 'ok')],
  ];

  it.each(TRICKY)('the evidence is node:http’s: %s', async (_, answer) => {
    const { onLane, alone } = await bothWays(answer);
    expect(onLane).toEqual(alone);
  });
});
