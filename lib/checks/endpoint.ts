/**
 * Endpoint checks: what an attacker who reaches port 8086 sees (probe
 * evidence). Pure: each reads the recorded exchanges and decides.
 */
import type { EndpointCheck, EndpointContext, HostEvidence, HttpObservation, Outcome, ProbeEvidence, Result } from '../model.js';
import { hostVerdicts } from './host.js';
import { DAY_MS } from '../util/time.js';
import { DEFAULT_ACCOUNTS_CIS, fsbp, judged, UNNEEDED_SERVICE } from './compliance.js';
import { ASFF_TYPES, type Described, EvidenceUnavailable, evidenceValue, type SelfDescribed } from './support.js';

const AUTH_URL = 'https://docs.influxdata.com/influxdb/v1/administration/authentication_and_authorization/#set-up-authentication';
const HTTPS_URL = 'https://docs.influxdata.com/influxdb/v1/administration/https_setup/';
const HEADERS_URL = 'https://docs.influxdata.com/influxdb/v1/administration/config/#http-headers';
const USERS_URL = 'https://docs.influxdata.com/influxdb/v1/administration/authentication_and_authorization/#user-management-commands';

const AUTHENTICATED_PCI = judged('pci', ['8.3.1'], 'all user access to system components is authenticated');
const TLS_CIS = [judged('cis', ['3.10'], 'encrypt sensitive data in transit')];
const HARDENING_CIS = judged('cis', ['16.7'], 'standard hardening configuration for application infrastructure');

const probe = (ctx: EndpointContext): ProbeEvidence => evidenceValue(ctx.evidence.probe);
/** The exchange, or EvidenceUnavailable naming which probe failed. */
const exchange = (r: Result<HttpObservation>, what: string): HttpObservation =>
  evidenceValue(r.ok ? r : { ok: false, reason: `${what}: ${r.reason}` });
const errorText = (o: HttpObservation) => `${o.headers['x-influxdb-error'] ?? ''} ${o.body}`.slice(0, 300);
const authOff = (p: ProbeEvidence) => p.query.ok && p.query.value.status === 200;
/** The probe recognised InfluxDB 3 (its 1.x/2.x-only checks emit no finding: CHECKS.md, the applicability rule). */
export const probedV3 = (ctx: EndpointContext) => ctx.evidence.probe.ok && ctx.evidence.probe.value.fingerprint.flavour === 'influxdb-3';
const notV3 = (ctx: EndpointContext) => !probedV3(ctx);
/** What the unauthenticated read was: 1.x/2.x `SHOW DATABASES`; 3.x the database list of the v3 API. */
const readName = (p: ProbeEvidence) =>
  p.fingerprint.flavour === 'influxdb-3' ? 'unauthenticated GET /api/v3/configure/database' : 'unauthenticated SHOW DATABASES';
const unexpected = (what: string, o: HttpObservation): Outcome => ({
  status: 'NOT_AVAILABLE',
  summary: `unexpected answer to ${what}: HTTP ${o.status}`,
  details: { reason: `unexpected answer to ${what}: HTTP ${o.status} ${errorText(o).trim().slice(0, 120)}` },
});

/** The answer to `GET /api/v2/setup` and its `allowed` field (undefined when the body is not that JSON). */
function setupAnswer(p: ProbeEvidence): { exchange: HttpObservation; allowed: unknown } {
  const s = exchange(p.setup, 'GET /api/v2/setup');
  try {
    return { exchange: s, allowed: (JSON.parse(s.body) as { allowed?: unknown } | null)?.allowed };
  } catch {
    return { exchange: s, allowed: undefined };
  }
}

/** An endpoint check; with a host verdict it is answered by the host too (its evidence and needs follow). */
function endpointCheck(
  c: Omit<EndpointCheck, 'scope' | 'needs' | 'evidence' | 'asffTypes'> & SelfDescribed & { asffTypes?: readonly string[] },
): Described<EndpointCheck> {
  const check: Described<EndpointCheck> = {
    asffTypes: ASFF_TYPES.guidance,
    ...c,
    scope: 'endpoint',
    needs: ['probe'],
    evidence: c.hostVerdict ? ['probe', 'host'] : ['probe'],
  };
  return c.hostVerdict ? withHost(check, c.hostVerdict) : check;
}

