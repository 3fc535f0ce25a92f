/**
 * Containerised InfluxDB's evidence (CHECKS.md "InfluxDB on Amazon ECS"). The service stands as an instance for the
 * network checks (`net.*`, the exposure model of lib/exposure unchanged): its awsvpc groups and subnets, running
 * tasks' interfaces, `assignPublicIp` as its public address. Its task definitions are its host evidence: each
 * InfluxDB container's plain environment read as the official image's entrypoint applies it (`INFLUXDB_*` for 1.x,
 * `INFLUXD_*` for 2.x; for 3.x its `INFLUXDB3_*` variables and its entryPoint/command, ./command.ts), given to the
 * endpoint checks' host verdicts (lib/checks/host.ts, lib/checks/v3.ts) without copying them, and telling the network
 * checks the API's bound port; a credential's value never reaches it (discovery kept only whether it is set, and
 * masked it on a command). The ECS checks read `ecs`: the containers, their secrets and their data volumes. Probes and
 * the audit target a running task's private address (bridge or host networking: its container instance's; or the
 * `influxdb:endpoint` tag) under the allowlist rules of instances.
 */
import type { Config } from '../../config.js';
import { auditSecretOf, ENDPOINT_TAG, internetExposed, probeTarget, type EvidenceTargets } from '../../evidence/index.js';
import { subjectApiPorts } from '../../exposure/api-ports.js';
import { networkEvidence, withPaths } from '../../exposure/network.js';
import { COLLECTOR_SCHEMA, V3_VARIABLES } from '../../host-evidence.js';
import {
  fail,
  ok,
  type ContainerHost,
  type DataVolume,
  type EcsContainer,
  type EcsEvidence,
  type EcsService,
  type EcsTaskDefinition,
  type EndpointContext,
  type HostEvidence,
  type HostProcess,
  type Instance,
  type InstanceContext,
  type NetworkInterface,
  type ProbeEvidence,
  type RegionInventory,
  type Result,
} from '../../model.js';
import { unique } from '../../util/concurrency.js';
import type { GatherEnv, Sourced } from '../kind.js';
import { influxdOf, serveOf, viaImageEntrypoint } from './command.js';
import { ecsServiceSubject } from './subject.js';

/** Said where no address of a service is known but `assignPublicIp` gives its tasks one. */
export const ASSIGNED_PUBLIC_IP = 'assignPublicIp ENABLED';

/** The container instances its tasks run on (EC2 launch type), as read; and why any could not be. */
function containerHostsOf(s: EcsService, inv: Pick<RegionInventory, 'containerInstances'>): { hosts: ContainerHost[]; unread: string[] } {
  const hosts: ContainerHost[] = [];
  const unread: string[] = [];
  for (const t of s.tasks) {
    if (!t.containerInstanceArn) continue;
    const h = inv.containerInstances?.get(t.containerInstanceArn) ?? fail(`container instance ${t.containerInstanceArn} was not read`);
    if (!h.ok) unread.push(h.reason);
    else if (!hosts.some((x) => x.ec2InstanceId === h.value.ec2InstanceId)) hosts.push(h.value);
  }
  return { hosts, unread: unique(unread) };
}

/** The EC2 instances its tasks run on, as read; and why any could not be. */
function hostsOf(s: EcsService, inv: Pick<RegionInventory, 'containerInstances'>): { hosts: Instance[]; unread: string[] } {
  const { hosts, unread } = containerHostsOf(s, inv);
  return {
    hosts: hosts.flatMap((h) => (h.instance.ok ? [h.instance.value] : [])),
    unread: unique([...unread, ...hosts.flatMap((h) => (h.instance.ok ? [] : [h.instance.reason]))]),
  };
}

/** EC2 launch type: the container instances' EBS volumes hold the data; encrypted when every one of them is. */
function containerInstanceVolume(s: EcsService, inv: RegionInventory): Pick<DataVolume, 'id' | 'encrypted'> {
  const { hosts, unread } = containerHostsOf(s, inv);
  const reasons = [...unread, ...hosts.flatMap((h) => (h.volumes.ok ? [] : [h.volumes.reason]))];
  if (reasons.length) return { encrypted: fail(unique(reasons).join('; ').slice(0, 500)) };
  const vols = hosts.flatMap((h) => (h.volumes.ok ? h.volumes.value : []));
  if (!vols.length) return { encrypted: fail('no running task places it on a container instance') };
  const plain = vols.find((v) => !v.encrypted);
  return { id: (plain ?? vols[0]!).volumeId, encrypted: ok(!plain) };
}

