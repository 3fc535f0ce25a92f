/**
 * What the EC2 API says about an InfluxDB instance beyond its network and disks: its metadata service, its user
 * data and the load-balancer listeners in front of its port. Pure: each reads the gathered evidence and decides.
 */
import { ok, type InstanceCheck, type LoadBalancerRoute, type Outcome, type ProbeEvidence } from '../model.js';
import { fsbp, judged } from './compliance.js';
import { subjectApiPorts } from '../exposure/api-ports.js';
import { forwardsClients } from '../exposure/reach.js';
import { ASFF_TYPES, type Described, EvidenceUnavailable, evidenceValue } from './support.js';

/**
 * Why the same instance's endpoint makes IMDSv1 worse, as its probe saw it: unauthenticated queries answered, or
 * the 2.x setup open (anyone can claim the instance and then run Flux `http.get` against the metadata service).
 */
function openEndpoint(p: ProbeEvidence): string | undefined {
  if (p.query.ok && p.query.value.status === 200) return 'its endpoint answers unauthenticated queries';
  if (p.v3?.ok && !p.v3.value.authRequired) return 'its endpoint answers unauthenticated queries (InfluxDB 3 without auth)';
  if (p.setup.ok && p.setup.value.status === 200 && /"allowed"\s*:\s*true/.test(p.setup.value.body))
    return 'its InfluxDB 2.x setup is open';
  return undefined;
}

export const imdsV1Allowed: Described<InstanceCheck> = {
  id: 'ec2.imds-v1-allowed',
  title: 'The instance metadata service accepts IMDSv1',
  severity: 'MEDIUM',
  section: 'Secure your host',
  risk: "With IMDSv1 one server-side GET reads the instance role's temporary credentials: a Flux `http.get`, a proxy or any request forgery through InfluxDB reaches http://169.254.169.254/ and leaves with them.",
  remediation: {
    text: 'Require IMDSv2: `aws ec2 modify-instance-metadata-options --instance-id <id> --http-tokens required --http-endpoint enabled` (or disable the endpoint when nothing on the host uses it); set it in the launch template too.',
    url: 'https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/configuring-IMDS-existing-instances.html',
  },
  evidence: ['aws'],
  asffTypes: ASFF_TYPES.bestPractices,
  failedWhen: 'the metadata service is enabled and accepts IMDSv1 (`HttpTokens` `optional`)',
  otherSeverities: "HIGH when the same instance's endpoint answers unauthenticated queries or its 2.x setup is open (its probe)",
  compliance: {
    nist: [judged('nist', ['AC-3', 'SC-7'], 'access enforcement: the role credentials are one unauthenticated request away')],
    cis: [judged('cis', ['4.1'], 'secure configuration process for enterprise assets')],
    pci: [judged('pci', ['2.2.6'], 'system security parameters configured to prevent misuse')],
  },
  scope: 'instance',
  needs: ['imds'],
  evaluate: ({ evidence }): Outcome[] => {
    const md = evidenceValue(evidence.imds!);
    const details = { httpEndpoint: md.httpEndpoint, httpTokens: md.httpTokens };
    if (md.httpEndpoint === 'disabled') return [{ status: 'PASSED', summary: 'the instance metadata service is disabled', details }];
    if (md.httpTokens !== 'optional')
      return [{ status: 'PASSED', summary: 'the instance metadata service requires IMDSv2 tokens', details }];
    const probe = evidence.probe;
    const worse = probe?.ok ? openEndpoint(probe.value) : undefined;
    return [
      {
        status: 'FAILED',
        ...(worse ? { severity: 'HIGH' as const } : {}),
        summary: `the instance metadata service accepts IMDSv1 (HttpTokens optional)${worse ? `, and ${worse}` : ''}`,
        details: { ...details, ...(worse ? { severityRaised: worse } : {}) },
        // Whether the severity should be raised is unknown: this answer must not lower an earlier, raised one.
        ...(probe && !probe.ok ? { incomplete: `the endpoint's probe failed (${probe.reason}): the severity may be higher` } : {}),
      },
    ];
  },
};