/**
 * A check answered by the probe and by the host: the probe (what an attacker
 * sees) decides when both answer; the evidence records both, and says so when
 * they disagree. Either alone is enough to decide.
 */
function withHost<C extends EndpointCheck>(check: C, host: (h: HostEvidence) => Outcome | undefined): C {
  return {
    ...check,
    needs: ['probe', 'host'],
    decidedBy: ['probe'],
    evaluate: (ctx) => {
      let fromProbe: Outcome[] | undefined;
      let probeReason = ctx.evidence.probe.ok ? undefined : ctx.evidence.probe.reason;
      if (ctx.evidence.probe.ok) {
        try {
          fromProbe = check.evaluate(ctx);
        } catch (err) {
          if (!(err instanceof EvidenceUnavailable)) throw err;
          probeReason = err.reason;
        }
      }
      // A probe that could not decide leaves the decision to the host, if it can.
      const undecided = fromProbe?.every((o) => o.status === 'NOT_AVAILABLE') ? fromProbe : undefined;
      if (undecided) {
        probeReason = undecided.map((o) => o.summary).join('; ');
        fromProbe = undefined;
      }
      const h = ctx.evidence.host;
      // The host may be unable to decide (incomplete evidence): its reason, never a guess.
      let fromHost: Outcome | undefined;
      let hostUnavailable: string | undefined;
      try {
        fromHost = h?.ok ? host(h.value) : undefined;
      } catch (err) {
        if (!(err instanceof EvidenceUnavailable)) throw err;
        hostUnavailable = err.reason;
      }
      const hostReason = !h
        ? 'host evidence not collected'
        : !h.ok
          ? h.reason
          : fromHost
            ? undefined
            : (hostUnavailable ?? 'no running influxd on the host');
      if (fromProbe && fromHost) {
        return fromProbe.map((o) => ({
          ...o,
          details: {
            ...o.details,
            host: { status: fromHost.status, summary: fromHost.summary },
            ...(o.status !== fromHost.status
              ? { disagreement: `the probe says ${o.status}, the host says ${fromHost.status}: the probe (what an attacker sees) decides` }
              : {}),
          },
        }));
      }
      if (fromProbe) return fromProbe;
      if (fromHost)
        return [
          {
            ...fromHost,
            details: { ...fromHost.details, decidedBy: 'host', ...(probeReason ? { probe: `not available: ${probeReason}` } : {}) },
            // The probe decides when it can: a host verdict standing in for one that was tried and could not is partial evidence.
            ...(ctx.probed ? { incomplete: `the probe could not decide (${probeReason ?? 'no answer'}); the host decided` } : {}),
          },
        ];
      if (undecided) return undecided;
      throw new EvidenceUnavailable(
        [probeReason && `probe: ${probeReason}`, hostReason && `host: ${hostReason}`].filter(Boolean).join('; '),
      );
    },
  };
}

export const authDisabled = endpointCheck({
  id: 'auth.disabled',
  title: 'InfluxDB answers queries without authentication',
  severity: 'HIGH',
  section: 'Enable authentication',
  hostVerdict: hostVerdicts['auth.disabled'],
  risk: 'Anyone who reaches the port can read and write every database, and create users.',
  remediation: {
    text: 'Create an admin user, then set `[http] auth-enabled = true` (and make sure no INFLUXDB_HTTP_AUTH_ENABLED=false overrides it) and restart influxd.',
    url: AUTH_URL,
  },
  failedWhen: 'unauthenticated `SHOW DATABASES` answers 200 (3.x: `GET /api/v3/configure/database?format=json`)',
  compliance: {
    nist: [fsbp('nist', 'RDS.10'), judged('nist', ['IA-2'], 'users of the database are identified and authenticated')],
    cis: [judged('cis', ['3.3'], 'data access control lists: no access without an identity')],
    pci: [AUTHENTICATED_PCI],
  },
  evaluate: (ctx) => {
    const what = readName(probe(ctx));
    const q = exchange(probe(ctx).query, what);
    if (q.status === 200) return [{ status: 'FAILED', summary: `${what} answered 200`, details: { status: q.status } }];
    if (q.status === 401 || q.status === 403)
      return [{ status: 'PASSED', summary: `${what} refused (${q.status})`, details: { status: q.status } }];
    return [unexpected(what, q)];
  },
});

