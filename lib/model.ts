/**
 * The plain data that flows between the three stages of the engine:
 * discover (records) → gather (evidence) → evaluate (findings) → publish/render.
 * Nothing in this file does I/O.
 */
import type { HostEvidence, HostProcess } from './host-evidence.js';
import type { Result } from './result.js';

export type { HostEvidence, HostProcess };

export const STATUSES = ['FAILED', 'WARNING', 'NOT_AVAILABLE', 'PASSED'] as const;
export type Status = (typeof STATUSES)[number];

/** Ordered from least to most severe (ASFF labels). */
export const SEVERITIES = ['INFORMATIONAL', 'LOW', 'MEDIUM', 'HIGH', 'CRITICAL'] as const;
export type Severity = (typeof SEVERITIES)[number];

export const severityRank = (s: Severity): number => SEVERITIES.indexOf(s);
/** FAILED and WARNING carry risk; PASSED and NOT_AVAILABLE do not. */
export const isFailing = (s: string | undefined): boolean => s === 'FAILED' || s === 'WARNING';
/** One level up, capped at CRITICAL. */
export const raiseSeverity = (s: Severity): Severity => SEVERITIES[Math.min(severityRank(s) + 1, SEVERITIES.length - 1)]!;

export { fail, ok, type Result } from './result.js';

// ───────────────────────────── discovery records ─────────────────────────────

export type InfluxRole = 'oss' | 'data' | 'meta';
export const INFLUX_ROLES: readonly InfluxRole[] = ['oss', 'data', 'meta'];
export const isEnterprise = (role: InfluxRole): boolean => role !== 'oss';

export interface NetworkInterface {
  id: string;
  /** Its subnet (decides its route table and network ACL). */
  subnetId?: string;
  privateIps: string[];
  publicIps: string[];
  ipv6: string[];
  securityGroupIds: string[];
}

export interface Instance {
  accountId: string;
  region: string;
  instanceId: string;
  name?: string;
  state: string;
  role: InfluxRole;
  /** Cluster key of Enterprise nodes: the cluster tag, else the VPC. */
  cluster?: string;
  vpcId?: string;
  tags: Record<string, string>;
  interfaces: NetworkInterface[];
  /** Union over the interfaces, in order of first appearance. */
  securityGroupIds: string[];
  privateIps: string[];
  publicIps: string[];
  ipv6: string[];
  /** EBS volume ids from the block device mappings, with their device names. */
  blockDevices: { volumeId: string; device: string }[];
}

export type Protocol = 'tcp' | 'udp' | 'icmp' | 'icmpv6' | 'all' | string;

/** One source of one inbound permission, as written in the security group. */
export type RuleSource =
  | { kind: 'cidr'; cidr: string; description?: string }
  | { kind: 'prefixList'; prefixListId: string; description?: string }
  | { kind: 'securityGroup'; groupId: string; ownerId?: string; description?: string };

export interface InboundRule {
  protocol: Protocol;
  /** Inclusive port range; 0-65535 for all-traffic and port-less protocols. */
  fromPort: number;
  toPort: number;
  source: RuleSource;
}

export interface SecurityGroup {
  groupId: string;
  groupName: string;
  vpcId?: string;
  ownerId?: string;
  inbound: InboundRule[];
}

export interface Volume {
  volumeId: string;
  encrypted: boolean;
  kmsKeyId?: string;
  sizeGiB?: number;
  volumeType?: string;
  state?: string;
  attachments: { instanceId: string; device: string }[];
}

/**
 * An Amazon Timestream for InfluxDB DB instance or DB cluster (a managed
 * InfluxDB: no tag needed to select it). `id` is AWS's identifier, the
 * finding's `instanceId`.
 */
export interface TimestreamDb {
  accountId: string;
  region: string;
  kind: 'instance' | 'cluster';
  id: string;
  name?: string;
  arn: string;
  status?: string;
  /** The managed endpoint (always TLS); never probed under an emulator. */
  endpoint?: string;
  port: number;
  publiclyAccessible: boolean;
  securityGroupIds: string[];
  /** Absent: the service's default DB parameter group. */
  parameterGroupId?: string;
  /** S3 log delivery as configured (`enabled` false when absent). */
  logDelivery: LogDelivery;
  /** Cluster engine type, when the service says (e.g. `INFLUXDB_V2`). */
  engineType?: string;
  tags: Record<string, string>;
}

