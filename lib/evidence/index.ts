/**
 * The gather stage: turns discovery records into evidence, each either data
 * or the reason it could not be had. The AWS inventory gives network and
 * volume evidence; per-instance sources (probe, host; later load balancers,
 * Timestream) register through `EvidenceSource` and run side by side under
 * one deadline policy.
 */
import type { Config } from '../config.js';
import { parametersOf } from './timestream.js';
import type {
  AuditEvidence,
  CheckSettings,
  DatabaseContext,
  EndpointContext,
  HostEvidence,
  Instance,
  InstanceContext,
  NetworkEvidence,
  ProbeEvidence,
  RegionContext,
  RegionInventory,
  Result,
  TimestreamDb,
  VolumeEvidence,
} from '../model.js';
import { fail, ok } from '../model.js';
import { mapLimit } from '../util/concurrency.js';
import { isWorldOpen, opensTcpPort, reachability } from '../exposure/reach.js';
import type { AuditSecret } from './audit/secrets.js';
import { clusterFacts, networkEvidence, withPaths } from '../exposure/network.js';
import { TargetRefused, parseTarget, type ProbeTarget } from './probe/target.js';

export const checkSettings = (config: Config): CheckSettings => ({
  allowedPorts: config.allowedPorts,
  certificateWarningDays: config.probe.certificateWarningDays,
  defaultCredentials: config.probe.defaultCredentials,
  maxAdmins: config.audit.maxAdmins,
  maxAllAccessTokens: config.audit.maxAllAccessTokens,
});

function volumeEvidence(
  instanceId: string,
  blockDevices: { volumeId: string; device: string }[],
  inv: RegionInventory,
): Result<VolumeEvidence[]> {
  if (!inv.volumes.ok) return fail(inv.volumes.reason);
  const devices = new Map(blockDevices.map((b) => [b.volumeId, b.device]));
  const out: VolumeEvidence[] = [];
  for (const v of inv.volumes.value.values()) {
    const attachment = v.attachments.find((a) => a.instanceId === instanceId);
    if (!attachment && !devices.has(v.volumeId)) continue;
    const e: VolumeEvidence = { volumeId: v.volumeId, device: attachment?.device || devices.get(v.volumeId) || '', encrypted: v.encrypted };
    if (v.kmsKeyId) e.kmsKeyId = v.kmsKeyId;
    if (v.sizeGiB !== undefined) e.sizeGiB = v.sizeGiB;
    if (v.volumeType) e.volumeType = v.volumeType;
    out.push(e);
  }
  return ok(out.sort((a, b) => a.device.localeCompare(b.device) || a.volumeId.localeCompare(b.volumeId)));
}

export const ENDPOINT_TAG = 'influxdb:endpoint';

/**
 * Where to probe an instance: its `influxdb:endpoint` tag (a URL), else its
 * private (or, if configured, public) address on the configured port.
 * A tagged target must resolve to one of the instance's own addresses or into
 * `probe.endpointCidrs` (checked on the resolved address, see resolveTarget).
 * Undefined for instances that are never probed (not running, or meta nodes).
 */
export function probeTarget(i: Instance, config: Config): Result<ProbeTarget> | undefined {
  // Stopped instances have nothing listening; Enterprise meta nodes serve no 8086 API.
  if (i.state !== 'running' || i.role === 'meta') return undefined;
  const tagged = i.tags[ENDPOINT_TAG];
  try {
    if (tagged) {
      const owner = {
        label: `the ${ENDPOINT_TAG} tag of ${i.instanceId}`,
        addresses: [...i.privateIps, ...i.publicIps, ...i.ipv6],
        endpointCidrs: config.probe.endpointCidrs,
      };
      return ok({ ...parseTarget(tagged, config.probe.port), owner });
    }
    const address = config.probe.address === 'public' ? i.publicIps[0] : i.privateIps[0];
    if (!address) return fail(`the instance has no ${config.probe.address} address to probe`);
    return ok({ input: `${address}:${config.probe.port}`, host: address, port: config.probe.port });
  } catch (err) {
    return fail(err instanceof TargetRefused ? `${ENDPOINT_TAG} tag: ${err.message}` : String(err));
  }
}