export const noAdminUser = endpointCheck({
  id: 'auth.no-admin-user',
  title: 'InfluxDB authentication is on but no admin user exists',
  severity: 'CRITICAL',
  section: 'Enable authentication',
  risk: 'Until the first admin exists, anyone who reaches the port can create it (CREATE USER … WITH ALL PRIVILEGES) and own the server.',
  remediation: {
    text: 'Create the admin user now from a trusted host (`CREATE USER admin WITH PASSWORD … WITH ALL PRIVILEGES`), or firewall the port until you do.',
    url: AUTH_URL,
  },
  failedWhen: '403 "create admin user first": anyone can create the first admin (1.x/2.x; 3.x: auth.v3-admin-token-unclaimed)',
  appliesTo: notV3,
  compliance: {
    nist: [judged('nist', ['AC-2', 'IA-2'], 'account management: the first admin can be created by anyone')],
    cis: [judged('cis', ['3.3'], 'data access control lists')],
    pci: [AUTHENTICATED_PCI],
  },
  evaluate: (ctx) => {
    const p = probe(ctx);
    // 2.x has no 1.x admin: its /query always wants a token. The first user exists once onboarding is done.
    if (p.fingerprint.flavour === 'influxdb-2') {
      const { exchange: s, allowed } = setupAnswer(p);
      const details = { flavour: p.fingerprint.flavour, setupStatus: s.status, ...(allowed !== undefined ? { allowed } : {}) };
      if (s.status === 200 && allowed === true)
        return [
          {
            status: 'FAILED',
            summary: 'InfluxDB 2.x with no user yet: /api/v2/setup answers {"allowed": true} (see auth.v2-setup-open)',
            details,
          },
        ];
      if (s.status === 200 && allowed === false)
        return [{ status: 'PASSED', summary: 'InfluxDB 2.x setup done: its first (operator) user exists', details }];
      return [unexpected('GET /api/v2/setup', s)];
    }
    const q = exchange(p.query, 'unauthenticated SHOW DATABASES');
    if (q.status === 403 && /create admin user first/i.test(errorText(q))) {
      return [
        {
          status: 'FAILED',
          summary: 'server says "create admin user first": the first admin can be created by anyone',
          details: { status: 403, error: errorText(q).trim() },
        },
      ];
    }
    // Only a real answer passes: 200 (authentication off: see auth.disabled) or 401 (credentials required).
    if (q.status !== 200 && q.status !== 401) return [unexpected('unauthenticated SHOW DATABASES', q)];
    return [
      {
        status: 'PASSED',
        summary: q.status === 200 ? 'authentication is off (see auth.disabled)' : 'an admin user exists',
        details: { status: q.status },
      },
    ];
  },
});

