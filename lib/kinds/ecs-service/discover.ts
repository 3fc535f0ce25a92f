/**
 * Containerised InfluxDB on Amazon ECS (CHECKS.md "InfluxDB on Amazon ECS"): every cluster of the region, its
 * services (DescribeServices, 10 at a time) and standalone tasks (a `group` not starting `service:`), the task
 * definitions they run (the service's current one and those of its running tasks, never past revisions: a family
 * with thousands of revisions is never listed), the EFS file systems their volumes name and, for the EC2 launch
 * type, their container instances. A service or task is kept when one of those task definitions runs an InfluxDB
 * server image (./image.ts) or it carries the selector tags.
 *
 * A failed list or describe (denied, throttled past the retries) fails the whole listing with its reason: the
 * kind's checks are NOT_AVAILABLE for the region and nothing is archived (the other kinds are scanned). A revision
 * deleted between the list and the describe (`ClientException` … unable to describe) is that revision's own
 * NOT_AVAILABLE, the service's other evidence stands. Everything from AWS is bounded.
 */
import {
  DescribeContainerInstancesCommand,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  paginateListClusters,
  paginateListServices,
  paginateListTasks,
  type ContainerDefinition,
  type ECSClient,
  type Service,
  type Task,
  type TaskDefinition,
} from '@aws-sdk/client-ecs';
import { DescribeInstancesCommand, type EC2Client } from '@aws-sdk/client-ec2';
import { DescribeFileSystemsCommand, type EFSClient } from '@aws-sdk/client-efs';
import { instanceVolumes, toInstance } from '../../discover/ec2.js';
import { matchesSelectors } from '../../discover/timestream.js';
import { errorCode, toAwsCallError } from '../../errors.js';
import { V3_VARIABLES as V3_OPTION_VARIABLES } from '../../host-evidence.js';
import {
  fail,
  ok,
  type ContainerHost,
  type EcsContainer,
  type EcsService,
  type EcsTask,
  type EcsTaskDefinition,
  type EcsVariable,
  type EcsVolume,
  type EfsFileSystem,
  type Instance,
  type Result,
  type Volume,
} from '../../model.js';
import { isCredentialValue } from '../../util/credentials.js';
import { chunk, mapLimit, unique } from '../../util/concurrency.js';
import type { RegionInventory } from '../../model.js';
import type { DiscoverContext, Listing } from '../kind.js';
import { isSecretVariable, keptArgs } from './command.js';
import { asInstance } from './evidence.js';
import { influxImage } from './image.js';

const SERVICE = 'ecs';
/** Bounds per region: clusters, services and standalone tasks looked at, containers and variables per definition. */
export const ECS_LIMITS = { clusters: 200, services: 2000, tasks: 2000, containers: 20, variables: 200, volumes: 20 };
const CONCURRENCY = 4;

const clip = (s: string | undefined, n = 256): string => (s ?? '').slice(0, n);
const ECS_ARN = /^arn:aws[a-z-]*:ecs:[a-z0-9-]{1,30}:\d{12}:[a-z-]{1,40}\/[A-Za-z0-9/_:.-]{1,512}$/;
const isPort = (n: unknown): n is number => Number.isInteger(n) && (n as number) > 0 && (n as number) < 65536;
const arnOk = (a: string | undefined): a is string => typeof a === 'string' && ECS_ARN.test(a);
const ids = (xs: readonly (string | undefined)[] | undefined, re: RegExp, max = 16): string[] =>
  unique((xs ?? []).filter((x): x is string => typeof x === 'string' && re.test(x))).slice(0, max);

async function call<T>(operation: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw toAwsCallError(SERVICE, operation, err);
  }
}

async function collect<P>(
  operation: string,
  pages: AsyncIterable<P>,
  pick: (p: P) => string[] | undefined,
  max: number,
): Promise<string[]> {
  const out: string[] = [];
  await call(operation, async () => {
    for await (const page of pages) {
      for (const a of pick(page) ?? []) if (arnOk(a)) out.push(a);
      if (out.length > max) throw new Error(`more than ${max}: not scanned`);
    }
  });
  return out;
}

/** InfluxDB 3's options the checks read hold no secret (the collector's rule), whatever their names say. */
const V3_VARIABLES = new Set<string>(V3_OPTION_VARIABLES);