/**
 * A complete path from the internet to 8086 (direct or through a load
 * balancer): probe findings on this instance are raised one level. When a hop
 * could not be read, `unknown` says why (raised severities may be missing).
 */
export function internetExposed(net: Result<NetworkEvidence>): { exposed: boolean; unknown?: string } {
  if (!net.ok) return { exposed: false, unknown: net.reason };
  const r = reachability(net.value, 8086);
  if (r.open.length) return { exposed: true };
  return r.unknown.length ? { exposed: false, unknown: [...new Set(r.unknown.map((p) => p.missing))].join('; ') } : { exposed: false };
}

export type ProbeFn = (t: ProbeTarget) => Promise<Result<ProbeEvidence>>;
/** Host evidence for a region's instances at once (SSM batches them): an entry per instance it covers. */
export type HostFn = (instances: Instance[]) => Promise<Map<string, Result<HostEvidence>>>;

/** The one deadline policy: work not started before the deadline is NOT_AVAILABLE with this reason; work started finishes. */
export interface Deadline {
  passed: () => boolean;
  reason: string;
}
export const NO_DEADLINE: Deadline = { passed: () => false, reason: '' };

/** Per-instance evidence sources beyond the AWS inventory, by the evidence key each fills. */
export interface SourceValues {
  probe: ProbeEvidence;
  host: HostEvidence;
  audit: AuditEvidence;
}

/**
 * A source of per-instance evidence. It registers by being listed in the
 * scan's sources; the engine runs every source at once and applies the one
 * deadline policy. An instance a source leaves out of its answer is outside
 * that source: the checks that read only that key stay silent for it.
 */
export interface EvidenceSource<K extends keyof SourceValues = keyof SourceValues> {
  key: K;
  gather: (instances: Instance[], deadline: Deadline) => Promise<Map<string, Result<SourceValues[K]>>>;
  /** Evidence about Timestream for InfluxDB instances and clusters (by DB id), when the source has any. */
  gatherDatabases?: (dbs: TimestreamDb[], deadline: Deadline) => Promise<Map<string, Result<SourceValues[K]>>>;
}

/**
 * Where to probe a Timestream for InfluxDB DB: its managed endpoint (always
 * TLS) on its port, when it is available. The name is AWS's, not a tag: it
 * needs no owner check, but must still resolve inside the allowed CIDRs.
 */
function dbProbeTarget(db: TimestreamDb): ProbeTarget | undefined {
  if (!db.endpoint || (db.status && !/^available$/i.test(db.status))) return undefined;
  return { input: `https://${db.endpoint}:${db.port}`, scheme: 'https', host: db.endpoint, port: db.port };
}

/** The DB admits its port from the world and is publicly accessible: probe findings on it are raised one level. */
const dbInternetExposed = (db: TimestreamDb, net: Result<NetworkEvidence>): boolean =>
  db.publiclyAccessible && net.ok && net.value.openings.some((o) => opensTcpPort(o, db.port) && isWorldOpen(o));

/**
 * Probes each running instance's endpoint (tag, else its address), and each
 * available Timestream DB's managed endpoint unless `databases` is false (an
 * emulated AWS, whose endpoints are made up), `concurrency` at a time.
 */
export function probeSource(config: Config, probe: ProbeFn, opts: { databases: boolean } = { databases: true }): EvidenceSource<'probe'> {
  return {
    key: 'probe',
    ...(opts.databases
      ? {
          gatherDatabases: async (dbs: TimestreamDb[], deadline: Deadline) => {
            const targets = dbs.flatMap((d) => {
              const t = dbProbeTarget(d);
              return t ? [[d.id, t] as const] : [];
            });
            const pairs = await mapLimit(
              targets,
              config.probe.concurrency,
              async ([id, t]) => [id, deadline.passed() ? fail<ProbeEvidence>(deadline.reason) : await probe(t)] as const,
            );
            return new Map(pairs);
          },
        }
      : {}),
    gather: async (instances, deadline) => {
      const targets = instances.flatMap((i) => {
        const t = probeTarget(i, config);
        return t ? [[i.instanceId, t] as const] : [];
      });
      const pairs = await mapLimit(targets, config.probe.concurrency, async ([id, t]) => {
        const r: Result<ProbeEvidence> = !t.ok ? fail(t.reason) : deadline.passed() ? fail(deadline.reason) : await probe(t.value);
        return [id, r] as const;
      });
      return new Map(pairs);
    },
  };
}

