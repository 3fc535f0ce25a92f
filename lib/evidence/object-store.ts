/**
 * The S3 bucket an InfluxDB 3 server keeps its data in (`--object-store s3 --bucket B`, named by host evidence),
 * as S3 answers for it: Block Public Access at bucket and account level, the policy status, public ACL grants
 * (CHECKS.md `storage.object-store-public`). Read-only calls; each answer is data or the reason it could not be had.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import type { S3ControlClient } from '@aws-sdk/client-s3-control';
import type { Clients } from '../aws/clients.js';
import { toAwsCallError } from '../errors.js';
import { V3_OPTIONS, type HostEvidence } from '../host-evidence.js';
import type { BucketExposure, PublicAccessBlock } from '../model/evidence.js';
import { fail, ok, type Result } from '../result.js';

/** S3 bucket names (the rules for new buckets; older us-east-1 names may hold capitals and underscores). */
const BUCKET = /^[A-Za-z0-9][A-Za-z0-9._-]{1,254}$/;
const OPEN: PublicAccessBlock = { blockPublicAcls: false, ignorePublicAcls: false, blockPublicPolicy: false, restrictPublicBuckets: false };
const GROUPS: Record<string, string> = {
  'http://acs.amazonaws.com/groups/global/AllUsers': 'AllUsers',
  'http://acs.amazonaws.com/groups/global/AuthenticatedUsers': 'AuthenticatedUsers',
};

/** The buckets of the host's InfluxDB 3 processes on an S3 object store (flag over variable, as the server reads them). */
export function objectStoreBuckets(h: HostEvidence): string[] {
  const buckets = h.processes.flatMap((p) => {
    if (p.flavour !== 'influxdb-3' || p.configSource === 'none') return [];
    const opt = (k: 'object-store' | 'bucket') => p.flags?.[k] ?? (p.env[V3_OPTIONS[k]] || undefined);
    const b = opt('bucket');
    return opt('object-store') === 's3' && b && BUCKET.test(b) ? [b] : [];
  });
  return [...new Set(buckets)].slice(0, 8);
}

const errorName = (err: unknown) => (err as { name?: string; Code?: string } | null)?.name ?? (err as { Code?: string } | null)?.Code;

async function answer<T>(
  service: 's3' | 's3control',
  operation: string,
  call: () => Promise<T>,
  absent: { name: RegExp; value: T },
): Promise<Result<T>> {
  try {
    return ok(await call());
  } catch (err) {
    if (absent.name.test(errorName(err) ?? '')) return ok(absent.value);
    return fail(toAwsCallError(service, operation, err).message);
  }
}

const block = (
  c: { BlockPublicAcls?: boolean; IgnorePublicAcls?: boolean; BlockPublicPolicy?: boolean; RestrictPublicBuckets?: boolean } | undefined,
) => ({
  blockPublicAcls: c?.BlockPublicAcls === true,
  ignorePublicAcls: c?.IgnorePublicAcls === true,
  blockPublicPolicy: c?.BlockPublicPolicy === true,
  restrictPublicBuckets: c?.RestrictPublicBuckets === true,
});

/** What S3 says of one bucket and of the account's Block Public Access. */
export async function bucketExposure(s3: S3Client, s3control: S3ControlClient, accountId: string, bucket: string): Promise<BucketExposure> {
  const s3m = await import('@aws-sdk/client-s3');
  const ctl = await import('@aws-sdk/client-s3-control');
  const [bucketBlock, accountBlock, policyPublic, aclPublicGrants] = await Promise.all([
    answer(
      's3',
      'GetPublicAccessBlock',
      async () => block((await s3.send(new s3m.GetPublicAccessBlockCommand({ Bucket: bucket }))).PublicAccessBlockConfiguration),
      { name: /NoSuchPublicAccessBlockConfiguration/, value: OPEN },
    ),
    answer(
      's3control',
      'GetPublicAccessBlock',
      async () =>
        block((await s3control.send(new ctl.GetPublicAccessBlockCommand({ AccountId: accountId }))).PublicAccessBlockConfiguration),
      { name: /NoSuchPublicAccessBlockConfiguration/, value: OPEN },
    ),
    answer(
      's3',
      'GetBucketPolicyStatus',
      async () => (await s3.send(new s3m.GetBucketPolicyStatusCommand({ Bucket: bucket }))).PolicyStatus?.IsPublic === true,
      { name: /NoSuchBucketPolicy/, value: false },
    ),
    answer(
      's3',
      'GetBucketAcl',
      async () =>
        ((await s3.send(new s3m.GetBucketAclCommand({ Bucket: bucket }))).Grants ?? []).flatMap((g) => {
          const who = g.Grantee?.URI ? GROUPS[g.Grantee.URI] : undefined;
          return who && g.Permission ? [`${who}:${g.Permission}`] : [];
        }),
      { name: /^$/, value: [] },
    ),
  ]);
  return { bucket, bucketBlock, accountBlock, policyPublic, aclPublicGrants };
}

/** The scan's reader of a bucket: S3 and S3 Control clients of the home region (S3 follows a bucket's region). */
export function objectStoreReader(
  clients: Pick<Clients, 's3' | 's3control'>,
  accountId: string,
  region: string,
): (bucket: string) => Promise<BucketExposure> {
  return async (bucket) => bucketExposure(await clients.s3(region), await clients.s3control(region), accountId, bucket);
}