/** A plain variable: a credential's value is dropped here, before anything else sees it. */
function variable(name: string, value: string): EcsVariable {
  return !V3_VARIABLES.has(name) &&
    (isSecretVariable(name) || (/^(INFLUX|DOCKER_INFLUXDB)/i.test(name) && /TOKEN|SECRET|PASSWORD/i.test(name)))
    ? { name, credential: true, set: isCredentialValue(value) }
    : { name, value: clip(value, 1000) };
}

function toContainer(c: ContainerDefinition): EcsContainer {
  const image = clip(c.image, 1000);
  const influx = influxImage(image);
  // What an InfluxDB server runs (read for 3.x): a credential's value on it is masked here, as a variable's is dropped.
  const entryPoint = influx ? keptArgs(c.entryPoint) : undefined;
  const command = influx ? keptArgs(c.command, c.entryPoint?.length ? c.entryPoint[c.entryPoint.length - 1] : undefined) : undefined;
  return {
    name: clip(c.name, 255),
    image,
    ...(influx ? { influx } : {}),
    environment: (c.environment ?? [])
      .slice(0, ECS_LIMITS.variables)
      .flatMap((e) => (e.name ? [variable(clip(e.name, 128), e.value ?? '')] : [])),
    secrets: (c.secrets ?? []).slice(0, ECS_LIMITS.variables).flatMap((s) => (s.name ? [clip(s.name, 128)] : [])),
    portMappings: (c.portMappings ?? []).slice(0, 50).flatMap((p) =>
      typeof p.containerPort === 'number'
        ? [
            {
              containerPort: p.containerPort,
              ...(typeof p.hostPort === 'number' ? { hostPort: p.hostPort } : {}),
              protocol: p.protocol ?? 'tcp',
            },
          ]
        : [],
    ),
    mountPoints: (c.mountPoints ?? [])
      .slice(0, 20)
      .flatMap((m) =>
        m.sourceVolume && m.containerPath ? [{ sourceVolume: clip(m.sourceVolume), containerPath: clip(m.containerPath, 1000) }] : [],
      ),
    ...(entryPoint ? { entryPoint: entryPoint.args } : {}),
    ...(command ? { command: command.args } : {}),
    ...(entryPoint?.clipped || command?.clipped ? { argsClipped: true as const } : {}),
  };
}

function toTaskDefinition(td: TaskDefinition, arn: string): EcsTaskDefinition {
  const volumes = (td.volumes ?? []).slice(0, ECS_LIMITS.volumes).map((v): EcsVolume => {
    const efs = v.efsVolumeConfiguration;
    return {
      name: clip(v.name),
      ...(efs?.fileSystemId
        ? {
            efs: {
              fileSystemId: clip(efs.fileSystemId, 64),
              ...(efs.transitEncryption ? { transitEncryption: efs.transitEncryption } : {}),
            },
          }
        : {}),
      ...(v.host ? { host: v.host.sourcePath ? { sourcePath: clip(v.host.sourcePath, 1000) } : {} } : {}),
      ...(v.dockerVolumeConfiguration ? { docker: true as const } : {}),
      ...(v.configuredAtLaunch ? { configuredAtLaunch: true as const } : {}),
    };
  });
  return {
    arn: arnOk(td.taskDefinitionArn) ? td.taskDefinitionArn : arn,
    family: clip(td.family, 255),
    revision: td.revision ?? 0,
    ...(td.networkMode ? { networkMode: td.networkMode } : {}),
    containers: (td.containerDefinitions ?? []).slice(0, ECS_LIMITS.containers).map(toContainer),
    volumes,
  };
}

/** One scan's task definitions, read once each by ARN (a service and its tasks name the same one). */
function taskDefinitionReader(ecs: ECSClient) {
  const cache = new Map<string, Promise<Result<EcsTaskDefinition>>>();
  return (arn: string): Promise<Result<EcsTaskDefinition>> => {
    let p = cache.get(arn);
    if (!p) {
      p = ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: arn })).then(
        (out) => (out.taskDefinition ? ok(toTaskDefinition(out.taskDefinition, arn)) : fail<EcsTaskDefinition>(`${arn}: not returned`)),
        (err) => {
          // Deleted (or deregistered and gone) between the list and the describe: this revision's own NOT_AVAILABLE.
          if (errorCode(err) === 'ClientException')
            return fail<EcsTaskDefinition>(`task definition ${arn} could not be described (deleted?)`);
          throw toAwsCallError(SERVICE, 'DescribeTaskDefinition', err);
        },
      );
      cache.set(arn, p);
    }
    return p;
  };
}

