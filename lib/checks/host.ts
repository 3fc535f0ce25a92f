/**
 * Host checks: what only the host can tell (the collector's evidence).
 * Also the host side of checks a probe decides (see withHost in endpoint.ts).
 */
import type { HostEvidence, InstanceCheck, Outcome } from '../model.js';
import { isEnterprise } from '../model.js';
import { judgedTcpPorts } from './net.js';
import {
  bindsAll,
  dataProcesses,
  effective,
  effective2,
  incompleteReason,
  isLoopback,
  isTrue,
  isTrue2,
  metaProcesses,
  v2Processes,
  v3Flag,
  v3Processes,
  effective3,
  versionBelow,
  versionParts,
} from './hostfacts.js';
import { fsbp, judged, na, UNNEEDED_SERVICE } from './compliance.js';
import { ASFF_TYPES, type Described, EvidenceUnavailable, evidenceValue, type SelfDescribed } from './support.js';
import { fromTaskDefinitions, imageVersionOutcome } from './ecs.js';

const CONFIG_URL = 'https://docs.influxdata.com/influxdb/v1/administration/config/';
/** A check only the host answers (silent when host evidence was not collected: see the engine). */
export function hostCheck(
  c: Omit<InstanceCheck, 'scope' | 'needs' | 'asffTypes'> &
    SelfDescribed & { asffTypes?: readonly string[]; needs?: InstanceCheck['needs'] },
): Described<InstanceCheck> {
  return { asffTypes: ASFF_TYPES.guidance, ...c, scope: 'instance', needs: c.needs ?? ['host'] };
}

/** The 1.x data processes; none at all (1.x, meta or 2.x): the reason. */
const influxd = (h: HostEvidence) => {
  const ps = dataProcesses(h);
  if (!ps.length && !metaProcesses(h).length && !v2Processes(h).length && !v3Processes(h).length)
    throw new EvidenceUnavailable(incompleteReason(h) ?? 'no running influxd or influxd-meta process on the host');
  return ps;
};

/** A PASS needs complete host evidence; otherwise NOT_AVAILABLE with the reason. Other outcomes stand (what was read is real). */
export function unlessIncomplete(h: HostEvidence, o: Outcome): Outcome {
  const why = o.status === 'PASSED' ? incompleteReason(h) : undefined;
  if (why) throw new EvidenceUnavailable(why);
  return o;
}

export const evidenceUnavailable = hostCheck({
  id: 'host.evidence-unavailable',
  title: 'Host evidence could not be collected',
  severity: 'INFORMATIONAL',
  section: '(scanner)',
  risk: 'Without host evidence, checks that only the host can answer (key permissions, bind addresses, environment overrides) are not evaluated.',
  remediation: {
    text: 'Make the instance SSM-managed and online (SSM agent running, instance profile with AmazonSSMManagedInstanceCore), and allow the scanner to run its Command document.',
    url: 'https://docs.aws.amazon.com/systems-manager/latest/userguide/systems-manager-setting-up-ec2.html',
  },
  failedWhen:
    'NOT_AVAILABLE with the reason when the instance is not SSM-managed/online, stopped, or the collector failed; PASSED when collected',
  compliance: {
    nist: na('a status of the scanner (host evidence missing), not a control'),
    cis: na('a status of the scanner, not a control'),
    pci: na('a status of the scanner, not a control'),
    guidance: false,
  },
  evidence: ['host'],
  evaluate: ({ evidence }) => {
    const h = evidenceValue(evidence.host!);
    const names = h.processes.map((p) => `${p.name}[${p.pid}]`);
    const incomplete = incompleteReason(h);
    if (incomplete)
      return [
        {
          status: 'NOT_AVAILABLE',
          summary: incomplete,
          details: { reason: incomplete, hostname: h.hostname, processes: names, ignored: h.ignored ?? [], errors: h.errors },
        },
      ];
    if (!names.length)
      return [
        {
          status: 'NOT_AVAILABLE',
          summary: 'the collector ran but found no running influxd or influxd-meta',
          details: { reason: 'no running InfluxDB process', hostname: h.hostname },
        },
      ];
    return [
      {
        status: 'PASSED',
        summary: `collected from ${h.hostname}: ${names.join(', ')}`,
        details: { hostname: h.hostname, version: h.version, processes: names, errors: h.errors },
      },
    ];
  },
});

