/**
 * Host checks: what only the host can tell (the collector's evidence).
 * Also the host side of checks a probe decides (see withHost in endpoint.ts).
 */
import type { HostEvidence, InstanceCheck, Outcome } from '../model.js';
import { isEnterprise } from '../model.js';
import { judgedTcpPorts } from './net.js';
import { bindsAll, dataProcesses, effective, isLoopback, isTrue, metaProcesses, versionBelow, versionParts } from './hostfacts.js';
import { EvidenceUnavailable, evidenceValue } from './support.js';

const CONFIG_URL = 'https://docs.influxdata.com/influxdb/v1/administration/config/';
/** A check only the host answers (silent when host evidence was not collected: see the engine). */
function hostCheck(c: Omit<InstanceCheck, 'scope' | 'needs'>): InstanceCheck {
  return { ...c, scope: 'instance', needs: ['host'] };
}

const influxd = (h: HostEvidence) => {
  const ps = dataProcesses(h);
  if (!ps.length && !metaProcesses(h).length) throw new EvidenceUnavailable('no running influxd or influxd-meta process on the host');
  return ps;
};

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
  evidence: ['host'],
  evaluate: ({ evidence }) => {
    const h = evidenceValue(evidence.host!);
    const names = h.processes.map((p) => `${p.name}[${p.pid}]`);
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
  evidence: ['host'],
  appliesTo: ({ instance }) => !isEnterprise(instance.role),
  // One finding per instance (its id is the instance's), over every influxd process on it.
  evaluate: ({ evidence }) => {
    const binds = influxd(evidenceValue(evidence.host!)).map((p) => ({ pid: p.pid, ...effective(p, 'bind-address') }));
    if (!binds.length) return [];
    const open = binds.filter((b) => bindsAll(b.value));
    const details = { processes: binds.map((b) => ({ pid: b.pid, bindAddress: b.value, from: b.from })) };
    return [
      open.length
        ? {
            status: 'FAILED',
            summary: `RPC bind-address ${open.map((b) => `"${b.value}" (${b.from}, pid ${b.pid})`).join(', ')} listens on all interfaces`,
            details,
          }
        : { status: 'PASSED', summary: `RPC bound to ${[...new Set(binds.map((b) => b.value))].join(', ')}`, details },
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
  evidence: ['host'],
  evaluate: ({ instance, evidence, settings }) => {
    const h = evidenceValue(evidence.host!);
    const expected = new Set(judgedTcpPorts(instance));
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
    return [{ status: 'PASSED', summary: `no unexpected non-loopback listener (${h.listeners.length} listeners)`, details }];
  },
});

/** Versions a distribution patched for a CVE although the number says otherwise (observed, see the facts file). */
const DISTRIBUTION_FIXES = new Map([['1.6.7~rc0', ['CVE-2019-20933']]]);
const VULNERABILITIES = [
  { id: 'CVE-2019-20933', below: [1, 7, 6], what: 'JWT with an empty shared secret accepted (authentication bypass)' },
];
const SUPPORTED_FROM = [1, 8, 0];

export const versionVulnerable = hostCheck({
  id: 'host.version-vulnerable',
  title: 'InfluxDB version is end-of-life or has a known vulnerability',
  severity: 'MEDIUM',
  section: 'Secure your host',
  risk: 'Old releases no longer get security fixes; known vulnerabilities have public exploits.',
  remediation: {
    text: 'Upgrade to a supported InfluxDB release (1.8 or later on the 1.x line), from InfluxData or a distribution that backports fixes.',
    url: 'https://docs.influxdata.com/influxdb/v1/about_the_project/release-notes/',
  },
  evidence: ['host', 'probe'],
  evaluate: ({ evidence }) => {
    const h = evidenceValue(evidence.host!);
    const v = versionParts(h.version);
    if (!v) throw new EvidenceUnavailable('the installed InfluxDB version could not be read');
    const patched = DISTRIBUTION_FIXES.get(h.version ?? '') ?? [];
    const vulns = VULNERABILITIES.filter((x) => v[0] === 1 && versionBelow(v, x.below) && !patched.includes(x.id));
    const eol = v[0] === 1 && versionBelow(v, SUPPORTED_FROM);
    const details = {
      version: h.version,
      ...(vulns.length ? { vulnerabilities: vulns.map((x) => `${x.id}: ${x.what}`) } : {}),
      ...(patched.length ? { distributionFixes: patched } : {}),
      endOfLife: eol,
    };
    if (vulns.length || eol)
      return [
        {
          status: 'FAILED',
          summary: [eol ? `${h.version} is end-of-life` : '', ...vulns.map((x) => x.id)].filter(Boolean).join('; '),
          details,
        },
      ];
    return [{ status: 'PASSED', summary: `${h.version} has no known unpatched vulnerability`, details }];
  },
});

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
  evidence: ['host'],
  evaluate: ({ evidence }) => {
    const h = evidenceValue(evidence.host!);
    const users = new Set(['root', ...h.processes.map((p) => p.user)]);
    const keys = h.files.filter((f) => f.exists && (f.containsPrivateKey || f.role.endsWith('private-key')));
    if (!keys.length) return [{ status: 'PASSED', summary: 'no private key file configured', details: {} }];
    return keys.map((f): Outcome => {
      const mode = parseInt(f.mode ?? '0', 8);
      const other = (mode & 0o004) !== 0;
      const group = (mode & 0o040) !== 0 && !users.has(f.group ?? '');
      const details = { path: f.path, owner: f.owner, group: f.group, mode: f.mode };
      return other || group
        ? {
            status: 'FAILED',
            summary: `${f.path} is mode ${f.mode} (${f.owner}:${f.group}): readable by ${other ? 'every user' : `group ${f.group}`}`,
            details,
          }
        : { status: 'PASSED', summary: `${f.path} is mode ${f.mode} (${f.owner}:${f.group})`, details };
    });
  },
});

export const HOST_CHECKS: readonly InstanceCheck[] = [
  rpcBindAll,
  unexpectedListeners,
  versionVulnerable,
  privateKeyExposed,
  evidenceUnavailable,
];

// ─────────────── host sides of probe-decided checks ───────────────

const REQUIRED_HEADERS = ['X-Content-Type-Options', 'Content-Security-Policy'];

/** Each returns the host's verdict, or undefined when the host has nothing to say. */
export const hostVerdicts = {
  'auth.disabled': (h: HostEvidence): Outcome | undefined => {
    const off = [
      ...dataProcesses(h).map((p) => ({ p, e: effective(p, 'http.auth-enabled'), key: '[http] auth-enabled' })),
      ...metaProcesses(h).map((p) => ({ p, e: effective(p, 'meta.auth-enabled'), key: '[meta] auth-enabled' })),
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
    if (!settings.length) return undefined;
    const off = settings.filter((x) => !isTrue(x.e.value));
    const details = { settings: settings.map((x) => `${x.p.name}[${x.p.pid}] ${x.label} = ${x.e.value} (${x.e.from})`) };
    return off.length
      ? { status: 'FAILED', summary: `TLS off: ${off.map((x) => `${x.label} = ${x.e.value}`).join(', ')}`, details }
      : { status: 'PASSED', summary: 'HTTPS enabled in the effective configuration', details };
  },
  'headers.security-headers-missing': (h: HostEvidence): Outcome | undefined => {
    const ps = dataProcesses(h);
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
} as const;
