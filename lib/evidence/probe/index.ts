/**
 * The prober: what an attacker who reaches port 8086 sees. Fingerprints the
 * endpoint, then runs read-only probes (only `SHOW ...` statements, never a
 * write, never `CREATE`). Every probe is data or the reason it failed.
 */
import { createHmac, randomBytes, type X509Certificate } from 'node:crypto';
import { checkServerIdentity, createSecureContext, type TLSSocket } from 'node:tls';
import {
  fail,
  ok,
  type Fingerprint,
  type HttpObservation,
  type ProbeEvidence,
  type Result,
  type TlsEvidence,
  type V3ProbeFacts,
} from '../../model.js';
import { askServerCheaply, LEGACY_SUITES, WEAK_SUITES, type HelloOffer } from './hello.js';
import { certificateFacts, endpointAgent, endpointLane, get, handshake, identityOf, type Handshake, type Timeouts } from './http.js';
import { endpointUrl, type ResolvedTarget } from './target.js';

export interface ProbeOptions {
  timeouts: Timeouts;
  /** Hard cap for everything one endpoint costs; a hanging endpoint ends here. */
  deadlineMs: number;
  ca?: string[];
  defaultCredentials?: boolean;
}

export const QUERY_PATH = `/query?q=${encodeURIComponent('SHOW DATABASES')}`;
export const DIAGNOSTIC_PATHS = ['/debug/pprof/', '/debug/vars', '/metrics'];
/** A one-second long poll; asked only when /debug/vars (same handler family) did not already answer 200. */
export const DEBUG_REQUESTS = '/debug/requests?seconds=1';

/** Well-known pairs for the opt-in default-credentials probe. Documented in docs/probing.md. */
export const DEFAULT_CREDENTIALS: readonly [string, string][] = [
  ['root', 'root'],
  ['admin', 'admin'],
  ['admin', 'password'],
  ['influx', 'influx'],
  ['influxdb', 'influxdb'],
];

const b64url = (b: Buffer | string) => Buffer.from(b).toString('base64url');

/** An HS256 token signed with the EMPTY key, for a random user that cannot exist, expiring in a minute. */
export function emptyKeyToken(now = Date.now()): { token: string; username: string } {
  const username = `influxguard-probe-${randomBytes(6).toString('hex')}`;
  const head = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
  const body = b64url(JSON.stringify({ username, exp: Math.floor(now / 1000) + 60 }));
  const sig = createHmac('sha256', '').update(`${head}.${body}`).digest('base64url');
  return { token: `${head}.${body}.${sig}`, username };
}

/**
 * Legacy protocol and cipher probes, one ClientHello each on a plain TCP
 * connection (hello.ts): the offer holds only what is being asked about, so a
 * ServerHello choosing from it proves the server accepts it; the exchange
 * stops there (no second full handshake per endpoint).
 */
const LEGACY_OFFER: HelloOffer = { maxVersion: 0x0302, suites: LEGACY_SUITES };

/**
 * Weak cipher families are asked about only where this machine's TLS library
 * can offer them (else 'untestable', as when these probes were handshakes):
 * a hand-built hello could offer every family, but which families are tested
 * is the check's semantics, kept as they were.
 */
const WEAK_CIPHERS: Record<keyof typeof WEAK_SUITES, string> = { '3DES': '3DES', RC4: 'RC4', NULL: 'eNULL', EXPORT: 'EXPORT' };
type WeakFamily = keyof typeof WEAK_SUITES;
let testableWeak: WeakFamily[] | undefined;
function weakFamilies(): WeakFamily[] {
  testableWeak ??= Object.entries(WEAK_CIPHERS)
    .filter(([, c]) => {
      try {
        createSecureContext({ minVersion: 'TLSv1', maxVersion: 'TLSv1.2', ciphers: `${c}:@SECLEVEL=0` });
        return true;
      } catch {
        return false;
      }
    })
    .map(([name]) => name as WeakFamily);
  return testableWeak;
}

/**
 * The main handshake, its socket kept for the HTTP requests (the caller closes
 * it), and the TLS evidence, judged meanwhile: the legacy ClientHellos run
 * while the endpoint answers its HTTP requests, not before them.
 */