const tagsOf = (tags: { key?: string; value?: string }[] | undefined): Record<string, string> =>
  Object.fromEntries((tags ?? []).slice(0, 50).flatMap((t) => (t.key ? [[clip(t.key, 128), clip(t.value, 256)]] : [])));

function toTask(t: Task): EcsTask {
  const details = (t.attachments ?? []).filter((a) => a.type === 'ElasticNetworkInterface').flatMap((a) => a.details ?? []);
  const detail = (n: string) => details.filter((d) => d.name === n).map((d) => d.value);
  return {
    arn: t.taskArn!,
    taskDefinitionArn: clip(t.taskDefinitionArn, 1000),
    ...(t.lastStatus ? { lastStatus: clip(t.lastStatus, 40) } : {}),
    privateIps: ids(detail('privateIPv4Address'), /^\d{1,3}(\.\d{1,3}){3}$/),
    publicIps: ids(detail('publicIPv4Address'), /^\d{1,3}(\.\d{1,3}){3}$/),
    networkInterfaceIds: ids(detail('networkInterfaceId'), /^eni-[0-9a-f]{8,17}$/),
    subnetIds: ids(detail('subnetId'), /^subnet-[0-9a-f]{8,17}$/),
    ...(arnOk(t.containerInstanceArn) ? { containerInstanceArn: t.containerInstanceArn } : {}),
    networkBindings: (t.containers ?? [])
      .slice(0, ECS_LIMITS.containers)
      .flatMap((c) =>
        (c.networkBindings ?? []).flatMap((b) =>
          isPort(b.containerPort) && isPort(b.hostPort)
            ? [{ container: clip(c.name, 255), containerPort: b.containerPort, hostPort: b.hostPort }]
            : [],
        ),
      )
      .slice(0, 50),
    ebsVolumeIds: ids(
      (t.attachments ?? [])
        .filter((a) => a.type === 'AmazonElasticBlockStorage')
        .flatMap((a) => (a.details ?? []).filter((d) => d.name === 'volumeId').map((d) => d.value)),
      /^vol-[0-9a-f]{8,17}$/,
    ),
  };
}

const isInflux = (tds: Result<EcsTaskDefinition>[]) => tds.some((r) => r.ok && r.value.containers.some((c) => c.influx));

