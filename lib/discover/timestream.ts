/**
 * Discovery of Amazon Timestream for InfluxDB: every DB instance and DB
 * cluster of one account × region (all of them are InfluxDB: no tag needed),
 * with their DB parameter groups. Plain typed records, no check logic.
 *
 * Selection: with the default tag selectors every DB is kept; when the
 * operator chose other selectors (`--tag`, `tagSelectors`), a DB is kept only
 * if its tags match one of them (read with ListTagsForResource).
 *
 * A region where the service does not exist is skipped silently (an empty,
 * complete listing); any other failure of a list, get or tags call makes the
 * whole listing a failure with its reason (the region's Timestream checks are
 * NOT_AVAILABLE and the scan is incomplete). Everything from AWS is bounded.
 */
import {
  GetDbClusterCommand,
  GetDbInstanceCommand,
  GetDbParameterGroupCommand,
  ListTagsForResourceCommand,
  paginateListDbClusters,
  paginateListDbInstances,
  type GetDbClusterCommandOutput,
  type GetDbInstanceCommandOutput,
  type TimestreamInfluxDBClient,
} from '@aws-sdk/client-timestream-influxdb';
import { DEFAULT_TAG_SELECTORS, type Config, type TagSelector } from '../config.js';
import { errorCode, toAwsCallError } from '../errors.js';
import { fail, ok, type Result, type TimestreamDb, type TimestreamParameters } from '../model.js';
import { mapLimit, unique } from '../util/concurrency.js';

const SERVICE = 'timestream-influxdb';
/** At most this many DB instances plus clusters per region (the service's quotas are far below). */
export const TIMESTREAM_MAX = 2000;
const CONCURRENCY = 8;
/** Timestream identifiers are alphanumeric (no hyphen: never mistaken for an EC2 `i-…` id by the lifecycle). */
const ID = /^[A-Za-z0-9]{1,64}$/;
const ARN = /^arn:aws[a-z-]*:timestream-influxdb:[a-z0-9-]{1,30}:\d{12}:db-(instance|cluster)\/[A-Za-z0-9-]{1,64}$/;

/**
 * The service does not exist in this region: no endpoint (the SDK's
 * UnknownEndpoint, or the regional host name does not resolve). Not a
 * failure: nothing there. An emulator on loopback without the service in that
 * region answers an HTML error page instead of an AWS error: the same.
 */
function serviceAbsent(err: unknown, emulated: boolean): boolean {
  const code = errorCode(err);
  const message = err instanceof Error ? err.message : '';
  if (code === 'UnknownEndpoint' || code === 'ENOTFOUND' || /UnknownEndpoint|getaddrinfo ENOTFOUND/.test(message)) return true;
  return emulated && code === 'SyntaxError' && /Unexpected token '<'/.test(message);
}

async function isEmulated(ts: TimestreamInfluxDBClient): Promise<boolean> {
  try {
    // An explicit endpoint, or one configured for the service (AWS_ENDPOINT_URL and friends).
    const config = ts.config as {
      endpoint?: () => Promise<{ hostname?: string }>;
      serviceConfiguredEndpoint?: () => Promise<string | undefined>;
    };
    const explicit = config.endpoint ? (await config.endpoint()).hostname : undefined;
    const configured = config.serviceConfiguredEndpoint ? await config.serviceConfiguredEndpoint() : undefined;
    const host = explicit ?? (configured ? new URL(configured).hostname : '');
    return /^(127\.\d+\.\d+\.\d+|localhost|\[?::1\]?)$/.test(host);
  } catch {
    return false;
  }
}

class ServiceAbsent extends Error {}

const clip = (s: string | undefined, n = 256): string | undefined => (s === undefined ? undefined : s.slice(0, n));

function selectorsAreDefault(selectors: readonly TagSelector[]): boolean {
  return JSON.stringify(selectors) === JSON.stringify(DEFAULT_TAG_SELECTORS);
}