async function inspectTls(
  t: ResolvedTarget,
  opts: ProbeOptions,
  signal: AbortSignal,
): Promise<Result<{ judged: Promise<Result<TlsEvidence>>; socket?: TLSSocket }>> {
  const main = await handshake(t, { timeouts: opts.timeouts, signal, inspect: true, keep: true, ...(opts.ca ? { ca: opts.ca } : {}) });
  if (!main.ok) return fail(main.reason);
  const { socket, ...h } = main.value;
  if (!h.certificate?.raw) {
    socket?.destroy();
    return fail('the server sent no certificate');
  }
  return ok({ judged: judgeTls(t, h, h.certificate, opts, signal), ...(socket ? { socket } : {}) });
}

async function judgeTls(
  t: ResolvedTarget,
  h: Handshake,
  certificate: X509Certificate,
  opts: ProbeOptions,
  signal: AbortSignal,
): Promise<Result<TlsEvidence>> {
  const nameError = checkServerIdentity(t.host, identityOf(certificate));
  const ask = { timeoutMs: opts.timeouts.connectMs + opts.timeouts.tlsMs, signal };
  const weak = weakFamilies();
  const [protocols, ciphers] = await Promise.all([
    askServerCheaply(t, LEGACY_OFFER, ask),
    weak.length
      ? askServerCheaply(t, { maxVersion: 0x0303, suites: [...new Set(weak.flatMap((name) => WEAK_SUITES[name]!))] }, ask)
      : Promise.resolve(fail<never>('nothing to offer')),
  ]);
  if (signal.aborted) return fail('the endpoint deadline was reached during the legacy TLS probes');
  const legacy: TlsEvidence['legacy'] = {};
  // Key: the version the server chose when offered only TLS 1.0 and 1.1.
  legacy[protocols.ok ? protocols.value.protocol : 'TLSv1/TLSv1.1'] = protocols.ok ? 'accepted' : 'refused';
  const family = ciphers.ok ? Object.entries(WEAK_SUITES).find(([, codes]) => codes.includes(ciphers.value.suite))?.[0] : undefined;
  for (const name of Object.keys(WEAK_SUITES) as WeakFamily[])
    legacy[name] = !weak.includes(name) ? 'untestable' : family === name ? 'accepted' : 'refused';
  return ok({
    protocol: h.protocol,
    cipher: h.cipher,
    certificate: certificateFacts(certificate),
    trusted: h.authorized,
    ...(h.authorizationError ? { trustError: h.authorizationError } : {}),
    nameMatches: nameError === undefined,
    ...(nameError ? { nameError: nameError.message } : {}),
    legacy,
  });
}

/** InfluxDB 3 (Core, Enterprise) names itself in /ping's headers: version 3.x, build "Core" or "Enterprise" (1.x/2.x say OSS or ENT). */
const INFLUXDB_3 = { version: /^v?3\./, build: /^(core|enterprise)$/i };

/**
 * The one path of InfluxDB 3's API that is routed before authentication: only
 * `POST` is served there (it creates the first admin token). A `GET` answers
 * 404 "not found" with `access-control-allow-origin: *` while every other path
 * is 401, and creates nothing (test/probe/v3.test.ts proves it on 3.6.0: the
 * first admin token can still be created after a probe).
 */
export const V3_UNAUTHENTICATED_PATH = '/api/v3/configure/token/admin';

/**
 * InfluxDB 3 with authentication on, to a client without a token: 401 with no
 * body and no header but `content-length` and `date` (a proxy in front may add
 * its own, e.g. `server`: any 401 with an empty body and no challenge is asked
 * about; the admin-token path's answer decides).
 */
const bare401 = (o: HttpObservation) => o.status === 401 && !o.body.trim() && !o.headers['www-authenticate'];

