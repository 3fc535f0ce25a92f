/**
 * The credentialed audit: with the operator's credentials for one endpoint,
 * read who can do what. Read-only only: 1.x `SHOW USERS`, `SHOW GRANTS FOR`,
 * `SHOW DATABASES`; 2.x `GET /api/v2/authorizations`, `/api/v2/users`,
 * `/api/v2/orgs`. Token values are dropped as the answer is parsed (ids,
 * descriptions and permissions only). Credentials go only to the resolved
 * address of their own endpoint, and only over TLS whose certificate verifies:
 * against the operator's CA when given (the only issuer then trusted), else the
 * system store; naming the endpoint tag's host name, or the probed address as
 * an IP SAN. Never over plain HTTP. The laboratory opt-out (insecureLab) skips
 * the verification, and every audit finding made under it says so.
 */
import { isIP } from 'node:net';
import {
  INSECURE_LAB_NOTE,
  type AuditEvidence,
  type AuditPermission,
  type AuditToken,
  type AuditUser,
  type HttpObservation,
  type InfluxFlavour,
} from '../../model.js';
import { endpointAgent, get, handshake, type Timeouts, type Verify } from '../probe/http.js';
import { pluginDirIn } from '../probe/index.js';
import { endpointUrl, type ResolvedTarget } from '../probe/target.js';
import type { AuditCredentials } from './credentials.js';

export interface AuditOptions {
  timeouts: Timeouts;
  /** Hard cap for one endpoint's audit. */
  deadlineMs: number;
  /** The operator's CA (PEM certificates), trusted alone; absent: the system store. */
  ca?: readonly string[];
  /** Laboratory only: the certificate is not verified. */
  insecureLab: boolean;
}

/** Answers are read up to this size (a fleet's token list); a longer one is refused rather than judged in part. */
const AUDIT_BODY_CAP = 4 * 1024 * 1024;
/** Users named per `SHOW GRANTS` request (statements separated by `;`). */
const GRANTS_BATCH = 25;
/** 2.x list pages (limit 100 each) read at most. */
const MAX_PAGES = 50;

class AuditFailed extends Error {}

const flavourOf = (c: AuditCredentials): InfluxFlavour => (c.kind === 'password' ? 'influxdb-1' : 'influxdb-2');