export interface LogDelivery {
  enabled: boolean;
  bucket?: string;
}

/** The two diagnostics switches of an InfluxDB 2 parameter group (absent = InfluxDB's default, false: enabled). */
export interface TimestreamParameters {
  /** `default` for the service's default group (no identifier on the DB). */
  groupId: string;
  groupName?: string;
  /** Which engine the group configures: `InfluxDBv2`, `InfluxDBv3Core`, ... */
  engine: string;
  pprofDisabled?: boolean;
  metricsDisabled?: boolean;
}

/** Everything discovery learned about one account × region. */
export interface RegionInventory {
  accountId: string;
  region: string;
  instances: Instance[];
  /**
   * Timestream for InfluxDB instances and clusters, or why they could not be
   * listed; undefined when not listed in this scan (a work unit without the
   * region checks).
   */
  timestream?: Result<TimestreamDb[]>;
  /** Their DB parameter groups by identifier (`default` for the default group). */
  parameterGroups: Map<string, Result<TimestreamParameters>>;
  securityGroups: Result<Map<string, SecurityGroup>>;
  volumes: Result<Map<string, Volume>>;
  /** Resolved managed prefix lists referenced by the groups above: CIDRs, or why not. */
  prefixLists: Map<string, Result<string[]>>;
  ebsDefaultEncryption: Result<boolean>;
  /** Route tables, network ACLs and internet-facing load balancers (lib/discover/network.ts); absent when not read. */
  network?: NetworkInventory;
}

/** A load balancer's way to a target: an instance id, or an IP address (IP targets, which match only in `vpcId`, the target group's VPC). */
export type RegionLoadBalancerRoute = LoadBalancerRoute & { targetId: string; vpcId?: string };

/** What the internet can cross to reach the region's instances, each part read once per region or the reason it could not be. */
export interface NetworkInventory {
  /** By subnet id: its route table's default routes. */
  routes: Result<Map<string, SubnetRoutes>>;
  /** By subnet id: its network ACL. */
  acls: Result<Map<string, NetworkAcl>>;
  /** Internet-facing load balancers' ways to targets, and the parts that could not be read. */
  loadBalancers: Result<{ routes: RegionLoadBalancerRoute[]; unknown: LoadBalancerEvidence['unknown'] }>;
}

/** A region whose instances could not even be listed. */
export interface RegionFailure {
  accountId: string;
  region: string;
  reason: string;
}

// ───────────────────────────── evidence ─────────────────────────────

export type EvidenceSource = 'aws' | 'probe' | 'host';

/** A permission of one group, with its source resolved and judged. */
export interface Opening {
  groupId: string;
  protocol: Protocol;
  fromPort: number;
  toPort: number;
  /** What the rule says, e.g. `0.0.0.0/0`, `sg-0abc`, `pl-0abc`. */
  source: string;
  /** A CIDR (possibly from a prefix list), a group reference, or a source that could not be read. */
  peer:
    | {
        kind: 'cidr';
        cidr: string;
        family: 4 | 6;
        prefixLength: number;
        viaPrefixList?: string;
        /** With the group's other sources for these ports, it is the world (CHECKS.md; `0.0.0.0/1`, or `0.0.0.0/3` + `32.0.0.0/3` + …). */
        coversInternet?: true;
      }
    | { kind: 'securityGroup'; groupId: string }
    | { kind: 'unresolved'; reason: string };
}

export type Family = 4 | 6;

/** A subnet's route table (explicit association, else the VPC's main table) and the targets of its default routes. */
export interface SubnetRoutes {
  routeTableId: string;
  /** The VPC's main table (the subnet has no explicit association). */
  main: boolean;
  /** Target of `0.0.0.0/0` (`igw-…`, `nat-…`, `pcx-…`, `tgw-…`, `vgw-…`, …), absent without one; `blackhole` when inactive. */
  default4?: string;
  /** Target of `::/0` (`igw-…`, `eigw-…`, …). */
  default6?: string;
}

/** One network ACL entry, as AWS evaluates it (lowest rule number first, first match decides). */
export interface AclEntry {
  ruleNumber: number;
  egress: boolean;
  allow: boolean;
  /** `all`, `tcp`, `udp`, or a protocol number. */
  protocol: string;
  fromPort: number;
  toPort: number;
  cidr: string;
  family: Family;
}

export interface NetworkAcl {
  aclId: string;
  entries: AclEntry[];
}