/** Collects host evidence for all instances at once (one SSM batch, or the local collector). */
export const hostSource = (collect: HostFn): EvidenceSource<'host'> => ({
  key: 'host',
  gather: async (instances, deadline) =>
    !instances.length
      ? new Map()
      : deadline.passed()
        ? new Map(instances.map((i) => [i.instanceId, fail<HostEvidence>(deadline.reason)]))
        : collect(instances),
});

/** Audits one endpoint with the credentials in one secret (read at scan time, memory only, and only if bound to the subject). */
export type AuditFn = (t: ProbeTarget, secret: AuditSecret) => Promise<Result<AuditEvidence>>;

/** `arn…:secret:*`-style patterns: a trailing `*` matches a prefix. */
const secretAllowed = (arn: string, patterns: readonly string[]) =>
  patterns.some((p) => (p.endsWith('*') ? arn.startsWith(p.slice(0, -1)) : arn === p));

/**
 * Which secret holds an instance's audit credentials: its own tag
 * (`audit.tagKey`), which must name a secret the configuration allows, else
 * the fleet's secret; undefined when the instance has none. Either is read,
 * and sent, only if the secret's own tags bind it to the instance
 * (lib/evidence/audit/secrets.ts): a tag on the instance alone never earns a
 * credential.
 */
export function auditSecretOf(i: Instance, config: Config): Result<AuditSecret> | undefined {
  const tagged = i.tags[config.audit.tagKey]?.trim();
  const subject = i.instanceId;
  if (tagged) {
    if (tagged === config.audit.secretArn || secretAllowed(tagged, config.audit.secrets)) return ok({ arn: tagged, subject });
    return fail(
      `the ${config.audit.tagKey} tag names a secret that is not among audit.secrets (${config.audit.secrets.length} allowed): credentials not read`,
    );
  }
  return config.audit.secretArn ? ok({ arn: config.audit.secretArn, subject }) : undefined;
}

/**
 * The credentialed audit of each running instance that has audit credentials
 * (its tag or the fleet's secret), at its probe target, `concurrency` at a time.
 */
export const auditSource = (config: Config, audit: AuditFn): EvidenceSource<'audit'> => ({
  key: 'audit',
  gather: async (instances, deadline) => {
    const targets = instances.flatMap((i) => {
      const secret = auditSecretOf(i, config);
      const t = secret && probeTarget(i, config);
      return secret && t ? [[i.instanceId, secret, t] as const] : [];
    });
    const pairs = await mapLimit(targets, config.probe.concurrency, async ([id, secret, t]) => {
      const r: Result<AuditEvidence> = !secret.ok
        ? fail(secret.reason)
        : !t.ok
          ? fail(t.reason)
          : deadline.passed()
            ? fail(deadline.reason)
            : await audit(t.value, secret.value);
      return [id, r] as const;
    });
    return new Map(pairs);
  },
});

export interface RegionEvidenceBundle {
  instances: InstanceContext[];
  /** Timestream for InfluxDB instances and clusters (AWS evidence only: their managed endpoints are not probed). */
  databases: DatabaseContext[];
  endpoints: EndpointContext[];
  region: RegionContext;
}

type Gathered = { [K in keyof SourceValues]?: Map<string, Result<SourceValues[K]>> };

