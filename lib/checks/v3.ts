/**
 * InfluxDB 3 checks (issue 32): what only a 3.x server has — the unclaimed
 * admin token, the recovery listener, the processing engine without
 * authentication, telemetry — and credentials on any InfluxDB server's command
 * line. Each decides from host evidence (the collector's reading of an
 * `influxdb3 serve` process, never the server run), and where the contract
 * says so from the probe (V3ProbeFacts, gathered without a request that could
 * change the server) and the credentialed audit. A subject that is not 3.x gets
 * no finding from the 3.x checks. Pure.
 */
import type {
  AuditEvidence,
  BucketExposure,
  EndpointCheck,
  EndpointContext,
  InstanceCheck,
  HostEvidence,
  HostProcess,
  Outcome,
  PublicAccessBlock,
  Result,
  V3ProbeFacts,
} from '../model.js';
import { ok } from '../model.js';
import { isCredentialName } from '../util/credentials.js';
import { judged } from './compliance.js';
import { fromTaskDefinitions } from './ecs.js';
import { hostCheck, unlessIncomplete } from './host.js';
import { effective3, incompleteReason, isLoopback, v3Flag, v3Processes } from './hostfacts.js';
import { ASFF_TYPES, type Described, EvidenceUnavailable, evidenceValue, firstListed, listedNames } from './support.js';

const SECURITY_URL = 'https://docs.influxdata.com/influxdb3/core/admin/tokens/admin/';
const SERVE_URL = 'https://docs.influxdata.com/influxdb3/core/reference/cli/influxdb3/serve/';

/**
 * The catalog formats whose reading is proven on a real server, per version (test/host/v3.test.ts: the file a
 * `POST /api/v3/configure/token/admin` adds to `<data-dir>/<node-id>/catalog/v2/logs/`). Another version's catalog is
 * not read as evidence, even in a format that looks the same.
 */
export const V3_CATALOG_FORMATS: Readonly<Record<string, string>> = { '3.6.0': 'idb3.004' };

const AUTH_OFF_CIS = judged('cis', ['6.7'], 'centralize access control: every request to the database needs a token');
const V3_AUTH = {
  nist: [judged('nist', ['IA-2', 'AC-3'], 'identification and authentication; access enforcement')],
  cis: [AUTH_OFF_CIS],
  pci: [judged('pci', ['8.3.1', '8.2.2'], 'all access authenticated; no shared or unclaimed administrative credentials')],
};

/** A verdict over a subject's 3.x processes: undefined when the host has no 3.x process (the check then says nothing). */
type HostVerdict3 = (ps: HostProcess[], h: HostEvidence) => Outcome | undefined;

/** The host's answer about 3.x processes, or undefined (no 3.x process: not for this check); EvidenceUnavailable when incomplete. */
function onV3Host(h: HostEvidence, verdict: HostVerdict3): Outcome | undefined {
  const ps = v3Processes(h);
  if (!ps.length) {
    const why = incompleteReason(h);
    if (why && v3OnHost(h)) throw new EvidenceUnavailable(why);
    return undefined;
  }
  const o = verdict(ps, h);
  return o && unlessIncomplete(h, o);
}

/** The host runs (or may run: an ignored `influxdb3`) an InfluxDB 3 server. */
const v3OnHost = (h: HostEvidence) =>
  h.processes.some((p) => p.flavour === 'influxdb-3') || (h.ignored ?? []).some((i) => i.name === 'influxdb3');
/** The subject is InfluxDB 3 by what the probe or the host shows; otherwise the 3.x checks say nothing. */
const isV3Subject = (ctx: EndpointContext) => probedV3(ctx) || (ctx.evidence.host?.ok === true && v3OnHost(ctx.evidence.host.value));