/**
 * The service as an instance, for the network checks, the probe target and the audit secret. awsvpc: its groups, its
 * running tasks' interfaces (else one per subnet of its configuration), `assignPublicIp` standing for the public
 * address when no running task shows one, its VPC from its groups. Bridge or host networking: the container
 * instances its tasks run on (their interfaces, groups, addresses and VPC: CHECKS.md "InfluxDB on Amazon ECS").
 */
export function asInstance(
  s: EcsService,
  inv: Pick<RegionInventory, 'securityGroups' | 'containerInstances'> = { securityGroups: ok(new Map()) },
): Instance {
  const { hosts } = isAwsvpc(s) ? { hosts: [] } : hostsOf(s, inv);
  const withEni = s.tasks.filter((t) => t.networkInterfaceIds.length);
  const placeholder = s.assignPublicIp ? [ASSIGNED_PUBLIC_IP] : [];
  const interfaces: NetworkInterface[] = hosts.length
    ? hosts.flatMap((h) => h.interfaces)
    : withEni.length
      ? withEni.map((t) => ({
          id: t.networkInterfaceIds[0]!,
          ...(t.subnetIds[0] ? { subnetId: t.subnetIds[0] } : {}),
          privateIps: t.privateIps,
          publicIps: t.publicIps.length ? t.publicIps : placeholder,
          ipv6: [],
          securityGroupIds: s.securityGroupIds,
        }))
      : s.subnetIds.map((subnetId) => ({
          id: `${s.name}/${subnetId}`,
          subnetId,
          privateIps: [],
          publicIps: placeholder,
          ipv6: [],
          securityGroupIds: s.securityGroupIds,
        }));
  const securityGroupIds = hosts.length ? unique(hosts.flatMap((h) => h.securityGroupIds)) : s.securityGroupIds;
  const groups = inv.securityGroups.ok ? inv.securityGroups.value : new Map();
  const vpcId = hosts.length
    ? hosts.find((h) => h.vpcId)?.vpcId
    : securityGroupIds.map((g) => groups.get(g)?.vpcId).find((v) => v !== undefined);
  return {
    accountId: s.accountId,
    region: s.region,
    instanceId: s.arn,
    name: s.name,
    state: s.tasks.length ? 'running' : 'stopped',
    role: 'oss',
    ...(vpcId ? { vpcId } : {}),
    tags: s.tags,
    interfaces,
    securityGroupIds,
    privateIps: unique(interfaces.flatMap((n) => n.privateIps)),
    publicIps: unique(interfaces.flatMap((n) => n.publicIps)),
    ipv6: [],
    blockDevices: [],
    ...(hosts.length ? { hostInstanceIds: unique(hosts.map((h) => h.instanceId)) } : {}),
  };
}

/**
 * Why a bridge or host networked service's network is not judged (undefined: it is, as its container instances, on
 * the host ports its InfluxDB container ports are mapped to: lib/exposure/api-ports.ts publishedPorts): its container
 * instances could not be read, no running task places it, or a dynamic host port (`hostPort` 0) no running task's
 * `networkBindings` tells (`probe`: any container port mapped to another host port, which the probe does not follow).
 */
function hostNetworkGap(s: EcsService, inv: Pick<RegionInventory, 'containerInstances'>, probe = false): string | undefined {
  const { hosts, unread } = hostsOf(s, inv);
  if (unread.length) return `bridge or host networking: ${unread.join('; ')}`.slice(0, 500);
  if (!hosts.length) return 'bridge or host networking: no running task places it on a container instance';
  for (const r of s.taskDefinitions) {
    if (!r.ok || r.value.networkMode === 'host') continue;
    for (const c of r.value.containers.filter((x) => x.influx))
      for (const m of c.portMappings) {
        const at = `container port ${m.containerPort} of ${r.value.family}:${r.value.revision}/${c.name}`;
        const bound = s.tasks.some(
          (t) =>
            t.taskDefinitionArn === r.value.arn &&
            t.networkBindings.some((b) => b.container === c.name && b.containerPort === m.containerPort),
        );
        if (probe && m.hostPort !== m.containerPort)
          return `bridge networking maps ${at} to ${m.hostPort ? `host port ${m.hostPort}` : 'a dynamic host port'}: the probe targets InfluxDB's own port, so it is not probed`;
        if (!probe && !m.hostPort && !bound && m.protocol === 'tcp')
          return `bridge networking maps ${at} to a dynamic host port that no running task's networkBindings tells: it is not judged`;
      }
  }
  return undefined;
}

