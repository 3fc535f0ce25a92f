/**
 * A deliberately small HTTP(S) client for probes: connections to a pinned
 * address only (an endpoint's requests share them: endpointAgent, and for a
 * probed HTTPS endpoint its one kept connection, endpointLane), separate
 * connect / TLS / response timeouts, bodies read to a cap, redirects never
 * followed, certificates inspected rather than trusted (except on connections
 * that carry audit credentials: those verify, see Verify). Every outcome is a
 * Result; nothing throws.
 */
import * as http from 'node:http';
import * as https from 'node:https';
import * as tls from 'node:tls';
import type { X509Certificate } from 'node:crypto';
import { isIP, type LookupFunction } from 'node:net';
import { fail, ok, type CertificateFacts, type HttpObservation, type Result } from '../../model.js';
import { Lane } from './lane.js';
import type { ResolvedTarget } from './target.js';

export interface Timeouts {
  connectMs: number;
  tlsMs: number;
  responseMs: number;
}

export const BODY_CAP = 64 * 1024;

/**
 * The key exchange groups an inspecting connection offers: OpenSSL's default
 * list without its hybrid post-quantum group (X25519MLKEM768), whose key share
 * the client would compute on every handshake (a tenth of a handshake's CPU
 * here) although the servers probed choose X25519 or an elliptic curve; what
 * the probe reports (protocol, cipher, certificate) does not depend on it. A
 * server that prefers another listed group still gets it (after a
 * HelloRetryRequest).
 */
const GROUPS = 'X25519:P-256:X448:P-384:P-521:ffdhe2048:ffdhe3072';

/**
 * TLS contexts are costly to build (the root store is parsed each time):
 * build each distinct one once and share it across connections.
 */
const contexts = new Map<string, tls.SecureContext>();
function secureContext(o: {
  ca?: string[];
  minVersion?: tls.SecureVersion;
  maxVersion?: tls.SecureVersion;
  ciphers?: string;
}): tls.SecureContext {
  const key = JSON.stringify([o.minVersion, o.maxVersion, o.ciphers, o.ca ?? null]);
  let ctx = contexts.get(key);
  if (!ctx) {
    ctx = tls.createSecureContext({
      minVersion: o.minVersion ?? 'TLSv1',
      maxVersion: o.maxVersion ?? 'TLSv1.3',
      ciphers: o.ciphers ?? 'DEFAULT:@SECLEVEL=0',
      ecdhCurve: GROUPS,
      ...(o.ca?.length ? { ca: [...tls.rootCertificates, ...o.ca] } : {}),
    });
    contexts.set(key, ctx);
  }
  return ctx;
}

/**
 * What a connection that carries credentials verifies: the chain against `ca`
 * (the operator's CA, alone) or, without it, the system store, with Node's
 * default protocols and ciphers; and that the certificate names `name` (a host
 * name, or an IP address as an IP SAN).
 */
export interface Verify {
  ca?: readonly string[];
  name: string;
}

const verifiedContexts = new Map<string, tls.SecureContext>();
function verifiedContext(ca: readonly string[] | undefined): tls.SecureContext {
  const key = JSON.stringify(ca ?? null);
  let ctx = verifiedContexts.get(key);
  if (!ctx) {
    ctx = tls.createSecureContext(ca ? { ca: [...ca] } : {});
    verifiedContexts.set(key, ctx);
  }
  return ctx;
}

/** Every socket goes to the address resolved and checked before, never to a fresh DNS answer. */
const pinnedLookup = (t: ResolvedTarget): LookupFunction =>
  ((_host: string, opts: { all?: boolean }, cb: (...a: unknown[]) => void) =>
    opts?.all ? cb(null, [{ address: t.address, family: t.family }]) : cb(null, t.address, t.family)) as unknown as LookupFunction;

const servername = (t: ResolvedTarget) => (isIP(t.host) ? undefined : t.host);