/** Where one network interface of an instance sits: what a direct path from the internet must cross. */
export interface InterfacePosition {
  interfaceId: string;
  subnetId?: string;
  groupIds: string[];
  publicIpv4: string[];
  /** Global unicast IPv6 addresses. */
  publicIpv6: string[];
  routes: Result<SubnetRoutes>;
  acl: Result<NetworkAcl>;
}

export type LoadBalancerKind = 'application' | 'network' | 'classic';

/**
 * One way an internet-facing load balancer forwards to a port of the instance:
 * listener → target group (or Classic backend) → target port. Whether the
 * instance's own groups admit the load balancer is judged by the checks.
 */
export interface LoadBalancerRoute {
  lb: {
    kind: LoadBalancerKind;
    /** ARN (ALB/NLB) or name (Classic): the finding's resource id. */
    id: string;
    name: string;
    /** The load balancer's own security groups (none for an NLB without groups). */
    groupIds: string[];
    /** CIDRs of its subnets (where its nodes' addresses come from), or why they could not be read. */
    subnetCidrs: Result<string[]>;
    /** Dual-stack (IPv6 clients too): an NLB translates them to IPv4 for IPv4 targets, from its own addresses. */
    dualStack?: true;
  };
  listener: { id?: string; port: number; protocol: string; viaRule?: true };
  targetGroup?: {
    id: string;
    name: string;
    /** TCP, TLS, UDP, TCP_UDP (NLB), HTTP, HTTPS (ALB). */
    protocol?: string;
    /**
     * NLB: `preserve_client_ip.enabled`, read only where it decides an answer (or why it could not be read);
     * absent: AWS's default for the target type and protocol (see `clientIpPreservation`).
     */
    preserveClientIp?: Result<boolean>;
  };
  target: { port: number; kind: 'instance' | 'ip' | 'backend'; address?: string; health?: string };
  /**
   * The load balancer's groups admitting the listener port from the internet:
   * the rule (`'no security groups'` when it has none), or why it could not be judged.
   */
  admitted: Result<Record<string, unknown> | string>;
}

/** What the internet-facing load balancers of the region say about this instance. */
export interface LoadBalancerEvidence {
  routes: LoadBalancerRoute[];
  /** Parts that could not be read (a target group's targets, a load balancer's listeners or groups): any instance may be behind them. */
  unknown: { lb: string; reason: string }[];
}

/** Who can reach the instance, derived from its groups (pure; see lib/evidence/network.ts). */
export interface NetworkEvidence {
  openings: Opening[];
  /** Groups attached to the instance, in order. */
  groupIds: string[];
  /** Groups attached to any node of the same Enterprise cluster (empty for OSS). */
  clusterGroupIds: string[];
  /** Private addresses of the cluster's nodes: a /32 to one of them stays inside the cluster. */
  clusterHostIps: string[];
  /** Operator-configured CIDRs that count as inside the cluster. */
  clusterCidrs: string[];
  publicIpv4: string[];
  /** Globally routable IPv6 addresses (not ULA or link-local). */
  publicIpv6: string[];
  /** Each interface's position (subnet, route, ACL) for direct paths; absent for Timestream DBs. */
  interfaces?: InterfacePosition[];
  /** Internet-facing load balancers forwarding to this instance, or why they could not be read. */
  loadBalancers?: Result<LoadBalancerEvidence>;
}

export interface VolumeEvidence {
  volumeId: string;
  device: string;
  encrypted: boolean;
  kmsKeyId?: string;
  sizeGiB?: number;
  volumeType?: string;
}

/**
 * Evidence for one instance. Each key is gathered on its own and is either
 * data or the reason it could not be had; a key that was not gathered at all
 * (host collection off) is absent, and the checks that read only it are silent.
 */
export interface InstanceEvidence {
  network: Result<NetworkEvidence>;
  volumes: Result<VolumeEvidence[]>;
  /** From the collector (SSM or local); absent when host collection is off. */
  host?: Result<HostEvidence>;
}

/** Evidence about one endpoint (a probed instance, or a URL given to `influxguard probe`). */
export interface EndpointEvidence {
  probe: Result<ProbeEvidence>;
  /** The same instance's host evidence, when collected: checks read both, the probe decides. */
  host?: Result<HostEvidence>;
  /** The credentialed audit, when the operator supplied credentials for this endpoint. */
  audit?: Result<AuditEvidence>;
}

// ───────────────────────────── probe evidence ─────────────────────────────