export const rpcBindAll = hostCheck({
  id: 'host.rpc-bind-all-interfaces',
  title: 'InfluxDB backup/restore RPC listens on all interfaces',
  severity: 'MEDIUM',
  section: 'Ports',
  risk: 'The unauthenticated RPC service (backup/restore) is reachable from any network the host is on, not only locally.',
  remediation: {
    text: 'Set the top-level `bind-address = "127.0.0.1:8088"` (the default) unless remote backups need it, and then restrict 8088 to the backup host.',
    url: `${CONFIG_URL}#bind-address-1270018088`,
  },
  failedWhen: 'OSS: the effective top-level `bind-address` (RPC) listens on all interfaces',
  compliance: UNNEEDED_SERVICE,
  evidence: ['host'],
  appliesTo: ({ instance }) => !isEnterprise(instance.role),
  // One finding per instance (its id is the instance's), over every influxd process on it.
  evaluate: ({ evidence }) => {
    const h = evidenceValue(evidence.host!);
    const binds = influxd(h).map((p) => ({ pid: p.pid, ...effective(p, 'bind-address') }));
    if (!binds.length) {
      // No readable 1.x process: says nothing only when that is certain (a 2.x-only host), never on an unreadable one.
      const why = incompleteReason(h);
      if (why) throw new EvidenceUnavailable(why);
      return [];
    }
    const open = binds.filter((b) => bindsAll(b.value));
    const details = { processes: binds.map((b) => ({ pid: b.pid, bindAddress: b.value, from: b.from })) };
    return [
      open.length
        ? {
            status: 'FAILED',
            summary: `RPC bind-address ${open.map((b) => `"${b.value}" (${b.from}, pid ${b.pid})`).join(', ')} listens on all interfaces`,
            details,
          }
        : unlessIncomplete(h, { status: 'PASSED', summary: `RPC bound to ${[...new Set(binds.map((b) => b.value))].join(', ')}`, details }),
    ];
  },
});

export const unexpectedListeners = hostCheck({
  id: 'host.unexpected-listeners',
  title: 'Processes listen on unexpected ports on the InfluxDB host',
  severity: 'MEDIUM',
  section: 'Ports',
  risk: 'Every service listening on a routable address is attack surface, whatever the security groups say today.',
  remediation: {
    text: 'Stop or bind to 127.0.0.1 the services that need not be reachable, or add the ports you need to the allowlist (`--allow-port`).',
    url: 'https://docs.influxdata.com/influxdb/v1/administration/security/#ports',
  },
  failedWhen:
    'a process listens on a non-loopback address on a port other than 8086, the ports judged by the network checks, and the allowlist',
  compliance: UNNEEDED_SERVICE,
  evidence: ['host'],
  evaluate: ({ instance, evidence, settings }) => {
    const h = evidenceValue(evidence.host!);
    const expected = new Set(judgedTcpPorts(instance, evidence));
    const allowed = (port: number) => settings.allowedPorts.some((a) => a.protocol !== 'udp' && a.fromPort <= port && port <= a.toPort);
    const extra = h.listeners.filter((l) => !isLoopback(l.address) && !expected.has(l.port) && !allowed(l.port));
    const details = {
      listeners: extra.map((l) => `${l.address}:${l.port}${l.process ? ` (${l.process})` : ''}`),
      source: h.listenerSource,
    };
    if (h.listenerSource === 'none')
      return [
        {
          status: 'NOT_AVAILABLE',
          summary: 'neither ss nor /proc/net/tcp was available',
          details: { reason: 'no listener source on the host' },
        },
      ];
    if (extra.length) return [{ status: 'FAILED', summary: `listening beyond InfluxDB's ports: ${details.listeners.join(', ')}`, details }];
    if (h.listenersOmitted)
      return [
        {
          status: 'NOT_AVAILABLE',
          summary: `${h.listenersOmitted} non-loopback listeners beyond the collector's cap were not listed`,
          details: { ...details, reason: 'listeners not all listed' },
        },
      ];
    return [{ status: 'PASSED', summary: `no unexpected non-loopback listener (${h.listeners.length} listeners)`, details }];
  },
});