export const jwtEmptySecret = endpointCheck({
  id: 'auth.jwt-empty-secret',
  asffTypes: ASFF_TYPES.cve,
  title: 'InfluxDB accepts JWTs signed with an empty shared secret (CVE-2019-20933)',
  severity: 'CRITICAL',
  section: 'Enable authentication',
  hostVerdict: hostVerdicts['auth.jwt-empty-secret'],
  risk: 'A bearer token signed with the empty key authenticates as any existing user, admins included: authentication is bypassed.',
  remediation: {
    text: 'Upgrade to InfluxDB 1.7.6 or later (or a distribution build with the fix) and set `[http] shared-secret` to a long random value if you use JWTs.',
    url: 'https://nvd.nist.gov/vuln/detail/CVE-2019-20933',
  },
  failedWhen:
    'CVE-2019-20933, by behaviour: an HS256 token signed with the empty key for a random user gets "user not found" (vulnerable) rather than "bearer auth disabled"/"signature is invalid" (not on 3.x)',
  appliesTo: notV3,
  compliance: {
    nist: [judged('nist', ['IA-5', 'SI-2'], 'authenticator management; flaw remediation (CVE-2019-20933)')],
    cis: [judged('cis', ['7.4'], 'application patch management')],
    pci: [judged('pci', ['8.3.1', '6.3.3'], 'authentication bypass; known vulnerability patched')],
  },
  evaluate: (ctx) => {
    const p = probe(ctx);
    if (p.fingerprint.flavour === 'influxdb-2')
      return [
        { status: 'PASSED', summary: 'InfluxDB 2.x does not use 1.x shared-secret JWTs', details: { flavour: p.fingerprint.flavour } },
      ];
    if (authOff(p)) return [{ status: 'PASSED', summary: 'authentication is off, tokens are ignored (see auth.disabled)', details: {} }];
    const r = exchange(p.jwt, 'bearer-token probe');
    const text = errorText(r);
    const details = {
      status: r.status,
      answer: text.trim().slice(0, 120),
      probe: 'HS256 token signed with the empty key for a random, non-existent user',
    };
    if (/user not found/i.test(text))
      return [
        { status: 'FAILED', summary: 'a token signed with the empty key was accepted ("user not found" for a random user)', details },
      ];
    if (/bearer auth disab|signature is invalid|create admin user first/i.test(text))
      return [{ status: 'PASSED', summary: 'a token signed with the empty key was rejected', details }];
    return [unexpected('the bearer-token probe', r)];
  },
});

const DIAG_SEVERITY = (path: string) => (path.startsWith('/debug/pprof') ? 'HIGH' : 'MEDIUM');

export const diagnosticsUnauthenticated = endpointCheck({
  id: 'auth.diagnostics-unauthenticated',
  title: 'InfluxDB diagnostics endpoints answer without credentials',
  severity: 'MEDIUM',
  section: 'Enable authentication',
  hostVerdict: hostVerdicts['auth.diagnostics-unauthenticated'],
  risk: '/debug/vars reveals command line, databases and paths; /debug/pprof lets anyone profile the process (CPU, memory, goroutines) and can be used to slow it down.',
  remediation: {
    text: 'Set `[http] pprof-enabled = false` (or, on 1.7.9+, `pprof-auth-enabled = true`), and block /debug and /metrics at a proxy.',
    url: 'https://docs.influxdata.com/influxdb/v1/administration/config/#pprof-enabled',
  },
  failedWhen:
    '`/debug/pprof/`, `/debug/vars`, `/debug/requests`, `/metrics` answer 200 without credentials (3.x: `/metrics`, `/health`, opened by `--disable-authz` or `--without-auth`)',
  otherSeverities: 'HIGH for pprof',
  compliance: UNNEEDED_SERVICE,
  evaluate: (ctx) => {
    const p = probe(ctx);
    const entries = Object.entries(p.diagnostics);
    const open = entries.filter(([, r]) => r.ok && r.value.status === 200).map(([path]) => path);
    const failed = entries.filter(([, r]) => !r.ok);
    const details = { paths: Object.fromEntries(entries.map(([path, r]) => [path, r.ok ? r.value.status : `error: ${r.reason}`])) };
    if (open.length) {
      return [
        {
          status: 'FAILED',
          severity: open.some((x) => DIAG_SEVERITY(x) === 'HIGH') ? 'HIGH' : 'MEDIUM',
          summary: `answer without credentials: ${open.join(', ')}`,
          details,
        },
      ];
    }
    // A path that did not answer could be the open one: nothing passes on part of the paths.
    if (failed.length)
      return [
        {
          status: 'NOT_AVAILABLE',
          summary:
            failed.length === entries.length
              ? 'no diagnostics probe completed'
              : `not every diagnostics path answered (${failed.map(([path]) => path).join(', ')})`,
          details: { ...details, reason: failed.map(([path, r]) => `${path}: ${!r.ok && r.reason}`).join('; ') },
        },
      ];
    return [{ status: 'PASSED', summary: 'diagnostics endpoints refuse anonymous requests', details }];
  },
});