/** A connection's TLS options: inspected (any certificate is accepted, to be judged), or verified (refused unless it verifies). */
const tlsOptions = (t: ResolvedTarget, verify: Verify | undefined) =>
  verify
    ? {
        rejectUnauthorized: true,
        servername: servername(t),
        secureContext: verifiedContext(verify.ca),
        checkServerIdentity: (_host: string, cert: tls.PeerCertificate) => tls.checkServerIdentity(verify.name, cert),
      }
    : { rejectUnauthorized: false, servername: servername(t), secureContext: secureContext({}) };

function describe(err: unknown): string {
  const e = err as NodeJS.ErrnoException & { reason?: string };
  const code = e?.code ? `${e.code}: ` : '';
  // OpenSSL's errors carry their reason ("wrong version number") besides a message of library internals.
  const text = typeof e?.reason === 'string' && e.code?.startsWith('ERR_SSL_') ? e.reason : (e?.message ?? String(err));
  return `${code}${text.replace(/\s+/g, ' ').slice(0, 200)}`;
}

export interface RequestOptions {
  scheme: 'http' | 'https';
  path: string;
  /** GET (default), or HEAD / OPTIONS: the only other methods a probe sends (InfluxDB 3: never POST, PUT, DELETE). */
  method?: 'GET' | 'HEAD' | 'OPTIONS';
  headers?: Record<string, string>;
  timeouts: Timeouts;
  /** Aborts the exchange (the endpoint's overall deadline). */
  signal?: AbortSignal;
  /** A keep-alive agent shared by one endpoint's requests (see endpointAgent). */
  agent?: http.Agent;
  /** The endpoint's kept connection (endpointLane): asked there first; what it does not carry goes through `agent`. */
  lane?: Lane;
  /** Settle on the status line and headers; the body is not read. */
  statusOnly?: boolean;
  /** Read bodies up to this many bytes (default BODY_CAP). */
  bodyCap?: number;
  /** HTTPS: verify the certificate (a request carrying credentials); the agent, when given, must verify alike. */
  verify?: Verify;
}

const ABORTED = 'the endpoint deadline was reached';
const BASE_HEADERS: Readonly<Record<string, string>> = { 'user-agent': 'influxguard-probe', accept: '*/*' };
/** How long a status-only request's body may take to arrive before its connection is given up. */
const DRAIN_MS = 500;

/** Settle `done` with a failure when the signal aborts; returns the detach function. */
function onAbort(signal: AbortSignal | undefined, done: () => void): () => void {
  if (!signal) return () => undefined;
  signal.addEventListener('abort', done, { once: true });
  return () => signal.removeEventListener('abort', done);
}

/**
 * A keep-alive agent for one endpoint: its requests reuse a few connections
 * instead of a handshake each (HTTPS: one connection, and the handshake's own
 * socket when given, as the audit does, so an endpoint costs one full
 * handshake for all its requests; the prober gives that socket to a lane,
 * endpointLane, and the agent serves what the lane does not carry). Destroy
 * it when done.
 */
export function endpointAgent(t: ResolvedTarget, scheme: 'http' | 'https', secured?: tls.TLSSocket, verify?: Verify): http.Agent {
  const sockets = scheme === 'https' ? 1 : 4;
  const common = { keepAlive: true, maxSockets: sockets, maxFreeSockets: sockets, lookup: pinnedLookup(t) };
  if (scheme === 'http') return new http.Agent(common as http.AgentOptions);
  const agent = new https.Agent({ ...common, ...tlsOptions(t, verify) } as https.AgentOptions);
  if (secured) {
    let spare: tls.TLSSocket | undefined = secured;
    const connect = agent.createConnection.bind(agent) as (...a: unknown[]) => unknown;
    (agent as unknown as { createConnection: (...a: unknown[]) => unknown }).createConnection = (...a: unknown[]) => {
      const s = spare;
      spare = undefined;
      return s && !s.destroyed && s.writable ? s : connect(...a);
    };
  }
  return agent;
}

/** The answer's headers, one string each (Node already lower-cases names and joins repeats, but for set-cookie's list). */
const headersOf = (res: http.IncomingMessage) => {
  const headers: Record<string, string> = {};
  const given = res.headers;
  for (const k in given) {
    const v = given[k];
    if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
  }
  return headers;
};

