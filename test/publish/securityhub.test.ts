/**
 * Three scans in a row against the moto server (Security Hub, SNS → SQS):
 * all failing; some fixed and one instance terminated; no change.
 */
import { beforeAll, describe, expect, it } from '@jest/globals';
import { RevokeSecurityGroupIngressCommand, TerminateInstancesCommand } from '@aws-sdk/client-ec2';
import { EnableSecurityHubCommand, GetFindingsCommand, SecurityHubClient, type AwsSecurityFinding } from '@aws-sdk/client-securityhub';
import { CreateTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { parseConfig } from '../../lib/config.js';
import { publishScan, type PublishReport } from '../../lib/publish/index.js';
import { scan } from '../../lib/scan.js';
import { seedEstate, type SeededEstate } from '../../scripts/estate.js';
import { endpoint, testAccount, type TestAccount } from '../support/aws.js';

const R = 'sa-east-1';
let account: TestAccount;
let estate: SeededEstate;
let queueUrl: string;
let sqs: SQSClient;
const reports: PublishReport[] = [];
const snapshots: AwsSecurityFinding[][] = [];
const messages: { subject: string; body: string; attributes: Record<string, { Value: string }> }[] = [];

async function allFindings(): Promise<AwsSecurityFinding[]> {
  const sh = new SecurityHubClient({ region: R, endpoint: endpoint(), credentials: account.credentials });
  const out = await sh.send(new GetFindingsCommand({ MaxResults: 100 }));
  return out.Findings ?? [];
}

async function scanAndPublish(at: string) {
  const config = parseConfig({
    regions: [R],
    probe: { enabled: false, allowedCidrs: ['127.0.0.0/8'] },
    publish: { enabled: true, snsTopicArn: topicArn },
  });
  const { clients, counter } = account.clients(config);
  const result = await scan(config, { clients, homeRegion: R });
  const report = await publishScan(result, config, { clients, now: () => new Date(at), importOptions: { pacingMs: 0 } });
  reports.push(report);
  snapshots.push(await allFindings());
  const got = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10 }));
  for (const m of got.Messages ?? []) {
    const body = JSON.parse(m.Body!);
    messages.push({ subject: body.Subject, body: body.Message, attributes: body.MessageAttributes });
  }
  return { report, calls: counter.callsByOperation() };
}

let topicArn = '';
const calls: Record<string, number>[] = [];

beforeAll(async () => {
  account = await testAccount();
  const creds = { region: R, endpoint: endpoint(), credentials: account.credentials };
  await new SecurityHubClient(creds).send(new EnableSecurityHubCommand({}));
  const sns = new SNSClient(creds);
  sqs = new SQSClient(creds);
  topicArn = (await sns.send(new CreateTopicCommand({ Name: 'influxguard-findings' }))).TopicArn!;
  queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: 'influxguard-subscriber' }))).QueueUrl!;
  const queueArn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }))).Attributes!
    .QueueArn!;
  await sns.send(new SubscribeCommand({ TopicArn: topicArn, Protocol: 'sqs', Endpoint: queueArn }));

  estate = await seedEstate(account.seeder(R), {
    region: R,
    ebsDefaultEncryption: true,
    groups: [
      { name: 'world', rules: [{ ports: 8086, cidrs: ['0.0.0.0/0'] }] },
      { name: 'ssh', rules: [{ ports: 22, cidrs: ['10.0.0.0/8'] }] },
    ],
    instances: [
      { name: 'a', tags: { influxdb: '' }, groups: ['world'], publicIp: true },
      { name: 'b', tags: { influxdb: '' }, groups: ['ssh'] },
      { name: 'c', tags: { influxdb: '' }, groups: ['world', 'ssh'] },
    ],
  });

  calls.push((await scanAndPublish('2026-11-20T00:00:00Z')).calls);
  // Fix: close SSH (b and c), and terminate c.
  const ec2 = account.seeder(R);
  await ec2.send(
    new RevokeSecurityGroupIngressCommand({
      GroupId: estate.groups.ssh,
      IpPermissions: [{ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '10.0.0.0/8' }] }],
    }),
  );
  await ec2.send(new TerminateInstancesCommand({ InstanceIds: estate.instances.c }));
  calls.push((await scanAndPublish('2026-11-21T00:00:00Z')).calls);
  calls.push((await scanAndPublish('2026-11-22T00:00:00Z')).calls);
}, 120_000);