/** Where each major keeps its data in the official image, and the variables that move it. */
const DATA_DIRS: Record<1 | 2 | 3, { dir: string; env: string[] }> = {
  1: { dir: '/var/lib/influxdb', env: ['INFLUXDB_DATA_DIR'] },
  2: { dir: '/var/lib/influxdb2', env: ['INFLUXD_ENGINE_PATH'] },
  3: { dir: '/var/lib/influxdb3', env: ['INFLUXDB3_DB_DIR'] },
};
const plain = (c: EcsContainer, name: string) => {
  const v = c.environment.find((e) => e.name === name);
  return v && 'value' in v ? v.value : undefined;
};
const under = (path: string, mount: string) => {
  const m = mount.replace(/\/+$/, '');
  return path === m || path.startsWith(`${m}/`) || m === '';
};

/** The data directories of one InfluxDB container and what holds each. */
function dataVolumes(s: EcsService, td: EcsTaskDefinition, c: EcsContainer, inv: RegionInventory): DataVolume[] {
  const majors = c.influx?.major ? [c.influx.major] : ([1, 2] as const);
  const dirs = unique(majors.map((m) => DATA_DIRS[m].env.map((e) => plain(c, e)).find((v) => v) ?? DATA_DIRS[m].dir));
  const fargate = s.launchType === 'FARGATE' || (td.networkMode === 'awsvpc' && s.launchType !== 'EC2');
  return dirs.map((path): DataVolume => {
    const base = { taskDefinition: td.arn, container: c.name, path };
    const mount = c.mountPoints
      .filter((m) => under(path, m.containerPath))
      .sort((a, b) => b.containerPath.length - a.containerPath.length)[0];
    const volume = mount ? td.volumes.find((v) => v.name === mount.sourceVolume) : undefined;
    if (volume?.efs) {
      const fs = inv.efs?.get(volume.efs.fileSystemId) ?? fail(`EFS file system ${volume.efs.fileSystemId} was not read`);
      return {
        ...base,
        kind: 'efs',
        id: volume.efs.fileSystemId,
        ...(fs.ok && fs.value.arn ? { arn: fs.value.arn } : {}),
        encrypted: fs.ok ? ok(fs.value.encrypted) : fail(fs.reason),
        transitEncryption: volume.efs.transitEncryption ?? 'DISABLED',
      };
    }
    if (volume?.configuredAtLaunch) {
      const ids = unique(s.tasks.flatMap((t) => t.ebsVolumeIds));
      const vols = inv.volumes.ok ? ids.map((id) => inv.volumes.ok && inv.volumes.value.get(id)) : [];
      const known = vols.filter((v) => v !== undefined && v !== false);
      return {
        ...base,
        kind: 'ebs-managed',
        ...(ids[0] ? { id: ids[0] } : {}),
        encrypted:
          known.length && known.length === ids.length
            ? ok(known.every((v) => v.encrypted))
            : fail(
                ids.length ? `ECS-managed EBS volume ${ids.join(', ')} was not read` : 'no running task shows its ECS-managed EBS volume',
              ),
      };
    }
    // No volume (or a bind mount without a source path): the task's own storage.
    if (fargate && (!volume || (volume.host && !volume.host.sourcePath))) return { ...base, kind: 'ephemeral', encrypted: ok(true) };
    return { ...base, kind: 'container-instance', ...containerInstanceVolume(s, inv) };
  });
}