export const v2SetupOpen = endpointCheck({
  id: 'auth.v2-setup-open',
  title: 'InfluxDB 2.x initial setup is open',
  severity: 'CRITICAL',
  section: 'Enable authentication',
  risk: 'Until onboarding is done, anyone who reaches the port can create the first user, organisation and operator token.',
  remediation: {
    text: 'Run `influx setup` now from a trusted host, or firewall the port until you do.',
    url: 'https://docs.influxdata.com/influxdb/v2/get-started/setup/',
  },
  failedWhen: '2.x `/api/v2/setup` answers `{"allowed": true}`',
  appliesTo: notV3,
  compliance: {
    nist: [judged('nist', ['IA-5', 'AC-2'], 'initial authenticator and account set up by the owner, not by whoever comes first')],
    cis: [DEFAULT_ACCOUNTS_CIS],
    pci: [judged('pci', ['2.2.2'], 'vendor default accounts are managed')],
  },
  evaluate: (ctx) => {
    const { exchange: s, allowed } = setupAnswer(probe(ctx));
    if (s.status === 200 && allowed === true)
      return [{ status: 'FAILED', summary: '/api/v2/setup answers {"allowed": true}', details: { status: 200, allowed: true } }];
    // Only a real answer passes: 404 (no 2.x setup endpoint) or {"allowed": false}.
    if (s.status !== 404 && !(s.status === 200 && allowed === false)) return [unexpected('GET /api/v2/setup', s)];
    return [
      {
        status: 'PASSED',
        summary: s.status === 404 ? 'no 2.x setup endpoint' : 'setup already done',
        details: { status: s.status, ...(allowed !== undefined ? { allowed } : {}) },
      },
    ];
  },
});

export const defaultCredentials = endpointCheck({
  id: 'users.default-credentials',
  title: 'InfluxDB accepts a well-known username and password',
  severity: 'CRITICAL',
  section: 'Manage users and permissions',
  risk: 'A default or guessable password gives full access to whoever tries it first.',
  remediation: { text: 'Change the password of the listed users (`SET PASSWORD FOR "user" = …`) or drop them.', url: USERS_URL },
  failedWhen: '(opt-in) a well-known pair is accepted',
  compliance: {
    nist: [judged('nist', ['IA-5', 'IA-5(1)'], 'default authenticators changed; password-based authentication')],
    cis: [DEFAULT_ACCOUNTS_CIS],
    pci: [judged('pci', ['2.2.2'], 'vendor default passwords are changed or accounts disabled')],
  },
  appliesTo: (ctx) => ctx.settings.defaultCredentials && notV3(ctx),
  evaluate: (ctx) => {
    const p = probe(ctx);
    if (authOff(p)) return [{ status: 'PASSED', summary: 'authentication is off, no login to test (see auth.disabled)', details: {} }];
    const r = evidenceValue(p.defaultCredentials ?? { ok: false, reason: 'the default-credentials probe did not run' });
    if (r.accepted.length)
      return [
        {
          status: 'FAILED',
          summary: `well-known password accepted for: ${r.accepted.join(', ')}`,
          details: { acceptedUsers: r.accepted, triedUsers: r.tried },
        },
      ];
    return [{ status: 'PASSED', summary: `no well-known pair accepted (${r.tried.length} tried)`, details: { triedUsers: r.tried } }];
  },
});

// ───────────────────────────── TLS ─────────────────────────────

export const tlsDisabled = endpointCheck({
  id: 'tls.disabled',
  title: 'InfluxDB HTTP API is served without TLS',
  severity: 'HIGH',
  section: 'Enable HTTPS',
  hostVerdict: hostVerdicts['tls.disabled'],
  risk: 'Credentials, tokens and data cross the network in clear text.',
  remediation: {
    text: 'Set `[http] https-enabled = true` with `https-certificate` / `https-private-key`, or terminate TLS at a proxy in front of 8086.',
    url: HTTPS_URL,
  },
  failedWhen: 'the endpoint speaks plain HTTP',
  compliance: { nist: [fsbp('nist', 'ELB.3')], cis: TLS_CIS, pci: [fsbp('pci', 'ELB.3')] },
  evaluate: (ctx) => {
    const p = probe(ctx);
    return p.scheme === 'https'
      ? [{ status: 'PASSED', summary: 'the endpoint speaks TLS', details: { scheme: 'https' } }]
      : [{ status: 'FAILED', summary: 'the endpoint answers plain HTTP (no TLS handshake)', details: { scheme: 'http' } }];
  },
});