/** Runs every source at once (they do not depend on each other), under one deadline. */
async function runSources(
  sources: readonly EvidenceSource[],
  instances: Instance[],
  dbs: TimestreamDb[],
  deadline: Deadline,
): Promise<{ instances: Gathered; databases: Gathered }> {
  const [answers, dbAnswers] = await Promise.all([
    Promise.all(sources.map((s) => s.gather(instances, deadline))),
    Promise.all(sources.map((s) => (s.gatherDatabases && dbs.length ? s.gatherDatabases(dbs, deadline) : Promise.resolve(undefined)))),
  ]);
  return {
    instances: Object.fromEntries(sources.map((s, i) => [s.key, answers[i]])) as Gathered,
    databases: Object.fromEntries(sources.flatMap((s, i) => (dbAnswers[i] ? [[s.key, dbAnswers[i]]] : []))) as Gathered,
  };
}

export async function gatherRegion(
  inv: RegionInventory,
  config: Config,
  sources: readonly EvidenceSource[],
  now: number,
  deadline: Deadline = NO_DEADLINE,
): Promise<RegionEvidenceBundle> {
  const settings = checkSettings(config);
  const clusters = clusterFacts(inv.instances);
  const dbs = inv.timestream?.ok ? inv.timestream.value : [];
  const { instances: gathered, databases: dbGathered } = await runSources(sources, inv.instances, dbs, deadline);
  const instances: InstanceContext[] = inv.instances.map((instance) => {
    const host = gathered.host?.get(instance.instanceId);
    return {
      instance,
      settings,
      evidence: {
        network: withPaths(networkEvidence(instance, inv, clusters, config.clusterCidrs), instance, inv.network),
        volumes: volumeEvidence(instance.instanceId, instance.blockDevices, inv),
        ...(host ? { host } : {}),
      },
    };
  });
  const endpoints = instances
    .filter(
      (c) => gathered.probe?.has(c.instance.instanceId) || gathered.audit?.has(c.instance.instanceId) || c.evidence.host !== undefined,
    )
    .map((c): EndpointContext => {
      const probed = gathered.probe?.get(c.instance.instanceId);
      const audit = gathered.audit?.get(c.instance.instanceId);
      const target = probed && !probed.ok ? probeTarget(c.instance, config) : undefined;
      const endpoint = probed?.ok ? probed.value.endpoint : target?.ok ? target.value.input : undefined;
      const exposure = internetExposed(c.evidence.network);
      return {
        ...(endpoint !== undefined ? { endpoint } : {}),
        probed: probed !== undefined,
        evidence: {
          probe: probed ?? fail<ProbeEvidence>('not probed'),
          ...(c.evidence.host ? { host: c.evidence.host } : {}),
          ...(audit ? { audit } : {}),
        },
        settings,
        instance: c.instance,
        internetExposed: exposure.exposed,
        ...(exposure.unknown !== undefined ? { exposureUnknown: exposure.unknown } : {}),
        now,
      };
    });
  const databases = dbs.map(
    (db): DatabaseContext => ({
      db,
      settings,
      evidence: {
        // A managed DB has no address of its own in the API: exposure is `publiclyAccessible` and its groups.
        network: networkEvidence({ securityGroupIds: db.securityGroupIds, publicIps: [], ipv6: [] }, inv, clusters, []),
        parameters: parametersOf(db, inv.parameterGroups),
        logs: ok(db.logDelivery),
      },
    }),
  );
  // Probed Timestream endpoints (AWS's names; never under an emulator).
  for (const d of databases) {
    const probed = dbGathered.probe?.get(d.db.id);
    if (!probed) continue;
    const target = dbProbeTarget(d.db)!;
    endpoints.push({
      endpoint: probed.ok ? probed.value.endpoint : target.input,
      probed: true,
      evidence: { probe: probed },
      settings,
      db: d.db,
      internetExposed: dbInternetExposed(d.db, d.evidence.network),
      now,
    });
  }
  return {
    instances,
    databases,
    endpoints,
    region: {
      accountId: inv.accountId,
      region: inv.region,
      instances: inv.instances,
      settings,
      evidence: { ebsDefaultEncryption: inv.ebsDefaultEncryption },
    },
  };
}