const v3Facts = (ctx: EndpointContext): V3ProbeFacts | undefined => {
  const p = ctx.evidence.probe;
  return p.ok && p.value.fingerprint.flavour === 'influxdb-3' && p.value.v3?.ok ? p.value.v3.value : undefined;
};
const probedV3 = (ctx: EndpointContext) => ctx.evidence.probe.ok && ctx.evidence.probe.value.fingerprint.flavour === 'influxdb-3';
const audit3 = (ctx: EndpointContext): Extract<AuditEvidence, { tokens: unknown; flavour: 'influxdb-3' }> | undefined => {
  const a = ctx.evidence.audit;
  return a?.ok && a.value.flavour === 'influxdb-3' && 'tokens' in a.value ? a.value : undefined;
};

/** The host's verdict, or its reason for having none (NOT_AVAILABLE when it could not tell). */
function hostSays(ctx: EndpointContext, verdict: HostVerdict3): { outcome?: Outcome; reason?: string } {
  const h = ctx.evidence.host;
  if (!h) return { reason: 'host evidence not collected' };
  if (!h.ok) return { reason: h.reason };
  try {
    return { outcome: onV3Host(h.value, verdict) };
  } catch (err) {
    if (!(err instanceof EvidenceUnavailable)) throw err;
    return { reason: err.reason };
  }
}

function v3EndpointCheck(c: Omit<Described<EndpointCheck>, 'scope' | 'asffTypes' | 'outcomes' | 'assessed' | 'complete'>) {
  return { asffTypes: ASFF_TYPES.guidance, ...c, scope: 'endpoint' } as Described<EndpointCheck>;
}

// ─────────────── auth.v3-admin-token-unclaimed ───────────────

/** Whether the local-file catalog says, for a version whose catalog format is proven. */
function catalogVerdict(p: HostProcess): boolean | string {
  const c = p.catalog;
  const store = effective3(p, 'object-store').value || 'unknown';
  if (!c) return `object store ${store}: only a local-file catalog is read from the host`;
  if (c.adminToken === null || !c.format) return `its catalog could not be read: ${c.reason ?? 'no reason given'}`;
  const known = p.version ? V3_CATALOG_FORMATS[p.version] : undefined;
  if (!known) return `no proven reading of the catalog of InfluxDB ${p.version ?? '(version unknown)'}`;
  if (known !== c.format) return `catalog format ${c.format} is not ${known}, the format of ${p.version}`;
  return c.adminToken;
}

const adminTokenHost: HostVerdict3 = (ps) => {
  const on = ps.filter((p) => !v3Flag(p, 'without-auth').on);
  if (!on.length) return undefined; // authentication off: auth.disabled says it; no token to claim
  const judged = on.map((p) => ({ p, v: catalogVerdict(p) }));
  const details = {
    processes: judged.map(({ p, v }) => ({
      pid: p.pid,
      version: p.version,
      catalog: p.catalog?.path,
      adminToken: typeof v === 'boolean' ? v : `unknown (${v})`,
    })),
  };
  const unclaimed = judged.filter((j) => j.v === false);
  if (unclaimed.length)
    return {
      status: 'FAILED',
      summary: `no admin token has been created (catalog ${unclaimed.map((j) => j.p.catalog?.path).join(', ')}): the first caller of POST /api/v3/configure/token/admin gets one`,
      details,
    };
  const unknown = judged.filter((j) => typeof j.v === 'string');
  if (unknown.length) throw new EvidenceUnavailable(unknown.map((j) => `${j.p.name}[${j.p.pid}]: ${j.v}`).join('; '));
  return { status: 'PASSED', summary: 'the catalog holds an admin token', details };
};

/** Every 3.x process on the host runs without authentication (nothing to claim). */
function authOffOnHost(ctx: EndpointContext): boolean {
  const h = ctx.evidence.host;
  const ps = h?.ok ? v3Processes(h.value) : [];
  try {
    return ps.length > 0 && ps.every((p) => v3Flag(p, 'without-auth').on);
  } catch (err) {
    if (err instanceof EvidenceUnavailable) return false; // unknown: the host's verdict says why
    throw err;
  }
}