/** Whether tags match any selector (a key present; or its value among the listed ones). */
export function matchesSelectors(tags: Record<string, string>, selectors: readonly TagSelector[]): boolean {
  return selectors.some((s) => Object.hasOwn(tags, s.key) && (!s.values || s.values.includes(tags[s.key]!)));
}

async function call<T>(operation: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw toAwsCallError(SERVICE, operation, err);
  }
}

async function listIds(
  operation: string,
  pages: AsyncIterable<{ items?: { id?: string | undefined }[] | undefined }>,
  emulated: boolean,
): Promise<string[]> {
  const ids: string[] = [];
  try {
    for await (const page of pages) {
      for (const item of page.items ?? []) if (item.id && ID.test(item.id)) ids.push(item.id);
      if (ids.length > TIMESTREAM_MAX) throw new Error(`more than ${TIMESTREAM_MAX} DB instances and clusters: not scanned`);
    }
  } catch (err) {
    throw serviceAbsent(err, emulated) ? new ServiceAbsent() : toAwsCallError(SERVICE, operation, err);
  }
  return unique(ids);
}

type Described = GetDbInstanceCommandOutput | GetDbClusterCommandOutput;

/** An InfluxDB 3 cluster (`INFLUXDB_V3_CORE`, `INFLUXDB_V3_ENTERPRISE`). */
const isV3Engine = (raw: Described) =>
  'engineType' in raw && typeof raw.engineType === 'string' && raw.engineType.startsWith('INFLUXDB_V3');

function toDb(raw: Described, kind: TimestreamDb['kind'], accountId: string, region: string): TimestreamDb | undefined {
  if (!raw.id || !ID.test(raw.id)) return undefined;
  const arn = raw.arn && ARN.test(raw.arn) ? raw.arn : `arn:aws:timestream-influxdb:${region}:${accountId}:db-${kind}/${raw.id}`;
  const s3 = raw.logDeliveryConfiguration?.s3Configuration;
  const db: TimestreamDb = {
    accountId,
    region,
    kind,
    id: raw.id,
    arn,
    // Without a port in the answer, the engine's default: 8181 for InfluxDB 3 (CHECKS.md), 8086 for InfluxDB 2.
    port: typeof raw.port === 'number' && raw.port > 0 && raw.port < 65536 ? raw.port : isV3Engine(raw) ? 8181 : 8086,
    publiclyAccessible: raw.publiclyAccessible === true,
    securityGroupIds: unique(
      (raw.vpcSecurityGroupIds ?? []).filter((g): g is string => typeof g === 'string' && /^sg-[0-9a-zA-Z-]{1,40}$/.test(g)),
    ).slice(0, 16),
    logDelivery: { enabled: s3?.enabled === true, ...(s3?.bucketName ? { bucket: clip(s3.bucketName, 63)! } : {}) },
    tags: {},
  };
  if (raw.name) db.name = clip(raw.name, 64)!;
  if (raw.status) db.status = clip(raw.status, 40)!;
  if (raw.endpoint) db.endpoint = clip(raw.endpoint, 253)!;
  if (raw.dbParameterGroupIdentifier) db.parameterGroupId = clip(raw.dbParameterGroupIdentifier, 64)!;
  if ('engineType' in raw && raw.engineType) db.engineType = clip(raw.engineType, 40)!;
  return db;
}

async function parameterGroup(ts: TimestreamInfluxDBClient, id: string): Promise<Result<TimestreamParameters>> {
  try {
    const out = await ts.send(new GetDbParameterGroupCommand({ identifier: id }));
    const params = (out.parameters ?? {}) as Record<string, unknown>;
    const engine = Object.keys(params).find((k) => k !== '$unknown') ?? 'unknown';
    const v2 = (params.InfluxDBv2 ?? {}) as { pprofDisabled?: unknown; metricsDisabled?: unknown };
    const p: TimestreamParameters = { groupId: id, engine: clip(engine, 40)! };
    if (out.name) p.groupName = clip(out.name, 64)!;
    if (typeof v2.pprofDisabled === 'boolean') p.pprofDisabled = v2.pprofDisabled;
    if (typeof v2.metricsDisabled === 'boolean') p.metricsDisabled = v2.metricsDisabled;
    return ok(p);
  } catch (err) {
    return fail(toAwsCallError(SERVICE, 'GetDbParameterGroup', err).message);
  }
}

