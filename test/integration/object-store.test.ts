/**
 * storage.object-store-public's AWS evidence against the moto server: Block Public Access at bucket and account
 * level, the policy status and public ACL grants of the bucket an InfluxDB 3 host names.
 */
import { beforeAll, describe, expect, it } from '@jest/globals';
import {
  CreateBucketCommand,
  PutBucketAclCommand,
  PutBucketPolicyCommand,
  PutPublicAccessBlockCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import {
  DeletePublicAccessBlockCommand as DeleteAccountBlock,
  PutPublicAccessBlockCommand as PutAccountBlock,
  S3ControlClient,
} from '@aws-sdk/client-s3-control';
import { bucketExposure } from '../../lib/evidence/object-store.js';
import type { Clients } from '../../lib/aws/clients.js';
import { parseConfig } from '../../lib/config.js';
import { ok, type HostEvidence, type Instance, type Result } from '../../lib/model.js';
import { scan } from '../../lib/scan.js';
import { seedEstate } from '../../scripts/estate.js';
import { endpoint, testAccount, type TestAccount } from '../support/aws.js';
import { hostEvidence, hostProcess } from '../support/fixtures.js';

const R = 'us-east-1';
let account: TestAccount;
let clients: Clients;
let seed: S3Client;

beforeAll(async () => {
  account = await testAccount();
  clients = account.clients().clients;
  seed = new S3Client({ region: R, endpoint: endpoint(), credentials: account.credentials, forcePathStyle: true });
  for (const b of ['ig-v3-private', 'ig-v3-acl', 'ig-v3-policy', 'ig-v3-blocked']) await seed.send(new CreateBucketCommand({ Bucket: b }));
  await seed.send(new PutBucketAclCommand({ Bucket: 'ig-v3-acl', ACL: 'public-read' }));
  const policy = {
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::ig-v3-policy/*' }],
  };
  await seed.send(new PutBucketPolicyCommand({ Bucket: 'ig-v3-policy', Policy: JSON.stringify(policy) }));
  await seed.send(new PutBucketAclCommand({ Bucket: 'ig-v3-blocked', ACL: 'public-read' }));
  const all = { BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true };
  await seed.send(new PutPublicAccessBlockCommand({ Bucket: 'ig-v3-blocked', PublicAccessBlockConfiguration: all }));
});

const read = async (bucket: string) => bucketExposure(await clients.s3(R), await clients.s3control(R), account.accountId, bucket);

describe('bucketExposure (moto)', () => {
  it('a private bucket: no block configured (all off), no policy, no public grant', async () => {
    const e = await read('ig-v3-private');
    expect(e.bucketBlock).toEqual({
      ok: true,
      value: { blockPublicAcls: false, ignorePublicAcls: false, blockPublicPolicy: false, restrictPublicBuckets: false },
    });
    expect(e.accountBlock.ok).toBe(true);
    expect(e.policyPublic).toEqual({ ok: true, value: false });
    expect(e.aclPublicGrants).toEqual({ ok: true, value: [] });
  });
  it('a public-read ACL, a public policy, a bucket with Block Public Access on', async () => {
    expect((await read('ig-v3-acl')).aclPublicGrants).toEqual({ ok: true, value: ['AllUsers:READ'] });
    expect((await read('ig-v3-policy')).policyPublic).toEqual({ ok: true, value: true });
    const blocked = await read('ig-v3-blocked');
    expect(blocked.bucketBlock).toMatchObject({ ok: true, value: { ignorePublicAcls: true, restrictPublicBuckets: true } });
  });
  it('the account level, once set, is read through S3 Control', async () => {
    const ctl = new S3ControlClient({
      region: R,
      credentials: account.credentials,
      endpointProvider: () => ({ url: new URL(endpoint()) }),
    });
    await ctl.send(
      new PutAccountBlock({
        AccountId: account.accountId,
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          IgnorePublicAcls: true,
          BlockPublicPolicy: true,
          RestrictPublicBuckets: true,
        },
      }),
    );
    expect((await read('ig-v3-acl')).accountBlock).toMatchObject({ ok: true, value: { ignorePublicAcls: true } });
    await ctl.send(new DeleteAccountBlock({ AccountId: account.accountId }));
    ctl.destroy();
  });
  it('a bucket that does not exist: each answer is the reason', async () => {
    const e = await read('ig-v3-absent');
    expect(e.bucketBlock.ok).toBe(false);
    expect(e.aclPublicGrants.ok).toBe(false);
  });
});

describe('storage.object-store-public in a scan (the host names the bucket, S3 answers)', () => {
  it('FAILED for a public-read bucket, PASSED for one behind Block Public Access; the host is read once', async () => {
    const estate = await seedEstate(account.seeder(R), {
      region: R,
      groups: [{ name: 'vpc', rules: [{ ports: 8181, cidrs: ['10.0.0.0/16'] }] }],
      instances: [
        { name: 'v3-acl', tags: { influxdb: '' }, groups: ['vpc'] },
        { name: 'v3-blocked', tags: { influxdb: '' }, groups: ['vpc'] },
      ],
    });
    const bucketOf: Record<string, string> = {
      [estate.instances['v3-acl']![0]!]: 'ig-v3-acl',
      [estate.instances['v3-blocked']![0]!]: 'ig-v3-blocked',
    };
    let collections = 0;
    const host = async (instances: Instance[]) => {
      collections++;
      return new Map<string, Result<HostEvidence>>(
        instances.map((i) => [
          i.instanceId,
          ok({
            ...hostEvidence(),
            version: '3.6.0',
            processes: [
              hostProcess({
                name: 'influxdb3',
                flavour: 'influxdb-3',
                configSource: 'defaults',
                flags: { 'object-store': 's3', 'node-id': 'n1' },
                env: { INFLUXDB3_BUCKET: bucketOf[i.instanceId]! },
              }),
            ],
          }),
        ]),
      );
    };
    const config = parseConfig({ regions: [R], probe: { enabled: false, allowedCidrs: ['127.0.0.0/8'] } });
    const { clients: scanClients, counter } = account.clients(config);
    const r = await scan(config, { clients: scanClients, homeRegion: R, host });
    const verdict = (name: string) =>
      r.document.findings.filter((f) => f.checkId === 'storage.object-store-public' && f.instanceId === estate.instances[name]![0]);
    expect(verdict('v3-acl').map((f) => `${f.status} ${f.severity}`)).toEqual(['FAILED CRITICAL']);
    expect(verdict('v3-acl')[0]!.evidence.summary).toContain('ig-v3-acl');
    expect(verdict('v3-blocked').map((f) => f.status)).toEqual(['PASSED']);
    expect(collections).toBe(1);
    expect(counter.callsByOperation()['s3:GetBucketAcl']).toBe(2);
  });
});