/**
 * Versions a distribution patched for a CVE although the number says
 * otherwise. Observed, not assumed: Debian's 1.6.7~rc0 rejects a token signed
 * with the empty key (test/probe/servers.test.ts); auth.jwt-empty-secret
 * decides that CVE by behaviour wherever the probe reaches the server.
 */
const DISTRIBUTION_FIXES = new Map([['1.6.7~rc0', ['CVE-2019-20933']]]);

const SUPPORT_POLICY = 'https://www.influxdata.com/legal/support-policy/';
/**
 * What is known about InfluxDB versions, each range with its source. `from`
 * inclusive, `below` exclusive. End of life follows InfluxData's support
 * policy (the current minor release of a major line and the one before it are
 * supported): the newest tags the Go module proxy serves are v1.13.2
 * (2026-10-29) and v2.10.0 (2026-10-15), so 1.12+ and 2.9+ are supported.
 * InfluxDB 3 (Core and Enterprise share version numbers): no CVE is listed
 * for 3.x (NVD; InfluxData's release notes up to v3.11.4 name no security
 * fix). endoflife.date, from InfluxData's release notes, dates each 3.x
 * minor's end when the minor after next ships (3.6 ended 2025-12-18 with 3.8,
 * 3.7 on 2026-04-02 with 3.9); later minors got releases in parallel (3.9.11,
 * 3.10.5 and 3.11.0 on 2026-07-30, docker-library/official-images#21953), so
 * only what is certainly unsupported fails: 3.x before 3.8.
 * Update the table when a line moves on.
 */
export const VERSION_KNOWLEDGE: readonly {
  id: string;
  kind: 'cve' | 'end-of-life';
  from: number[];
  below: number[];
  what: string;
  source: string;
}[] = [
  {
    id: 'CVE-2019-20933',
    kind: 'cve',
    from: [1, 0, 0],
    below: [1, 7, 6],
    what: 'JWT with an empty shared secret accepted (authentication bypass); auth.jwt-empty-secret checks the behaviour',
    source: 'https://nvd.nist.gov/vuln/detail/CVE-2019-20933',
  },
  {
    id: 'EOL-1.x',
    kind: 'end-of-life',
    from: [1, 0, 0],
    below: [1, 12, 0],
    what: '1.x before 1.12 is end-of-life (supported: 1.12 and 1.13)',
    source: SUPPORT_POLICY,
  },
  {
    id: 'EOL-2.x',
    kind: 'end-of-life',
    from: [2, 0, 0],
    below: [2, 9, 0],
    what: '2.x before 2.9 is end-of-life (supported: 2.9 and 2.10)',
    source: SUPPORT_POLICY,
  },
  {
    id: 'EOL-3.x',
    kind: 'end-of-life',
    from: [3, 0, 0],
    below: [3, 8, 0],
    what: '3.x before 3.8 is end-of-life (3.6 ended 2025-12-18, 3.7 on 2026-04-02; newest line 3.11)',
    source: 'https://endoflife.date/influxdb',
  },
];