const byId = (snap: AwsSecurityFinding[]) => new Map(snap.map((f) => [f.Id!, f]));
const id = (check: string, inst: string, res: string) =>
  `influxguard/${account.accountId}/${R}/${check}/${estate.instances[inst]![0]}/${res}`;

describe('the Security Hub lifecycle over three scans', () => {
  it('scan 1 imports every finding, failures included', () => {
    const r = reports[0]!.securityHub;
    expect(r.failed).toEqual([]);
    expect(r.imported).toBe(r.new);
    expect(r.new).toBe(snapshots[0]!.length);
    const f = byId(snapshots[0]!).get(id('net.http-port-public', 'a', estate.groups.world!))!;
    expect(f).toMatchObject({
      Compliance: { Status: 'FAILED' },
      Severity: { Label: 'CRITICAL' },
      RecordState: 'ACTIVE',
      CreatedAt: '2026-11-20T00:00:00.000Z',
    });
    expect(calls[0]!['securityhub:BatchImportFindings']).toBe(1);
  });

  it('scan 2 resolves the fixed finding as PASSED keeping CreatedAt, archives the terminated instance, leaves unchanged ones alone', () => {
    const r = reports[1]!.securityHub;
    expect(r).toMatchObject({ resolved: 1, failed: [] });
    expect(r.archived).toBeGreaterThanOrEqual(3); // every finding of instance c
    const snap = byId(snapshots[1]!);
    const fixed = snap.get(id('net.unexpected-ports-open', 'b', estate.groups.ssh!))!;
    expect(fixed).toMatchObject({
      Compliance: { Status: 'PASSED' },
      RecordState: 'ACTIVE',
      CreatedAt: '2026-11-20T00:00:00.000Z',
      UpdatedAt: '2026-11-21T00:00:00.000Z',
    });
    const gone = snap.get(id('net.http-port-public', 'c', estate.groups.world!))!;
    expect(gone).toMatchObject({ RecordState: 'ARCHIVED' });
    const still = snap.get(id('net.http-port-public', 'a', estate.groups.world!))!;
    expect(still.UpdatedAt).toBe('2026-11-20T00:00:00.000Z'); // unchanged: not re-imported
  });

  it('scan 3 (no change) imports nothing at all', () => {
    expect(reports[2]!.securityHub).toMatchObject({ imported: 0, resolved: 0, archived: 0, new: 0, changed: 0 });
    expect(calls[2]!['securityhub:BatchImportFindings']).toBeUndefined();
    expect(reports[2]!.securityHub.unchanged).toBeGreaterThan(0);
  });

  it('one SNS summary per scan reaches the subscribed queue, with filterable attributes', () => {
    expect(messages).toHaveLength(3);
    expect(messages[0]!.subject).toMatch(/^influxguard: \d+ new failures?, worst CRITICAL/);
    expect(messages[0]!.subject.length).toBeLessThanOrEqual(100);
    expect(messages[0]!.attributes.maxSeverity!.Value).toBe('CRITICAL');
    expect(messages[0]!.body).toMatch(/Worst new findings:\n {2}CRITICAL\s+net\.http-port-public/);
    expect(messages[0]!.body).toContain('securityhub/home?region=sa-east-1');
    expect(messages[1]!.body).toMatch(/0 new failures, 1 resolved/);
    expect(messages[2]!.attributes.newFailures!.Value).toBe('0');
  });
});
