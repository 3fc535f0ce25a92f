/**
 * What the remediation tests share (test/app/remediate.test.ts, test/app/remediate-ecs.test.ts): Security Hub's
 * findings in moto, the notes written on them (BatchUpdateFindings: the emulator's patch, scripts/moto_server.py),
 * the rescans asked for on the events queue, the app's environment and the first scan that publishes the estate.
 */
import { DescribeSecurityGroupsCommand, type IpPermission } from '@aws-sdk/client-ec2';
import {
  BatchImportFindingsCommand,
  BatchUpdateFindingsCommand,
  GetFindingsCommand,
  SecurityHubClient,
  type AwsSecurityFinding,
} from '@aws-sdk/client-securityhub';
import { DeleteMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, afterEach } from '@jest/globals';
import { mockClient, type AwsStub } from 'aws-sdk-client-mock';
import { resetAppDeps } from '../../lib/app/runtime.js';
import { main } from '../../lib/cli/main.js';
import { parseConfig } from '../../lib/config.js';
import { goneInstances } from '../../lib/discover/ec2.js';
import { publishSecurityHub } from '../../lib/publish/index.js';
import { scan } from '../../lib/scan.js';
import { receiveAsEvent, type AppResources } from './app.js';
import { endpoint, type TestAccount } from './aws.js';
import { allFindings } from './publish.js';

/** Every influxguard finding of the account in Security Hub (moto). */
export async function hubFindings(home: TestAccount, region: string): Promise<AwsSecurityFinding[]> {
  const hub = new SecurityHubClient({ region, endpoint: endpoint(), credentials: home.credentials });
  try {
    return await allFindings(hub);
  } finally {
    hub.destroy();
  }
}

/** The finding of a check whose Id ends with the resource (a security group, the account). */
export const hubFinding = async (home: TestAccount, region: string, checkId: string, resourceId: string) =>
  (await hubFindings(home, region)).find((f) => f.GeneratorId === `influxguard/${checkId}` && f.Id?.endsWith(`/${resourceId}`))!;

/** The group's ingress as comparable strings: protocol, ports, one source each. */
export async function ingressOf(home: TestAccount, region: string, groupId: string): Promise<string[]> {
  const got = await home.seeder(region).send(new DescribeSecurityGroupsCommand({ GroupIds: [groupId] }));
  const perms: IpPermission[] = got.SecurityGroups![0]!.IpPermissions ?? [];
  return perms
    .flatMap((p) =>
      [...(p.IpRanges ?? []).map((r) => r.CidrIp), ...(p.Ipv6Ranges ?? []).map((r) => r.CidrIpv6)].map(
        (s) => `${p.IpProtocol} ${p.FromPort}-${p.ToPort} ${s}`,
      ),
    )
    .sort();
}

export type NoteMode = 'real' | 'denied' | 'missing' | 'unprocessed';
/**
 * Security Hub calls go to moto (BatchUpdateFindings through the emulator's patch), recorded; `mode` makes
 * BatchUpdateFindings fail as IAM denies it, as plain moto lacks it, or as a 200 that lists the finding unprocessed.
 */
let current: AwsStub<any, any, any> | undefined;

export function mockNotes(mode: NoteMode = 'real'): AwsStub<any, any, any> {
  const realSend = SecurityHubClient.prototype.send;
  const hub = mockClient(SecurityHubClient);
  current = hub;
  const pass = (Command: any) => (input: any, getClient: any) => (realSend as any).call(getClient(), new Command(input));
  const notes = hub.on(BatchUpdateFindingsCommand);
  if (mode === 'real') notes.callsFake(pass(BatchUpdateFindingsCommand));
  else if (mode === 'denied')
    notes.rejects(
      Object.assign(new Error('User is not authorized to perform: securityhub:BatchUpdateFindings'), { name: 'AccessDeniedException' }),
    );
  else if (mode === 'missing')
    notes.rejects(
      Object.assign(new Error('UnknownOperationException'), { name: 'UnknownOperationException', $metadata: { httpStatusCode: 404 } }),
    );
  else
    notes.callsFake((input: any) => ({
      ProcessedFindings: [],
      UnprocessedFindings: input.FindingIdentifiers.map((f: any) => ({
        FindingIdentifier: f,
        ErrorCode: 'FindingNotFound',
        ErrorMessage: 'Finding Not Found',
      })),
    }));
  hub.on(GetFindingsCommand).callsFake(pass(GetFindingsCommand));
  hub.on(BatchImportFindingsCommand).callsFake(pass(BatchImportFindingsCommand));
  return hub;
}