export const versionVulnerable: Described<InstanceCheck> = {
  ...hostCheck({
    id: 'host.version-vulnerable',
    asffTypes: ASFF_TYPES.cve,
    title: 'InfluxDB version is end-of-life or has a known vulnerability',
    severity: 'MEDIUM',
    section: 'Secure your host',
    risk: 'Old releases no longer get security fixes; known vulnerabilities have public exploits.',
    remediation: {
      text: 'Upgrade to a supported InfluxDB release (the current or previous minor release of its line), from InfluxData or a distribution that backports fixes.',
      url: SUPPORT_POLICY,
    },
    failedWhen:
      "the installed version is end-of-life or has a known vulnerability without a distribution fix, from a table with a source per entry (`VERSION_KNOWLEDGE` in `lib/checks/host.ts`): CVE-2019-20933 before 1.7.6 (Debian's 1.6.7~rc0 carries the fix, observed); end-of-life by InfluxData's support policy (the current and previous minor release of a line): 1.x before 1.12, 2.x before 2.9 (newest on the module proxy: 1.13.2, 2.10.0); 3.x (Core, Enterprise) before 3.8 (endoflife.date; no CVE listed for 3.x). A container image tag that names a line without its patch fails only when every release of the line is end-of-life",
    compliance: {
      nist: [fsbp('nist', 'SSM.2')],
      cis: [judged('cis', ['2.2', '7.4'], 'authorized software is currently supported; application patch management')],
      pci: [fsbp('pci', 'SSM.2')],
    },
    evidence: ['host', 'probe'],
    evaluate: ({ evidence }) => {
      // A containerised InfluxDB: from its image tags (lib/checks/ecs.ts).
      if (evidence.ecs) return imageVersionOutcome(evidenceValue(evidence.ecs), VERSION_KNOWLEDGE, (v) => [judgeVersion(v)]);
      // An instance: the host decides; an InfluxDB 3 version the probe read stands in when the host's cannot be read
      // or the host was not collected. Other probes stay silent without a host (a 1.x/2.x header may be a proxy's).
      const fromHost = evidence.host?.ok ? evidence.host.value : undefined;
      const fp = evidence.probe?.ok ? evidence.probe.value.fingerprint : undefined;
      const probed = fp?.flavour === 'influxdb-3' ? fp.version : undefined;
      if ((!fromHost || !versionParts(fromHost.version)) && probed) return [judgeVersion(probed, { decidedBy: 'probe' })];
      if (!evidence.host) return [];
      const h = evidenceValue(evidence.host);
      if (!versionParts(h.version)) throw new EvidenceUnavailable('the installed InfluxDB version could not be read');
      return [unlessIncomplete(h, judgeVersion(h.version!))];
    },
  }),
  needs: ['host', 'probe', 'ecs'],
  decidedBy: ['host', 'ecs'],
};

/** A version against VERSION_KNOWLEDGE (and the distribution fixes). */
function judgeVersion(version: string, extra: Record<string, unknown> = {}): Outcome {
  const v = versionParts(version)!;
  if (v[0]! < 1 || v[0]! > 3) throw new EvidenceUnavailable(`no version knowledge about InfluxDB ${v[0]} (${version})`);
  const patched = DISTRIBUTION_FIXES.get(version) ?? [];
  const known = VERSION_KNOWLEDGE.filter((x) => !versionBelow(v, x.from) && versionBelow(v, x.below) && !patched.includes(x.id));
  const vulns = known.filter((x) => x.kind === 'cve');
  const eol = known.find((x) => x.kind === 'end-of-life');
  const details = {
    version,
    ...(vulns.length ? { vulnerabilities: vulns.map((x) => `${x.id}: ${x.what}`) } : {}),
    ...(patched.length ? { distributionFixes: patched } : {}),
    endOfLife: eol !== undefined,
    ...(known.length ? { sources: known.map((x) => `${x.id}: ${x.source}`) } : {}),
    ...extra,
  };
  if (known.length)
    return {
      status: 'FAILED',
      summary: [eol ? `${version} is end-of-life (${eol.what})` : '', ...vulns.map((x) => x.id)].filter(Boolean).join('; '),
      details,
    };
  return { status: 'PASSED', summary: `${version} is supported and has no known unpatched vulnerability`, details };
}

