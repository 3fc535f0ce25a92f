/**
 * Event-driven rescans against moto: each CloudTrail event shape, through the
 * packaged rule's pattern (evaluated as EventBridge would), the events handler
 * (SQS, Powertools BatchProcessor), the debounce in DynamoDB and the delayed
 * check on the events queue, dispatches a scan of exactly the affected selected
 * resources; a burst of 20 events for one group is one scan; region-wide
 * rescans are rate-limited per account × region, and what arrives meanwhile is
 * scanned when the window ends.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createRequire } from 'node:module';
import { CreateVpcCommand, DescribeInstancesCommand, DescribeNetworkAclsCommand, DescribeRouteTablesCommand } from '@aws-sdk/client-ec2';
import { CreateQueueCommand, DeleteMessageCommand, SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import { handler as events } from '../../handlers/events.js';
import { handler as worker } from '../../handlers/worker.js';
import { CHANGE_EVENTS } from '../../lib/app/events.js';
import { ELB_EVENTS } from '../../lib/kinds/ec2-instance/events.js';
import { appDeps, resetAppDeps } from '../../lib/app/runtime.js';
import { ScanStore } from '../../lib/app/store.js';
import type { WorkUnit } from '../../lib/app/units.js';
import { seedEstate, type SeededEstate } from '../../scripts/estate.js';
import { endpoint, testAccount, type TestAccount } from '../support/aws.js';
import { createAppResources, lambdaContext, receiveAsEvent, type AppResources } from '../support/app.js';
import { matchesPattern } from '../support/event-pattern.js';

/** The packaged rule's pattern (serverless.yml's ChangeEventsRule and the member accounts' forwarding rule). */
const { changePattern, PATTERN_MAX } = createRequire(import.meta.url)('../../serverless/events.cjs');

const REGION = 'eu-west-1';
let home: TestAccount;
let member: TestAccount;
let memberEstate: SeededEstate;
let res: AppResources;
let eventsQueueUrl = '';
let estate: SeededEstate;
let eniOfA0 = '';
/** Route tables and network ACLs of the estate's VPC, of its second subnet, and of a VPC without selected instances. */
let net: { rtbOfTwo: string; aclOfTwo: string; otherRtb: string; otherAcl: string; rtbAssociationOfTwo: string };
let burst: TestAccount;
let burstEstate: SeededEstate;
const savedEnv = { ...process.env };

/** A CloudTrail management event as EventBridge delivers it ("AWS API Call via CloudTrail"), with a real record's fields. */
function cloudTrailEvent(
  account: string,
  eventName: string,
  requestParameters: Record<string, unknown>,
  opts: { source?: string; responseElements?: Record<string, unknown>; errorCode?: string; recipient?: string } = {},
) {
  const eventSource = opts.source ?? 'ec2.amazonaws.com';
  const id = Math.random().toString(16).slice(2);
  return {
    version: '0',
    id: `ev-${id}`,
    'detail-type': 'AWS API Call via CloudTrail',
    source: `aws.${eventSource.split('.')[0]}`,
    account,
    time: new Date().toISOString(),
    region: REGION,
    resources: [],
    detail: {
      eventVersion: '1.09',
      userIdentity: {
        type: 'AssumedRole',
        principalId: 'AROAEXAMPLE:ci',
        arn: `arn:aws:sts::${account}:assumed-role/terraform/ci`,
        accountId: account,
        sessionContext: { attributes: { mfaAuthenticated: 'false', creationDate: new Date().toISOString() } },
      },
      eventTime: new Date().toISOString(),
      eventSource,
      eventName,
      awsRegion: REGION,
      sourceIPAddress: '203.0.113.10',
      userAgent: 'APN/1.0 HashiCorp/1.0 Terraform/1.9.5 aws-sdk-go-v2/1.30.4',
      ...(opts.errorCode ? { errorCode: opts.errorCode, errorMessage: `The request failed (${opts.errorCode})` } : {}),
      requestParameters,
      responseElements: opts.errorCode ? null : (opts.responseElements ?? null),
      requestID: `req-${id}`,
      eventID: `eid-${id}`,
      readOnly: false,
      eventType: 'AwsApiCall',
      managementEvent: true,
      recipientAccountId: opts.recipient ?? account,
      eventCategory: 'Management',
    },
  };
}