export const v3AdminTokenUnclaimed = v3EndpointCheck({
  id: 'auth.v3-admin-token-unclaimed',
  title: 'InfluxDB 3 admin token not created: the server goes to its first caller',
  severity: 'CRITICAL',
  section: 'Enable authentication (3.x)',
  risk: 'With authentication on and no admin token yet, `POST /api/v3/configure/token/admin` needs no authentication: whoever calls it first gets an admin token and the server.',
  remediation: {
    text: 'Create the admin token now (`influxdb3 create token --admin`, from the host) and keep it in a secret store; or start the server with `--admin-token-file` holding a pre-generated one.',
    url: SECURITY_URL,
  },
  failedWhen:
    "InfluxDB 3 with authentication on: the host (a local-file catalog, read as data, in the format proven for that version: 3.6.0's `idb3.004`) or the audit shows no admin token; PASSED when they show one (an admin token given to the audit proves one: `system.tokens` lists it); WARNING when the probe recognises a 3.x server with authentication on and neither can tell; nothing with authentication off (auth.disabled). Never decided by calling the token endpoint",
  otherSeverities: 'WARNING: MEDIUM',
  compliance: V3_AUTH,
  evidence: ['host', 'audit', 'probe'],
  hostVerdict: (h) => onV3Host(h, adminTokenHost),
  needs: ['host', 'audit', 'probe'],
  decidedBy: ['host'],
  evaluate: (ctx) => {
    const facts = v3Facts(ctx);
    // Authentication off (the probe sees it, else every 3.x process on the host): nothing to claim, auth.disabled
    // says it; such a server takes any token, so an audit there proves nothing.
    if (facts ? !facts.authRequired : authOffOnHost(ctx)) return [];
    const a = audit3(ctx);
    const admins = a ? a.tokens.filter((t) => t.admin).map((t) => t.name) : [];
    // An accepted admin token is among the admin tokens system.tokens lists: a list without one proves nothing.
    if (a && admins.length) {
      const { shown, omitted } = firstListed(admins);
      return [
        {
          status: 'PASSED',
          summary: `the audit authenticated as an admin (an admin token exists): ${listedNames(admins)}`,
          details: { decidedBy: 'audit', adminTokens: shown, ...(omitted ? { adminTokensNotListed: omitted } : {}) },
        },
      ];
    }
    const host = hostSays(ctx, adminTokenHost);
    if (host.outcome) return [{ ...host.outcome, details: { ...host.outcome.details, decidedBy: 'host' } }];
    if (facts?.authRequired)
      return [
        {
          status: 'WARNING',
          severity: 'MEDIUM',
          summary: `an InfluxDB 3 server with authentication on; whether its admin token was created cannot be told without a request that could create it (host: ${host.reason ?? 'no 3.x process'})`,
          details: { reason: host.reason, probe: 'InfluxDB 3, authentication on' },
        },
      ];
    // Not 3.x: the check says nothing.
    if (!isV3Subject(ctx)) return [];
    throw new EvidenceUnavailable(host.reason ?? 'neither the host nor the audit can tell');
  },
});

// ─────────────── auth.v3-recovery-listener-exposed ───────────────

const recoveryHost: HostVerdict3 = (ps) => {
  const binds = ps.map((p) => ({ p, e: effective3(p, 'admin-token-recovery-http-bind') }));
  const on = binds.filter((b) => b.e.value !== '');
  const host = (bind: string) => bind.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
  const open = on.filter((b) => !isLoopback(host(b.e.value)));
  const details = { recoveryListeners: on.map((b) => `${b.p.name}[${b.p.pid}] ${b.e.value} (${b.e.from})`) };
  if (open.length)
    return {
      status: 'FAILED',
      summary: `the admin-token recovery listener is bound to ${open.map((b) => `${b.e.value} (${b.e.from})`).join(', ')}: whoever reaches it first regenerates the admin token`,
      details,
    };
  return {
    status: 'PASSED',
    summary: on.length ? `the recovery listener is on loopback only (${on.map((b) => b.e.value).join(', ')})` : 'no recovery listener',
    details,
  };
};