export interface TimestreamInventory {
  timestream: Result<TimestreamDb[]>;
  parameterGroups: Map<string, Result<TimestreamParameters>>;
}

/**
 * Every DB instance and cluster of the region (an instance that belongs to a
 * cluster is reported by its cluster), and their parameter groups.
 */
export async function discoverTimestream(
  ts: TimestreamInfluxDBClient,
  accountId: string,
  region: string,
  config: Pick<Config, 'tagSelectors'>,
): Promise<TimestreamInventory> {
  const parameterGroups = new Map<string, Result<TimestreamParameters>>();
  let dbs: TimestreamDb[];
  const emulated = await isEmulated(ts);
  try {
    const [instanceIds, clusterIds] = await Promise.all([
      listIds('ListDbInstances', paginateListDbInstances({ client: ts, pageSize: 100 }, {}), emulated),
      listIds('ListDbClusters', paginateListDbClusters({ client: ts, pageSize: 100 }, {}), emulated),
    ]);
    const describe = async (kind: TimestreamDb['kind'], id: string): Promise<TimestreamDb | undefined> => {
      let raw: Described;
      try {
        raw =
          kind === 'instance'
            ? await ts.send(new GetDbInstanceCommand({ identifier: id }))
            : await ts.send(new GetDbClusterCommand({ dbClusterId: id }));
      } catch (err) {
        if (errorCode(err) === 'ResourceNotFoundException') return undefined; // deleted since it was listed
        throw toAwsCallError(SERVICE, kind === 'instance' ? 'GetDbInstance' : 'GetDbCluster', err);
      }
      if (kind === 'instance' && (raw as GetDbInstanceCommandOutput).dbClusterId) return undefined; // its cluster speaks for it
      return toDb(raw, kind, accountId, region);
    };
    const found = await mapLimit(
      [...instanceIds.map((id) => ['instance', id] as const), ...clusterIds.map((id) => ['cluster', id] as const)],
      CONCURRENCY,
      ([kind, id]) => describe(kind, id),
    );
    dbs = found.filter((d): d is TimestreamDb => d !== undefined);
    if (!selectorsAreDefault(config.tagSelectors)) {
      const tagged = await mapLimit(dbs, CONCURRENCY, async (db) => {
        const out = await call('ListTagsForResource', () => ts.send(new ListTagsForResourceCommand({ resourceArn: db.arn })));
        db.tags = Object.fromEntries(
          Object.entries(out.tags ?? {})
            .slice(0, 50)
            .map(([k, v]) => [clip(k, 128)!, clip(String(v), 256)!]),
        );
        return db;
      });
      dbs = tagged.filter((db) => matchesSelectors(db.tags, config.tagSelectors));
    }
  } catch (err) {
    if (err instanceof ServiceAbsent) return { timestream: ok([]), parameterGroups };
    return { timestream: fail(toAwsCallError(SERVICE, 'ListDbInstances', err).message), parameterGroups };
  }
  dbs.sort((a, b) => a.kind.localeCompare(b.kind) || a.id.localeCompare(b.id));
  const custom = unique(dbs.flatMap((d) => (d.parameterGroupId ? [d.parameterGroupId] : [])));
  const resolved = await mapLimit(custom, CONCURRENCY, (id) => parameterGroup(ts, id));
  for (const [i, id] of custom.entries()) parameterGroups.set(id, resolved[i]!);
  return { timestream: ok(dbs), parameterGroups };
}
