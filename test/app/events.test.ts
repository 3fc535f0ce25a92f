/**
 * Event-driven rescans against moto: each CloudTrail event shape, through the
 * events handler (SQS, Powertools BatchProcessor), the debounce in DynamoDB and
 * the delayed check on the events queue, dispatches a scan of exactly the
 * affected selected instances; a burst of 20 events for one group is one scan.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DescribeInstancesCommand } from '@aws-sdk/client-ec2';
import { CreateQueueCommand, DeleteMessageCommand, SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import { handler as events } from '../../handlers/events.js';
import { ELB_EVENTS } from '../../lib/app/events.js';
import { resetAppDeps } from '../../lib/app/runtime.js';
import { ScanStore } from '../../lib/app/store.js';
import type { WorkUnit } from '../../lib/app/units.js';
import { seedEstate, type SeededEstate } from '../../scripts/estate.js';
import { endpoint, testAccount, type TestAccount } from '../support/aws.js';
import { createAppResources, lambdaContext, receiveAsEvent, type AppResources } from '../support/app.js';

const REGION = 'eu-west-1';
let home: TestAccount;
let member: TestAccount;
let memberEstate: SeededEstate;
let res: AppResources;
let eventsQueueUrl = '';
let estate: SeededEstate;
let eniOfA0 = '';
const savedEnv = { ...process.env };

/** A CloudTrail management event as EventBridge delivers it ("AWS API Call via CloudTrail"). */
function cloudTrailEvent(
  account: string,
  eventName: string,
  requestParameters: Record<string, unknown>,
  opts: { source?: string; responseElements?: Record<string, unknown>; errorCode?: string; recipient?: string } = {},
) {
  return {
    version: '0',
    id: `ev-${Math.random().toString(16).slice(2)}`,
    'detail-type': 'AWS API Call via CloudTrail',
    source: opts.source === 'elasticloadbalancing.amazonaws.com' ? 'aws.elasticloadbalancing' : 'aws.ec2',
    account,
    time: new Date().toISOString(),
    region: REGION,
    resources: [],
    detail: {
      eventVersion: '1.09',
      userIdentity: { type: 'AssumedRole', arn: `arn:aws:sts::${account}:assumed-role/terraform/ci` },
      eventSource: opts.source ?? 'ec2.amazonaws.com',
      eventName,
      awsRegion: REGION,
      recipientAccountId: opts.recipient ?? account,
      requestParameters,
      responseElements: opts.responseElements ?? null,
      ...(opts.errorCode ? { errorCode: opts.errorCode } : {}),
    },
  };
}

async function sendEvents(bodies: unknown[]): Promise<void> {
  for (let i = 0; i < bodies.length; i += 10)
    await res.sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: eventsQueueUrl,
        Entries: bodies.slice(i, i + 10).map((b, j) => ({ Id: String(j), MessageBody: JSON.stringify(b) })),
      }),
    );
}

/** Run the events function over its queue, as Lambda's SQS trigger would, until nothing is pending (delayed checks included). */
async function drainEvents(deadlineMs = 15_000): Promise<{ failures: number }> {
  let failures = 0;
  const until = Date.now() + deadlineMs;
  let idle = 0;
  while (Date.now() < until && idle < 4) {
    const batch = await receiveAsEvent(res.sqs, eventsQueueUrl);
    if (!batch.Records.length) {
      idle++;
      await new Promise((r) => setTimeout(r, 400));
      continue;
    }
    idle = 0;
    const r = (await events(batch, lambdaContext('events'))) as { batchItemFailures: { itemIdentifier: string }[] };
    failures += r.batchItemFailures.length;
    for (const rec of batch.Records)
      if (!r.batchItemFailures.some((f) => f.itemIdentifier === rec.messageId))
        await res.sqs.send(new DeleteMessageCommand({ QueueUrl: eventsQueueUrl, ReceiptHandle: rec.receiptHandle }));
  }
  return { failures };
}

/** The work units dispatched since the last call, by scan. */
async function dispatchedScans(): Promise<Map<string, WorkUnit[]>> {
  const scans = new Map<string, WorkUnit[]>();
  for (;;) {
    const batch = await receiveAsEvent(res.sqs, res.queueUrl);
    if (!batch.Records.length) break;
    for (const rec of batch.Records) {
      const u = JSON.parse(rec.body) as WorkUnit;
      scans.set(u.scanId, [...(scans.get(u.scanId) ?? []), u]);
      await res.sqs.send(new DeleteMessageCommand({ QueueUrl: res.queueUrl, ReceiptHandle: rec.receiptHandle }));
    }
  }
  return scans;
}