/** Every cluster's services and standalone tasks running InfluxDB (or tagged), with what they run. */
async function listContainers(ecs: ECSClient, c: DiscoverContext): Promise<EcsService[]> {
  const clusters = await collect(
    'ListClusters',
    paginateListClusters({ client: ecs, pageSize: 100 }, {}),
    (p) => p.clusterArns,
    ECS_LIMITS.clusters,
  );
  const describeTd = taskDefinitionReader(ecs);
  const found: EcsService[] = [];
  let services = 0;
  let tasks = 0;
  for (const cluster of clusters) {
    const serviceArns = await collect(
      'ListServices',
      paginateListServices({ client: ecs, pageSize: 100 }, { cluster }),
      (p) => p.serviceArns,
      ECS_LIMITS.services,
    );
    const taskArns = await collect(
      'ListTasks',
      paginateListTasks({ client: ecs, pageSize: 100 }, { cluster, desiredStatus: 'RUNNING' }),
      (p) => p.taskArns,
      ECS_LIMITS.tasks,
    );
    services += serviceArns.length;
    tasks += taskArns.length;
    if (services > ECS_LIMITS.services || tasks > ECS_LIMITS.tasks)
      throw new Error(`more than ${ECS_LIMITS.services} services or ${ECS_LIMITS.tasks} tasks: not scanned`);
    const running = (
      await mapLimit(chunk(taskArns, 100), CONCURRENCY, (batch) =>
        call('DescribeTasks', () => ecs.send(new DescribeTasksCommand({ cluster, tasks: batch, include: ['TAGS'] }))),
      )
    )
      .flatMap((o) => o.tasks ?? [])
      .filter((t) => arnOk(t.taskArn));
    const described = (
      await mapLimit(chunk(serviceArns, 10), CONCURRENCY, (batch) =>
        call('DescribeServices', () => ecs.send(new DescribeServicesCommand({ cluster, services: batch, include: ['TAGS'] }))),
      )
    )
      .flatMap((o) => o.services ?? [])
      .filter((s) => arnOk(s.serviceArn) && s.status !== 'INACTIVE');
    const byService = (s: Service) => running.filter((t) => t.group === `service:${s.serviceName}`);
    const subjects: { base: Omit<EcsService, 'taskDefinitions'>; tdArns: string[] }[] = [
      ...described.map((s) => {
        const ts = byService(s).map(toTask);
        const net = s.networkConfiguration?.awsvpcConfiguration;
        return {
          base: {
            accountId: c.accountId,
            region: c.region,
            kind: 'service' as const,
            arn: s.serviceArn!,
            name: clip(s.serviceName, 255),
            clusterArn: cluster,
            ...(s.launchType ? { launchType: s.launchType } : s.capacityProviderStrategy?.length ? { launchType: 'FARGATE' } : {}),
            ...(s.status ? { status: clip(s.status, 40) } : {}),
            tags: tagsOf(s.tags),
            taskDefinitionArn: clip(s.taskDefinition, 1000),
            tasks: ts,
            subnetIds: ids(net?.subnets, /^subnet-[0-9a-f]{8,17}$/),
            securityGroupIds: ids(net?.securityGroups, /^sg-[0-9a-f]{8,17}$/),
            assignPublicIp: net?.assignPublicIp === 'ENABLED',
            loadBalancers: (s.loadBalancers ?? []).slice(0, 10).map((lb) => ({
              ...(lb.targetGroupArn ? { targetGroupArn: clip(lb.targetGroupArn, 512) } : {}),
              ...(lb.loadBalancerName ? { loadBalancerName: clip(lb.loadBalancerName, 64) } : {}),
              ...(lb.containerName ? { containerName: clip(lb.containerName) } : {}),
              ...(typeof lb.containerPort === 'number' ? { containerPort: lb.containerPort } : {}),
            })),
          },
          tdArns: unique([s.taskDefinition ?? '', ...ts.map((t) => t.taskDefinitionArn)].filter(arnOk)),
        };
      }),
      // Standalone tasks (RunTask, a scheduled task): their interfaces are their network configuration.
      ...running
        .filter((t) => !t.group?.startsWith('service:'))
        .map((t) => {
          const task = toTask(t);
          return {
            base: {
              accountId: c.accountId,
              region: c.region,
              kind: 'task' as const,
              arn: task.arn,
              name: clip(t.group ?? task.arn.split('/').pop(), 255),
              clusterArn: cluster,
              ...(t.launchType ? { launchType: t.launchType } : {}),
              ...(t.lastStatus ? { status: clip(t.lastStatus, 40) } : {}),
              tags: tagsOf(t.tags),
              taskDefinitionArn: task.taskDefinitionArn,
              tasks: [task],
              subnetIds: task.subnetIds,
              securityGroupIds: [],
              assignPublicIp: task.publicIps.length > 0,
              loadBalancers: [],
            },
            tdArns: arnOk(task.taskDefinitionArn) ? [task.taskDefinitionArn] : [],
          };
        }),
    ];
    const judged = await mapLimit(subjects, CONCURRENCY, async ({ base, tdArns }) => {
      const taskDefinitions = await Promise.all(tdArns.map(describeTd));
      // No revision readable (deleted since it was listed): whether it runs InfluxDB is unknown, so it is kept and its
      // checks say NOT_AVAILABLE with the reason, never a silent pass.
      const unknown = taskDefinitions.length > 0 && taskDefinitions.every((r) => !r.ok);
      return isInflux(taskDefinitions) || unknown || matchesSelectors(base.tags, c.config.tagSelectors)
        ? { ...base, taskDefinitions }
        : undefined;
    });
    found.push(...judged.filter((s): s is EcsService => s !== undefined));
  }
  return found.sort((a, b) => a.arn.localeCompare(b.arn));
}

/** The EFS file systems the kept services' volumes name (a failure: that file system's NOT_AVAILABLE). */
async function readEfs(efs: () => Promise<EFSClient>, services: readonly EcsService[]): Promise<Map<string, Result<EfsFileSystem>>> {
  const fsIds = unique(
    services.flatMap((s) =>
      s.taskDefinitions.flatMap((r) => (r.ok ? r.value.volumes.flatMap((v) => (v.efs ? [v.efs.fileSystemId] : [])) : [])),
    ),
  ).filter((id) => /^fs-[0-9a-f]{8,40}$/.test(id));
  const out = new Map<string, Result<EfsFileSystem>>();
  if (!fsIds.length) return out;
  const client = await efs();
  await mapLimit(fsIds, CONCURRENCY, async (id) => {
    try {
      const fs = (await client.send(new DescribeFileSystemsCommand({ FileSystemId: id }))).FileSystems?.[0];
      out.set(
        id,
        fs
          ? ok({
              fileSystemId: id,
              encrypted: fs.Encrypted === true,
              ...(fs.FileSystemArn ? { arn: clip(fs.FileSystemArn, 512) } : {}),
              ...(fs.KmsKeyId ? { kmsKeyId: clip(fs.KmsKeyId, 512) } : {}),
            })
          : fail(`EFS file system ${id} was not returned`),
      );
    } catch (err) {
      out.set(id, fail(toAwsCallError('elasticfilesystem', 'DescribeFileSystems', err).message));
    }
  });
  return out;
}