export const v3RecoveryListenerExposed = v3EndpointCheck({
  id: 'auth.v3-recovery-listener-exposed',
  title: 'InfluxDB 3 admin-token recovery listener listens beyond loopback',
  severity: 'CRITICAL',
  section: 'Enable authentication (3.x)',
  risk: 'The recovery listener regenerates the admin token without authentication: bound to a routable address, anyone who reaches it first owns the server.',
  remediation: {
    text: 'Remove `--admin-token-recovery-http-bind` (and INFLUXDB3_ADMIN_TOKEN_RECOVERY_HTTP_BIND_ADDR) once the token is recovered; when needed, bind it to 127.0.0.1 only.',
    url: SERVE_URL,
  },
  failedWhen:
    '`--admin-token-recovery-http-bind` (or its variable) names a non-loopback address; given without a value it listens on 127.0.0.1:8182. PASSED from the probe when a server that answers without a token shows no recovery flag on its command line (`system.nodes`; the probe never contacts a recovery port)',
  compliance: V3_AUTH,
  evidence: ['host', 'probe'],
  hostVerdict: (h) => onV3Host(h, recoveryHost),
  // The probe never contacts a recovery port (CHECKS.md). A server that answers without a token shows its command
  // line (system.nodes): no recovery flag there PASSES; the flag there has its address masked, which only the host
  // reads. With auth on the probe only tells a 1.x/2.x subject apart: then the check says nothing.
  needs: ['host', 'probe'],
  decidedBy: ['host'],
  evaluate: (ctx) => {
    const host = hostSays(ctx, recoveryHost);
    if (host.outcome) return [host.outcome];
    const listener = v3Facts(ctx)?.recoveryListener;
    if (listener === false)
      return [
        {
          status: 'PASSED',
          summary:
            'no recovery listener: the command line the server shows without a token (system.nodes) has no --admin-token-recovery-http-bind',
          details: { decidedBy: 'probe', host: host.reason },
        },
      ];
    if (listener)
      throw new EvidenceUnavailable(
        `the server runs with --admin-token-recovery-http-bind (system.nodes) but masks its address, and the probe never contacts a recovery port; host: ${host.reason ?? 'no 3.x process'}`,
      );
    if (isV3Subject(ctx)) throw new EvidenceUnavailable(host.reason ?? 'no InfluxDB 3 process on the host');
    return [];
  },
});

// ─────────────── host.v3-processing-engine-open ───────────────

const engineHost: HostVerdict3 = (ps) => {
  const settings = ps.map((p) => ({ p, plugins: effective3(p, 'plugin-dir'), noAuth: v3Flag(p, 'without-auth') }));
  const open = settings.filter((s) => s.plugins.value !== '' && s.noAuth.on);
  const details = {
    settings: settings.map(
      (s) =>
        `${s.p.name}[${s.p.pid}] plugin-dir ${s.plugins.value ? `set (${s.plugins.from})` : 'unset'}, without-auth ${s.noAuth.on} (${s.noAuth.from})`,
    ),
  };
  return open.length
    ? {
        status: 'FAILED',
        summary: `the processing engine is on (--plugin-dir ${open.map((s) => s.plugins.value).join(', ')}) and authentication is off: anyone who reaches the port runs Python in the server`,
        details,
      }
    : { status: 'PASSED', summary: 'no processing engine open without authentication', details };
};