/** One event through the whole path: the instances of the one scan it started ('region' for a whole-region scan), or none. */
async function scannedBy(event: unknown): Promise<string[] | 'region' | undefined> {
  await sendEvents([event]);
  expect(await drainEvents()).toEqual({ failures: 0 });
  const scans = [...(await dispatchedScans()).values()];
  if (!scans.length) return undefined;
  expect(scans).toHaveLength(1);
  const units = scans[0]!;
  if (units.every((u) => u.regionComplete)) return 'region';
  return units.flatMap((u) => u.instanceIds ?? []).sort();
}

beforeAll(async () => {
  home = await testAccount();
  res = await createAppResources(home, REGION, 'events');
  eventsQueueUrl = (await res.sqs.send(new CreateQueueCommand({ QueueName: 'events-changes' }))).QueueUrl!;
  estate = await seedEstate(home.seeder(REGION), {
    region: REGION,
    groups: [
      { name: 'open', rules: [{ ports: 8086, cidrs: ['0.0.0.0/0'] }] },
      { name: 'admin', rules: [{ ports: 22, cidrs: ['10.0.0.0/8'] }] },
      // On no selected instance: a load balancer's group, whose rules decide paths to the instances behind it.
      { name: 'lb', rules: [{ ports: 443, cidrs: ['0.0.0.0/0'] }] },
    ],
    instances: [
      { name: 'a', tags: { influxdb: '' }, groups: ['open'], count: 2 },
      { name: 'b', tags: { influxdb: '' }, groups: ['admin'] },
      // Not selected (no influxdb tag), in the same group: never scanned.
      { name: 'other', groups: ['open'] },
    ],
  });
  // A member account whose change events reach this account's bus (cloudformation/member-events.yml).
  member = await testAccount();
  memberEstate = await seedEstate(member.seeder(REGION), {
    region: REGION,
    groups: [{ name: 'open', rules: [{ ports: 8086, cidrs: ['0.0.0.0/0'] }] }],
    instances: [{ name: 'm', tags: { influxdb: '' }, groups: ['open'] }],
  });
  const described = await home.seeder(REGION).send(new DescribeInstancesCommand({ InstanceIds: [estate.instances.a![0]!] }));
  eniOfA0 = described.Reservations![0]!.Instances![0]!.NetworkInterfaces![0]!.NetworkInterfaceId!;
  Object.assign(process.env, home.env(REGION), {
    INFLUXGUARD_TABLE: res.table,
    INFLUXGUARD_QUEUE_URL: res.queueUrl,
    INFLUXGUARD_EVENTS_QUEUE_URL: eventsQueueUrl,
    INFLUXGUARD_EVENT_QUIET_SECONDS: '1',
    INFLUXGUARD_REGIONS: REGION,
    INFLUXGUARD_ACCOUNTS: `self,${member.accountId}`,
    INFLUXGUARD_PROBE_ENABLED: 'false',
    INFLUXGUARD_HOST_ENABLED: 'false',
    INFLUXGUARD_PUBLISH_ENABLED: 'true',
    POWERTOOLS_LOG_LEVEL: 'ERROR',
    POWERTOOLS_METRICS_NAMESPACE: 'influxguard-test',
  });
  resetAppDeps();
}, 120_000);

afterAll(() => {
  resetAppDeps();
  process.env = savedEnv;
});

const sorted = (ids: string[]) => [...ids].sort();