/** The notes written since the last `mockNotes`. */
export const notes = () => current!.commandCalls(BatchUpdateFindingsCommand).map((c) => c.args[0].input as any);

/** Security Hub calls reach moto unrecorded again. */
export function restoreNotes(): void {
  current?.restore();
  current = undefined;
}

/** A test file's hooks: the stub restored after each test, the functions' dependencies and environment after all. */
export function remediationHooks(savedEnv: NodeJS.ProcessEnv): void {
  afterEach(restoreNotes);
  afterAll(() => {
    resetAppDeps();
    process.env = savedEnv;
  });
}

/** The EventBridge event of a Security Hub custom action on one finding. */
export const customAction = (home: TestAccount, region: string, targetId: string, finding: AwsSecurityFinding) => ({
  version: '0',
  id: `ev-${Math.random().toString(16).slice(2)}`,
  'detail-type': 'Security Hub Findings - Custom Action',
  source: 'aws.securityhub',
  account: home.accountId,
  time: new Date().toISOString(),
  region,
  resources: [`arn:aws:securityhub:${region}:${home.accountId}:action/custom/${targetId}`],
  detail: { actionName: targetId, actionDescription: 'x', findings: [finding] },
});

/** Messages on a queue (rescans asked for), removed; `feed` sees each batch first (the events function). */
export async function takeMessages(
  res: AppResources,
  queueUrl: string,
  feed?: (batch: Awaited<ReturnType<typeof receiveAsEvent>>) => Promise<unknown>,
): Promise<any[]> {
  const out: any[] = [];
  for (;;) {
    const batch = await receiveAsEvent(res.sqs, queueUrl);
    if (!batch.Records.length) return out;
    if (feed) await feed(batch);
    for (const r of batch.Records) {
      out.push(JSON.parse(r.body));
      await res.sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: r.receiptHandle }));
    }
  }
}

/** The functions' environment for a remediation test (publishing on, no probe or collector, quiet 0). */
export function useRemediationEnv(home: TestAccount, res: AppResources, eventsQueueUrl: string, region: string): void {
  Object.assign(process.env, home.env(region), {
    INFLUXGUARD_TABLE: res.table,
    INFLUXGUARD_QUEUE_URL: res.queueUrl,
    INFLUXGUARD_EVENTS_QUEUE_URL: eventsQueueUrl,
    INFLUXGUARD_EVENT_QUIET_SECONDS: '0',
    INFLUXGUARD_REGIONS: region,
    INFLUXGUARD_PROBE_ENABLED: 'false',
    INFLUXGUARD_HOST_ENABLED: 'false',
    INFLUXGUARD_PUBLISH_ENABLED: 'true',
    POWERTOOLS_LOG_LEVEL: 'ERROR',
    POWERTOOLS_METRICS_NAMESPACE: 'influxguard-test',
  });
}

/** The first scan of the region, published to Security Hub: the findings the tests remediate. */
export async function scanAndPublishRegion(home: TestAccount, region: string): Promise<void> {
  const config = parseConfig({ regions: [region], probe: { enabled: false, allowedCidrs: ['127.0.0.0/8'] }, publish: { enabled: true } });
  const { clients } = home.clients(config);
  const result = await scan(config, { clients, homeRegion: region });
  await publishSecurityHub(result, config, { clients, goneInstances: (_a, r, ids) => goneInstances(clients.ec2(r), ids) });
  clients.destroy();
}

/** `influxguard ARGS` in this process, with the account's environment. */
export async function runMain(
  home: TestAccount,
  region: string,
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await main(args, {
    stdout: (t) => {
      stdout += t;
    },
    stderr: (t) => {
      stderr += t;
    },
    env: { ...home.env(region), INFLUXGUARD_PROBE_ENABLED: 'false' },
    stdoutIsTTY: false,
    stderrIsTTY: false,
  });
  return { code, stdout, stderr };
}