export const v3ProcessingEngineOpen = v3EndpointCheck({
  id: 'host.v3-processing-engine-open',
  title: 'InfluxDB 3 processing engine on while authentication is off',
  severity: 'CRITICAL',
  section: 'Enable authentication (3.x)',
  risk: 'Without authentication, anyone who reaches the port uploads a plugin and runs Python inside the server process, as its user.',
  remediation: {
    text: 'Remove `--without-auth` (and INFLUXDB3_START_WITHOUT_AUTH) and create an admin token; or remove `--plugin-dir` when plugins are not used.',
    url: SERVE_URL,
  },
  failedWhen:
    'the processing engine is on (`--plugin-dir`) while authentication is off (`--without-auth`); the probe decides when it can tell',
  compliance: {
    nist: [judged('nist', ['AC-3', 'CM-7'], 'access enforcement; least functionality (code execution offered to anyone)')],
    cis: [AUTH_OFF_CIS, judged('cis', ['4.8'], 'uninstall or disable unnecessary services')],
    pci: [judged('pci', ['8.3.1', '2.2.4'], 'authenticated access; only necessary functions enabled')],
  },
  evidence: ['host', 'probe'],
  hostVerdict: (h) => onV3Host(h, engineHost),
  needs: ['probe', 'host'],
  decidedBy: ['probe'],
  evaluate: (ctx) => {
    const facts = v3Facts(ctx);
    const host = hostSays(ctx, engineHost);
    const withHost = (o: Outcome): Outcome[] => [
      host.outcome ? { ...o, details: { ...o.details, host: { status: host.outcome.status, summary: host.outcome.summary } } } : o,
    ];
    if (facts?.authRequired)
      return withHost({ status: 'PASSED', summary: 'authentication is on: plugins need a token', details: { decidedBy: 'probe' } });
    if (facts && facts.processingEngine !== null)
      return withHost(
        facts.processingEngine
          ? {
              status: 'FAILED',
              summary: 'authentication is off and the processing engine answers: anyone can upload a plugin',
              details: { decidedBy: 'probe' },
            }
          : { status: 'PASSED', summary: 'authentication is off, but the processing engine is off', details: { decidedBy: 'probe' } },
      );
    if (host.outcome) return [{ ...host.outcome, details: { ...host.outcome.details, decidedBy: 'host' } }];
    if (!isV3Subject(ctx)) return [];
    throw new EvidenceUnavailable(host.reason ?? 'the probe could not tell whether the processing engine is on');
  },
});

// ─────────────── host.v3-telemetry-upload (host only) ───────────────

export const v3TelemetryUpload = hostCheck({
  id: 'host.v3-telemetry-upload',
  title: 'InfluxDB 3 uploads telemetry to InfluxData',
  severity: 'LOW',
  section: 'Secure your host (3.x)',
  risk: 'The server sends usage data to InfluxData over the internet: an outbound connection from the database host that few egress policies expect.',
  remediation: {
    text: 'Start the server with `--disable-telemetry-upload` (or INFLUXDB3_TELEMETRY_DISABLE_UPLOAD=true).',
    url: SERVE_URL,
  },
  failedWhen: 'the server uploads telemetry (`--disable-telemetry-upload` / INFLUXDB3_TELEMETRY_DISABLE_UPLOAD=true not set)',
  compliance: {
    nist: [judged('nist', ['CM-7', 'SC-7'], 'least functionality; outbound flows at the boundary')],
    cis: [judged('cis', ['4.8'], 'uninstall or disable unnecessary services')],
    pci: [judged('pci', ['2.2.4', '1.4.4'], 'only necessary functions; outbound traffic restricted')],
  },
  evidence: ['host'],
  needs: ['host', 'ecs'],
  evaluate: ({ evidence }) =>
    // A containerised InfluxDB 3: its task definitions as host evidence (its command and INFLUXDB3_* variables).
    evidence.ecs
      ? fromTaskDefinitions(evidenceValue(evidence.ecs), { applies: [3], told: [3] }, telemetry)
      : telemetry(evidenceValue(evidence.host!)),
});

function telemetry(h: HostEvidence): Outcome[] {
  const o = onV3Host(h, (ps) => {
    const s = ps.map((p) => ({ p, off: v3Flag(p, 'disable-telemetry-upload') }));
    const on = s.filter((x) => !x.off.on);
    const details = { settings: s.map((x) => `${x.p.name}[${x.p.pid}] disable-telemetry-upload ${x.off.on} (${x.off.from})`) };
    return on.length
      ? { status: 'FAILED', summary: `telemetry upload is on (${on.map((x) => `${x.p.name}[${x.p.pid}]`).join(', ')})`, details }
      : { status: 'PASSED', summary: 'telemetry upload is disabled', details };
  });
  return o ? [o] : [];
}

// ─────────────── secrets.command-line (host only, every flavour) ───────────────

