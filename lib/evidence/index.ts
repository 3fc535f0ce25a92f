/**
 * The gather stage: turns discovery records into evidence, each either data
 * or the reason it could not be had. Each kind builds its subjects' contexts
 * from the inventory (lib/kinds/<kind>/evidence.ts); the per-subject sources
 * here (probe, host, audit) register through `EvidenceSource` and run side by
 * side under one deadline policy (lib/kinds/gather.ts).
 */
import { type Config, SECRET_ARN_RE } from '../config.js';
import type {
  AuditEvidence,
  BucketExposure,
  CheckSettings,
  HostEvidence,
  Instance,
  NetworkEvidence,
  ProbeEvidence,
  Result,
} from '../model.js';
import { fail, ok } from '../model.js';
import { mapLimit } from '../util/concurrency.js';
import { reachability } from '../exposure/reach.js';
import type { AuditSecret } from './audit/secrets.js';
import { objectStoreBuckets } from './object-store.js';
import { TargetRefused, parseTarget, type ProbeTarget } from './probe/target.js';

export const checkSettings = (config: Config): CheckSettings => ({
  allowedPorts: config.allowedPorts,
  certificateWarningDays: config.probe.certificateWarningDays,
  defaultCredentials: config.probe.defaultCredentials,
  maxAdmins: config.audit.maxAdmins,
  maxAllAccessTokens: config.audit.maxAllAccessTokens,
});

export const ENDPOINT_TAG = 'influxdb:endpoint';

/**
 * Where to probe an instance: its `influxdb:endpoint` tag (a URL), else its
 * private (or, if configured, public) address on the configured port.
 * A tagged target must resolve to one of the instance's own addresses or into
 * `probe.endpointCidrs` (checked on the resolved address, see resolveTarget).
 * Undefined for instances that are never probed (not running, or meta nodes).
 */
export function probeTarget(
  i: Instance,
  probe: Pick<Config['probe'], 'port' | 'address' | 'endpointCidrs'>,
): Result<ProbeTarget> | undefined {
  // Stopped instances have nothing listening; Enterprise meta nodes serve no 8086 API.
  if (i.state !== 'running' || i.role === 'meta') return undefined;
  const tagged = i.tags[ENDPOINT_TAG];
  try {
    if (tagged) {
      const owner = {
        label: `the ${ENDPOINT_TAG} tag of ${i.instanceId}`,
        addresses: [...i.privateIps, ...i.publicIps, ...i.ipv6],
        endpointCidrs: probe.endpointCidrs,
      };
      return ok({ ...parseTarget(tagged, probe.port), owner });
    }
    const address = probe.address === 'public' ? i.publicIps[0] : i.privateIps[0];
    if (!address) return fail(`the instance has no ${probe.address} address to probe`);
    return ok({ input: `${address}:${probe.port}`, host: address, port: probe.port });
  } catch (err) {
    return fail(err instanceof TargetRefused ? `${ENDPOINT_TAG} tag: ${err.message}` : String(err));
  }
}

/**
 * A complete path from the internet to the HTTP API (8086, or the ports httpApiPorts names; direct or through a load
 * balancer): probe findings on this instance are raised one level. When a hop
 * could not be read, `unknown` says why (raised severities may be missing).
 */
export function internetExposed(net: Result<NetworkEvidence>, ports: readonly number[] = [8086]): { exposed: boolean; unknown?: string } {
  if (!net.ok) return { exposed: false, unknown: net.reason };
  const rs = ports.map((port) => reachability(net.value, port));
  if (rs.some((r) => r.open.length)) return { exposed: true };
  const unknown = rs.flatMap((r) => r.unknown);
  return unknown.length ? { exposed: false, unknown: [...new Set(unknown.map((p) => p.missing))].join('; ') } : { exposed: false };
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
  /** The S3 buckets the host's InfluxDB 3 object stores name (read after the host). */
  objectStore: BucketExposure[];
}

/**
 * How the per-subject sources reach one kind's subjects (lib/kinds/<kind>/evidence.ts): each source runs on the
 * subjects its part names (a kind without `host` gets no host collection, one without `auditSecret` no audit).
 */
export interface EvidenceTargets<S> {
  id: (s: S) => string;
  /** Where its endpoint is probed (undefined: never, e.g. a stopped instance; a failure: it could not be). */
  probeTarget?: (s: S) => Result<ProbeTarget> | undefined;
  /** The probe target is a name AWS gives (a managed endpoint): made up under an emulator, never probed there. */
  managedEndpoint?: boolean;
  /** The secret of its credentialed audit (undefined: none). */
  auditSecret?: (s: S) => Result<AuditSecret> | undefined;
  /** The instance whose host the collector reads (SSM or local). */
  host?: (s: S) => Instance | undefined;
}

/**
 * A source of per-subject evidence. It registers by being listed in the
 * scan's sources; the engine runs every source at once and applies the one
 * deadline policy. A subject a source leaves out of its answer is outside
 * that source: the checks that read only that key stay silent for it.
 */