/** One GET (or HEAD / OPTIONS). Headers are lower-cased; the body is decoded as UTF-8 up to BODY_CAP bytes. */
export function get(t: ResolvedTarget, opts: RequestOptions): Promise<Result<HttpObservation>> {
  if (opts.signal?.aborted) return Promise.resolve(fail(ABORTED));
  if (!opts.lane) return viaNodeHttp(t, opts);
  const { lane, ...rest } = opts;
  return lane
    .run({
      method: opts.method ?? 'GET',
      path: opts.path,
      headers: opts.headers ? { ...BASE_HEADERS, ...opts.headers } : BASE_HEADERS,
      statusOnly: !!opts.statusOnly,
      bodyCap: opts.bodyCap ?? BODY_CAP,
      responseMs: opts.timeouts.responseMs,
      drainMs: DRAIN_MS,
      ...(opts.signal ? { signal: opts.signal } : {}),
      timedOut: responseTimedOut(opts.timeouts),
      aborted: ABORTED,
    })
    .then((carried) => carried ?? viaNodeHttp(t, rest));
}

const responseTimedOut = (timeouts: Timeouts) => `no complete response within ${timeouts.responseMs} ms (probe.responseTimeoutMs)`;

/**
 * The lane for an HTTPS endpoint's requests on the inspection handshake's connection (lane.ts), with the Host
 * header node:http would send.
 */
export const endpointLane = (t: ResolvedTarget, secured: tls.TLSSocket): Lane =>
  new Lane(secured, `${t.host.includes(':') ? `[${t.host}]` : t.host}${t.port === 443 ? '' : `:${t.port}`}`);

function viaNodeHttp(t: ResolvedTarget, opts: RequestOptions): Promise<Result<HttpObservation>> {
  return new Promise((resolve) => {
    let settled = false;
    /** `keep`: the exchange completed cleanly and its socket may go back to the agent. */
    const done = (r: Result<HttpObservation>, keep = false) => {
      if (settled) return;
      settled = true;
      clearTimeout(overall);
      detach();
      if (!keep) req.destroy();
      resolve(r);
    };
    const detach = onAbort(opts.signal, () => done(fail(ABORTED)));
    const mod = opts.scheme === 'https' ? https : http;
    const req = mod.request({
      host: t.host,
      port: t.port,
      path: opts.path,
      method: opts.method ?? 'GET',
      headers: opts.headers ? { ...BASE_HEADERS, ...opts.headers } : BASE_HEADERS,
      // An agent carries the address and TLS options of its connections (endpointAgent), and they take precedence
      // over a request's: they are given here only for a connection of the request's own.
      ...(opts.agent
        ? { agent: opts.agent }
        : { agent: false, lookup: pinnedLookup(t), ...(opts.scheme === 'https' ? tlsOptions(t, opts.verify) : {}) }),
      maxHeaderSize: 32 * 1024,
      insecureHTTPParser: false,
    });
    // Each phase has its own timeout (probe.connectTimeoutMs, tlsTimeoutMs, responseTimeoutMs), and the message names
    // the one that ran out: the response's starts once the connection is ready (docs/probing.md: "3 s, 3 s, 5 s").
    let overall: NodeJS.Timeout | undefined;
    const awaitResponse = () => {
      overall ??= setTimeout(() => done(fail(responseTimedOut(opts.timeouts))), opts.timeouts.responseMs);
    };
    req.on('socket', (socket) => {
      if (!socket.connecting) return awaitResponse(); // a kept-alive connection: already connected (and secured)
      const connectTimer = setTimeout(
        () => done(fail(`connect timed out after ${opts.timeouts.connectMs} ms (probe.connectTimeoutMs)`)),
        opts.timeouts.connectMs,
      );
      socket.once('connect', () => {
        clearTimeout(connectTimer);
        if (opts.scheme === 'https') {
          const tlsTimer = setTimeout(
            () => done(fail(`TLS handshake timed out after ${opts.timeouts.tlsMs} ms (probe.tlsTimeoutMs)`)),
            opts.timeouts.tlsMs,
          );
          socket.once('secureConnect', () => {
            clearTimeout(tlsTimer);
            awaitResponse();
          });
          socket.once('close', () => clearTimeout(tlsTimer));
        } else awaitResponse();
      });
      socket.once('close', () => clearTimeout(connectTimer));
    });
    req.on('error', (err) => {
      // A kept-alive connection the server closed meanwhile: once more, on a fresh connection.
      if (req.reusedSocket && (err as NodeJS.ErrnoException).code === 'ECONNRESET' && opts.agent && !settled) {
        settled = true;
        clearTimeout(overall);
        detach();
        resolve(get(t, { ...opts, agent: undefined }));
        return;
      }
      done(fail(describe(err)));
    });
    req.on('response', (res) => {
      if (opts.statusOnly) {
        const observed = ok({ status: res.statusCode ?? 0, headers: headersOf(res), body: '', truncated: true });
        // Settle on the status now; on a keep-alive connection, read a small body to its end in the
        // background so the connection serves the endpoint's next request (HTTPS: no new handshake).
        // A body that is large, slow (a long poll) or fails costs the connection, as it always did.
        const length = Number(res.headers['content-length'] ?? NaN);
        if (!opts.agent || length > BODY_CAP || opts.signal?.aborted) return done(observed);
        done(observed, true);
        let size = 0;
        const drop = () => {
          clearTimeout(guard);
          res.destroy();
          req.destroy();
        };
        const guard = setTimeout(drop, DRAIN_MS);
        const detachDrain = onAbort(opts.signal, drop);
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > BODY_CAP) drop();
        });
        res.once('end', () => {
          clearTimeout(guard);
          detachDrain();
        });
        res.once('error', drop);
        return;
      }
      const chunks: Buffer[] = [];
      const cap = opts.bodyCap ?? BODY_CAP;
      let size = 0;
      const finish = (truncated: boolean) =>
        done(
          ok({ status: res.statusCode ?? 0, headers: headersOf(res), body: Buffer.concat(chunks).toString('utf8'), truncated }),
          !truncated,
        );
      res.on('data', (chunk: Buffer) => {
        const room = cap - size;
        if (chunk.length >= room) {
          chunks.push(chunk.subarray(0, room));
          size = cap;
          finish(true);
          return;
        }
        chunks.push(chunk);
        size += chunk.length;
      });
      res.on('end', () => finish(false));
      res.on('error', (err) => done(fail(describe(err))));
    });
    req.end();
  });
}