/** One HTTP exchange as observed (body capped; never any credential we sent). */
export interface HttpObservation {
  status: number;
  headers: Record<string, string>;
  body: string;
  truncated: boolean;
}

export interface CertificateFacts {
  subject: string;
  issuer: string;
  validFrom: string;
  validTo: string;
  selfSigned: boolean;
  subjectAltNames: string[];
  fingerprint256: string;
}

export interface TlsEvidence {
  protocol: string;
  cipher: string;
  certificate: CertificateFacts;
  /** Chain verified against the system roots plus the operator's CA bundle. */
  trusted: boolean;
  trustError?: string;
  /** The certificate names the host or IP probed. */
  nameMatches: boolean;
  nameError?: string;
  /** What a client that lowers its own security level can still negotiate. */
  legacy: Record<string, 'accepted' | 'refused' | 'untestable'>;
}

export type InfluxFlavour = 'influxdb-1' | 'influxdb-2';

export interface Fingerprint {
  flavour: InfluxFlavour;
  version?: string;
  /** `OSS` or `ENT` (1.x `X-Influxdb-Build`). */
  build?: string;
}

/** What an attacker who reaches the port sees. Each probe is data or the reason it failed. */
export interface ProbeEvidence {
  endpoint: string;
  address: string;
  scheme: 'http' | 'https';
  fingerprint: Fingerprint;
  ping: Result<HttpObservation>;
  /** Unauthenticated `SHOW DATABASES`. */
  query: Result<HttpObservation>;
  /** `SHOW DATABASES` with a bearer token signed with the empty key, for a random user (CVE-2019-20933). */
  jwt: Result<HttpObservation>;
  /** An error response (401/403, else a 404) for the header checks. */
  error: Result<HttpObservation>;
  diagnostics: Record<string, Result<{ status: number }>>;
  setup: Result<HttpObservation>;
  cors: Result<{ sentOrigin: string; allowOrigin?: string }>;
  tls?: Result<TlsEvidence>;
  /** Opt-in: usernames of well-known pairs that were accepted (passwords never recorded). */
  defaultCredentials?: Result<{ tried: string[]; accepted: string[] }>;
}

// ───────────────────────────── credentialed audit evidence ─────────────────────────────

/** A 1.x user as `SHOW USERS` and `SHOW GRANTS FOR` answer (names and privileges only). */
export interface AuditUser {
  name: string;
  admin: boolean;
  /** Per-database privileges (`READ`, `WRITE`, `ALL PRIVILEGES`); `NO PRIVILEGES` rows are left out. */
  grants: { database: string; privilege: string }[];
}

/** One permission of a 2.x token: action on a resource type, org-wide when `id` is absent, global when `orgID` is too. */
export interface AuditPermission {
  action: 'read' | 'write';
  type: string;
  orgID?: string;
  id?: string;
}

/** A 2.x authorization: id, description, owner and permissions. Never its token value. */
export interface AuditToken {
  id: string;
  description: string;
  status: string;
  userID?: string;
  user?: string;
  orgID?: string;
  org?: string;
  permissions: AuditPermission[];
}

/**
 * What the operator-supplied credentials showed (read-only statements and
 * API calls only). `unavailable`: the audit of that flavour could not be done
 * (wrong password, invalid token, plain HTTP or a certificate that does not
 * verify refused…), with the reason.
 */
/** Said in every audit finding made without verifying the endpoint's certificate (`insecureLab`). */
export const INSECURE_LAB_NOTE = "--audit-insecure-lab: the endpoint's TLS certificate was not verified (laboratory use only)";

export type AuditEvidence =
  | { flavour: 'influxdb-1'; endpoint: string; users: AuditUser[]; databases: string[]; insecureLab?: true }
  | {
      flavour: 'influxdb-2';
      /** Gathered under --audit-insecure-lab: the endpoint's certificate was not verified. */
      insecureLab?: true;
      endpoint: string;
      /** What the audit token can see: `every organisation` (operator token) or one organisation's name. */
      scope: string;
      tokens: AuditToken[];
      users: { id: string; name: string; status: string }[];
      orgs: { id: string; name: string }[];
    }
  | { flavour: InfluxFlavour; unavailable: string };

export interface RegionEvidence {
  ebsDefaultEncryption: Result<boolean>;
}