/** What the ECS checks read of one service: its InfluxDB containers (by revision), unreadable revisions, data volumes. */
export function ecsEvidence(s: EcsService, inv: RegionInventory): Result<EcsEvidence> {
  const tds = s.taskDefinitions.flatMap((r) => (r.ok ? [r.value] : []));
  const unreadable = s.taskDefinitions.flatMap((r) => (r.ok ? [] : [r.reason]));
  if (!tds.length) return fail(unreadable.join('; ') || 'no task definition to read');
  const containers = tds.flatMap((taskDefinition) =>
    taskDefinition.containers.filter((c) => c.influx).map((container) => ({ taskDefinition, container })),
  );
  const e: EcsEvidence = {
    service: s,
    containers,
    unreadable,
    dataVolumes: containers.flatMap(({ taskDefinition, container }) => dataVolumes(s, taskDefinition, container, inv)),
  };
  const host = hostView(e);
  return ok(host ? { ...e, host } : e);
}

/**
 * Where the official 1.x and 2.x images keep their configuration, the variable that moves it, and the one that sets
 * the API's address over it.
 */
const CONFIG: Record<1 | 2, { dir: string; env: string; bind: string }> = {
  1: { dir: '/etc/influxdb', env: 'INFLUXDB_CONFIG_PATH', bind: 'INFLUXDB_HTTP_BIND_ADDRESS' },
  2: { dir: '/etc/influxdb2', env: 'INFLUXD_CONFIG_PATH', bind: 'INFLUXD_HTTP_BIND_ADDRESS' },
};

/**
 * Why a 1.x or 2.x container's configuration is not told by its task definition (undefined: it is): its command
 * (./command.ts influxdOf), a configuration file the image does not ship (a volume over its configuration directory,
 * the variable pointing elsewhere), the API's address from `secrets`. Each could move the API's port.
 */
function v12Unread(td: EcsTaskDefinition, c: EcsContainer, major: 1 | 2): { why?: string; flags: Record<string, string> } {
  const at = `task definition ${td.family}:${td.revision}/${c.name}`;
  const run = influxdOf(c, major);
  if (!run.ok) return { why: `${at}: ${run.reason}`, flags: {} };
  const { dir, env, bind } = CONFIG[major];
  const mount = c.mountPoints.find((m) => under(dir, m.containerPath) || under(m.containerPath, dir));
  const moved = plain(c, env);
  const why = c.secrets.includes(bind)
    ? `${bind} comes from secrets: its value is not in it`
    : mount
      ? `volume ${mount.sourceVolume} is mounted on ${mount.containerPath}: the configuration file there is not read`
      : c.secrets.includes(env) ||
          (moved !== undefined && moved.replace(/\/+$/, '') !== dir && (major === 2 || moved !== `${dir}/influxdb.conf`))
        ? `${env} names a configuration file the scanner does not read`
        : undefined;
  return { ...(why ? { why: `${at}: ${why}` } : {}), flags: run.value.flags };
}

/** What the official InfluxDB 3 images set (their Dockerfiles' ENV) that the checks read: the processing engine is on. */
const V3_IMAGE_ENV: Readonly<Record<string, string>> = { INFLUXDB3_PLUGIN_DIR: '/plugins' };

/** Whether an image of this tag's version unsets INFLUXDB3_UNSET_VARS's variables (its entrypoint does from 3.8); undefined: not told. */
function unsetsVars(parts: readonly number[] | undefined): boolean | undefined {
  const [major, minor] = parts ?? [];
  if (major === undefined || major > 3) return major === undefined ? undefined : true;
  return minor === undefined ? undefined : minor >= 8;
}

/**
 * An InfluxDB 3 container as the collector reports an `influxdb3 serve` process (lib/host-evidence.ts): its flags
 * from its entryPoint/command (./command.ts), its `INFLUXDB3_*` options from the image's and the task definition's
 * variables (a credential as `set`/`empty`, never its value), credential flags by name. What cannot be told from the
 * task definition (another command, a script, an option whose value comes from `secrets`) leaves its configuration
 * unread (`configSource: 'none'`, the reason in `configPath`): the checks say NOT_AVAILABLE, never a default.
 */