describe('each event shape scans exactly the affected instances', () => {
  const acct = () => home.accountId;
  const a = () => sorted(estate.instances.a!);
  const a0 = () => estate.instances.a![0]!;
  const b = () => estate.instances.b![0]!;
  const cases: [string, () => unknown, () => string[] | 'region' | undefined][] = [
    [
      'AuthorizeSecurityGroupIngress → the group’s selected instances',
      () => cloudTrailEvent(acct(), 'AuthorizeSecurityGroupIngress', { groupId: estate.groups.open }),
      a,
    ],
    [
      'RevokeSecurityGroupIngress → the group’s instances',
      () => cloudTrailEvent(acct(), 'RevokeSecurityGroupIngress', { groupId: estate.groups.admin }),
      () => [b()],
    ],
    [
      'ModifySecurityGroupRules → the group’s instances',
      () => cloudTrailEvent(acct(), 'ModifySecurityGroupRules', { ModifySecurityGroupRulesRequest: { GroupId: estate.groups.open } }),
      a,
    ],
    [
      'ModifyInstanceAttribute (groups) → the instance',
      () => cloudTrailEvent(acct(), 'ModifyInstanceAttribute', { instanceId: b(), groupSet: { items: [{ groupId: estate.groups.open }] } }),
      () => [b()],
    ],
    [
      'ModifyInstanceAttribute of anything else → nothing',
      () => cloudTrailEvent(acct(), 'ModifyInstanceAttribute', { instanceId: b(), disableApiTermination: { value: true } }),
      () => undefined,
    ],
    [
      'ModifyNetworkInterfaceAttribute (groups) → the interface’s instance',
      () => cloudTrailEvent(acct(), 'ModifyNetworkInterfaceAttribute', { networkInterfaceId: eniOfA0, groupSet: { items: [] } }),
      () => [a0()],
    ],
    [
      'RunInstances → the launched selected instances only',
      () =>
        cloudTrailEvent(
          acct(),
          'RunInstances',
          {},
          {
            responseElements: { instancesSet: { items: [{ instanceId: a0() }, { instanceId: estate.instances.other![0] }] } },
          },
        ),
      () => [a0()],
    ],
    [
      'StartInstances → the instance',
      () => cloudTrailEvent(acct(), 'StartInstances', { instancesSet: { items: [{ instanceId: b() }] } }),
      () => [b()],
    ],
    [
      'CreateTags with a selector key → the instance',
      () =>
        cloudTrailEvent(acct(), 'CreateTags', {
          resourcesSet: { items: [{ resourceId: a0() }] },
          tagSet: { items: [{ key: 'influxdb', value: '' }] },
        }),
      () => [a0()],
    ],
    [
      'CreateTags with another key → nothing',
      () =>
        cloudTrailEvent(acct(), 'CreateTags', {
          resourcesSet: { items: [{ resourceId: a0() }] },
          tagSet: { items: [{ key: 'Owner', value: 'x' }] },
        }),
      () => undefined,
    ],
    [
      'DeleteTags of the role tag → the instance',
      () =>
        cloudTrailEvent(acct(), 'DeleteTags', {
          resourcesSet: { items: [{ resourceId: b() }] },
          tagSet: { items: [{ key: 'influxdb:role' }] },
        }),
      () => [b()],
    ],
    [
      'AttachVolume → the instance',
      () => cloudTrailEvent(acct(), 'AttachVolume', { volumeId: 'vol-0123456789abcdef0', instanceId: a0(), device: '/dev/sdf' }),
      () => [a0()],
    ],
    [
      'AssociateAddress → the instance',
      () => cloudTrailEvent(acct(), 'AssociateAddress', { instanceId: b(), allocationId: 'eipalloc-1' }),
      () => [b()],
    ],
    ['DisableEbsEncryptionByDefault → the region', () => cloudTrailEvent(acct(), 'DisableEbsEncryptionByDefault', {}), () => 'region'],
    [
      'AttachInternetGateway → the VPC’s instances',
      () => cloudTrailEvent(acct(), 'AttachInternetGateway', { internetGatewayId: 'igw-1', vpcId: estate.vpcId }),
      () => sorted([...a(), b()]),
    ],
    [
      'CreateNetworkAclEntry (no VPC named) → the region',
      () => cloudTrailEvent(acct(), 'CreateNetworkAclEntry', { networkAclId: 'acl-1', ruleNumber: 100 }),
      () => 'region',
    ],
    [
      'RegisterTargets (elbv2) → the registered instances',
      () =>
        cloudTrailEvent(
          acct(),
          'RegisterTargets',
          { targetGroupArn: 'arn:aws:elasticloadbalancing:eu-west-1:1:targetgroup/x/1', targets: [{ id: a0(), port: 8086 }] },
          {
            source: 'elasticloadbalancing.amazonaws.com',
          },
        ),
      () => [a0()],
    ],
    [
      'AuthorizeSecurityGroupIngress on a group no selected instance uses (a load balancer’s) → the region',
      () => cloudTrailEvent(acct(), 'AuthorizeSecurityGroupIngress', { groupId: estate.groups.lb }),
      () => 'region',
    ],
    ...(['CreateRule', 'ModifyRule', 'ModifyTargetGroup'] as const).map((name): [string, () => unknown, () => 'region'] => [
      `${name} (elbv2) → the region`,
      () =>
        cloudTrailEvent(
          acct(),
          name,
          { targetGroupArn: 'arn:aws:elasticloadbalancing:eu-west-1:1:targetgroup/x/1' },
          { source: 'elasticloadbalancing.amazonaws.com' },
        ),
      () => 'region',
    ]),
    [
      'a failed call → nothing',
      () =>
        cloudTrailEvent(
          acct(),
          'AuthorizeSecurityGroupIngress',
          { groupId: estate.groups.open },
          { errorCode: 'Client.UnauthorizedOperation' },
        ),
      () => undefined,
    ],
    [
      'an account outside the configured ones → nothing',
      () => cloudTrailEvent('111122223333', 'AuthorizeSecurityGroupIngress', { groupId: estate.groups.open }),
      () => undefined,
    ],
  ];
  for (const [name, event, expected] of cases) {
    it(name, async () => {
      expect(await scannedBy(event())).toEqual(expected());
    }, 30_000);
  }

  it('an event forwarded from a member account scans that account’s instances (listed through the member role)', async () => {
    const event = cloudTrailEvent(member.accountId, 'AuthorizeSecurityGroupIngress', { groupId: memberEstate.groups.open });
    await sendEvents([event]);
    expect(await drainEvents()).toEqual({ failures: 0 });
    const scans = [...(await dispatchedScans()).values()];
    expect(scans).toHaveLength(1);
    expect(scans[0]!.map((u) => [u.accountId, u.instanceIds])).toEqual([[member.accountId, memberEstate.instances.m]]);
  }, 30_000);

  it('drops a malformed message without retrying it', async () => {
    await sendEvents([{ hello: 'world' }]);
    expect(await drainEvents()).toEqual({ failures: 0 });
    expect((await dispatchedScans()).size).toBe(0);
  });
});