/** Evidence for one Timestream for InfluxDB instance or cluster. */
export interface DatabaseEvidence {
  /** Its security groups as openings (the same exposure model as EC2 instances). */
  network: Result<NetworkEvidence>;
  parameters: Result<TimestreamParameters>;
  logs: Result<LogDelivery>;
}

export type EvidenceKey = keyof InstanceEvidence | keyof RegionEvidence | keyof EndpointEvidence | keyof DatabaseEvidence;

// ───────────────────────────── checks and findings ─────────────────────────────

export type ResourceType =
  | 'AwsEc2Instance'
  | 'AwsEc2SecurityGroup'
  | 'AwsEc2Volume'
  | 'AwsElbv2LoadBalancer'
  | 'AwsElbLoadBalancer'
  | 'AwsAccount'
  | 'Other';
export interface ResourceRef {
  type: ResourceType;
  id: string;
}

export interface Remediation {
  text: string;
  url: string;
}

/** What a check says about one resource. The engine adds the rest of the finding. */
export interface Outcome {
  status: Status;
  /** Defaults to the check's base severity for FAILED/WARNING, INFORMATIONAL otherwise. */
  severity?: Severity;
  /** Defaults to the instance (instance checks) or the account (region checks). */
  resource?: ResourceRef;
  /** One line a person can read: what was observed. */
  summary: string;
  /** What was observed, as data. Never a secret. */
  details?: Record<string, unknown>;
  /**
   * Why this verdict rests on partial evidence (a source that could not be
   * read, a host answer standing in for a probe that could not decide). The
   * finding keeps its status, but the evaluation is not complete: it never
   * resolves or lowers an earlier finding in Security Hub.
   */
  incomplete?: string;
}

export interface CheckMeta {
  id: string;
  title: string;
  /** Base severity of a failure; context may raise it. */
  severity: Severity;
  /** Section of InfluxData's "Manage security" guidance. */
  section: string;
  /** Why this matters. */
  risk: string;
  remediation: Remediation;
  /** Evidence sources as CHECKS.md names them. */
  evidence: readonly EvidenceSource[];
  /** ASFF finding types (`namespace/category/classifier`) its findings carry in Security Hub. */
  asffTypes: readonly string[];
}

/** A port the operator expects open (e.g. 22 from a bastion group); the configuration validates it. */
export interface AllowedPort {
  protocol: 'tcp' | 'udp' | 'all';
  fromPort: number;
  toPort: number;
  /** Sources (CIDRs, `sg-…`, `pl-…`) the port is allowed from; absent means from anywhere the rule says. */
  sources?: string[] | undefined;
}

/** Operator settings that checks read (never evidence, never secrets). */
export interface CheckSettings {
  /** Extra ports the operator expects open, e.g. 22 from a bastion group. */
  allowedPorts: AllowedPort[];
  /** A certificate expiring within this many days is a WARNING. */
  certificateWarningDays: number;
  /** Whether the opt-in default-credentials login attempt ran. */
  defaultCredentials: boolean;
  /** Credentialed audit: most admin users (1.x) and most operator/all-access tokens (2.x) expected (absent: 1). */
  maxAdmins?: number;
  maxAllAccessTokens?: number;
}

export interface InstanceContext {
  instance: Instance;
  evidence: InstanceEvidence;
  settings: CheckSettings;
}

export interface RegionContext {
  accountId: string;
  region: string;
  instances: Instance[];
  evidence: RegionEvidence;
  settings: CheckSettings;
}

export interface EndpointContext {
  /** The URL probed; absent when only host evidence speaks for the instance. */
  endpoint?: string;
  /** Whether the endpoint was probed at all (probe-only checks say nothing otherwise). */
  probed: boolean;
  evidence: EndpointEvidence;
  settings: CheckSettings;
  /** The instance behind the endpoint, when it came from a scan. */
  instance?: Instance;
  /** Or the Timestream for InfluxDB instance or cluster behind it. */
  db?: TimestreamDb;
  /** Its 8086 is reachable from the internet (a complete path; a DB: publicly accessible, its port world-open). */
  internetExposed?: boolean;
  /** Why reachability could not be decided (a path hop could not be read): raised severities may be missing. */
  exposureUnknown?: string;
  /** Scan time (ms since epoch), passed in: checks never read the clock. */
  now: number;
}

export interface DatabaseContext {
  db: TimestreamDb;
  evidence: DatabaseEvidence;
  settings: CheckSettings;
}