/** `/ping`'s JSON body on InfluxDB 3 (`{"version":"3.6.0","revision":…}`), when a proxy stripped the headers. */
function pingBodyVersion(ping: HttpObservation): string | undefined {
  if (ping.status !== 200 || !/^\s*\{/.test(ping.body)) return undefined;
  try {
    const v = (JSON.parse(ping.body) as { version?: unknown; revision?: unknown }).version;
    // A body is the server's to fill: only a plain version string is taken (no control characters reach an output).
    return typeof v === 'string' && /^v?3\.\d+\.\d+[0-9A-Za-z.+~-]{0,30}$/.test(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

/**
 * InfluxDB or not: the version headers of /ping (3.x: version 3 or build
 * Core/Enterprise); a bare 401 on /ping whose unauthenticated admin-token path
 * answers a GET with 404 (InfluxDB 3 with authentication on: everything else
 * is 401 before routing); /ping's 3.x JSON body; else 2.x's /health; else a
 * 1.x /query answer (InfluxDB's JSON or its Basic realm) behind a proxy that
 * strips version headers.
 */
async function fingerprint(ping: HttpObservation, req: (path: string) => Promise<Result<HttpObservation>>): Promise<Result<Fingerprint>> {
  const version = ping.headers['x-influxdb-version'];
  const build = ping.headers['x-influxdb-build'];
  if ((version && INFLUXDB_3.version.test(version)) || (build && INFLUXDB_3.build.test(build)))
    return ok({
      flavour: 'influxdb-3',
      ...(version ? { version: version.slice(0, 40) } : {}),
      ...(build ? { build: build.slice(0, 40) } : {}),
    });
  if (version) return ok({ flavour: /^v?2\./.test(version) ? 'influxdb-2' : 'influxdb-1', version, ...(build ? { build } : {}) });
  if (bare401(ping)) {
    const admin = await req(V3_UNAUTHENTICATED_PATH);
    if (admin.ok && admin.value.status === 404 && admin.value.body.trim() === 'not found') return ok({ flavour: 'influxdb-3' });
  }
  const v3 = pingBodyVersion(ping);
  if (v3) return ok({ flavour: 'influxdb-3', version: v3 });
  const health = await req('/health');
  if (health.ok && /^\s*\{/.test(health.value.body)) {
    try {
      const h = JSON.parse(health.value.body) as { name?: string; version?: string };
      if (h.name === 'influxdb') return ok({ flavour: 'influxdb-2', ...(h.version ? { version: h.version } : {}) });
    } catch {
      // not JSON: not InfluxDB 2.x
    }
  }
  const query = await req(QUERY_PATH);
  if (query.ok) {
    const q = query.value;
    const realm = /realm="InfluxDB"/i.test(q.headers['www-authenticate'] ?? '');
    const json =
      /^\s*\{"(results|error)"/.test(q.body) && (q.body.includes('"results"') || /authorization|authentication|admin user/i.test(q.body));
    if (realm || json) return ok({ flavour: 'influxdb-1' });
  }
  return fail(
    `not InfluxDB: /ping answered ${ping.status} without X-Influxdb-Version, /health is not InfluxDB's, and /query does not answer like InfluxDB`,
  );
}

/** Probe one resolved target within its deadline. `fail` only when it cannot be reached or is not InfluxDB. */
export async function probeEndpoint(t: ResolvedTarget, opts: ProbeOptions): Promise<Result<ProbeEvidence>> {
  const controller = new AbortController();
  const deadline = setTimeout(() => controller.abort(), opts.deadlineMs);
  try {
    const r = await probeWithin(t, opts, controller.signal);
    return controller.signal.aborted && !r.ok ? fail(`${r.reason} (deadline ${opts.deadlineMs} ms)`) : r;
  } finally {
    clearTimeout(deadline);
  }
}

async function probeWithin(t: ResolvedTarget, opts: ProbeOptions, signal: AbortSignal): Promise<Result<ProbeEvidence>> {
  const timeouts = opts.timeouts;
  let scheme = t.scheme;
  let judged: Promise<Result<TlsEvidence>> | undefined;
  let secured: TLSSocket | undefined;
  if (scheme !== 'http') {
    const tls = await inspectTls(t, opts, signal);
    if (!tls.ok && scheme === 'https') return fail(await handshakeFailed(t, tls.reason, opts, signal));
    scheme = tls.ok ? 'https' : 'http';
    if (tls.ok) ({ judged, socket: secured } = tls.value);
  }
  // HTTPS: the inspection handshake's connection carries the requests (the lane); the agent makes connections only
  // for what the lane gives up (an answer of an unusual kind, a connection the server closed).
  const lane = secured ? endpointLane(t, secured) : undefined;
  const agent = endpointAgent(t, scheme);
  try {
    const probed = await probeHttp(t, scheme, opts, (path, extra = {}) =>
      get(t, { scheme: scheme!, path, timeouts, signal, agent, ...(lane ? { lane } : {}), ...extra }),
    );
    const tlsEvidence = await judged;
    if (!tlsEvidence) return probed;
    if (!tlsEvidence.ok) return fail(`TLS handshake failed: ${tlsEvidence.reason}`);
    return probed.ok ? ok({ ...probed.value, tls: tlsEvidence }) : probed;
  } finally {
    agent.destroy();
    lane?.close();
    secured?.destroy();
  }
}

/** OpenSSL's codes for a TLS handshake answered by something that does not speak TLS (a plain-HTTP server's 400). */
const NOT_TLS = /^ERR_SSL_(WRONG_VERSION_NUMBER|PACKET_LENGTH_TOO_LONG)\b/;

/**
 * Why an https:// target failed, in words a user can act on: when the handshake met something that is not
 * TLS, one plain-HTTP /ping (read-only, the same allowed address) tells whether the port speaks plain HTTP.
 */
async function handshakeFailed(t: ResolvedTarget, reason: string, opts: ProbeOptions, signal: AbortSignal): Promise<string> {
  if (!NOT_TLS.test(reason)) return `TLS handshake failed: ${reason}`;
  const plain = await get(t, { scheme: 'http', path: '/ping', timeouts: opts.timeouts, signal, statusOnly: true });
  return plain.ok
    ? `TLS handshake failed: this port speaks plain HTTP; try ${endpointUrl(t, 'http')}`
    : `TLS handshake failed: the server does not speak TLS (${reason})`;
}

/** An answer that is not HTTP at all: InfluxDB 3's TLS port answers plain HTTP with a raw TLS alert (the facts file). */
const NOT_HTTP = /^HPE_INVALID_CONSTANT\b/;

/** One TLS handshake (read-only, the same allowed address): whether a port that did not answer plain HTTP speaks TLS. */
async function tlsHint(t: ResolvedTarget, opts: ProbeOptions): Promise<string> {
  const h = await handshake(t, { timeouts: opts.timeouts });
  return h.ok ? `; this port speaks TLS: try ${endpointUrl(t, 'https')} (or host:port alone, which tries TLS first)` : '';
}

/** A TLS port's answer to plain HTTP: 400 with Go's (influxd) or nginx's explanation. */
const speaksTls = (ping: HttpObservation) =>
  ping.status === 400 && /HTTP request to an HTTPS server|plain HTTP request was sent to HTTPS port/i.test(ping.body);
const speaksTlsHint = (t: ResolvedTarget) =>
  `it answered plain HTTP with 400 as a TLS server does: try ${endpointUrl(t, 'https')} (or host:port alone, which tries TLS first)`;

type Requester = (
  path: string,
  extra?: { headers?: Record<string, string>; statusOnly?: boolean; method?: 'GET' | 'HEAD' | 'OPTIONS' },
) => Promise<Result<HttpObservation>>;

async function probeHttp(t: ResolvedTarget, scheme: 'http' | 'https', opts: ProbeOptions, req: Requester): Promise<Result<ProbeEvidence>> {
  // The first /ping carries a random Origin: it serves the fingerprint, the header checks and the CORS check at once.
  const origin = `https://influxguard-${randomBytes(4).toString('hex')}.invalid`;
  const ping = await req('/ping', { headers: { origin } });
  if (!ping.ok) {
    const hint = scheme === 'http' && NOT_HTTP.test(ping.reason) ? await tlsHint(t, opts) : '';
    return fail(`${endpointUrl(t, scheme)} did not answer /ping: ${ping.reason}${hint}`);
  }
  // The fingerprint may already have asked the plain /query (behind a proxy that strips version headers): that answer serves the auth check too.
  const plain = new Map<string, Promise<Result<HttpObservation>>>();
  const once = (p: string) => plain.get(p) ?? plain.set(p, req(p)).get(p)!;
  const fp = await fingerprint(ping.value, once);
  if (!fp.ok) return fail(scheme === 'http' && speaksTls(ping.value) ? `${fp.reason}; ${speaksTlsHint(t)}` : fp.reason);
  const base = { endpoint: endpointUrl(t, scheme), address: t.address, scheme, fingerprint: fp.value, ping };
  if (fp.value.flavour === 'influxdb-3') return ok(await probeV3(base, origin, req));

  const { token } = emptyKeyToken();
  const status = (p: string) => req(p, { statusOnly: true });
  const [query, jwt, setup, ...diag] = await Promise.all([
    once(QUERY_PATH),
    req(QUERY_PATH, { headers: { authorization: `Bearer ${token}` } }),
    req('/api/v2/setup'),
    ...DIAGNOSTIC_PATHS.map(status),
  ]);
  const error =
    query!.ok && (query!.value.status === 401 || query!.value.status === 403) ? query! : await req('/influxguard-probe-not-found');
  const diagnostics: ProbeEvidence['diagnostics'] = {};
  DIAGNOSTIC_PATHS.forEach((p, i) => {
    const r = diag[i]!;
    diagnostics[p] = r.ok ? ok({ status: r.value.status }) : fail(r.reason);
  });
  const vars = diagnostics['/debug/vars'];
  if (!(vars?.ok && vars.value.status === 200)) {
    const r = await status(DEBUG_REQUESTS);
    diagnostics[DEBUG_REQUESTS] = r.ok ? ok({ status: r.value.status }) : fail(r.reason);
  }
  const allowOrigin = ping.value.headers['access-control-allow-origin'];

  const evidence: ProbeEvidence = {
    ...base,
    query: query!,
    jwt: jwt!,
    error,
    diagnostics,
    setup: setup!,
    cors: ok({ sentOrigin: origin, ...(allowOrigin ? { allowOrigin } : {}) }),
  };
  if (opts.defaultCredentials) evidence.defaultCredentials = await tryDefaultCredentials(req);
  return ok(evidence);
}

/** InfluxDB 3's unauthenticated read of its API (auth.disabled): the database list. */
export const V3_READ_PATH = '/api/v3/configure/database?format=json';
/** The resources `--disable-authz` may open (any subset of these three; anything else is refused at start). */
export const V3_AUTHZ_RESOURCES = { health: '/health', ping: '/ping', metrics: '/metrics' } as const;
/**
 * Read-only SQL on the server's own `_internal` database: the node's command
 * line as the server stored it (`system.nodes.cli_params`, secrets masked by
 * the server), from which only whether `plugin-dir` is set is kept.
 */
export const V3_NODES_PATH = `/api/v3/query_sql?db=_internal&format=json&q=${encodeURIComponent('SELECT cli_params FROM system.nodes')}`;
const NOT_ON_V3 = 'not asked: a 1.x/2.x request that means nothing on InfluxDB 3';

/**
 * Whether `system.nodes` rows name a parameter (a node's command line and `INFLUXDB3_*` variables as the server
 * stored them in `cli_params`; measured on 3.6.0: a flag given by its variable is there too, secrets and addresses
 * such as the recovery bind masked as `*******`); null when the rows cannot tell. `set`: only with a non-empty value.
 */
function cliParamIn(rows: unknown, key: string, set: boolean): boolean | null {
  if (!Array.isArray(rows) || !rows.length) return null;
  try {
    return rows.some((r) => {
      const params = JSON.parse(String((r as { cli_params?: unknown } | null)?.cli_params ?? '{}')) as Record<string, unknown> | null;
      const v = params?.[key];
      return set ? typeof v === 'string' && v !== '' : v !== undefined;
    });
  } catch {
    return null;
  }
}

/** Whether `system.nodes` rows show the processing engine on (`plugin-dir` among a node's parameters); null when they cannot tell. */
export const pluginDirIn = (rows: unknown): boolean | null => cliParamIn(rows, 'plugin-dir', true);
/** Whether `system.nodes` rows show the admin-token recovery listener on (its address is masked); null when they cannot tell. */
export const recoveryBindIn = (rows: unknown): boolean | null => cliParamIn(rows, 'admin-token-recovery-http-bind', false);

/** `system.nodes` rows of a complete 200 answer, or undefined. */
const nodeRows = (o: HttpObservation): unknown => {
  if (o.status !== 200 || o.truncated) return undefined;
  try {
    return JSON.parse(o.body);
  } catch {
    return undefined;
  }
};

/**
 * InfluxDB 3, without a token: GET, HEAD and OPTIONS only, never a request
 * that could create, regenerate or delete a token, never a 1.x/2.x request
 * (`/query`, the JWT, `/api/v2/setup`, `/debug/*`). The read of the v3 API
 * decides authentication; `/health`, `/ping` and `/metrics` tell which
 * resources `--disable-authz` opened; an OPTIONS preflight with a random
 * Origin is what a browser asks (3.x answers `*` to every one).
 */
async function probeV3(
  base: Pick<ProbeEvidence, 'endpoint' | 'address' | 'scheme' | 'fingerprint' | 'ping'>,
  origin: string,
  req: Requester,
): Promise<ProbeEvidence> {
  const status = (p: string) => req(p, { statusOnly: true });
  const [read, health, metrics, preflight] = await Promise.all([
    req(V3_READ_PATH),
    status(V3_AUTHZ_RESOURCES.health),
    status(V3_AUTHZ_RESOURCES.metrics),
    req('/ping', { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'GET' } }),
  ]);
  const diagnostics: ProbeEvidence['diagnostics'] = {};
  for (const [path, r] of [
    [V3_AUTHZ_RESOURCES.metrics, metrics],
    [V3_AUTHZ_RESOURCES.health, health],
  ] as const)
    diagnostics[path] = r!.ok ? ok({ status: r!.value.status }) : fail(r!.reason);
  const refused = (r: Result<HttpObservation>) => r.ok && (r.value.status === 401 || r.value.status === 403);
  const error = refused(read!) ? read! : await req('/influxguard-probe-not-found');
  let v3: Result<V3ProbeFacts>;
  if (!read!.ok) v3 = fail(`GET ${V3_READ_PATH}: ${read!.reason}`);
  else if (read!.value.status === 200) {
    const nodes = await req(V3_NODES_PATH);
    const rows = nodes.ok ? nodeRows(nodes.value) : undefined;
    v3 = ok({ authRequired: false, openResources: [], processingEngine: pluginDirIn(rows), recoveryListener: recoveryBindIn(rows) });
  } else if (refused(read!)) {
    const answers = { health, ping: base.ping, metrics } as Record<keyof typeof V3_AUTHZ_RESOURCES, Result<HttpObservation>>;
    const unknown = Object.entries(answers).filter(([, r]) => !r.ok);
    v3 = unknown.length
      ? fail(
          `whether ${unknown.map(([k]) => k).join(', ')} answer without a token is unknown: ${unknown.map(([, r]) => !r.ok && r.reason).join('; ')}`,
        )
      : ok({
          authRequired: true,
          openResources: Object.entries(answers)
            .filter(([, r]) => r.ok && r.value.status === 200)
            .map(([k]) => k),
          processingEngine: null,
        });
  } else v3 = fail(`unexpected answer to GET ${V3_READ_PATH}: HTTP ${read!.value.status}`);
  const getOrigin = base.ping.ok ? base.ping.value.headers['access-control-allow-origin'] : undefined;
  const allowOrigin = preflight!.ok ? (preflight!.value.headers['access-control-allow-origin'] ?? getOrigin) : getOrigin;
  return {
    ...base,
    query: read!,
    jwt: fail(NOT_ON_V3),
    error,
    diagnostics,
    setup: fail(NOT_ON_V3),
    cors:
      preflight!.ok || getOrigin
        ? ok({ sentOrigin: origin, ...(allowOrigin ? { allowOrigin: allowOrigin.slice(0, 200) } : {}) })
        : fail(`OPTIONS /ping: ${!preflight!.ok && preflight!.reason}`),
    v3,
  };
}

/** Opt-in login attempts with well-known pairs, read-only statement; only usernames are kept. */
async function tryDefaultCredentials(req: Requester) {
  const accepted: string[] = [];
  for (const [user, password] of DEFAULT_CREDENTIALS) {
    const r = await req(QUERY_PATH, { headers: { authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` } });
    if (!r.ok) return fail<{ tried: string[]; accepted: string[] }>(`login attempt failed: ${r.reason}`);
    if (r.value.status === 200) accepted.push(user);
  }
  return ok({ tried: DEFAULT_CREDENTIALS.map(([u]) => u), accepted });
}