const tlsOf = (p: ProbeEvidence) => evidenceValue(p.tls ?? { ok: false, reason: 'the endpoint does not speak TLS (see tls.disabled)' });
/** Certificate and protocol checks say nothing about a plain-HTTP endpoint: tls.disabled already failed it. */
const speaksTls = (ctx: EndpointContext) => !(ctx.evidence.probe.ok && ctx.evidence.probe.value.scheme === 'http');

export const certificateInvalid = endpointCheck({
  id: 'tls.certificate-invalid',
  title: 'InfluxDB TLS certificate is not valid',
  severity: 'MEDIUM',
  section: 'Enable HTTPS',
  risk: 'Clients either cannot verify the server (and get used to ignoring errors) or connections break when the certificate expires.',
  remediation: {
    text: 'Install a certificate from a CA your clients trust, naming the host or IP they connect to, and renew it before it expires.',
    url: HTTPS_URL,
  },
  failedWhen:
    'expired (HIGH), not yet valid, self-signed/untrusted (system roots + `--ca`), or not naming the host/IP; expiring within 30 days is a WARNING',
  compliance: {
    nist: [fsbp('nist', 'ACM.1'), judged('nist', ['SC-17'], 'public key infrastructure certificates')],
    cis: TLS_CIS,
    pci: [fsbp('pci', 'ACM.1')],
  },
  appliesTo: speaksTls,
  evaluate: (ctx) => {
    const t = tlsOf(probe(ctx));
    const c = t.certificate;
    const now = ctx.now;
    const from = Date.parse(c.validFrom);
    const to = Date.parse(c.validTo);
    const problems: string[] = [];
    let severity: 'HIGH' | 'MEDIUM' = 'MEDIUM';
    if (to < now) {
      problems.push(`expired on ${c.validTo}`);
      severity = 'HIGH';
    }
    if (from > now) problems.push(`not valid before ${c.validFrom}`);
    if (!t.trusted) problems.push(c.selfSigned ? 'self-signed' : `untrusted (${t.trustError ?? 'chain not verified'})`);
    if (!t.nameMatches) problems.push(`does not name the host probed (${t.nameError ?? ''})`);
    const details = {
      certificate: c,
      trusted: t.trusted,
      ...(t.trustError ? { trustError: t.trustError } : {}),
      nameMatches: t.nameMatches,
      daysLeft: Math.floor((to - now) / DAY_MS),
    };
    if (problems.length) return [{ status: 'FAILED', severity, summary: `certificate ${problems.join('; ')}`, details }];
    if (to - now < ctx.settings.certificateWarningDays * DAY_MS) {
      return [
        {
          status: 'WARNING',
          severity: 'MEDIUM',
          summary: `certificate expires in ${Math.floor((to - now) / DAY_MS)} days (${c.validTo})`,
          details,
        },
      ];
    }
    return [{ status: 'PASSED', summary: `certificate valid until ${c.validTo}, trusted, names the host`, details }];
  },
});

export const legacyProtocols = endpointCheck({
  id: 'tls.legacy-protocols',
  title: 'InfluxDB accepts legacy TLS versions or weak ciphers',
  severity: 'MEDIUM',
  section: 'Enable HTTPS',
  risk: 'TLS 1.0/1.1 and 3DES/RC4/NULL/EXPORT ciphers have practical attacks (BEAST, SWEET32, …) and fail compliance baselines.',
  remediation: {
    text: 'Set `[tls] min-version = "tls1.2"` (InfluxDB 1.6.1+) and restrict `ciphers` to AEAD suites, or terminate TLS at a proxy that does.',
    url: 'https://docs.influxdata.com/influxdb/v1/administration/config/#tls-settings',
  },
  failedWhen:
    "TLS 1.0/1.1 or a 3DES/RC4/NULL/EXPORT cipher is accepted (asked with a ClientHello offering only that, on a plain TCP connection: a ServerHello choosing from it is acceptance; what this machine's OpenSSL cannot offer is reported as untestable)",
  compliance: { nist: [fsbp('nist', 'ELB.8')], cis: TLS_CIS, pci: [fsbp('pci', 'ELB.8')] },
  appliesTo: speaksTls,
  evaluate: (ctx) => {
    const t = tlsOf(probe(ctx));
    const accepted = Object.entries(t.legacy)
      .filter(([, v]) => v === 'accepted')
      .map(([k]) => k);
    const untestable = Object.entries(t.legacy)
      .filter(([, v]) => v === 'untestable')
      .map(([k]) => k);
    const details = {
      negotiated: { protocol: t.protocol, cipher: t.cipher },
      legacy: t.legacy,
      ...(untestable.length ? { note: `this scanner's TLS library cannot offer ${untestable.join(', ')}` } : {}),
    };
    if (accepted.length) return [{ status: 'FAILED', summary: `accepts ${accepted.join(', ')}`, details }];
    return [{ status: 'PASSED', summary: 'refuses TLS 1.0/1.1 and weak ciphers', details }];
  },
});