export interface EvidenceSource<K extends keyof SourceValues = keyof SourceValues> {
  key: K;
  gather: <S>(targets: EvidenceTargets<S>, subjects: readonly S[], deadline: Deadline) => Promise<Map<string, Result<SourceValues[K]>>>;
}

/**
 * Probes each subject's endpoint its kind names (an instance: its tag, else its address; a Timestream DB: its
 * managed endpoint), `concurrency` at a time; managed endpoints only when `managedEndpoints` (not under an
 * emulated AWS, whose endpoints are made up).
 */
export function probeSource(
  probe: ProbeFn,
  opts: { concurrency: number; managedEndpoints: boolean } = { concurrency: 1, managedEndpoints: true },
): EvidenceSource<'probe'> {
  return {
    key: 'probe',
    gather: async (k, subjects, deadline) => {
      if (!k.probeTarget || (k.managedEndpoint && !opts.managedEndpoints)) return new Map();
      const targets = subjects.flatMap((s) => {
        const t = k.probeTarget!(s);
        return t ? [[k.id(s), t] as const] : [];
      });
      const pairs = await mapLimit(targets, opts.concurrency, async ([id, t]) => {
        const r: Result<ProbeEvidence> = !t.ok ? fail(t.reason) : deadline.passed() ? fail(deadline.reason) : await probe(t.value);
        return [id, r] as const;
      });
      return new Map(pairs);
    },
  };
}

/**
 * One collection per set of instances, shared by the sources that read the host (the host evidence itself, and the
 * object stores it names): SSM runs once.
 */
export function sharedHost(collect: HostFn): HostFn {
  const runs = new Map<string, Promise<Map<string, Result<HostEvidence>>>>();
  return (instances) => {
    const key = instances.map((i) => i.instanceId).join(' ');
    const known = runs.get(key);
    if (known) return known;
    const run = collect(instances);
    runs.set(key, run);
    return run;
  };
}

/** What S3 says of one bucket (lib/evidence/object-store.ts bucketExposure, with the scan's clients). */
export type ObjectStoreFn = (bucket: string) => Promise<BucketExposure>;

/**
 * The S3 buckets each instance's InfluxDB 3 object stores name, once its host evidence is in (the same collection as
 * the host source's: pass the same sharedHost). An instance whose host names none, or could not be read, has no entry.
 */
export const objectStoreSource = (collect: HostFn, read: ObjectStoreFn): EvidenceSource<'objectStore'> => ({
  key: 'objectStore',
  gather: async (k, subjects, deadline) => {
    const instances = k.host ? subjects.flatMap((s) => k.host!(s) ?? []) : [];
    if (!instances.length || deadline.passed()) return new Map();
    const hosts = await collect(instances);
    const out = new Map<string, Result<BucketExposure[]>>();
    for (const i of instances) {
      const h = hosts.get(i.instanceId);
      const buckets = h?.ok ? objectStoreBuckets(h.value) : [];
      if (buckets.length) out.set(i.instanceId, deadline.passed() ? fail(deadline.reason) : ok(await Promise.all(buckets.map(read))));
    }
    return out;
  },
});

/** Collects host evidence for every subject with a host, at once (one SSM batch, or the local collector). */
export const hostSource = (collect: HostFn): EvidenceSource<'host'> => ({
  key: 'host',
  gather: async (k, subjects, deadline) => {
    const instances = k.host ? subjects.flatMap((s) => k.host!(s) ?? []) : [];
    return !instances.length
      ? new Map()
      : deadline.passed()
        ? new Map(instances.map((i) => [i.instanceId, fail<HostEvidence>(deadline.reason)]))
        : collect(instances);
  },
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
export function auditSecretOf(
  i: Instance,
  audit: Pick<Config['audit'], 'tagKey' | 'secretArn' | 'secrets'>,
): Result<AuditSecret> | undefined {
  const tagged = i.tags[audit.tagKey]?.trim();
  const subject = i.instanceId;
  if (tagged) {
    // A tag's value is anyone's text: it must be an ARN before it is matched, and it is never quoted.
    if (!SECRET_ARN_RE.test(tagged)) return fail(`the ${audit.tagKey} tag is not a Secrets Manager secret ARN: credentials not read`);
    if (tagged === audit.secretArn || secretAllowed(tagged, audit.secrets)) return ok({ arn: tagged, subject });
    return fail(
      `the ${audit.tagKey} tag names a secret that is not among audit.secrets (${audit.secrets.length} allowed): credentials not read`,
    );
  }
  return audit.secretArn ? ok({ arn: audit.secretArn, subject }) : undefined;
}

/**
 * The credentialed audit of each running instance that has audit credentials
 * (its tag or the fleet's secret), at its probe target, `concurrency` at a time.
 */
export const auditSource = (audit: AuditFn, concurrency: number): EvidenceSource<'audit'> => ({
  key: 'audit',
  gather: async (k, subjects, deadline) => {
    const targets = subjects.flatMap((s) => {
      const secret = k.auditSecret?.(s);
      const t = secret && k.probeTarget?.(s);
      return secret && t ? [[k.id(s), secret, t] as const] : [];
    });
    const pairs = await mapLimit(targets, concurrency, async ([id, secret, t]) => {
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
