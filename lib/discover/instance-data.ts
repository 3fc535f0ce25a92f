/**
 * What the EC2 instances keep beside their network: the account's snapshots of their volumes and their user data.
 * Snapshots cost calls per page, never per instance: the owned snapshots of the volumes (DescribeSnapshots filtered
 * by volume id, 200 ids a call), the public ones (one DescribeSnapshots(OwnerIds=self, RestorableByUserIds=all) per
 * region) and the region's snapshot Block Public Access state (one call). User data is one
 * DescribeInstanceAttribute per instance (EC2 has no batch read), at bounded concurrency; the verdict of a running
 * instance is kept in this process by instance id and launch time (user data can change only while the instance is
 * stopped, and starting it again changes its launch time), so a rescan reads only what may have changed.
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

const cache = new Map<string, UserDataVerdict>();
const cacheKey = (i: Instance) => `${i.accountId}/${i.region}/${i.instanceId}@${i.launchTime}`;

/** Forget every kept verdict (tests, benchmarks of a first scan). */
export const clearUserDataCache = (): void => cache.clear();

/** Each instance's user-data verdict (names and line numbers only), or why it could not be read. */
export async function discoverUserData(ec2: EC2Client, instances: readonly Instance[]): Promise<Map<string, Result<UserDataVerdict>>> {
  const verdicts = await mapLimit(instances, USER_DATA_CONCURRENCY, async (i): Promise<Result<UserDataVerdict>> => {
    // Only a running instance's user data is fixed for its launch: a stopped one may be edited at any time.
    const keep = i.state === 'running' && i.launchTime !== undefined;
    const known = keep ? cache.get(cacheKey(i)) : undefined;
    if (known) return ok({ ...known, cached: true });
    const read = await attempt('DescribeInstanceAttribute', async () => {
      const out = await ec2.send(new DescribeInstanceAttributeCommand({ InstanceId: i.instanceId, Attribute: 'userData' }));
      return userDataVerdict(out.UserData?.Value);
    });
    if (read.ok && keep) {
      if (cache.size >= CACHE_MAX) cache.delete(cache.keys().next().value!);
      cache.set(cacheKey(i), read.value);
    }
    return read;
  });
  return new Map(instances.map((i, n) => [i.instanceId, verdicts[n]!]));
}
