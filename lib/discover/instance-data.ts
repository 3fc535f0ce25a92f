/**
 * What the EC2 instances keep beside their network: the account's snapshots of their volumes and their user data.
 * Snapshots cost calls per page, never per instance: the owned snapshots of the volumes (DescribeSnapshots filtered
 * by volume id, 200 ids a call), the public ones (one DescribeSnapshots(OwnerIds=self, RestorableByUserIds=all) per
 * region) and the region's snapshot Block Public Access state (one call). User data is one
 * DescribeInstanceAttribute per instance (EC2 has no batch read), at bounded concurrency; the verdict of a running
 * instance is kept by instance id and launch time (user data can change only while the instance is stopped, and
 * starting it again changes its launch time): in this process, or in the stack's table when the service passes one
 * (UserDataCache), so a rescan reads only what may have changed.
 */
import {
  DescribeInstanceAttributeCommand,
  GetSnapshotBlockPublicAccessStateCommand,
  paginateDescribeSnapshots,
  type EC2Client,
  type Snapshot as Ec2Snapshot,
} from '@aws-sdk/client-ec2';
import { toAwsCallError } from '../errors.js';
import { fail, ok, type Instance, type Result, type Snapshot, type SnapshotInventory, type UserDataVerdict } from '../model.js';
import { chunk, mapLimit, unique } from '../util/concurrency.js';
import { userDataVerdict } from '../util/user-data.js';
import { FILTER_VALUES_MAX } from './ec2.js';

/** DescribeInstanceAttribute calls in flight per region (EC2's request limits are per account and region). */
export const USER_DATA_CONCURRENCY = 8;
/** Verdicts kept between scans in this process (a Lambda container, a long CLI run): beyond it, the oldest go. */
const CACHE_MAX = 50_000;

async function attempt<T>(operation: string, fn: () => Promise<T>): Promise<Result<T>> {
  try {
    return ok(await fn());
  } catch (err) {
    return fail(toAwsCallError('ec2', operation, err).message);
  }
}

async function snapshotPages(ec2: EC2Client, input: Parameters<typeof paginateDescribeSnapshots>[1]): Promise<Ec2Snapshot[]> {
  const out: Ec2Snapshot[] = [];
  for await (const page of paginateDescribeSnapshots({ client: ec2, pageSize: 1000 }, input)) out.push(...(page.Snapshots ?? []));
  return out;
}

function toSnapshot(s: Ec2Snapshot): Snapshot {
  const snap: Snapshot = { snapshotId: s.SnapshotId!, volumeId: s.VolumeId ?? '', encrypted: s.Encrypted === true };
  if (s.KmsKeyId) snap.kmsKeyId = s.KmsKeyId;
  if (s.VolumeSize !== undefined) snap.sizeGiB = s.VolumeSize;
  return snap;
}

function byVolume(snaps: Ec2Snapshot[], volumes: ReadonlySet<string>): Map<string, Snapshot[]> {
  const out = new Map<string, Snapshot[]>();
  for (const s of snaps) {
    if (!s.SnapshotId || !s.VolumeId || !volumes.has(s.VolumeId)) continue;
    out.set(s.VolumeId, [...(out.get(s.VolumeId) ?? []), toSnapshot(s)]);
  }
  for (const list of out.values()) list.sort((a, b) => a.snapshotId.localeCompare(b.snapshotId));
  return out;
}

/** The account's snapshots of these instances' volumes, the public ones and the region's Block Public Access. */
export async function discoverSnapshots(ec2: EC2Client, instances: readonly Instance[]): Promise<SnapshotInventory> {
  const ids = unique(instances.flatMap((i) => i.blockDevices.map((b) => b.volumeId)));
  const volumes = new Set(ids);
  const [owned, pub, bpa] = await Promise.all([
    attempt('DescribeSnapshots', async () => {
      const parts = await Promise.all(
        chunk(ids, FILTER_VALUES_MAX).map((values) =>
          snapshotPages(ec2, { OwnerIds: ['self'], Filters: [{ Name: 'volume-id', Values: values }] }),
        ),
      );
      return byVolume(parts.flat(), volumes);
    }),
    attempt('DescribeSnapshots', async () =>
      byVolume(await snapshotPages(ec2, { OwnerIds: ['self'], RestorableByUserIds: ['all'] }), volumes),
    ),
    attempt('GetSnapshotBlockPublicAccessState', async () => {
      const out = await ec2.send(new GetSnapshotBlockPublicAccessStateCommand({}));
      return out.State ?? 'unblocked';
    }),
  ]);
  return { byVolume: owned, publicByVolume: pub, blockPublicAccess: bpa };
}

/**
 * Where running instances' user-data verdicts are kept between scans, by `instanceId@launchTime` within an account
 * and region: this process by default; the stack's table in the service (lib/app/store.ts). Never the user data: a
 * verdict holds names and line numbers only. A failure to load or save only costs reads.
 */
export interface UserDataCache {
  load(accountId: string, region: string): Promise<Map<string, UserDataVerdict>>;
  save(accountId: string, region: string, key: string, verdict: UserDataVerdict): Promise<void>;
}

const kept = new Map<string, UserDataVerdict>();

/** This process's cache (a CLI run, a warm Lambda container), bounded: beyond CACHE_MAX verdicts the oldest go. */
export const processUserDataCache: UserDataCache = {
  load: async (accountId, region) => {
    const prefix = `${accountId}/${region}/`;
    return new Map([...kept].filter(([k]) => k.startsWith(prefix)).map(([k, v]) => [k.slice(prefix.length), v]));
  },
  save: async (accountId, region, key, verdict) => {
    if (kept.size >= CACHE_MAX) kept.delete(kept.keys().next().value!);
    kept.set(`${accountId}/${region}/${key}`, verdict);
  },
};

/** The key a verdict is kept under: the instance and its launch (user data changes only while an instance is stopped). */
const userDataKey = (i: Pick<Instance, 'instanceId' | 'launchTime'>) => `${i.instanceId}@${i.launchTime}`;

/** Forget every verdict this process keeps (tests, benchmarks of a first scan). */
export const clearUserDataCache = (): void => kept.clear();

/** Each instance's user-data verdict (names and line numbers only), or why it could not be read. */
export async function discoverUserData(
  ec2: EC2Client,
  instances: readonly Instance[],
  cache: UserDataCache = processUserDataCache,
): Promise<Map<string, Result<UserDataVerdict>>> {
  const first = instances[0];
  const known = first
    ? await cache.load(first.accountId, first.region).catch(() => new Map<string, UserDataVerdict>())
    : new Map<string, UserDataVerdict>();
  const verdicts = await mapLimit(instances, USER_DATA_CONCURRENCY, async (i): Promise<Result<UserDataVerdict>> => {
    // Only a running instance's user data is fixed for its launch: a stopped one may be edited at any time.
    const keep = i.state === 'running' && i.launchTime !== undefined;
    const cached = keep ? known.get(userDataKey(i)) : undefined;
    if (cached) return ok({ ...cached, cached: true });
    const read = await attempt('DescribeInstanceAttribute', async () => {
      const out = await ec2.send(new DescribeInstanceAttributeCommand({ InstanceId: i.instanceId, Attribute: 'userData' }));
      return userDataVerdict(out.UserData?.Value);
    });
    if (read.ok && keep) await cache.save(i.accountId, i.region, userDataKey(i), read.value).catch(() => undefined);
    return read;
  });
  return new Map(instances.map((i, n) => [i.instanceId, verdicts[n]!]));
}