// ───────────────────────────── headers ─────────────────────────────

function missingHeaders(o: HttpObservation, https: boolean): string[] {
  const h = o.headers;
  const csp = h['content-security-policy'] ?? '';
  const missing: string[] = [];
  if ((h['x-content-type-options'] ?? '').toLowerCase() !== 'nosniff') missing.push('X-Content-Type-Options: nosniff');
  if (!h['x-frame-options'] && !/frame-ancestors/i.test(csp)) missing.push('X-Frame-Options (or CSP frame-ancestors)');
  if (!csp) missing.push('Content-Security-Policy');
  if (https && !h['strict-transport-security']) missing.push('Strict-Transport-Security');
  return missing;
}

export const securityHeadersMissing = endpointCheck({
  id: 'headers.security-headers-missing',
  title: 'InfluxDB responses lack security headers',
  severity: 'LOW',
  section: 'Configure security headers',
  hostVerdict: hostVerdicts['headers.security-headers-missing'],
  risk: 'Browsers talking to the API (Chronograf, dashboards) get no protection against MIME sniffing, framing or downgrade.',
  remediation: {
    text: 'On 1.8.1+, set them in `[http.headers]`; otherwise add them at a proxy with `always` so error responses carry them too.',
    url: HEADERS_URL,
  },
  failedWhen:
    'the 204 `/ping` or an error response (401/403, else 404) lacks `X-Content-Type-Options: nosniff`, `X-Frame-Options`/CSP `frame-ancestors`, `Content-Security-Policy`, or (HTTPS) HSTS',
  compliance: {
    nist: [fsbp('nist', 'ELB.4')],
    cis: [HARDENING_CIS],
    pci: [fsbp('pci', 'ELB.4')],
  },
  evaluate: (ctx) => {
    const p = probe(ctx);
    const https = p.scheme === 'https';
    const ping = exchange(p.ping, '/ping');
    const error = exchange(p.error, 'error response');
    const byResponse = {
      [`/ping (${ping.status})`]: missingHeaders(ping, https),
      [`error (${error.status})`]: missingHeaders(error, https),
    };
    const all = [...new Set(Object.values(byResponse).flat())];
    if (all.length) return [{ status: 'FAILED', summary: `missing ${all.join(', ')}`, details: { missing: byResponse } }];
    return [
      {
        status: 'PASSED',
        summary: 'security headers present on success and error responses',
        details: { checked: Object.keys(byResponse) },
      },
    ];
  },
});