/** The variable a flag stands for in its flavour, for the shared credential name list (lib/util/credentials.ts). */
function isCredentialFlag(p: HostProcess, flag: string): boolean {
  const n = flag.replace(/-/g, '_').toUpperCase();
  const prefix = p.flavour === 'influxdb-3' ? 'INFLUXDB3_' : p.flavour === 'influxdb-2' ? 'INFLUXD_' : 'INFLUXDB_';
  // An object store's access key (Azure's `--azure-storage-access-key`) is a credential that list names by its AWS form only.
  return isCredentialName(n, 'environment') || isCredentialName(prefix + n, 'environment') || /(^|_)ACCESS_KEY$/.test(n);
}

export const secretsCommandLine = hostCheck({
  id: 'secrets.command-line',
  title: 'A credential is passed on the InfluxDB server command line',
  severity: 'HIGH',
  section: 'Manage users and permissions',
  risk: 'Every local user reads every process’s command line (`/proc/PID/cmdline`, `ps`): a secret key or token given as a flag is readable by all of them.',
  remediation: {
    text: 'Pass credentials in the environment of the service (systemd `EnvironmentFile` readable by root only), a credentials file, or an instance role; never as a flag.',
    url: SERVE_URL,
  },
  failedWhen:
    'a credential is passed on an InfluxDB server’s command line (`--aws-secret-access-key`, a token, a password; any flavour); evidence names the flag, never the value',
  compliance: {
    nist: [judged('nist', ['IA-5', 'SC-28'], 'authenticator protection; protection of information at rest')],
    cis: [judged('cis', ['3.11'], 'encrypt or protect sensitive data at rest')],
    pci: [judged('pci', ['8.3.2'], 'authentication factors are unreadable where stored')],
  },
  evidence: ['host'],
  needs: ['host', 'ecs'],
  evaluate: ({ evidence }) =>
    // A containerised InfluxDB: its task definition's command (read for 3.x only: a 1.x/2.x container says nothing).
    evidence.ecs
      ? fromTaskDefinitions(evidenceValue(evidence.ecs), { applies: [1, 2, 3], told: [3] }, credentialFlags)
      : credentialFlags(evidenceValue(evidence.host!)),
});

function credentialFlags(h: HostEvidence): Outcome[] {
  const exposed = h.processes.flatMap((p) =>
    Object.entries(p.secretFlags ?? {})
      .filter(([f, v]) => v === 'set' && isCredentialFlag(p, f))
      .map(([f]) => ({ pid: p.pid, name: p.name, flag: `--${f}` })),
  );
  const details = { flags: exposed.map((x) => `${x.name}[${x.pid}] ${x.flag}`) };
  if (exposed.length)
    return [{ status: 'FAILED', summary: `credential on the command line: ${details.flags.join(', ')} (value not shown)`, details }];
  if (!h.processes.length) throw new EvidenceUnavailable(incompleteReason(h) ?? 'no running InfluxDB server process on the host');
  return [unlessIncomplete(h, { status: 'PASSED', summary: 'no credential on the InfluxDB command lines', details })];
}

// ─────────────── storage.object-store-public (host names the bucket, AWS answers) ───────────────

/** A route to the bucket's contents: public, blocked, or unknown (with why). */
type Route = { state: 'public' | 'blocked' | 'closed' | 'unknown'; why: string };