function v3Process(td: EcsTaskDefinition, c: EcsContainer, pid: number): Omit<HostProcess, 'version' | 'versionSource'> {
  const at = `task definition ${td.family}:${td.revision}/${c.name}`;
  const fromSecrets = new Set(c.secrets);
  const known: Record<string, string> = { ...V3_IMAGE_ENV };
  const env: Record<string, string> = {};
  for (const v of c.environment) {
    if ('value' in v) known[v.name] = v.value;
    else if (v.name.startsWith('INFLUXDB3_')) env[v.name] = v.set ? 'set' : 'empty';
  }
  // The image's entrypoint (3.8+) unsets the variables INFLUXDB3_UNSET_VARS names before it starts the server: where
  // the tag does not tell whether it is one that does, what they name is not told (never a PASS on a guess).
  const unset = viaImageEntrypoint(c) ? (known.INFLUXDB3_UNSET_VARS ?? '').split(/\s+/).filter(Boolean) : [];
  const unsets = unsetsVars(c.influx?.version?.parts);
  const untold = [
    ...(unsets === undefined ? unset.filter((name) => /^\w{1,128}$/.test(name) && (name in known || fromSecrets.has(name))) : []),
    ...(unsets !== false && viaImageEntrypoint(c) && fromSecrets.has('INFLUXDB3_UNSET_VARS') ? ['what it takes from secrets'] : []),
  ];
  if (unsets !== false) for (const name of unset) delete known[name];
  for (const name of c.secrets) if (name.startsWith('INFLUXDB3_')) env[name] = 'set';
  const hidden = V3_VARIABLES.filter((name) => fromSecrets.has(name) || (name in env && !(name in known)));
  for (const name of V3_VARIABLES) if (known[name] !== undefined && !hidden.includes(name)) env[name] = known[name]!;
  const serve = serveOf(c, Object.fromEntries(Object.entries(known).filter(([k]) => !fromSecrets.has(k))));
  const why = !serve.ok
    ? serve.reason
    : untold.length
      ? `INFLUXDB3_UNSET_VARS names ${untold.slice(0, 8).join(', ')}: whether this image's entrypoint unsets them (3.8+) is not told by its tag`
      : hidden.length
        ? `${hidden.join(', ')} come from secrets: their values are not in it`
        : undefined;
  return {
    pid,
    name: 'influxdb3',
    user: 'influxdb3',
    cmdline: `influxdb3 serve (${c.image})`.slice(0, 1000),
    configPath: why ? `(${at}: ${why})`.slice(0, 1000) : '',
    env,
    configSource: why ? 'none' : 'defaults',
    config: {},
    headers: {},
    flavour: 'influxdb-3',
    flags: serve.ok ? serve.value.flags : {},
    ...(serve.ok && Object.keys(serve.value.secretFlags).length ? { secretFlags: serve.value.secretFlags } : {}),
    catalog: { format: null, adminToken: null, reason: "a container's catalog is not read from its task definition" },
    container: true,
  };
}

/**
 * The task definitions as host evidence: one process per InfluxDB container of a known major. 1.x and 2.x: its
 * environment the variables its image reads (a credential as `set`/`empty`, the collector's convention), the image's
 * defaults otherwise (the official images ship no configuration that changes what the checks read). 3.x: its command
 * and variables (v3Process). Its version the tag's when the tag states it in full. None for an unknown major.
 */
function hostView(e: Omit<EcsEvidence, 'host'>): HostEvidence | undefined {
  const processes: HostProcess[] = e.containers.flatMap(({ taskDefinition, container }, n) => {
    const major = container.influx?.major;
    if (major === undefined) return [];
    const v = container.influx?.version;
    const version = {
      version: v?.full ? v.parts.join('.') : null,
      versionSource: `image tag of ${taskDefinition.family}:${taskDefinition.revision}/${container.name}`.slice(0, 100),
    };
    if (major === 3) return [{ ...v3Process(taskDefinition, container, n + 1), ...version }];
    const { why, flags } = v12Unread(taskDefinition, container, major);
    const prefix = major === 1 ? 'INFLUXDB_' : 'INFLUXD_';
    const env = Object.fromEntries(
      container.environment
        .filter((v) => v.name.startsWith(prefix))
        .map((v) => [v.name, 'value' in v ? v.value : v.set ? 'set' : 'empty'] as const),
    );
    return [
      {
        pid: n + 1,
        name: 'influxd',
        user: 'influxdb',
        cmdline: `influxd (${container.image})`.slice(0, 1000),
        // A command or configuration the task definition does not tell: read as nothing (the checks say NOT_AVAILABLE).
        configPath: why ? `(${why})`.slice(0, 1000) : '',
        env,
        configSource: why ? ('none' as const) : ('defaults' as const),
        config: {},
        headers: {},
        flavour: major === 2 ? ('influxdb-2' as const) : ('influxdb-1' as const),
        flags,
        container: true,
        ...version,
      },
    ];
  });
  if (!processes.length) return undefined;
  const versions = unique(processes.map((p) => p.version ?? ''));
  return {
    schema: COLLECTOR_SCHEMA,
    collectedAt: '',
    hostname: e.service.name.slice(0, 256),
    tools: { ss: false, openssl: false, influxd: false },
    version: versions.length === 1 && versions[0] ? versions[0] : null,
    processes,
    listeners: [],
    listenerSource: 'task definition',
    files: [],
    systemd: { environmentFiles: [], env: {} },
    errors: [],
  };
}