/** What EventBridge would deliver of these events to the events queue: those the packaged pattern matches. */
const throughRule = (bodies: unknown[]) => bodies.filter((b) => matchesPattern(changePattern, b));

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

type Scanned = string[] | 'region' | 'databases' | undefined;

/** What one scan dispatched covers: 'region' (whole region), 'databases' (no instance: the region unit's Timestream), or its instances. */
function coverage(units: WorkUnit[]): Scanned {
  if (units.every((u) => u.regionComplete)) return 'region';
  const ids = units.flatMap((u) => u.instanceIds ?? []).sort();
  return ids.length ? ids : 'databases';
}

/** One event through the whole path (the rule's pattern, then the handler): what the one scan it started covers, or none. */
async function scannedBy(event: unknown): Promise<Scanned> {
  await sendEvents(throughRule([event]));
  expect(await drainEvents()).toEqual({ failures: 0 });
  const scans = [...(await dispatchedScans()).values()];
  if (!scans.length) return undefined;
  expect(scans).toHaveLength(1);
  return coverage(scans[0]!);
}

beforeAll(async () => {
  home = await testAccount();
  res = await createAppResources(home, REGION, 'events');
  eventsQueueUrl = (await res.sqs.send(new CreateQueueCommand({ QueueName: 'events-changes' }))).QueueUrl!;
  estate = await seedEstate(home.seeder(REGION), {
    region: REGION,
    subnets: [{ name: 'one' }, { name: 'two', acl: [{ rule: 100, action: 'allow', protocol: '-1' }] }],
    groups: [
      { name: 'open', rules: [{ ports: 8086, cidrs: ['0.0.0.0/0'] }] },
      { name: 'admin', rules: [{ ports: 22, cidrs: ['10.0.0.0/8'] }] },
      // On no selected resource of any kind, and on no load balancer: its changes rescan nothing.
      { name: 'lb', rules: [{ ports: 443, cidrs: ['0.0.0.0/0'] }] },
      // An internet-facing load balancer's group, in front of b: its rules decide paths to b.
      { name: 'front', rules: [{ ports: 80, cidrs: ['0.0.0.0/0'] }] },
      // A Timestream for InfluxDB database's group.
      { name: 'tsg', rules: [{ ports: 8086, cidrs: ['10.0.0.0/8'] }] },
    ],
    instances: [
      { name: 'a', tags: { influxdb: '' }, groups: ['open'], count: 2 },
      { name: 'b', tags: { influxdb: '' }, groups: ['admin'], subnet: 'two' },
      // Not selected (no influxdb tag), in the same group: never scanned.
      { name: 'other', groups: ['open'] },
    ],
    loadBalancers: [{ name: 'front', kind: 'application', groups: ['front'], listeners: [{ port: 80, targetPort: 8086, targets: ['b'] }] }],
    timestream: [{ name: 'tsdb', groups: ['tsg'] }],
  });
  const ec2 = home.seeder(REGION);
  const tables = (await ec2.send(new DescribeRouteTablesCommand({ Filters: [{ Name: 'vpc-id', Values: [estate.vpcId] }] }))).RouteTables!;
  const ofTwo = tables.find((t) => t.Associations?.some((a) => a.SubnetId === estate.subnets.two))!;
  const acls = (await ec2.send(new DescribeNetworkAclsCommand({ Filters: [{ Name: 'vpc-id', Values: [estate.vpcId] }] }))).NetworkAcls!;
  const otherVpc = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.9.0.0/16' }))).Vpc!.VpcId!;
  const ofOther = { Filters: [{ Name: 'vpc-id', Values: [otherVpc] }] };
  net = {
    rtbOfTwo: ofTwo.RouteTableId!,
    rtbAssociationOfTwo: ofTwo.Associations!.find((a) => a.SubnetId === estate.subnets.two)!.RouteTableAssociationId!,
    aclOfTwo: acls.find((a) => a.Associations?.some((x) => x.SubnetId === estate.subnets.two))!.NetworkAclId!,
    otherRtb: (await ec2.send(new DescribeRouteTablesCommand(ofOther))).RouteTables![0]!.RouteTableId!,
    otherAcl: (await ec2.send(new DescribeNetworkAclsCommand(ofOther))).NetworkAcls![0]!.NetworkAclId!,
  };
  // A member account whose change events reach this account's bus (cloudformation/member-events.yml).
  member = await testAccount();
  memberEstate = await seedEstate(member.seeder(REGION), {
    region: REGION,
    groups: [{ name: 'open', rules: [{ ports: 8086, cidrs: ['0.0.0.0/0'] }] }],
    instances: [{ name: 'm', tags: { influxdb: '' }, groups: ['open'] }],
  });
  // An account of its own for the rate limit (its region-wide rescans are not the other tests').
  burst = await testAccount();
  burstEstate = await seedEstate(burst.seeder(REGION), {
    region: REGION,
    groups: [
      { name: 'open', rules: [{ ports: 8086, cidrs: ['0.0.0.0/0'] }] },
      { name: 'unrelated', rules: [{ ports: 443, cidrs: ['0.0.0.0/0'] }] },
    ],
    instances: [{ name: 'db', tags: { influxdb: '' }, groups: ['open'], count: 2 }],
  });
  const described = await home.seeder(REGION).send(new DescribeInstancesCommand({ InstanceIds: [estate.instances.a![0]!] }));
  eniOfA0 = described.Reservations![0]!.Instances![0]!.NetworkInterfaces![0]!.NetworkInterfaceId!;
  Object.assign(process.env, home.env(REGION), {
    INFLUXGUARD_TABLE: res.table,
    INFLUXGUARD_QUEUE_URL: res.queueUrl,
    INFLUXGUARD_EVENTS_QUEUE_URL: eventsQueueUrl,
    INFLUXGUARD_EVENT_QUIET_SECONDS: '1',
    INFLUXGUARD_REGIONS: REGION,
    INFLUXGUARD_ACCOUNTS: `self,${member.accountId},${burst.accountId}`,
    // Each shape below is scanned on its own: no rate limit here (the 'rate limit' tests set the default).
    INFLUXGUARD_EVENT_REGION_INTERVAL_SECONDS: '0',
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

describe('each event shape scans exactly the affected resources', () => {
  const acct = () => home.accountId;
  const a = () => sorted(estate.instances.a!);
  const a0 = () => estate.instances.a![0]!;
  const b = () => estate.instances.b![0]!;
  const cases: [string, () => unknown, () => Scanned][] = [
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
      'ModifyInstanceAttribute (user data) → the instance',
      () => cloudTrailEvent(acct(), 'ModifyInstanceAttribute', { instanceId: b(), userData: '<sensitiveDataRemoved>' }),
      () => [b()],
    ],
    [
      'ModifyInstanceMetadataOptions → the instance',
      () =>
        cloudTrailEvent(acct(), 'ModifyInstanceMetadataOptions', {
          ModifyInstanceMetadataOptionsRequest: { InstanceId: b(), HttpTokens: 'optional' },
        }),
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
      'CreateNetworkAclEntry naming no readable ACL → the region',
      () => cloudTrailEvent(acct(), 'CreateNetworkAclEntry', { networkAclId: 'acl-1', ruleNumber: 100 }),
      () => 'region',
    ],
    [
      'CreateRoute (no VPC in the request) → its route table’s VPC’s instances',
      () => cloudTrailEvent(acct(), 'CreateRoute', { routeTableId: net.rtbOfTwo, destinationCidrBlock: '0.0.0.0/0', gatewayId: 'igw-1' }),
      () => sorted([...a(), b()]),
    ],
    [
      'DeleteRoute in a VPC without selected instances → nothing',
      () => cloudTrailEvent(acct(), 'DeleteRoute', { routeTableId: net.otherRtb, destinationCidrBlock: '0.0.0.0/0' }),
      () => undefined,
    ],
    [
      'DeleteRoute of a route table that no longer exists → the region',
      () => cloudTrailEvent(acct(), 'DeleteRoute', { routeTableId: 'rtb-0123456789abcdef0', destinationCidrBlock: '0.0.0.0/0' }),
      () => 'region',
    ],
    [
      'CreateNetworkAclEntry (no VPC in the request) → its ACL’s VPC’s instances',
      () =>
        cloudTrailEvent(acct(), 'CreateNetworkAclEntry', {
          networkAclId: net.aclOfTwo,
          ruleNumber: 90,
          egress: false,
          ruleAction: 'deny',
          protocol: '6',
          portRange: { from: 8086, to: 8086 },
          cidrBlock: '0.0.0.0/0',
        }),
      () => sorted([...a(), b()]),
    ],
    [
      'ReplaceNetworkAclEntry in a VPC without selected instances → nothing',
      () => cloudTrailEvent(acct(), 'ReplaceNetworkAclEntry', { networkAclId: net.otherAcl, ruleNumber: 100 }),
      () => undefined,
    ],
    [
      'AssociateRouteTable with a subnet → that subnet’s instances',
      () => cloudTrailEvent(acct(), 'AssociateRouteTable', { routeTableId: net.otherRtb, subnetId: estate.subnets.two }),
      () => [b()],
    ],
    [
      'DisassociateRouteTable of a live association → its VPC’s instances',
      () => cloudTrailEvent(acct(), 'DisassociateRouteTable', { associationId: net.rtbAssociationOfTwo }),
      () => sorted([...a(), b()]),
    ],
    [
      'DetachVolume → the instance',
      () => cloudTrailEvent(acct(), 'DetachVolume', { volumeId: 'vol-0123456789abcdef0', instanceId: b(), force: false }),
      () => [b()],
    ],
    [
      'DisassociateAddress (names only the address) → the region',
      () => cloudTrailEvent(acct(), 'DisassociateAddress', { associationId: 'eipassoc-0123456789abcdef0' }),
      () => 'region',
    ],
    [
      'UpdateDbInstance (Timestream for InfluxDB) → a scan of the region’s databases, no instance',
      () =>
        cloudTrailEvent(
          acct(),
          'UpdateDbInstance',
          { identifier: estate.timestream.tsdb, dbParameterGroupIdentifier: 'pgabc123' },
          {
            source: 'timestream-influxdb.amazonaws.com',
            responseElements: { id: estate.timestream.tsdb, name: 'tsdb', status: 'UPDATING' },
          },
        ),
      () => 'databases',
    ],
    [
      'UntagResource of a key nobody selects on (Timestream) → nothing',
      () =>
        cloudTrailEvent(
          acct(),
          'UntagResource',
          { resourceArn: `arn:aws:timestream-influxdb:${REGION}:${acct()}:db-instance/${estate.timestream.tsdb}`, tagKeys: ['Owner'] },
          { source: 'timestream-influxdb.amazonaws.com' },
        ),
      () => undefined,
    ],
    [
      'AuthorizeSecurityGroupIngress on a Timestream database’s group → the databases',
      () => cloudTrailEvent(acct(), 'AuthorizeSecurityGroupIngress', { groupId: estate.groups.tsg }),
      () => 'databases',
    ],
    [
      'RevokeSecurityGroupIngress on the group of an internet-facing load balancer in front of b → b',
      () => cloudTrailEvent(acct(), 'RevokeSecurityGroupIngress', { groupId: estate.groups.front }),
      () => [b()],
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
      'AuthorizeSecurityGroupIngress on a group no selected resource and no load balancer uses → nothing',
      () => cloudTrailEvent(acct(), 'AuthorizeSecurityGroupIngress', { groupId: estate.groups.lb }),
      () => undefined,
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
    ...(
      [
        ['AuthorizeSecurityGroupIngress', { groupId: '' }, 'ec2.amazonaws.com', 'Client.UnauthorizedOperation'],
        ['CreateRoute', { routeTableId: '' }, 'ec2.amazonaws.com', 'Client.RouteAlreadyExists'],
        ['UpdateDbInstance', { identifier: '' }, 'timestream-influxdb.amazonaws.com', 'AccessDenied'],
      ] as const
    ).map(([name, params, source, errorCode]): [string, () => unknown, () => undefined] => [
      `a failed ${name} (errorCode ${errorCode}) → nothing`,
      () =>
        cloudTrailEvent(
          acct(),
          name,
          Object.fromEntries(
            Object.keys(params).map((k) => [
              k,
              k === 'groupId' ? estate.groups.open : k === 'routeTableId' ? net.rtbOfTwo : estate.timestream.tsdb,
            ]),
          ),
          { source, errorCode },
        ),
      () => undefined,
    ]),
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

  it('come from the one list lib/app/events.ts maps: Timestream for InfluxDB, DetachVolume, DisassociateAddress; within EventBridge’s pattern size', () => {
    expect(changePattern.source).toEqual(Object.values(CHANGE_EVENTS).map((x) => x.source));
    expect(changePattern.detail.eventSource).toEqual(Object.keys(CHANGE_EVENTS));
    expect(changePattern.detail.eventName).toEqual(Object.values(CHANGE_EVENTS).flatMap((x) => x.events));
    expect(changePattern.detail.eventName).toEqual(
      expect.arrayContaining([
        'UpdateDbInstance',
        'UpdateDbCluster',
        'CreateDbInstance',
        'DeleteDbInstance',
        'DetachVolume',
        'DisassociateAddress',
      ]),
    );
    expect(JSON.stringify(changePattern).length).toBeLessThanOrEqual(PATTERN_MAX);
  });

  it('match every listed event of its source when it succeeded, and no failed call', () => {
    for (const [source, { events: names }] of Object.entries(CHANGE_EVENTS as Record<string, { events: readonly string[] }>))
      for (const name of names) {
        const ok = cloudTrailEvent(home.accountId, name, {}, { source });
        const failed = cloudTrailEvent(home.accountId, name, {}, { source, errorCode: 'Client.UnauthorizedOperation' });
        expect({ name, ok: matchesPattern(changePattern, ok), failed: matchesPattern(changePattern, failed) }).toEqual({
          name,
          ok: true,
          failed: false,
        });
      }
    // Not a listed event, or another detail-type (a read-only call, a console sign-in) never reaches the queue.
    expect(matchesPattern(changePattern, cloudTrailEvent(home.accountId, 'DescribeInstances', {}))).toBe(false);
    expect(
      matchesPattern(changePattern, {
        ...cloudTrailEvent(home.accountId, 'CreateRoute', {}),
        'detail-type': 'AWS Console Sign In via CloudTrail',
      }),
    ).toBe(false);
  });

  it('failed calls delivered to the handler anyway (a forwarding rule without the errorCode filter) rescan nothing', async () => {
    const failed = [
      cloudTrailEvent(
        home.accountId,
        'AuthorizeSecurityGroupIngress',
        { groupId: estate.groups.open },
        { errorCode: 'Client.InvalidPermission.Duplicate' },
      ),
      cloudTrailEvent(
        home.accountId,
        'DeleteRoute',
        { routeTableId: 'rtb-0123456789abcdef0' },
        { errorCode: 'Client.InvalidRouteTableID.NotFound' },
      ),
      cloudTrailEvent(home.accountId, 'DisableEbsEncryptionByDefault', {}, { errorCode: 'Client.UnauthorizedOperation' }),
      cloudTrailEvent(
        home.accountId,
        'UpdateDbInstance',
        { identifier: estate.timestream.tsdb },
        { source: 'timestream-influxdb.amazonaws.com', errorCode: 'ValidationException' },
      ),
    ];
    await sendEvents(failed);
    expect(await drainEvents()).toEqual({ failures: 0 });
    expect((await dispatchedScans()).size).toBe(0);
  }, 30_000);
});

describe('Timestream for InfluxDB', () => {
  it('an UpdateDbInstance event rescans that database within the debounce (the worker scans it, no instance)', async () => {
    const id = estate.timestream.tsdb!;
    const event = cloudTrailEvent(
      home.accountId,
      'UpdateDbInstance',
      { identifier: id, logDeliveryConfiguration: { s3Configuration: { bucketName: 'logs', enabled: false } } },
      { source: 'timestream-influxdb.amazonaws.com', responseElements: { id, name: 'tsdb', status: 'UPDATING' } },
    );
    await sendEvents(throughRule([event]));
    expect(await drainEvents()).toEqual({ failures: 0 });
    const batch = await receiveAsEvent(res.sqs, res.queueUrl);
    const units = batch.Records.map((r) => JSON.parse(r.body) as WorkUnit);
    expect(units.map((u) => [u.accountId, u.region, u.instanceIds, u.regionChecks])).toEqual([[home.accountId, REGION, [], true]]);
    expect(await worker(batch, lambdaContext('worker'))).toEqual({ batchItemFailures: [] });
    for (const rec of batch.Records)
      await res.sqs.send(new DeleteMessageCommand({ QueueUrl: res.queueUrl, ReceiptHandle: rec.receiptHandle }));
    const store = new ScanStore(new DynamoDBClient({ region: REGION, endpoint: endpoint(), credentials: home.credentials }), res.table);
    const scan = (await store.getScan(units[0]!.scanId))!;
    expect(scan.units).toHaveLength(1);
    expect(scan.units[0]!.instances).toBe(1); // the database, and no instance
    expect(JSON.stringify(scan.units[0]!.worst)).toContain(id);
  }, 60_000);
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
    expect(await store.noteChanges(home.accountId, 'eu-north-1', { instanceIds: [x] }, new Date(1000))).toBe(true);
    const taken = (await store.getPendingChanges(home.accountId, 'eu-north-1'))!;
    expect(await store.noteChanges(home.accountId, 'eu-north-1', { instanceIds: [y] }, new Date(2000))).toBe(false);
    expect(await store.clearPendingChanges(home.accountId, 'eu-north-1', taken)).toBe(false);
    expect(await store.getPendingChanges(home.accountId, 'eu-north-1')).toMatchObject({ instanceIds: [y], wholeRegion: false });
    const rest = (await store.getPendingChanges(home.accountId, 'eu-north-1'))!;
    expect(await store.clearPendingChanges(home.accountId, 'eu-north-1', rest)).toBe(true);
    expect(await store.getPendingChanges(home.accountId, 'eu-north-1')).toBeUndefined();
  });
});

describe('region-wide rescans are rate-limited per account × region (default: one per 15 minutes)', () => {
  const gone = (prefix: string, i: number) => `${prefix}-${'0'.repeat(13)}dea${i}`;
  let store: ScanStore;
  beforeAll(() => {
    process.env.INFLUXGUARD_EVENT_REGION_INTERVAL_SECONDS = '900';
    resetAppDeps();
    store = new ScanStore(new DynamoDBClient({ region: REGION, endpoint: endpoint(), credentials: home.credentials }), res.table);
  });
  afterAll(() => {
    process.env.INFLUXGUARD_EVENT_REGION_INTERVAL_SECONDS = '0';
    resetAppDeps();
  });

  it('30 route, ACL and unrelated-group events within a minute: one region-wide rescan; the unrelated group none; the rest held back', async () => {
    const acct = burst.accountId;
    const ec2 = burst.seeder(REGION);
    const inVpc = { Filters: [{ Name: 'vpc-id', Values: [burstEstate.vpcId] }] };
    const rtb = (await ec2.send(new DescribeRouteTablesCommand(inVpc))).RouteTables![0]!.RouteTableId!;
    const acl = (await ec2.send(new DescribeNetworkAclsCommand(inVpc))).NetworkAcls![0]!.NetworkAclId!;
    const unrelated = burstEstate.groups.unrelated!;
    // Ten a wave, three waves drained one after the other (well within a minute), as a Terraform trickle delivers them.
    const wave = (i: number) => [
      // Without a VPC in the request, naming what no longer exists: region-wide.
      cloudTrailEvent(acct, 'CreateRoute', { routeTableId: gone('rtb', i), destinationCidrBlock: '0.0.0.0/0', gatewayId: 'igw-1' }),
      cloudTrailEvent(acct, 'DeleteRoute', { routeTableId: gone('rtb', i + 5), destinationCidrBlock: '10.1.0.0/16' }),
      cloudTrailEvent(acct, 'CreateNetworkAclEntry', { networkAclId: gone('acl', i), ruleNumber: 100 + i, egress: false }),
      // Without a VPC in the request, resolvable: the VPC's instances.
      cloudTrailEvent(acct, 'CreateRoute', { routeTableId: rtb, destinationCidrBlock: `10.${i}.0.0/16`, gatewayId: 'igw-1' }),
      cloudTrailEvent(acct, 'CreateNetworkAclEntry', { networkAclId: acl, ruleNumber: 200 + i, egress: false }),
      // A group that no selected resource and no load balancer uses: nothing.
      cloudTrailEvent(acct, 'AuthorizeSecurityGroupIngress', { groupId: unrelated }),
      cloudTrailEvent(acct, 'RevokeSecurityGroupIngress', { groupId: unrelated }),
      cloudTrailEvent(acct, 'ModifySecurityGroupRules', { ModifySecurityGroupRulesRequest: { GroupId: unrelated } }),
      // Failed calls: nothing.
      cloudTrailEvent(acct, 'DeleteRoute', { routeTableId: rtb }, { errorCode: 'Client.InvalidRoute.NotFound' }),
      cloudTrailEvent(acct, 'DisableEbsEncryptionByDefault', {}, { errorCode: 'Client.UnauthorizedOperation' }),
    ];
    const scans: WorkUnit[][] = [];
    for (let i = 0; i < 3; i++) {
      await sendEvents(throughRule(wave(i)));
      expect(await drainEvents()).toEqual({ failures: 0 });
      scans.push(...(await dispatchedScans()).values());
    }
    expect(scans.filter((u) => coverage(u) === 'region')).toHaveLength(1);
    // Every other scan is of the VPC's selected instances only (the resolved route and ACL events).
    for (const units of scans.filter((u) => coverage(u) !== 'region')) expect(coverage(units)).toEqual(sorted(burstEstate.instances.db!));
    // Held back, not lost: pending until the window ends.
    const held = await store.getRegionChanges(acct, REGION);
    expect(held.pending).toBeDefined();
    expect(held.lastScanAt).toBeDefined();
  }, 90_000);

  it('what arrived inside the window is scanned once when the window ends (duplicate delayed checks dispatch one scan)', async () => {
    const deps = appDeps();
    const end = (await store.getRegionChanges(burst.accountId, REGION)).lastScanAt! + 900_000;
    deps.now = () => new Date(end + 1000);
    try {
      // The delayed checks SQS holds for the window's end, delivered now (twice: SQS delivers at least once).
      const due = { kind: 'due', accountId: burst.accountId, region: REGION, part: 'region' };
      await sendEvents([due, due]);
      expect(await drainEvents()).toEqual({ failures: 0 });
      const scans = [...(await dispatchedScans()).values()];
      expect(scans.map(coverage)).toEqual(['region']);
      expect((await store.getRegionChanges(burst.accountId, REGION)).pending).toBeUndefined();
    } finally {
      delete deps.now;
    }
  }, 60_000);
});