export const privateKeyExposed = hostCheck({
  id: 'tls.private-key-exposed',
  title: 'InfluxDB TLS private key is readable by other users',
  severity: 'HIGH',
  section: 'Enable HTTPS',
  risk: 'Any local user or compromised service can read the key and impersonate the server or decrypt recorded traffic.',
  remediation: {
    text: 'chmod 600 (or 640 with the influxdb group) the key or combined PEM, owned by the service account.',
    url: 'https://docs.influxdata.com/influxdb/v1/administration/https_setup/',
  },
  failedWhen: "the private key or combined PEM is readable by every user, or by a group other than the service account's",
  compliance: {
    nist: [judged('nist', ['SC-12', 'AC-3'], 'cryptographic key protection; access enforcement on the key file')],
    cis: [judged('cis', ['3.3'], 'data access control lists (file permissions)')],
    pci: [judged('pci', ['4.2.1'], 'strong cryptography in transit fails once the private key is readable')],
  },
  evidence: ['host'],
  evaluate: ({ evidence }) => {
    const h = evidenceValue(evidence.host!);
    const users = new Set(['root', ...h.processes.map((p) => p.user)]);
    // The key roles: 1.x `…https-private-key`, 2.x and 3.x `tls-key` (stat'ed, never read: containsPrivateKey is unknown).
    const keys = h.files.filter((f) => f.exists && (f.containsPrivateKey || f.role.endsWith('private-key') || f.role === 'tls-key'));
    // Files the collector left out may be the exposed key: a FAILED from those listed stands, never a PASS.
    const unlessOmitted = (o: Outcome): Outcome => {
      if (o.status === 'PASSED' && h.filesOmitted)
        throw new EvidenceUnavailable(`${h.filesOmitted} certificate or key files were left out of the collector's output`);
      return unlessIncomplete(h, o);
    };
    if (!keys.length) return [unlessOmitted({ status: 'PASSED', summary: 'no private key file configured', details: {} })];
    // One outcome per instance: its findings share one id, so a PASS of one key file must never stand for another's FAILED.
    const judged = keys.map((f) => {
      const mode = parseInt(f.mode ?? '0', 8);
      const other = (mode & 0o004) !== 0;
      const group = (mode & 0o040) !== 0 && !users.has(f.group ?? '');
      const text = `${f.path} is mode ${f.mode} (${f.owner}:${f.group})`;
      return { open: other || group, text: other || group ? `${text}: readable by ${other ? 'every user' : `group ${f.group}`}` : text };
    });
    const open = judged.filter((j) => j.open);
    const details = { keys: keys.map((f) => ({ path: f.path, owner: f.owner, group: f.group, mode: f.mode })) };
    return [
      open.length
        ? { status: 'FAILED', summary: open.map((j) => j.text).join('; '), details }
        : unlessOmitted({ status: 'PASSED', summary: judged.map((j) => j.text).join('; '), details }),
    ];
  },
});

export const v2HardeningDisabled: Described<InstanceCheck> = {
  ...hostCheck({
    id: 'host.v2-hardening-disabled',
    title: 'InfluxDB 2.x hardening is disabled (Flux can reach private addresses)',
    severity: 'MEDIUM',
    section: 'Secure your host (2.x)',
    risk: 'Flux queries (`http.get`, `sql.from`, `csv.from` with a URL, …) run from the server: anyone allowed to query can reach the instance metadata service and private addresses of the VPC (server-side request forgery).',
    remediation: {
      text: 'Set `hardening-enabled: true` (flag `--hardening-enabled`, or INFLUXD_HARDENING_ENABLED=true) on InfluxDB 2.7 or later and restart influxd.',
      url: 'https://docs.influxdata.com/influxdb/v2/reference/config-options/#hardening-enabled',
    },
    failedWhen: 'InfluxDB 2.7+: the effective `hardening-enabled` (flag, `INFLUXD_HARDENING_ENABLED`, config file, default false) is false',
    compliance: {
      nist: [
        judged(
          'nist',
          ['AC-4', 'SC-7', 'CM-7'],
          'server-side requests to private addresses (SSRF): information flow, boundary, least functionality',
        ),
      ],
      cis: [judged('cis', ['4.1', '16.7'], 'secure configuration; hardening of application infrastructure')],
      pci: [judged('pci', ['2.2.1', '6.2.4'], 'configuration standards; attacks on the application are prevented')],
    },
    evidence: ['host'],
    evaluate: ({ evidence }) => {
      // A containerised InfluxDB: its task definitions as host evidence (silent when its images are known not to be 2.x).
      if (evidence.ecs) return fromTaskDefinitions(evidenceValue(evidence.ecs), { applies: [2], told: [2] }, hardening);
      return hardening(evidenceValue(evidence.host!));
    },
  }),
  needs: ['host', 'ecs'],
};