export const corsAnyOrigin = endpointCheck({
  id: 'headers.cors-any-origin',
  title: 'InfluxDB lets any web origin read its responses (CORS)',
  severity: 'MEDIUM',
  section: 'Configure security headers',
  risk: 'Any web page a user visits can call the API from their browser and read the answers.',
  remediation: {
    text: 'Put a proxy in front of InfluxDB that answers CORS only for your own origins (InfluxDB 1.x reflects every Origin).',
    url: HEADERS_URL,
  },
  failedWhen:
    'a random `Origin` is reflected, or `*` is sent by an endpoint that answers without authentication (any web page a user visits can read it); `*` with authentication on is a WARNING',
  compliance: {
    nist: [judged('nist', ['AC-4'], 'information flow enforcement across origins')],
    cis: [HARDENING_CIS],
    pci: [judged('pci', ['6.2.4'], 'attacks such as cross-site request forgery are prevented')],
  },
  evaluate: (ctx) => {
    const c = evidenceValue(probe(ctx).cors);
    const details = { sentOrigin: c.sentOrigin, ...(c.allowOrigin ? { allowOrigin: c.allowOrigin } : {}) };
    if (c.allowOrigin === c.sentOrigin)
      return [{ status: 'FAILED', summary: `an arbitrary Origin (${c.sentOrigin}) is reflected`, details }];
    if (c.allowOrigin === '*') {
      // "*" lets any page read answers that need no credentials (browsers send none with "*"): all of them when
      // authentication is off. Whether it is off is the unauthenticated SHOW DATABASES of auth.disabled.
      const p = probe(ctx);
      const unauthenticated = authOff(p);
      if (unauthenticated)
        return [
          {
            status: 'FAILED',
            summary:
              'Access-Control-Allow-Origin: * from an endpoint that answers without authentication: any web page a user visits can read its data',
            details: { ...details, unauthenticated },
          },
        ];
      // InfluxDB 3 under --disable-authz: those resources answer without a token, and any page reads them.
      const open = p.v3?.ok ? p.v3.value.openResources : [];
      if (open.length)
        return [
          {
            status: 'FAILED',
            summary: `Access-Control-Allow-Origin: * while ${open.join(', ')} answer without authentication (--disable-authz): any web page a user visits can read them`,
            details: { ...details, unauthenticated: false, openResources: open },
          },
        ];
      const unknown = p.query.ok ? '' : `; whether it answers without authentication is unknown (${readName(p)}: ${p.query.reason})`;
      return [
        {
          status: 'WARNING',
          summary: `Access-Control-Allow-Origin: * (any site may read responses that need no credentials)${unknown}`,
          details: { ...details, ...(p.query.ok ? { unauthenticated } : {}) },
        },
      ];
    }
    return [{ status: 'PASSED', summary: 'an arbitrary Origin is not allowed', details }];
  },
});

export const versionDisclosed = endpointCheck({
  id: 'headers.version-disclosed',
  title: 'InfluxDB discloses its exact version in response headers',
  severity: 'INFORMATIONAL',
  section: 'Configure security headers',
  risk: 'The exact version tells an attacker which known vulnerabilities to try.',
  remediation: { text: 'Strip X-Influxdb-Version, X-Influxdb-Build and Server at a proxy in front of InfluxDB.', url: HEADERS_URL },
  failedWhen: '`X-Influxdb-Version`/`-Build`/`Server` reveal the version',
  compliance: {
    nist: [judged('nist', ['SI-11', 'CM-7'], 'responses reveal no more than needed')],
    cis: [judged('cis', ['4.1'], 'secure configuration process')],
    pci: [judged('pci', ['2.2.1'], 'configuration standards address known weaknesses')],
  },
  evaluate: (ctx) => {
    const h = exchange(probe(ctx).ping, '/ping').headers;
    const shown = Object.fromEntries(
      ['x-influxdb-version', 'x-influxdb-build', 'server']
        .filter((k) => h[k] && (k !== 'server' || /\d/.test(h[k]!)))
        .map((k) => [k, h[k]!]),
    );
    if (Object.keys(shown).length)
      return [
        {
          status: 'FAILED',
          summary: `version disclosed: ${Object.entries(shown)
            .map(([k, v]) => `${k}: ${v}`)
            .join(', ')}`,
          details: { headers: shown },
        },
      ];
    return [{ status: 'PASSED', summary: 'no version in response headers', details: {} }];
  },
});

export const ENDPOINT_CHECKS: readonly Described<EndpointCheck>[] = [
  authDisabled,
  noAdminUser,
  jwtEmptySecret,
  diagnosticsUnauthenticated,
  v2SetupOpen,
  defaultCredentials,
  tlsDisabled,
  certificateInvalid,
  legacyProtocols,
  securityHeadersMissing,
  corsAnyOrigin,
  versionDisclosed,
];
