/** Discovery records: plain typed data about one account × region (lib/discover/, lib/kinds/). */
import type { Result } from '../result.js';

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
  /** The metadata service's options as DescribeInstances returns them (`MetadataOptions`); absent when it said nothing. */
  metadataOptions?: MetadataOptions;
  /** When the instance last started (ISO 8601): its user data cannot have changed since while it runs. */
  launchTime?: string;
  /**
   * An ECS service on bridge or host networking: the EC2 container instances its tasks run on, which stand for it (a
   * load balancer's instance target on one of them is a way to it, at the port the route names).
   */
  hostInstanceIds?: string[];
}

export interface MetadataOptions {
  /** `enabled` or `disabled`. */
  httpEndpoint: string;
  /** `optional` (IMDSv1 accepted) or `required` (IMDSv2 only). */
  httpTokens: string;
}

/** An EBS snapshot owned by the account, of a volume of a scanned instance. */
export interface Snapshot {
  snapshotId: string;
  volumeId: string;
  encrypted: boolean;
  kmsKeyId?: string;
  sizeGiB?: number;
}

/** The account's snapshots of the instances' volumes (lib/discover/instance-data.ts), each part or why it could not be read. */
export interface SnapshotInventory {
  /** Owned snapshots, by volume id. */
  byVolume: Result<Map<string, Snapshot[]>>;
  /** Owned snapshots every AWS account may restore (`createVolumePermission` group `all`), by volume id. */
  publicByVolume: Result<Map<string, Snapshot[]>>;
  /** The region's snapshot Block Public Access state (`block-all-sharing`, `block-new-sharing`, `unblocked`). */
  blockPublicAccess: Result<string>;
}

/** Where an InfluxDB credential sits in clear in user data: its variable or command name and 1-based line, never the value. */
export interface CredentialSighting {
  name: string;
  line: number;
  /** The MIME multipart part (1-based) it is in, when the user data is multipart. */
  part?: number;
}