export interface HandshakeOptions {
  timeouts: Timeouts;
  signal?: AbortSignal;
  /** Read the peer's certificate (only the main handshake needs it; the leaf: the chain is not judged). */
  inspect?: boolean;
  /** Hand the secured socket back (in `socket`) instead of closing it: the caller owns it. */
  keep?: boolean;
  /** Extra trusted CAs (PEM), added to the system roots. */
  ca?: string[];
  minVersion?: tls.SecureVersion;
  maxVersion?: tls.SecureVersion;
  ciphers?: string;
  /** Verify the certificate (TLS options above are then Node's defaults): a certificate that does not verify fails the handshake. */
  verify?: Verify;
}

export interface Handshake {
  protocol: string;
  cipher: string;
  authorized: boolean;
  authorizationError?: string;
  certificate?: X509Certificate;
  socket?: tls.TLSSocket;
}

/**
 * An X.509 name as X509Certificate prints it (`key=value`, one a line, RFC 2253's special characters escaped
 * with a backslash, control and non-ASCII bytes as `\XX`): a repeated key's values in a list, every value as
 * written in the certificate (the bytes decoded as UTF-8), as Node's own name check saw it: the evidence keeps
 * what the server presented; every output strips control characters.
 */
function nameObject(text: string | undefined): Record<string, string | string[]> {
  const o = Object.create(null) as Record<string, string | string[]>;
  for (const line of (text ?? '').split('\n')) {
    const at = line.indexOf('=');
    if (at <= 0) continue;
    const key = line.slice(0, at);
    const value = line
      .slice(at + 1)
      .replace(
        /(?:\\[0-9A-Fa-f]{2})+|\\([,+"\\<>;#= ])/g,
        (m, special?: string) => special ?? Buffer.from(m.replaceAll('\\', ''), 'hex').toString('utf8'),
      );
    const had = o[key];
    o[key] = had === undefined ? value : Array.isArray(had) ? [...had, value] : [had, value];
  }
  return o;
}

/** What `tls.checkServerIdentity` reads of a certificate (its subject's CN and its alternative names), from the leaf. */
export const identityOf = (cert: X509Certificate | undefined): tls.PeerCertificate =>
  ({ subject: nameObject(cert?.subject), subjectaltname: cert?.subjectAltName ?? '' }) as unknown as tls.PeerCertificate;

/**
 * The peer's leaf certificate, read once (X509Certificate: each field parsed when asked; a socket hands it out
 * once). Until the handshake ends, `getPeerCertificate` on this socket answers with identityOf(leaf): Node's
 * own check of the name, when the chain is trusted, reads the whole chain with getPeerCertificate(true) (every
 * certificate translated, three fingerprints and the key's modulus each) for a check that looks at the
 * leaf's subject and alternative names alone; that translation cost a sixth of a whole handshake here.
 */
function peerLeaf(socket: tls.TLSSocket): () => X509Certificate | undefined {
  let leaf: X509Certificate | undefined;
  const read = () => (leaf ??= socket.getPeerX509Certificate());
  const own = socket as unknown as { getPeerCertificate?: () => tls.PeerCertificate };
  own.getPeerCertificate = () => identityOf(read());
  const restore = () => delete own.getPeerCertificate;
  socket.once('secureConnect', restore);
  socket.once('close', restore);
  return read;
}

/** One TLS handshake and nothing else. `fail` when the server refuses or does not speak TLS. */
export function handshake(t: ResolvedTarget, opts: HandshakeOptions): Promise<Result<Handshake>> {
  if (opts.signal?.aborted) return Promise.resolve(fail(ABORTED));
  return new Promise((resolve) => {
    let settled = false;
    let socket: tls.TLSSocket | undefined;
    const done = (r: Result<Handshake>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      detach();
      if (!(r.ok && r.value.socket)) socket?.destroy();
      resolve(r);
    };
    const detach = onAbort(opts.signal, () => done(fail(ABORTED)));
    const timer = setTimeout(
      () => done(fail(`TLS handshake timed out after ${opts.timeouts.connectMs + opts.timeouts.tlsMs} ms`)),
      opts.timeouts.connectMs + opts.timeouts.tlsMs,
    );
    let leaf: (() => X509Certificate | undefined) | undefined;
    try {
      socket = tls.connect({
        host: t.address,
        port: t.port,
        ...(opts.verify
          ? tlsOptions(t, opts.verify)
          : {
              servername: servername(t),
              rejectUnauthorized: false,
              secureContext: secureContext(opts),
            }),
      });
    } catch (err) {
      done(fail(describe(err)));
      return;
    }
    if (!opts.verify) leaf = peerLeaf(socket);
    socket.once('secureConnect', () => {
      const s = socket!;
      const cipher = s.getCipher();
      done(
        ok({
          protocol: s.getProtocol() ?? 'unknown',
          cipher: cipher?.standardName ?? cipher?.name ?? 'unknown',
          authorized: s.authorized,
          ...(s.authorizationError ? { authorizationError: String(s.authorizationError) } : {}),
          ...(opts.inspect && leaf ? { certificate: leaf() } : {}),
          ...(opts.keep ? { socket: s } : {}),
        }),
      );
    });
    socket.once('error', (err) => done(fail(describe(err))));
    socket.once('close', () => done(fail('connection closed during the TLS handshake')));
  });
}

export function certificateFacts(cert: X509Certificate): CertificateFacts {
  const name = (text: string) =>
    Object.entries(nameObject(text))
      .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join('+') : v}`)
      .join(', ');
  const subject = name(cert.subject);
  const issuer = name(cert.issuer);
  return {
    subject,
    issuer,
    validFrom: new Date(cert.validFrom).toISOString(),
    validTo: new Date(cert.validTo).toISOString(),
    selfSigned: subject === issuer,
    subjectAltNames: (cert.subjectAltName ?? '').split(', ').filter(Boolean),
    fingerprint256: cert.fingerprint256,
  };
}