/**
 * EC2 launch type: the EC2 instance behind each container instance the tasks run on (DescribeContainerInstances), and
 * that instance (DescribeInstances: its groups, interfaces and addresses stand for a bridge or host networked
 * service). A failed read is that container instance's own NOT_AVAILABLE.
 */
async function readContainerInstances(
  ecs: ECSClient,
  ec2: EC2Client,
  services: readonly EcsService[],
  c: DiscoverContext,
): Promise<Map<string, Result<ContainerHost>>> {
  const ids = new Map<string, string>();
  const out = new Map<string, Result<ContainerHost>>();
  const byCluster = new Map<string, string[]>();
  for (const s of services)
    for (const t of s.tasks)
      if (t.containerInstanceArn) byCluster.set(s.clusterArn, unique([...(byCluster.get(s.clusterArn) ?? []), t.containerInstanceArn]));
  for (const [cluster, arns] of byCluster)
    for (const batch of chunk(arns, 100)) {
      try {
        const res = await ecs.send(new DescribeContainerInstancesCommand({ cluster, containerInstances: batch }));
        for (const ci of res.containerInstances ?? [])
          if (ci.containerInstanceArn && ci.ec2InstanceId && /^i-[0-9a-f]{8,17}$/.test(ci.ec2InstanceId))
            ids.set(ci.containerInstanceArn, ci.ec2InstanceId);
      } catch (err) {
        for (const a of batch) out.set(a, fail(toAwsCallError(SERVICE, 'DescribeContainerInstances', err).message));
      }
    }
  const hosts = new Map<string, Result<Instance>>();
  for (const batch of chunk(unique([...ids.values()]), 100)) {
    try {
      const res = await ec2.send(new DescribeInstancesCommand({ InstanceIds: batch }));
      for (const raw of (res.Reservations ?? []).flatMap((r) => r.Instances ?? []))
        if (raw.InstanceId && batch.includes(raw.InstanceId))
          hosts.set(raw.InstanceId, ok(toInstance(raw, c.accountId, c.region, c.config)));
    } catch (err) {
      const reason = toAwsCallError('ec2', 'DescribeInstances', err).message;
      for (const id of batch) hosts.set(id, fail(reason));
    }
  }
  const read = [...hosts.values()].flatMap((h) => (h.ok ? [h.value] : []));
  const vols = read.length ? await instanceVolumes(ec2, read) : ok(new Map<string, Volume>());
  for (const [arn, ec2InstanceId] of ids) {
    const instance = hosts.get(ec2InstanceId) ?? fail<Instance>(`container instance ${ec2InstanceId} was not found`);
    const volumeIds = instance.ok ? instance.value.blockDevices.map((b) => b.volumeId) : [];
    const missing = vols.ok ? volumeIds.filter((v) => !vols.value.has(v)) : [];
    const volumes: Result<Volume[]> = !instance.ok
      ? fail(instance.reason)
      : !vols.ok
        ? fail(vols.reason)
        : missing.length || !volumeIds.length
          ? fail(`the EBS volumes of container instance ${ec2InstanceId} were not read${missing.length ? ` (${missing.join(', ')})` : ''}`)
          : ok(volumeIds.map((v) => vols.value.get(v)!));
    out.set(arn, ok({ ec2InstanceId, instance, volumes }));
  }
  return out;
}