/** What the user data of one instance showed (the text itself is never kept). */
export interface UserDataVerdict {
  /** No user data at all. */
  empty: boolean;
  sightings: CredentialSighting[];
  /** The decoded text was cut at the size bound: a credential past it is not seen. */
  truncated?: true;
  /** Answered from the verdict of an earlier scan (same instance, same launch, running since). */
  cached?: true;
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

/**
 * InfluxDB as the official image runs it, read from a container image reference (lib/kinds/ecs-service/image.ts):
 * its product line and major version (undefined: `latest` or a digest alone), and the tag.
 */
export interface InfluxImage {
  /** The repository's last path part: `influxdb`, `influxdb3-core`, `influxdb3-enterprise`. */
  repository: string;
  tag?: string;
  digest?: string;
  major?: 1 | 2 | 3;
  /** The version the tag states: in full (`1.8.10`), or only its line (`1.8`, `2`). */
  version?: { parts: number[]; full: boolean };
}

/** One variable of a container's plain `environment`: a credential's value is never kept (only whether it is set). */
export type EcsVariable = { name: string; value: string } | { name: string; credential: true; set: boolean };

export interface EcsContainer {
  name: string;
  image: string;
  /** The InfluxDB server image it runs, when it does. */
  influx?: InfluxImage;
  environment: EcsVariable[];
  /** Names of the variables it takes from Secrets Manager or SSM Parameter Store (`secrets`). */
  secrets: string[];
  portMappings: { containerPort: number; hostPort?: number; protocol: string }[];
  mountPoints: { sourceVolume: string; containerPath: string }[];
  /**
   * Its `entryPoint` and `command` (absent: the image's), as lib/kinds/ecs-service/command.ts keeps them: a credential
   * flag's or variable's value masked, control characters stripped, bounded; `argsClipped` when there was more.
   */
  entryPoint?: string[];
  command?: string[];
  argsClipped?: true;
}

export interface EcsVolume {
  name: string;
  efs?: { fileSystemId: string; transitEncryption?: string };
  /** A bind mount of the container instance (EC2 launch type). */
  host?: { sourcePath?: string };
  docker?: true;
  /** An ECS-managed EBS volume (configured at launch). */
  configuredAtLaunch?: true;
}

/** A task definition revision as DescribeTaskDefinition answers it (only what the checks read). */
export interface EcsTaskDefinition {
  arn: string;
  family: string;
  revision: number;
  networkMode?: string;
  containers: EcsContainer[];
  volumes: EcsVolume[];
}

/** A running task of a service (or a standalone task): where it listens. */
export interface EcsTask {
  arn: string;
  taskDefinitionArn: string;
  lastStatus?: string;
  privateIps: string[];
  publicIps: string[];
  networkInterfaceIds: string[];
  subnetIds: string[];
  containerInstanceArn?: string;
  /** Bridge/host networking: which host port each container port is bound to (`networkBindings`; dynamic ports resolved). */
  networkBindings: { container: string; containerPort: number; hostPort: number }[];
  /** ECS-managed EBS volumes attached to the task. */
  ebsVolumeIds: string[];
}

/**
 * A containerised InfluxDB (CHECKS.md "InfluxDB on Amazon ECS"): an ECS service, or a standalone task, whose task
 * definition runs an InfluxDB server image or that carries the selector tags. `arn` is the finding's `instanceId`.
 */
export interface EcsService {
  accountId: string;
  region: string;
  kind: 'service' | 'task';
  arn: string;
  name: string;
  clusterArn: string;
  launchType?: string;
  status?: string;
  tags: Record<string, string>;
  /** The service's current task definition ARN (a standalone task's own). */
  taskDefinitionArn: string;
  /** The revisions judged (the current one and those of running tasks), or why one could not be read. */
  taskDefinitions: Result<EcsTaskDefinition>[];
  tasks: EcsTask[];
  /** awsvpc: the service's configuration (a standalone task: its interfaces'). */
  subnetIds: string[];
  securityGroupIds: string[];
  assignPublicIp: boolean;
  loadBalancers: { targetGroupArn?: string; loadBalancerName?: string; containerName?: string; containerPort?: number }[];
  vpcId?: string;
  /** Bridge or host networking: the groups of the container instances its tasks run on (read with the region's groups). */
  hostSecurityGroupIds?: string[];
}

/** The EC2 instance behind an ECS container instance. */
export interface ContainerHost {
  ec2InstanceId: string;
  instance: Result<Instance>;
  /** Its EBS volumes (where the containers' writable layers, bind mounts and Docker volumes lie). */
  volumes: Result<Volume[]>;
}

/** An EFS file system as DescribeFileSystems answers it. */
export interface EfsFileSystem {
  fileSystemId: string;
  arn?: string;
  encrypted: boolean;
  kmsKeyId?: string;
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
  /**
   * Containerised InfluxDB on Amazon ECS (services and standalone tasks), or why they could not be listed;
   * undefined when not listed in this scan.
   */
  ecs?: Result<EcsService[]>;
  /** The EFS file systems their volumes name, by id (or why they could not be read). */
  efs?: Map<string, Result<EfsFileSystem>>;
  /**
   * Their EC2 container instances (EC2 launch type) by container instance ARN: the EC2 instance id and the instance
   * (its groups, interfaces and addresses stand for a bridge or host networked service), or why it could not be read.
   */
  containerInstances?: Map<string, Result<ContainerHost>>;
  /** Their DB parameter groups by identifier (`default` for the default group). */
  parameterGroups: Map<string, Result<TimestreamParameters>>;
  securityGroups: Result<Map<string, SecurityGroup>>;
  volumes: Result<Map<string, Volume>>;
  /** Resolved managed prefix lists referenced by the groups above: CIDRs, or why not. */
  prefixLists: Map<string, Result<string[]>>;
  ebsDefaultEncryption: Result<boolean>;
  /** Route tables, network ACLs and internet-facing load balancers (lib/discover/network.ts); absent when not read. */
  network?: NetworkInventory;
  /** Snapshots of the EC2 instances' volumes; absent when not read. */
  snapshots?: SnapshotInventory;
  /** By instance id: its user data's verdict, or why it could not be read; absent when not read. */
  userData?: Map<string, Result<UserDataVerdict>>;
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
  /**
   * Internal ALBs' and Classic LBs' plain-HTTP listeners to the scanned instances' VPCs, for
   * `tls.load-balancer-plaintext` only: never a way in from the internet, so never a reachability path. An unknown
   * part names its VPC where it has one (it can hide only that VPC's instances); absent when not read.
   */
  internalLoadBalancers?: Result<{
    routes: RegionLoadBalancerRoute[];
    unknown: (LoadBalancerEvidence['unknown'][number] & { vpcId?: string })[];
  }>;
}

/** A region whose instances could not even be listed. */
export interface RegionFailure {
  accountId: string;
  region: string;
  reason: string;
}

export type Family = 4 | 6;

/** A subnet's route table (explicit association, else the VPC's main table) and its routes. */
export interface SubnetRoutes {
  routeTableId: string;
  /** The VPC's main table (the subnet has no explicit association). */
  main: boolean;
  /**
   * Its routes, both families: the target (`igw-…`, `nat-…`, `pcx-…`, `tgw-…`, `vgw-…`, `vpce-…`, `eigw-…`, `eni-…`,
   * `local`; `blackhole` when inactive). The reply to a source takes the longest prefix containing it. A route to a
   * managed prefix list is one entry per CIDR of the list, `prefixList` naming it. At the same length a static CIDR
   * route wins, then a prefix list's, then a `propagated` one (a virtual private gateway's: AWS's route priority).
   */
  routes: { destination: string; family: Family; target: string; prefixList?: string; propagated?: true }[];
  /** Routes to a managed prefix list whose entries could not be read: what they cover is unknown. */
  unreadLists?: { prefixList: string; target: string; reason: string }[];
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

/** A permission of one group, with its source resolved and judged (a load balancer's own groups' too). */
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

/** One subnet of a load balancer: where its nodes sit, and what its clients' traffic crosses there. */
export interface LoadBalancerSubnet {
  subnetId: string;
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
    /** Its own way in from the internet: each of its subnets' route table and network ACL (or why they could not be read). */
    subnets: LoadBalancerSubnet[];
    /** Its groups' inbound rules, resolved; absent when it has no groups (an NLB without groups admits every source). */
    openings?: Opening[];
    /** An internal load balancer (only in `internalLoadBalancers`: its `admitted` says so, and it is no path). */
    internal?: true;
  };
  /**
   * The listener; for a target group forwarded to by ALB listener rules (not the default action), `rules` names them
   * and `sources` is what their `source-ip` conditions admit (absent: some rule has none, every source). An ALB
   * listener's rules also take sources away: a rule matching every request (from its `source-ip` sources) before the
   * action that forwards here (`shadowed` names it), and a weight of 0 beside a weighted group sends nothing
   * (`unused` says so); `sources: []` when no client reaches the target group through this listener.
   * `rulesUnread`: the rules of an ALB listener forwarding here by its default action could not be read (a rule
   * matching every request could take the clients away: an open path is unknown).
   */
  listener: {
    id?: string;
    port: number;
    protocol: string;
    rules?: string[];
    sources?: string[];
    shadowed?: string[];
    unused?: string[];
    rulesUnread?: string;
  };
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