describe('the events the rules match', () => {
  it('include the load-balancer changes that move a path: listener rules, target groups, targets', () => {
    expect(ELB_EVENTS).toEqual(expect.arrayContaining(['CreateRule', 'ModifyRule', 'DeleteRule', 'ModifyTargetGroup', 'RegisterTargets']));
  });
});

describe('debounce', () => {
  it('a burst of 20 events for one group (a Terraform apply) gives one scan per instance', async () => {
    const burst = Array.from({ length: 20 }, (_, i) =>
      cloudTrailEvent(home.accountId, i % 2 ? 'AuthorizeSecurityGroupIngress' : 'RevokeSecurityGroupIngress', {
        groupId: estate.groups.open,
      }),
    );
    await sendEvents(burst);
    expect(await drainEvents()).toEqual({ failures: 0 });
    const scans = [...(await dispatchedScans()).values()];
    expect(scans).toHaveLength(1);
    expect(scans[0]!.flatMap((u) => u.instanceIds ?? []).sort()).toEqual(sorted(estate.instances.a!));
  }, 40_000);

  it('changes to two groups in one burst scan both groups’ instances', async () => {
    await sendEvents([
      cloudTrailEvent(home.accountId, 'AuthorizeSecurityGroupIngress', { groupId: estate.groups.open }),
      cloudTrailEvent(home.accountId, 'RevokeSecurityGroupIngress', { groupId: estate.groups.admin }),
    ]);
    expect(await drainEvents()).toEqual({ failures: 0 });
    const scans = [...(await dispatchedScans()).values()];
    expect(scans).toHaveLength(1);
    expect(sorted(scans[0]!.flatMap((u) => u.instanceIds ?? []))).toEqual(sorted([...estate.instances.a!, estate.instances.b![0]!]));
  }, 40_000);

  it('a change noted while its burst is being scanned stays pending (only the scanned ids are cleared)', async () => {
    const store = new ScanStore(new DynamoDBClient({ region: REGION, endpoint: endpoint(), credentials: home.credentials }), res.table);
    const [x, y] = ['i-0000000000000000a', 'i-0000000000000000b'];
    expect(await store.noteChanges(home.accountId, 'eu-north-1', { instanceIds: [x], wholeRegion: false }, new Date(1000))).toBe(true);
    const taken = (await store.getPendingChanges(home.accountId, 'eu-north-1'))!;
    expect(await store.noteChanges(home.accountId, 'eu-north-1', { instanceIds: [y], wholeRegion: false }, new Date(2000))).toBe(false);
    expect(await store.clearPendingChanges(home.accountId, 'eu-north-1', taken)).toBe(false);
    expect(await store.getPendingChanges(home.accountId, 'eu-north-1')).toMatchObject({ instanceIds: [y], wholeRegion: false });
    const rest = (await store.getPendingChanges(home.accountId, 'eu-north-1'))!;
    expect(await store.clearPendingChanges(home.accountId, 'eu-north-1', rest)).toBe(true);
    expect(await store.getPendingChanges(home.accountId, 'eu-north-1')).toBeUndefined();
  });
});