/** The sightings as a person reads them: `INFLUX_TOKEN (line 3)`. Names only: never the line's text. */
const sightingText = (s: { name: string; line: number; part?: number }) =>
  `${s.name} (${s.part !== undefined ? `part ${s.part}, ` : ''}line ${s.line})`;

export const userDataSecrets: Described<InstanceCheck> = {
  id: 'secrets.user-data',
  title: 'User data holds an InfluxDB credential in clear',
  severity: 'HIGH',
  section: 'Manage users and permissions',
  risk: 'User data is readable by anyone allowed ec2:DescribeInstanceAttribute and, through the metadata service, by every process on the host: an install script that sets `INFLUXDB_ADMIN_PASSWORD` or runs `influx setup -p` gives the database away.',
  remediation: {
    text: 'Move the credential to Secrets Manager or SSM Parameter Store and read it at boot (`aws secretsmanager get-secret-value`, a `*_FILE` variable); then rotate it, since the old value stays in the user data of every instance launched with it.',
    url: 'https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/user-data.html',
  },
  evidence: ['aws'],
  asffTypes: ['Sensitive Data Identifications/Passwords', ...ASFF_TYPES.bestPractices],
  failedWhen:
    'the user data (base64, gzip and MIME multipart decoded) assigns a credential variable a value in clear, passes one to `influx --password`/`--token`, or holds `CREATE USER … WITH PASSWORD`; the finding names the variable or command and the line, never the value',
  compliance: {
    nist: [judged('nist', ['IA-5(7)'], 'no embedded unencrypted static authenticators')],
    cis: [judged('cis', ['3.11'], 'encrypt sensitive data at rest: a credential in clear in instance configuration')],
    pci: [judged('pci', ['8.3.2'], 'authentication factors unreadable in storage')],
  },
  scope: 'instance',
  needs: ['userData'],
  evaluate: ({ evidence }): Outcome[] => {
    const v = evidenceValue(evidence.userData!);
    const truncated = v.truncated ? { incomplete: 'the user data was larger than the bound read: a credential past it is not seen' } : {};
    const details = { ...(v.cached ? { cachedVerdict: true } : {}), ...(v.truncated ? { truncated: true } : {}) };
    if (v.empty) return [{ status: 'PASSED', summary: 'the instance has no user data', details }];
    if (!v.sightings.length)
      return [{ status: 'PASSED', summary: 'no InfluxDB credential in clear in the user data', details, ...truncated }];
    const shown = v.sightings.slice(0, 10).map(sightingText);
    const more = v.sightings.length > shown.length ? ` and ${v.sightings.length - shown.length} more` : '';
    return [
      {
        status: 'FAILED',
        summary: `the user data holds a credential in clear: ${shown.join(', ')}${more}`,
        details: { ...details, credentials: v.sightings.slice(0, 50) },
      },
    ];
  },
};

const lbResource = (r: LoadBalancerRoute) =>
  ({ type: r.lb.kind === 'classic' ? 'AwsElbLoadBalancer' : 'AwsElbv2LoadBalancer', id: r.lb.id }) as const;