function bucketRoutes(b: BucketExposure): { policy: Route; acl: Route } {
  const blocks = [b.bucketBlock, b.accountBlock];
  /** A Block Public Access switch is on at bucket or account level: true; off at both: false; unread where it matters: undefined. */
  const switched = (k: keyof PublicAccessBlock): boolean | undefined =>
    blocks.some((x) => x.ok && x.value[k]) ? true : blocks.every((x) => x.ok) ? false : undefined;
  const route = (open: Result<boolean>, blocked: boolean | undefined, what: string, switchName: string): Route => {
    if (blocked === true) return { state: 'blocked', why: `${switchName} is on` };
    if (!open.ok) return { state: 'unknown', why: `${what}: ${open.reason}` };
    if (!open.value) return { state: 'closed', why: `no ${what}` };
    if (blocked === false) return { state: 'public', why: `${what}, and ${switchName} is off at bucket and account level` };
    const unread = blocks.flatMap((x) => (x.ok ? [] : [x.reason]));
    return { state: 'unknown', why: `${what}; Block Public Access could not be read: ${unread.join('; ')}` };
  };
  const grants: Result<boolean> = b.aclPublicGrants.ok
    ? ok(b.aclPublicGrants.value.some((g) => /:(READ|FULL_CONTROL)$/.test(g)))
    : b.aclPublicGrants;
  return {
    policy: route(b.policyPublic, switched('restrictPublicBuckets'), 'a public bucket policy', 'RestrictPublicBuckets'),
    acl: route(grants, switched('ignorePublicAcls'), 'an ACL granting everyone read or list', 'IgnorePublicAcls'),
  };
}

export const objectStorePublic: Described<InstanceCheck> = {
  ...hostCheck({
    id: 'storage.object-store-public',
    asffTypes: ASFF_TYPES.encryption,
    title: 'The S3 bucket holding an InfluxDB 3 object store is public',
    severity: 'CRITICAL',
    section: 'AWS recommendations (3.x)',
    risk: 'InfluxDB 3 keeps every table, its catalog and its tokens’ records in the bucket: whoever can read or list it reads the database, whatever the server’s authentication says.',
    remediation: {
      text: 'Turn on S3 Block Public Access for the bucket and the account, remove policy statements and ACL grants for everyone, and give only the server’s role access.',
      url: 'https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html',
    },
    failedWhen:
      'the S3 bucket of an InfluxDB 3 object store (`--object-store s3 --bucket B`, read on the host) is public: a bucket policy S3 calls public (GetBucketPolicyStatus) without `RestrictPublicBuckets`, or an ACL granting everyone (or every AWS user) read or list without `IgnorePublicAcls`, at bucket and account level',
    compliance: {
      nist: [judged('nist', ['AC-3', 'AC-21', 'SC-7'], 'access enforcement; information sharing; boundary protection of stored data')],
      cis: [judged('cis', ['3.3'], 'data access control lists')],
      pci: [judged('pci', ['1.4.1', '7.2.1'], 'no public access to system components; access assigned by need')],
    },
    evidence: ['host', 'aws'],
    // One finding per instance (its id is the instance's), over every bucket its host names.
    evaluate: ({ evidence }) => {
      const judged = evidenceValue(evidence.objectStore!).map((b) => ({ b, ...bucketRoutes(b) }));
      const details = {
        buckets: judged.map(({ b, policy, acl }) => ({
          bucket: b.bucket,
          policy: `${policy.state}: ${policy.why}`,
          acl: `${acl.state}: ${acl.why}`,
          ...(b.aclPublicGrants.ok && b.aclPublicGrants.value.length ? { publicGrants: b.aclPublicGrants.value } : {}),
        })),
      };
      const routes = (state: Route['state']) =>
        judged.flatMap(({ b, policy, acl }) => [policy, acl].filter((r) => r.state === state).map((r) => `${b.bucket}: ${r.why}`));
      const open = routes('public');
      if (open.length) return [{ status: 'FAILED', summary: `public object store bucket: ${open.join('; ')}`, details }];
      const unknown = routes('unknown');
      if (unknown.length)
        return [{ status: 'NOT_AVAILABLE', summary: unknown.join('; '), details: { ...details, reason: unknown.join('; ') } }];
      return [{ status: 'PASSED', summary: `not public: ${judged.map(({ b }) => b.bucket).join(', ')}`, details }];
    },
  }),
  needs: ['objectStore'],
};

export const V3_ENDPOINT_CHECKS = [v3AdminTokenUnclaimed, v3RecoveryListenerExposed, v3ProcessingEngineOpen] as const;
export const V3_CHECKS: readonly Described[] = [...V3_ENDPOINT_CHECKS, v3TelemetryUpload, secretsCommandLine, objectStorePublic];
