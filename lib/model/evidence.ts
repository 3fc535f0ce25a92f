/** Evidence: what the gatherers make of the records, each key data or the reason it could not be had. */
import type { HostEvidence } from '../host-evidence.js';
import type { Result } from '../result.js';
import type {
  EcsContainer,
  EcsService,
  EcsTaskDefinition,
  LoadBalancerEvidence,
  LogDelivery,
  MetadataOptions,
  NetworkAcl,
  Opening,
  Snapshot,
  SubnetRoutes,
  TimestreamParameters,
  UserDataVerdict,
} from './inventory.js';

/** `audit`: the credentialed audit (issue 32: a 3.x check names it beside host and probe). */
export type EvidenceSource = 'aws' | 'probe' | 'host' | 'audit';

/** Where one network interface of an instance sits: what a direct path from the internet must cross. */
export interface InterfacePosition {
  interfaceId: string;
  subnetId?: string;
  /** Its private addresses (an IP target of a load balancer names one). */
  privateIps?: string[];
  groupIds: string[];
  publicIpv4: string[];
  /** Global unicast IPv6 addresses. */
  publicIpv6: string[];
  routes: Result<SubnetRoutes>;
  acl: Result<NetworkAcl>;
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
  /** Internal load balancers' plain-HTTP listeners forwarding to this instance (tls.load-balancer-plaintext only: never a path). */
  internalLoadBalancers?: Result<LoadBalancerEvidence>;
}

export interface VolumeEvidence {
  volumeId: string;
  device: string;
  encrypted: boolean;
  kmsKeyId?: string;
  sizeGiB?: number;
  volumeType?: string;
}

/** S3 Block Public Access switches (bucket or account level); all false when none is configured. */
export interface PublicAccessBlock {
  blockPublicAcls: boolean;
  ignorePublicAcls: boolean;
  blockPublicPolicy: boolean;
  restrictPublicBuckets: boolean;
}

/** The S3 bucket an InfluxDB 3 server keeps its object store in (`--object-store s3 --bucket B`), as S3 answers for it. */
export interface BucketExposure {
  bucket: string;
  /** Bucket-level Block Public Access (GetPublicAccessBlock), or why it could not be read. */
  bucketBlock: Result<PublicAccessBlock>;
  /** Account-level Block Public Access (s3control GetPublicAccessBlock). */
  accountBlock: Result<PublicAccessBlock>;
  /** GetBucketPolicyStatus `IsPublic` (false without a policy). */
  policyPublic: Result<boolean>;
  /** ACL grants to everyone or to any authenticated AWS user: `AllUsers:READ`, `AuthenticatedUsers:FULL_CONTROL`, … */
  aclPublicGrants: Result<string[]>;
}

/**
 * Evidence for one instance. Each key is gathered on its own and is either
 * data or the reason it could not be had; a key that was not gathered at all
 * (host collection off) is absent, and the checks that read only it are silent.
 */
export interface InstanceEvidence {
  network: Result<NetworkEvidence>;
  /** Absent for a containerised InfluxDB (its data volumes are `ecs`). */
  volumes?: Result<VolumeEvidence[]>;
  /** The metadata service's options (from DescribeInstances: no extra call); always there for a scanned instance. */
  imds?: Result<MetadataOptions>;
  /** Owned snapshots of its volumes, each with the device of its volume; absent when not read. */
  snapshots?: Result<SnapshotEvidence[]>;
  /** Those of them every AWS account may restore; absent when not read. */
  publicSnapshots?: Result<SnapshotEvidence[]>;
  /** The region's snapshot Block Public Access state; absent when not read. */
  snapshotBlockPublicAccess?: Result<string>;
  /** Where its user data holds a credential in clear (names and lines only); absent when not read. */
  userData?: Result<UserDataVerdict>;
  /**
   * The same instance's probe, when it was probed: ec2.imds-v1-allowed is raised by what it saw, and
   * host.version-vulnerable judges the version it read when the host cannot tell it.
   */
  probe?: Result<ProbeEvidence>;
  /** From the collector (SSM or local); absent when host collection is off. */
  host?: Result<HostEvidence>;
  /** A containerised InfluxDB on Amazon ECS (lib/kinds/ecs-service/evidence.ts); absent for EC2 instances. */
  ecs?: Result<EcsEvidence>;
  /** The S3 buckets its InfluxDB 3 object stores name on the host (read after the host); absent when none is named. */
  objectStore?: Result<BucketExposure[]>;
}

/** What the ECS checks read of one service or standalone task. */
export interface EcsEvidence {
  service: EcsService;
  /** The InfluxDB containers of each judged revision, with the revision. */
  containers: { taskDefinition: EcsTaskDefinition; container: EcsContainer }[];
  /** Revisions that could not be read, with why. */
  unreadable: string[];
  /** Each InfluxDB container's data directory and what holds it. */
  dataVolumes: DataVolume[];
  /** Its containers of a known major as host evidence (the official image's entrypoint applied); absent when there are none. */
  host?: HostEvidence;
}

/** Where one InfluxDB container keeps its data, and whether that is encrypted (or why it is not known). */
export interface DataVolume {
  taskDefinition: string;
  container: string;
  path: string;
  kind: 'efs' | 'ebs-managed' | 'ephemeral' | 'container-instance';
  id?: string;
  arn?: string;
  encrypted: Result<boolean>;
  transitEncryption?: string;
}

export type SnapshotEvidence = Snapshot & { device: string };

/** Evidence about one endpoint (a probed instance, or a URL given to `influxguard probe`). */
export interface EndpointEvidence {
  probe: Result<ProbeEvidence>;
  /** The same instance's host evidence, when collected: checks read both, the probe decides. */
  host?: Result<HostEvidence>;
  /** The credentialed audit, when the operator supplied credentials for this endpoint. */
  audit?: Result<AuditEvidence>;
}

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

export type InfluxFlavour = 'influxdb-1' | 'influxdb-2' | 'influxdb-3';

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
  /** InfluxDB 3 only: what GET, HEAD and OPTIONS without a token showed (issue 32). */
  v3?: Result<V3ProbeFacts>;
}

/**
 * InfluxDB 3 as a client without a token sees it. Gathered with GET, HEAD and
 * OPTIONS only: never a request that could create, regenerate or delete a token.
 */
export interface V3ProbeFacts {
  /** Unauthenticated reads of the v3 API are refused (auth on); false: they answer (`--without-auth`). */
  authRequired: boolean;
  /** With auth on, the resources answering without a token (`--disable-authz`): `health`, `ping`, `metrics`. */
  openResources: string[];
  /** With auth off, whether the processing engine is on (plugins can be uploaded); null when it cannot be told. */
  processingEngine: boolean | null;
  /**
   * With auth off, whether the admin-token recovery listener is on (`system.nodes` names its flag; the server masks
   * the address); null when it cannot be told, absent when not asked (auth on).
   */
  recoveryListener?: boolean | null;
}

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
  | {
      flavour: 'influxdb-3';
      insecureLab?: true;
      endpoint: string;
      /** `system.tokens`: names, whether admin (`*:*:*`), expiry; never a token or its hash. */
      tokens: { name: string; admin: boolean; expires?: string }[];
      /** The processing engine's state as the admin sees it; absent when it could not be read. */
      processingEngine?: { enabled: boolean; triggers: number };
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