export const loadBalancerPlaintext: Described<InstanceCheck> = {
  id: 'tls.load-balancer-plaintext',
  title: "A plain-HTTP load-balancer listener forwards to the instance's InfluxDB port",
  severity: 'HIGH',
  section: 'Enable HTTPS',
  risk: "Every client request through an HTTP listener crosses the network in clear, with its `Authorization` header: whoever is on the path reads InfluxDB's passwords and tokens.",
  remediation: {
    text: 'Serve the listener over HTTPS (an ACM certificate) and redirect HTTP to it, or remove the HTTP listener; keep the target group on HTTPS to the instance where InfluxDB serves TLS.',
    url: 'https://docs.aws.amazon.com/elasticloadbalancing/latest/application/create-https-listener.html',
  },
  evidence: ['aws'],
  asffTypes: ASFF_TYPES.encryption,
  failedWhen:
    "an Application or Classic load balancer forwards clients to the instance's InfluxDB port (8086, 8181) through a plain-HTTP listener (one finding per load balancer); an NLB `TCP` listener is judged by `tls.disabled`; NOT_AVAILABLE when none does but a load balancer that could forward to the instance could not be read",
  otherSeverities:
    'HIGH when internet-facing; MEDIUM when internal (an internal load balancer is read only for this check and is never a reachability path: see [reachability.md](reachability.md))',
  compliance: {
    nist: [fsbp('nist', 'ELB.3')],
    cis: [judged('cis', ['3.10'], 'encrypt sensitive data in transit')],
    pci: [fsbp('pci', 'ELB.3')],
  },
  scope: 'instance',
  needs: ['network'],
  evaluate: ({ instance, evidence }): Outcome[] => {
    const network = evidenceValue(evidence.network);
    // The InfluxDB HTTP API ports as the network checks judge them (8086; 8181 for InfluxDB 3; both while unknown; the
    // bound one; a bridge service's mapped host port): a listener forwarding to one carries credentials.
    const apiPorts = subjectApiPorts(instance, evidence);
    const lbs = evidenceValue(network.loadBalancers ?? { ok: true, value: { routes: [], unknown: [] } });
    // Internal load balancers (absent: not gathered, e.g. an older inventory): a listing that failed is a part unread.
    const internal = network.internalLoadBalancers ?? ok({ routes: [], unknown: [] });
    const inner = internal.ok ? internal.value : { routes: [], unknown: [{ lb: 'internal load balancers', reason: internal.reason }] };
    const forwarding = [...lbs.routes, ...inner.routes].filter(
      (r) => apiPorts.includes(r.target.port) && r.listener.protocol.toUpperCase() === 'HTTP' && forwardsClients(r),
    );
    // A default action whose listener's rules could not be read may be shadowed by a rule matching every request: unknown.
    const plain = forwarding.filter((r) => !r.listener.rulesUnread);
    const unsure = forwarding
      .filter((r) => r.listener.rulesUnread)
      .map((r) => ({ lb: r.lb.name, reason: `rules of listener ${r.listener.port}: ${r.listener.rulesUnread}` }));
    const byLb = new Map<string, LoadBalancerRoute[]>();
    for (const r of plain) byLb.set(r.lb.id, [...(byLb.get(r.lb.id) ?? []), r]);
    const failed: Outcome[] = [...byLb.values()].map((rs) => {
      const lb = rs[0]!.lb;
      const scheme = lb.internal ? 'internal' : 'internet-facing';
      const listeners = [...new Set(rs.map((r) => `HTTP ${r.listener.port} → ${r.target.port}`))];
      return {
        status: 'FAILED',
        severity: lb.internal ? 'MEDIUM' : 'HIGH',
        resource: lbResource(rs[0]!),
        summary: `${scheme} load balancer ${lb.name} forwards plain HTTP to InfluxDB: ${listeners.join(', ')}`,
        details: { loadBalancer: lb.name, kind: lb.kind, scheme, listeners, internetReachable: !lb.internal },
      };
    });
    if (failed.length) return failed;
    // A listing that failed is unknown for both (named once).
    const unknown = [...new Set([...lbs.unknown, ...inner.unknown, ...unsure].map((u) => `${u.lb}: ${u.reason}`))];
    // A load balancer that could not be read may forward plain HTTP here: never a pass.
    if (unknown.length) throw new EvidenceUnavailable(`load balancers not fully read: ${unknown.join('; ')}`);
    return [{ status: 'PASSED', summary: 'no load balancer forwards plain HTTP to the InfluxDB port' }];
  },
};

export const INSTANCE_CHECKS: readonly Described[] = [imdsV1Allowed, userDataSecrets, loadBalancerPlaintext];