export async function discoverEcsServices(c: DiscoverContext): Promise<Listing<EcsService>> {
  let listing: Result<EcsService[]>;
  let efs = new Map<string, Result<EfsFileSystem>>();
  let containerInstances = new Map<string, Result<ContainerHost>>();
  try {
    const ecs = await c.clients.ecs(c.region);
    const services = await listContainers(ecs, c);
    [efs, containerInstances] = await Promise.all([
      readEfs(() => c.clients.efs(c.region), services),
      readContainerInstances(ecs, c.clients.ec2(c.region), services, c),
    ]);
    // Bridge or host networking: the container instances' groups are read with the region's groups.
    for (const s of services) {
      const hosts = s.tasks.flatMap((t) => {
        const h = t.containerInstanceArn ? containerInstances.get(t.containerInstanceArn) : undefined;
        return h?.ok && h.value.instance.ok ? [h.value.instance.value] : [];
      });
      if (hosts.length) s.hostSecurityGroupIds = unique(hosts.flatMap((h) => h.securityGroupIds));
    }
    listing = ok(services);
  } catch (err) {
    listing = fail(toAwsCallError(SERVICE, 'ListClusters', err).message);
  }
  return {
    subjects: listing,
    into: (inv) => {
      inv.ecs = listing;
      inv.efs = efs;
      inv.containerInstances = containerInstances;
    },
  };
}

/** The services as instances, for the paths from the internet (routes, ACLs, load balancers: lib/discover/network.ts). */
export const ecsPathSubjects = (inv: RegionInventory): Instance[] => (inv.ecs?.ok ? inv.ecs.value : []).map((s) => asInstance(s, inv));

/** Each service's VPC, from its groups (read with the region's). */
export function discoverEcsVpcs(inv: RegionInventory): void {
  for (const s of inv.ecs?.ok ? inv.ecs.value : []) {
    const vpcId = asInstance(s, inv).vpcId;
    if (vpcId) s.vpcId = vpcId;
  }
}

/** A service as remediation re-reads it: whether it still runs (or is still selected), its groups, its tasks' interfaces. */
export interface ServiceNow {
  name: string;
  /** Still InfluxDB (its current or a running revision runs a server image) or carrying the selector tags. */
  selected: boolean;
  securityGroupIds: string[];
  /** Its running tasks' network interfaces: the service's own users of its groups. */
  networkInterfaceIds: string[];
}

/**
 * One service re-read by its ARN (lib/app/remediate.ts: a group is changed only for a service that still uses it):
 * DescribeServices in its cluster, its running tasks (ListTasks, DescribeTasks: the `service:NAME` group, as
 * discovery groups them) and its task definitions. Undefined when it is gone (never created, deleted, draining).
 */
export async function readService(
  ecs: ECSClient,
  serviceArn: string,
  selectors: Parameters<typeof matchesSelectors>[1],
): Promise<ServiceNow | undefined> {
  const m = /^(arn:aws[a-z-]*:ecs:[a-z0-9-]{1,30}:\d{12}):service\/([A-Za-z0-9_-]{1,255})\/[A-Za-z0-9_-]{1,255}$/.exec(serviceArn);
  if (!m) return undefined;
  const cluster = `${m[1]}:cluster/${m[2]}`;
  const s = (
    await call('DescribeServices', () => ecs.send(new DescribeServicesCommand({ cluster, services: [serviceArn], include: ['TAGS'] })))
  ).services?.find((x) => x.serviceArn === serviceArn && x.status === 'ACTIVE');
  if (!s) return undefined;
  const taskArns = await collect(
    'ListTasks',
    paginateListTasks({ client: ecs, pageSize: 100 }, { cluster, desiredStatus: 'RUNNING' }),
    (p) => p.taskArns,
    ECS_LIMITS.tasks,
  );
  const tasks = (
    await mapLimit(chunk(taskArns, 100), CONCURRENCY, (batch) =>
      call('DescribeTasks', () => ecs.send(new DescribeTasksCommand({ cluster, tasks: batch }))),
    )
  )
    .flatMap((o) => o.tasks ?? [])
    .filter((t) => arnOk(t.taskArn) && t.group === `service:${s.serviceName}`)
    .map(toTask);
  const describeTd = taskDefinitionReader(ecs);
  const tds = await Promise.all(unique([s.taskDefinition ?? '', ...tasks.map((t) => t.taskDefinitionArn)].filter(arnOk)).map(describeTd));
  return {
    name: clip(s.serviceName, 255),
    selected: isInflux(tds) || matchesSelectors(tagsOf(s.tags), selectors),
    securityGroupIds: ids(s.networkConfiguration?.awsvpcConfiguration?.securityGroups, /^sg-[0-9a-f]{8,17}$/),
    networkInterfaceIds: unique(tasks.flatMap((t) => t.networkInterfaceIds)),
  };
}