function hardening(h: HostEvidence): Outcome[] {
  const v = versionParts(h.version);
  const ps = v2Processes(h);
  const why = incompleteReason(h);
  // 1.x has no Flux SSRF guard to switch on: silent only on a host known to run 1.x alone, with complete evidence.
  if (v?.[0] === 1 && h.processes.length && !h.processes.some((p) => p.flavour === 'influxdb-2') && !why) return [];
  // Nor has 3.x (no Flux): silent on a host known to run 3.x alone.
  if (h.processes.length && h.processes.every((p) => p.flavour === 'influxdb-3') && !why) return [];
  // Anything else short of a known 2.x version and a readable 2.x process is unknown, never a silent (complete) answer.
  if (v?.[0] !== 2 || !ps.length) throw new EvidenceUnavailable(why ?? 'InfluxDB 2.x version or configuration unknown');
  // Only 2.7+ has the option: older 2.x is judged by host.version-vulnerable.
  if (versionBelow(v, [2, 7, 0])) return [];
  const settings = ps.map((p) => ({ p, e: effective2(p, 'hardening-enabled'), session: effective2(p, 'session-length') }));
  const off = settings.filter((x) => !isTrue2(x.e.value));
  const details = {
    version: h.version,
    settings: settings.map((x) => `${x.p.name}[${x.p.pid}] hardening-enabled = ${x.e.value} (${x.e.from})`),
    sessionLength: settings.map((x) => `${x.session.value} minutes (${x.session.from})`),
  };
  return [
    off.length
      ? { status: 'FAILED', summary: `hardening-enabled is ${off.map((x) => `${x.e.value} (${x.e.from})`).join(', ')}`, details }
      : unlessIncomplete(h, { status: 'PASSED', summary: 'hardening-enabled is true', details }),
  ];
}

export const HOST_CHECKS: readonly Described<InstanceCheck>[] = [
  rpcBindAll,
  unexpectedListeners,
  versionVulnerable,
  v2HardeningDisabled,
  privateKeyExposed,
  evidenceUnavailable,
];

// ─────────────── host sides of probe-decided checks ───────────────

const REQUIRED_HEADERS = ['X-Content-Type-Options', 'Content-Security-Policy'];

/**
 * Each returns the host's verdict, or undefined when the host has nothing to
 * say; throws EvidenceUnavailable when incomplete evidence would otherwise
 * pass or say nothing (see guarded).
 */