interface CheckBase<Ctx, K extends EvidenceKey> extends CheckMeta {
  /**
   * The evidence keys the check reads. When none of them was gathered in this
   * scan (host collection off, endpoint not probed) the check stays silent;
   * when every gathered one failed, the engine reports NOT_AVAILABLE with the
   * reasons and does not call evaluate.
   */
  needs: readonly K[];
  /**
   * Keys that decide on their own: when they are gathered and sound, a failure
   * of the other keys (which only corroborate) leaves the evaluation complete.
   * Without it, any failed key makes the evaluation incomplete.
   */
  decidedBy?: readonly K[];
  /** Whether the check speaks about this subject at all (e.g. Enterprise-only checks). */
  appliesTo?: (ctx: Ctx) => boolean;
  evaluate: (ctx: Ctx) => Outcome[];
}

export type InstanceCheck = CheckBase<InstanceContext, keyof InstanceEvidence> & { scope: 'instance' };
export type RegionCheck = CheckBase<RegionContext, keyof RegionEvidence> & { scope: 'region' };
export type EndpointCheck = CheckBase<EndpointContext, keyof EndpointEvidence> & {
  scope: 'endpoint';
  /** The host's side of the check, when the host can answer it too (the probe decides when both do). */
  hostVerdict?: (h: HostEvidence) => Outcome | undefined;
};
export type DatabaseCheck = CheckBase<DatabaseContext, keyof DatabaseEvidence> & { scope: 'database' };
export type Check = InstanceCheck | RegionCheck | EndpointCheck | DatabaseCheck;

/**
 * `<instanceId or ->/<checkId>`: one check judged for one instance (or for the
 * account × region). The Security Hub lifecycle resolves a failure only for
 * pairs that this scan evaluated on complete evidence.
 */
// join() builds one flat string: a template literal would leave cons strings behind each of a fleet's keys.
export const assessmentKey = (instanceId: string | undefined, checkId: string): string => [instanceId ?? '-', checkId].join('/');

/** A finding, exactly as the CHECKS.md output contract names its fields. */
export interface Finding {
  checkId: string;
  status: Status;
  severity: Severity;
  title: string;
  accountId?: string;
  region?: string;
  instanceId?: string;
  resource: ResourceRef;
  endpoint?: string;
  evidence: Record<string, unknown>;
  remediation: Remediation;
  /** Controls of published frameworks the check supports (lib/checks/compliance.ts); the same strings go to ASFF. */
  compliance?: { relatedRequirements: string[] };
}

export interface Summary {
  FAILED: number;
  PASSED: number;
  WARNING: number;
  NOT_AVAILABLE: number;
  /** Failing findings (FAILED and WARNING) by severity; every label present. */
  bySeverity: Record<Severity, number>;
}

export interface ScanDocument {
  scanId: string;
  startedAt: string;
  finishedAt: string;
  scope: { accounts: string[]; regions: string[] };
  findings: Finding[];
  summary: Summary;
}

/** What one account × region of a scan covered (publishing acts on exactly this). */
export interface Coverage {
  accountId: string;
  region: string;
  /** Why the region's instances could not be listed: nothing there is imported, resolved or archived. */
  failed?: string;
  /** Discovery listed the region's whole inventory: an instance of it not seen (nor known) is gone. */
  complete: boolean;
  instanceIds: string[];
  /** For a work unit: every instance of the region at dispatch (the others belong to other units). */
  knownInstanceIds?: string[];
  /** Instances this scan looked for by id and verifiably did not find (terminated, or no longer selected). */
  goneInstanceIds: string[];
  /**
   * Timestream for InfluxDB was listed completely in this region (its ids are
   * in instanceIds): only then may a Timestream id absent from it be archived.
   */
  timestreamListed?: boolean;
  /** Why Timestream for InfluxDB could not be listed (the scan is incomplete; its findings are left as they were). */
  timestreamFailed?: string;
  /** Instance × check pairs evaluated on complete evidence (`assessmentKey`): only these may resolve a failure. */
  assessed: Set<string>;
}

/** A scan's outcome: the contract's document, and what publishing and renderers need beside it. */
export interface ScanResult {
  document: ScanDocument;
  /** The instances the scan covered (not part of the JSON contract). */
  instances: Instance[];
  /** The Timestream for InfluxDB instances and clusters the scan covered. */
  databases: TimestreamDb[];
  coverage: Coverage[];
  /** Why the scan is incomplete (empty when everything asked for was checked). */
  incomplete: string[];
}