/** A 1.x identifier in double quotes (`"` and `\` escaped). */
export const quoteIdent = (name: string) => `"${name.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

export async function auditEndpoint(t: ResolvedTarget, credentials: AuditCredentials, opts: AuditOptions): Promise<AuditEvidence> {
  let flavour = flavourOf(credentials);
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), opts.deadlineMs);
  try {
    return await auditWithin(t, credentials, opts, controller.signal, (f) => {
      flavour = f;
    });
  } catch (err) {
    if (!(err instanceof AuditFailed)) throw err;
    const reason = credentials.scrub(err.message).replace(/\s+/g, ' ').slice(0, 400);
    const why = controller.signal.aborted ? `${reason} (audit deadline ${opts.deadlineMs} ms)` : reason;
    return { flavour, unavailable: opts.insecureLab ? `${why} [${INSECURE_LAB_NOTE}]` : why };
  } finally {
    clearTimeout(timer);
  }
}

async function auditWithin(
  t: ResolvedTarget,
  credentials: AuditCredentials,
  opts: AuditOptions,
  signal: AbortSignal,
  found: (f: InfluxFlavour) => void,
): Promise<AuditEvidence> {
  let scheme = t.scheme;
  if (!scheme) {
    // No credentials on this one: it only tells whether the endpoint speaks TLS.
    const h = await handshake(t, { timeouts: opts.timeouts, signal });
    scheme = h.ok ? 'https' : 'http';
  }
  const endpoint = endpointUrl(t, scheme);
  if (scheme === 'http')
    throw new AuditFailed(
      `credentials not sent: ${endpoint} speaks plain HTTP (no TLS); audit credentials go only over TLS whose certificate verifies`,
    );
  const verify: Verify | undefined = opts.insecureLab
    ? undefined
    : { ...(opts.ca ? { ca: opts.ca } : {}), name: isIP(t.host) ? t.address : t.host };
  // The verified connection the first request reuses; every later one verifies alike (the agent's and get's options).
  const secured = verify ? await verifiedSocket(t, verify, opts, signal) : undefined;
  const agent = endpointAgent(t, scheme, secured, verify);
  const req = async (path: string): Promise<HttpObservation> => {
    const r = await get(t, {
      scheme: 'https',
      path,
      timeouts: opts.timeouts,
      signal,
      agent,
      ...(verify ? { verify } : {}),
      bodyCap: AUDIT_BODY_CAP,
      headers: { authorization: credentials.authorization(), accept: 'application/json' },
    });
    if (!r.ok) throw new AuditFailed(`${path.split('?')[0]}: ${r.reason}`);
    if (r.value.truncated) throw new AuditFailed(`${path.split('?')[0]}: the answer is larger than ${AUDIT_BODY_CAP} bytes`);
    return r.value;
  };
  try {
    let evidence: AuditEvidence;
    if (credentials.kind === 'password') evidence = await audit1(endpoint, req);
    else if (isV3(await pingWith(req))) {
      found('influxdb-3');
      evidence = await audit3(endpoint, req);
    } else evidence = await audit2(endpoint, req, credentials);
    return opts.insecureLab ? { ...evidence, insecureLab: true } : evidence;
  } finally {
    agent.destroy();
    secured?.destroy();
  }
}

/** A TLS connection whose certificate verifies, or AuditFailed naming why (no credential has been sent yet). */
async function verifiedSocket(t: ResolvedTarget, verify: Verify, opts: AuditOptions, signal: AbortSignal) {
  const h = await handshake(t, { timeouts: opts.timeouts, signal, verify, keep: true });
  if (h.ok) return h.value.socket;
  // Node's own advice ("try running Node.js with --use-system-ca") is not the operator's remedy: ours follows.
  const reason = h.reason.replace(/; if the root CA is installed locally.*$/, '');
  const where = `${t.host.includes(':') ? `[${t.host}]` : t.host}:${t.port}`;
  const hint = opts.ca
    ? 'it was not issued by the operator CA (--audit-ca / audit.ca) for that name'
    : 'pass the CA that issued it with --audit-ca (audit.ca)';
  throw new AuditFailed(
    /CERT|SIGNATURE|ISSUER|ALTNAME|self-signed|verify/i.test(reason)
      ? `credentials not sent: the certificate of ${where} does not verify: ${reason}; ${hint}`
      : `credentials not sent: no verified TLS connection to ${where}: ${reason}`,
  );
}

type Req = (path: string) => Promise<HttpObservation>;

const serverError = (o: HttpObservation) => {
  let message = '';
  try {
    const j = JSON.parse(o.body) as { error?: unknown; message?: unknown };
    message = String(j.error ?? j.message ?? '');
  } catch {
    message = '';
  }
  return (message || o.headers['x-influxdb-error'] || o.body).replace(/\s+/g, ' ').slice(0, 160);
};

/** The answer's JSON object or list (every answer the audit reads is one): `null` or a bare value is AuditFailed. */
function parseJson(o: HttpObservation, what: string): object {
  let value: unknown;
  try {
    value = JSON.parse(o.body);
  } catch {
    // Never the body itself: it may hold token values.
    throw new AuditFailed(`${what}: the answer is not JSON (HTTP ${o.status})`);
  }
  if (value === null || typeof value !== 'object') throw new AuditFailed(`${what}: the answer is not a JSON object or list`);
  return value;
}

// ───────────────────────────── 1.x ─────────────────────────────

interface Series {
  columns?: unknown[];
  values?: unknown[][];
}
interface StatementResult {
  error?: string;
  series?: Series[];
}

/** One request of `;`-separated read-only statements; each statement's rows as objects, or AuditFailed naming its error. */
async function show(req: Req, statements: string[]): Promise<Record<string, unknown>[][]> {
  const what = statements.length === 1 ? statements[0]! : `${statements[0]} (and ${statements.length - 1} more)`;
  const o = await req(`/query?q=${encodeURIComponent(statements.join('; '))}`);
  if (o.status === 401)
    throw new AuditFailed(`the audit credentials were refused (HTTP 401 "${serverError(o)}"): wrong user name or password`);
  if (o.status === 403) throw new AuditFailed(`${what}: HTTP 403 "${serverError(o)}"`);
  if (o.status !== 200) throw new AuditFailed(`${what}: HTTP ${o.status} "${serverError(o)}"`);
  const body = parseJson(o, what) as { results?: StatementResult[]; error?: string };
  if (body.error) throw new AuditFailed(`${what}: ${String(body.error).slice(0, 160)}`);
  const results = Array.isArray(body.results) ? body.results : [];
  return statements.map((s, i) => {
    const r = results[i];
    if (!r) throw new AuditFailed(`${s}: no result in the answer`);
    if (r.error) throw new AuditFailed(`${s}: ${String(r.error).slice(0, 160)}`);
    return (r.series ?? []).flatMap((series) => {
      const cols = (series.columns ?? []).map(String);
      return (series.values ?? []).map((row) => Object.fromEntries(cols.map((c, j) => [c, row[j]])));
    });
  });
}

async function audit1(endpoint: string, req: Req): Promise<AuditEvidence> {
  const [userRows, dbRows] = await show(req, ['SHOW USERS', 'SHOW DATABASES']);
  const users: AuditUser[] = userRows!.map((r) => ({ name: String(r.user ?? ''), admin: r.admin === true, grants: [] }));
  const databases = dbRows!.map((r) => String(r.name ?? '')).filter(Boolean);
  // Admins hold every privilege: only the others' grants are asked for.
  const others = users.filter((u) => !u.admin);
  for (let i = 0; i < others.length; i += GRANTS_BATCH) {
    const batch = others.slice(i, i + GRANTS_BATCH);
    const answers = await show(
      req,
      batch.map((u) => `SHOW GRANTS FOR ${quoteIdent(u.name)}`),
    );
    batch.forEach((u, j) => {
      u.grants = answers[j]!.map((r) => ({ database: String(r.database ?? ''), privilege: String(r.privilege ?? '') })).filter(
        (g) => g.privilege && !/^NO PRIVILEGES$/i.test(g.privilege),
      );
    });
  }
  return { flavour: 'influxdb-1', endpoint, users, databases };
}

// ───────────────────────────── 3.x ─────────────────────────────

/** A token's `/ping`: InfluxDB 3 names itself (version 3.x, build Core or Enterprise); 2.x says v2.x, OSS. */
const isV3 = (ping: HttpObservation) =>
  /^v?3\./.test(ping.headers['x-influxdb-version'] ?? '') || /^(core|enterprise)$/i.test(ping.headers['x-influxdb-build'] ?? '');

/**
 * `/ping` with the token: InfluxDB 3 names itself to an accepted token; a 401
 * there is a refused one (2.x answers /ping to anyone, InfluxDB 3 with
 * authentication on only to a valid token).
 */
async function pingWith(req: Req): Promise<HttpObservation> {
  const ping = await req('/ping');
  if (ping.status === 401) throw new AuditFailed('the audit token was refused (HTTP 401 on /ping): invalid, expired or deleted token');
  return ping;
}

/** One read-only SQL statement on the server's `_internal` database (GET, `format=json`): its rows. */
async function sql(req: Req, statement: string): Promise<Record<string, unknown>[]> {
  const o = await req(`/api/v3/query_sql?db=_internal&format=json&q=${encodeURIComponent(statement)}`);
  if (o.status === 401)
    throw new AuditFailed(`the audit token was refused (HTTP 401): invalid, expired or deleted token (InfluxDB 3 needs an admin token)`);
  if (o.status === 403) throw new AuditFailed(`${statement}: HTTP 403 "${serverError(o)}" (InfluxDB 3 needs an admin token)`);
  if (o.status !== 200) throw new AuditFailed(`${statement}: HTTP ${o.status} "${serverError(o)}"`);
  const rows = parseJson(o, statement);
  // Every row an object: anything else (a hostile server's nested arrays) is never read as rows of nothing.
  if (!Array.isArray(rows) || rows.some((r) => r === null || typeof r !== 'object' || Array.isArray(r)))
    throw new AuditFailed(`${statement}: the answer is not a list of rows`);
  return rows as Record<string, unknown>[];
}

/**
 * A time of `system.tokens` as ISO 8601 with its zone: 3.6.0 writes UTC without one (`2026-12-06T05:16:35.861`,
 * measured), which Date.parse would read as the scanner's local time.
 */
function utcTime(v: unknown): string | undefined {
  const t = str(v);
  return t && /^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d{1,9})?)?$/.test(t) ? `${t}Z` : t;
}

/**
 * InfluxDB 3 with an admin token, read-only (GET, SQL `SELECT` on `_internal`'s
 * system tables): the tokens' names, permissions and expiry (never `hash`, never
 * a token: the columns are named), whether the processing engine is on (the
 * node's `plugin-dir`, from `system.nodes.cli_params`; only that key is kept)
 * and how many triggers it runs.
 */
async function audit3(endpoint: string, req: Req): Promise<AuditEvidence> {
  const statement = 'SELECT name, permissions, expiry FROM system.tokens';
  const tokens = (await sql(req, statement)).map((r) => {
    // A token without a name or permissions is not judged as a token with none (never a pass from a malformed row).
    if (typeof r.name !== 'string' || typeof r.permissions !== 'string')
      throw new AuditFailed(`${statement}: a row without a name or permissions`);
    const expires = utcTime(r.expiry);
    return { name: r.name.slice(0, 200), admin: r.permissions === '*:*:*', ...(expires ? { expires } : {}) };
  });
  let processingEngine: { enabled: boolean; triggers: number } | undefined;
  try {
    const enabled = pluginDirIn(await sql(req, 'SELECT cli_params FROM system.nodes'));
    const [count] = await sql(req, 'SELECT count(*) AS triggers FROM system.processing_engine_triggers');
    const triggers = Number(count?.triggers);
    if (enabled !== null && Number.isSafeInteger(triggers)) processingEngine = { enabled, triggers };
  } catch (err) {
    // The tokens stand; the engine's state is left absent (the evidence type says: could not be read).
    if (!(err instanceof AuditFailed)) throw err;
  }
  return { flavour: 'influxdb-3', endpoint, tokens, ...(processingEngine ? { processingEngine } : {}) };
}

// ───────────────────────────── 2.x ─────────────────────────────

const str = (v: unknown): string | undefined => (typeof v === 'string' && v.length <= 512 ? v : undefined);

function v2Status(o: HttpObservation, path: string): void {
  if (o.status === 401)
    throw new AuditFailed(`the audit token was refused (HTTP 401 "${serverError(o)}"): invalid, expired or revoked token`);
  if (o.status === 404) throw new AuditFailed(`${path} answered 404: not an InfluxDB 2.x API`);
  if (o.status !== 200) throw new AuditFailed(`${path}: HTTP ${o.status} "${serverError(o)}"`);
}

/**
 * Every item of a 2.x list. `/api/v2/users` and `/api/v2/orgs` page
 * (`?limit=100&offset=…`); `/api/v2/authorizations` answers whole. A page
 * shorter than asked for ends the list; a full page with nothing new is AuditFailed.
 */
async function list(req: Req, path: string, key: string, paged: boolean): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  const seen = new Set<string>();
  for (let page = 0; page < MAX_PAGES; page++) {
    const o = await req(paged ? `${path}?limit=100&offset=${page * 100}` : path);
    v2Status(o, path);
    const items = (parseJson(o, path) as Record<string, unknown>)[key];
    if (!Array.isArray(items)) throw new AuditFailed(`${path}: no "${key}" list in the answer`);
    const fresh = (items as Record<string, unknown>[]).filter((i) => !seen.has(String(i.id)));
    for (const i of fresh) seen.add(String(i.id));
    out.push(...fresh);
    if (!paged || items.length !== 100) return out;
    // A server that ignores paging answers the same full page again: what follows is unknown, and a partial list is never judged.
    if (!fresh.length) throw new AuditFailed(`${path}: the server repeated a full page (it ignores paging): the list would be partial`);
  }
  throw new AuditFailed(`${path}: more than ${MAX_PAGES * 100} entries`);
}

function permission(p: unknown): AuditPermission | undefined {
  const o = (p ?? {}) as { action?: unknown; resource?: Record<string, unknown> };
  const action = o.action === 'read' || o.action === 'write' ? o.action : undefined;
  const type = str(o.resource?.type);
  if (!action || !type) return undefined;
  const orgID = str(o.resource?.orgID);
  const id = str(o.resource?.id);
  return { action, type, ...(orgID ? { orgID } : {}), ...(id ? { id } : {}) };
}

/** Can read every `type` of the whole instance (no orgID) or of one organisation (orgID). */
const readsAll = (perms: AuditPermission[], type: string) =>
  perms.filter((p) => p.type === type && !p.id && (p.action === 'read' || p.action === 'write'));

async function audit2(endpoint: string, req: Req, credentials: AuditCredentials): Promise<AuditEvidence> {
  // Sequential: the first answer decides whether the token is accepted at all.
  const auths = await list(req, '/api/v2/authorizations', 'authorizations', false);
  let own: AuditToken | undefined;
  const tokens: AuditToken[] = auths.map((a) => {
    const t: AuditToken = {
      id: str(a.id) ?? '',
      description: str(a.description) ?? '',
      status: str(a.status) ?? 'active',
      ...(str(a.userID) ? { userID: str(a.userID)! } : {}),
      ...(str(a.user) ? { user: str(a.user)! } : {}),
      ...(str(a.orgID) ? { orgID: str(a.orgID)! } : {}),
      ...(str(a.org) ? { org: str(a.org)! } : {}),
      permissions: (Array.isArray(a.permissions) ? a.permissions : []).map(permission).filter((p): p is AuditPermission => !!p),
    };
    // The value is compared in memory to find the audit token's own entry, then dropped with the answer.
    if (credentials.isToken(a.token)) own = t;
    return t;
  });
  // A token lists only what it may read: a narrow one would make a partial list look complete.
  const perms = own?.permissions ?? [];
  const authScope = readsAll(perms, 'authorizations');
  // Users of one organisation are not enough: a user of another could hold active tokens tokens.* never sees.
  const userScope = readsAll(perms, 'users').filter((p) => !p.orgID);
  if (!own || !authScope.length || !userScope.length)
    throw new AuditFailed(
      own
        ? `the audit token (${own.id}) cannot read every token and user (it needs read access to all authorizations and users: use the operator token)`
        : 'the audit token is not among the tokens it can list (an inactive token lists nothing): it cannot read every token (use the operator token)',
    );
  const users = (await list(req, '/api/v2/users', 'users', true)).map((u) => ({
    id: str(u.id) ?? '',
    name: str(u.name) ?? '',
    status: str(u.status) ?? 'active',
  }));
  const orgs = (await list(req, '/api/v2/orgs', 'orgs', true)).map((o) => ({ id: str(o.id) ?? '', name: str(o.name) ?? '' }));
  const global = authScope.some((p) => !p.orgID);
  const scope = global ? 'every organisation' : `organisation ${own.org ?? own.orgID ?? '?'}`;
  return { flavour: 'influxdb-2', endpoint, scope, tokens, users, orgs };
}