const isAwsvpc = (s: EcsService): boolean =>
  s.taskDefinitions.some((r) => r.ok && r.value.networkMode === 'awsvpc') || s.launchType === 'FARGATE';

/**
 * Running tasks' private addresses (or the endpoint tag), as for an instance; never a service without a running task.
 * Bridge or host networking: a task has no address of its own, its container instance's stands for it (CHECKS.md "on
 * EC2 launch type the container instance's address stands for it"), under the same allowlist rules.
 */
export const ecsServiceTargets = (config: Config, inv?: RegionInventory): EvidenceTargets<EcsService> => ({
  id: (s) => s.arn,
  probeTarget: (s) => {
    if (!s.tasks.length) return undefined;
    // A container port mapped to another host port would be probed on the wrong port: the network checks' reason.
    const gap = inv && !isAwsvpc(s) && !s.tags[ENDPOINT_TAG] ? hostNetworkGap(s, inv, true) : undefined;
    return gap ? fail(gap) : probeTarget(asInstance(s, inv), config.probe);
  },
  auditSecret: (s) => (s.tasks.length ? auditSecretOf(asInstance(s, inv), config.audit) : undefined),
});

/** The service as an instance for the `instance` checks: network (awsvpc), and `ecs` for the container checks. */
export function ecsServiceContexts(services: readonly EcsService[], inv: RegionInventory, env: GatherEnv): InstanceContext[] {
  return services.map((s) => {
    const instance = asInstance(s, inv);
    const gap = isAwsvpc(s) ? undefined : hostNetworkGap(s, inv);
    const network = gap === undefined ? withPaths(networkEvidence(instance, inv, new Map(), []), instance, inv.network) : fail<never>(gap);
    return { instance, settings: env.settings, evidence: { network, ecs: ecsEvidence(s, inv) } };
  });
}

/** The endpoint checks of a service: its probe and audit when they ran, and the task definition as host evidence. */
export function ecsServiceEndpoint(s: EcsService, ctx: InstanceContext, sourced: Sourced, env: GatherEnv): EndpointContext | undefined {
  const e = ctx.evidence.ecs;
  const host = e?.ok && e.value.host ? ok(e.value.host) : undefined;
  const { probe: probed, audit } = sourced;
  if (probed === undefined && audit === undefined && host === undefined) return undefined;
  const endpoint = probed?.ok ? probed.value.endpoint : undefined;
  // Reachable on its API's port: the bound one its task definitions show, else 8181 for 3.x, 8086 for 1.x/2.x, both when unknown.
  const exposure = internetExposed(ctx.evidence.network, subjectApiPorts(ctx.instance, ctx.evidence));
  return {
    ...(endpoint !== undefined ? { endpoint } : {}),
    probed: probed !== undefined,
    evidence: {
      probe: probed ?? fail<ProbeEvidence>(s.tasks.length ? 'not probed' : 'no running task'),
      ...(host ? { host } : {}),
      ...(audit ? { audit } : {}),
    },
    settings: env.settings,
    subject: ecsServiceSubject(s),
    internetExposed: exposure.exposed,
    ...(exposure.unknown !== undefined ? { exposureUnknown: exposure.unknown } : {}),
    now: env.now,
  };
}