export const hostVerdicts = guarded({
  'auth.disabled': (h: HostEvidence): Outcome | undefined => {
    const off = [
      ...dataProcesses(h).map((p) => ({ p, e: effective(p, 'http.auth-enabled'), key: '[http] auth-enabled' })),
      ...metaProcesses(h).map((p) => ({ p, e: effective(p, 'meta.auth-enabled'), key: '[meta] auth-enabled' })),
      // 3.x: authentication is on unless --without-auth (or INFLUXDB3_START_WITHOUT_AUTH=true).
      ...v3Processes(h).map((p) => {
        const w = v3Flag(p, 'without-auth');
        return { p, e: { value: String(!w.on), from: w.from }, key: 'not --without-auth' };
      }),
    ];
    if (!off.length) return undefined;
    const bad = off.filter((x) => !isTrue(x.e.value));
    const details = { settings: off.map((x) => `${x.p.name}[${x.p.pid}] ${x.key} = ${x.e.value} (${x.e.from})`) };
    return bad.length
      ? { status: 'FAILED', summary: `effective ${bad.map((x) => `${x.key} = ${x.e.value} (${x.e.from})`).join('; ')}`, details }
      : { status: 'PASSED', summary: 'authentication is enabled in the effective configuration', details };
  },
  'auth.jwt-empty-secret': (h: HostEvidence): Outcome | undefined => {
    const ps = dataProcesses(h);
    if (!ps.length) return undefined;
    const v = versionParts(h.version);
    const patched = (DISTRIBUTION_FIXES.get(h.version ?? '') ?? []).includes('CVE-2019-20933');
    const exposed = ps.filter((p) => isTrue(effective(p, 'http.auth-enabled').value) && effective(p, 'http.shared-secret').value !== 'set');
    const details = {
      version: h.version,
      sharedSecret: ps.map((p) => effective(p, 'http.shared-secret').value),
      ...(patched ? { distributionFix: true } : {}),
    };
    if (exposed.length && !v)
      throw new EvidenceUnavailable('empty shared-secret with authentication on, and the installed InfluxDB version could not be read');
    if (exposed.length && v && versionBelow(v, [1, 7, 6]) && !patched) {
      return {
        status: 'WARNING',
        summary: `empty shared-secret with authentication on, version ${h.version} (before 1.7.6): a probe decides`,
        details,
      };
    }
    return {
      status: 'PASSED',
      summary: exposed.length ? `empty shared-secret, but ${h.version} is not affected` : 'shared-secret set or authentication off',
      details,
    };
  },
  'auth.diagnostics-unauthenticated': (h: HostEvidence): Outcome | undefined => {
    const ps = dataProcesses(h);
    // 3.x: /metrics answers without a token under --without-auth, or with `metrics` in --disable-authz.
    const v3 = v3Processes(h).map((p) => ({
      p,
      noAuth: v3Flag(p, 'without-auth'),
      authz: effective3(p, 'disable-authz'),
    }));
    const v3Open = v3.filter(
      (x) =>
        x.noAuth.on ||
        x.authz.value
          .split(',')
          .map((r) => r.trim())
          .includes('metrics'),
    );
    if (v3Open.length)
      return {
        status: 'FAILED',
        severity: 'MEDIUM',
        summary: `InfluxDB 3 answers anyone on /metrics (${v3Open.map((x) => (x.noAuth.on ? `--without-auth (${x.noAuth.from})` : `--disable-authz ${x.authz.value} (${x.authz.from})`)).join(', ')})`,
        details: { disableAuthz: v3.map((x) => `${x.p.name}[${x.p.pid}] ${x.authz.value || '(unset)'} (${x.authz.from})`) },
      };
    if (v3.length && !ps.length && !v2Processes(h).length)
      return {
        status: 'PASSED',
        summary: 'InfluxDB 3 serves /metrics only with a token',
        details: { disableAuthz: v3.map((x) => `${x.p.name}[${x.p.pid}] ${x.authz.value || '(unset)'} (${x.authz.from})`) },
      };
    const v2 = v2Processes(h).map((p) => ({ p, pprof: effective2(p, 'pprof-disabled'), metrics: effective2(p, 'metrics-disabled') }));
    if (v2.length) {
      // 2.x serves /debug/pprof and /metrics to anyone unless disabled.
      const pprofOpen = v2.filter((x) => !isTrue2(x.pprof.value));
      const metricsOpen = v2.filter((x) => !isTrue2(x.metrics.value));
      const details = {
        pprofDisabled: v2.map((x) => `${x.pprof.value} (${x.pprof.from})`),
        metricsDisabled: v2.map((x) => `${x.metrics.value} (${x.metrics.from})`),
      };
      if (pprofOpen.length || metricsOpen.length)
        return {
          status: 'FAILED',
          severity: pprofOpen.length ? 'HIGH' : 'MEDIUM',
          summary: `InfluxDB 2.x answers anyone on ${[pprofOpen.length ? '/debug/pprof (pprof-disabled false)' : '', metricsOpen.length ? '/metrics (metrics-disabled false)' : ''].filter(Boolean).join(' and ')}`,
          details,
        };
      if (!ps.length) return { status: 'PASSED', summary: 'pprof-disabled and metrics-disabled are set', details };
    }
    if (!ps.length) return undefined;
    const open = ps.filter(
      (p) =>
        isTrue(effective(p, 'http.pprof-enabled').value) &&
        !(isTrue(effective(p, 'http.pprof-auth-enabled').value) && isTrue(effective(p, 'http.auth-enabled').value)),
    );
    const details = {
      pprofEnabled: ps.map((p) => effective(p, 'http.pprof-enabled').value),
      pprofAuthEnabled: ps.map((p) => effective(p, 'http.pprof-auth-enabled').value),
    };
    return open.length
      ? { status: 'FAILED', severity: 'HIGH', summary: 'pprof-enabled without pprof-auth-enabled: /debug/pprof answers anyone', details }
      : { status: 'PASSED', summary: 'pprof off or behind authentication', details };
  },
  'tls.disabled': (h: HostEvidence): Outcome | undefined => {
    const settings = [
      ...dataProcesses(h).flatMap((p) => [
        { p, key: 'http.https-enabled', label: '[http] https-enabled' },
        ...(p.config['cluster.https-enabled'] !== undefined
          ? [
              { p, key: 'cluster.https-enabled', label: '[cluster] https-enabled' },
              { p, key: 'meta.meta-tls-enabled', label: '[meta] meta-tls-enabled' },
            ]
          : []),
      ]),
      ...metaProcesses(h).map((p) => ({ p, key: 'meta.https-enabled', label: '[meta] https-enabled' })),
    ].map((x) => ({ ...x, e: effective(x.p, x.key) }));
    // 2.x serves HTTPS when both tls-cert and tls-key are set; its TLS floor and cipher choice are shown with it.
    const v2 = v2Processes(h).map((p) => {
      const [cert, key, min, strict] = ['tls-cert', 'tls-key', 'tls-min-version', 'tls-strict-ciphers'].map((k) => effective2(p, k));
      const on = cert!.value !== '' && key!.value !== '';
      return {
        p,
        label: 'tls-cert/tls-key',
        e: { value: String(on), from: on ? `${cert!.from}/${key!.from}` : cert!.value ? key!.from : cert!.from },
        extra: on ? `, tls-min-version ${min!.value} (${min!.from}), tls-strict-ciphers ${strict!.value} (${strict!.from})` : '',
      };
    });
    // 3.x serves HTTPS when both --tls-cert and --tls-key are set (flags or INFLUXDB3_TLS_*).
    const v3 = v3Processes(h).map((p) => {
      const [cert, key, min] = (['tls-cert', 'tls-key', 'tls-minimum-version'] as const).map((k) => effective3(p, k));
      const on = cert!.value !== '' && key!.value !== '';
      return {
        p,
        label: '--tls-cert/--tls-key',
        e: { value: String(on), from: on ? `${cert!.from}/${key!.from}` : cert!.value ? key!.from : cert!.from },
        extra: on ? `, tls-minimum-version ${min!.value} (${min!.from})` : '',
      };
    });
    const all = [...settings.map((x) => ({ ...x, extra: '' })), ...v2, ...v3];
    if (!all.length) return undefined;
    const off = all.filter((x) => !isTrue(x.e.value));
    const details = { settings: all.map((x) => `${x.p.name}[${x.p.pid}] ${x.label} = ${x.e.value} (${x.e.from})${x.extra}`) };
    return off.length
      ? { status: 'FAILED', summary: `TLS off: ${off.map((x) => `${x.label} = ${x.e.value}`).join(', ')}`, details }
      : { status: 'PASSED', summary: 'HTTPS enabled in the effective configuration', details };
  },
  'headers.security-headers-missing': (h: HostEvidence): Outcome | undefined => {
    const ps = dataProcesses(h);
    if (v2Processes(h).length)
      return {
        status: 'FAILED',
        summary: 'InfluxDB 2.x has no setting for security headers: only a proxy can add them',
        details: { version: h.version },
      };
    if (!ps.length) return undefined;
    const v = versionParts(h.version);
    if (v && versionBelow(v, [1, 8, 1]))
      return {
        status: 'FAILED',
        summary: `influxd ${h.version} cannot set headers ([http.headers] is 1.8.1+): only a proxy can`,
        details: { version: h.version },
      };
    const missing = ps.flatMap((p) =>
      REQUIRED_HEADERS.filter((r) => !Object.keys(p.headers).some((k) => k.toLowerCase() === r.toLowerCase())),
    );
    // The table is read from the file: only a version known to apply it (1.8.1+) makes it a PASS.
    if (!missing.length && !v)
      throw new EvidenceUnavailable('[http.headers] is set, but it applies from 1.8.1 and the version could not be read');
    return missing.length
      ? {
          status: 'FAILED',
          summary: `[http.headers] lacks ${[...new Set(missing)].join(', ')}`,
          details: { configured: ps.map((p) => Object.keys(p.headers)) },
        }
      : {
          status: 'PASSED',
          summary: '[http.headers] sets the security headers',
          details: { configured: ps.map((p) => Object.keys(p.headers)) },
        };
  },
} as const);

type Verdict = (h: HostEvidence) => Outcome | undefined;
/** Incomplete evidence (ignored processes, unreadable configurations): no PASS, and no silence either. */
function guarded<T extends Record<string, Verdict>>(verdicts: T): T {
  return Object.fromEntries(
    Object.entries(verdicts).map(([id, v]) => [
      id,
      (h: HostEvidence) => {
        const o = v(h);
        if (o === undefined) {
          const why = incompleteReason(h);
          if (why) throw new EvidenceUnavailable(why);
          return undefined;
        }
        return unlessIncomplete(h, o);
      },
    ]),
  ) as T;
}
