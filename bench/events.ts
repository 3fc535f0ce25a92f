/**
 * Time to finding of event-driven rescans, in the emulator: from a
 * CloudTrail-shaped event entering the events queue (as the EventBridge rule
 * delivers it) to the finding's new state in Security Hub, through the real
 * handlers (events → debounce in DynamoDB → delayed check → dispatch → SQS →
 * worker → BatchImportFindings), with Lambda's SQS pollers played by two loops.
 * One instance; the change alternates between opening TCP 8086 to the world
 * and closing it again, so that each run waits for FAILED or PASSED. Real AWS
 * adds CloudTrail's delivery delay before the event reaches EventBridge.
 * Loopback only. Usage: node dist/bench/events.js
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { AuthorizeSecurityGroupIngressCommand, EC2Client, RevokeSecurityGroupIngressCommand } from '@aws-sdk/client-ec2';
import { GetFindingsCommand, SecurityHubClient } from '@aws-sdk/client-securityhub';
import { CreateQueueCommand, DeleteMessageCommand, ReceiveMessageCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSEvent } from 'aws-lambda';
import { emulatorEnv, startEmulator } from '../scripts/emulator.js';
import { seedEstate } from '../scripts/estate.js';
import { createScanTable } from '../scripts/scan-table.js';
import { loadavg } from 'node:os';
import { machine, writeSection } from './results.js';

const ACCOUNT = '123456789012'; // moto's default account for these credentials
const REGION = 'eu-west-1';
const RUNS = 5;
const ctx = (name: string) =>
  ({ functionName: name, awsRequestId: 'bench', getRemainingTimeInMillis: () => 900_000 }) as unknown as Context;

type Handler = (event: SQSEvent, context: Context) => Promise<unknown>;

/** Lambda's SQS event source, played by a loop: long-poll, invoke with the batch, delete what succeeded. */
function poller(sqs: SQSClient, queueUrl: string, handler: Handler, name: string, stop: { done: boolean }): Promise<void> {
  return (async () => {
    while (!stop.done) {
      const got = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
      if (!got.Messages?.length) continue;
      const event = {
        Records: got.Messages.map((m) => ({
          messageId: m.MessageId!,
          receiptHandle: m.ReceiptHandle!,
          body: m.Body!,
          attributes: {},
          messageAttributes: {},
        })),
      } as unknown as SQSEvent;
      const r = (await handler(event, ctx(name))) as { batchItemFailures?: { itemIdentifier: string }[] };
      for (const m of got.Messages)
        if (!r.batchItemFailures?.some((f) => f.itemIdentifier === m.MessageId))
          await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: m.ReceiptHandle! }));
    }
  })();
}

async function measure(quietSeconds: number): Promise<number[]> {
  const emulator = await startEmulator();
  const stop = { done: false };
  const loops: Promise<void>[] = [];
  try {
    const base = { region: REGION, endpoint: emulator.endpoint, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } };
    const ec2 = new EC2Client(base);
    const estate = await seedEstate(ec2, {
      region: REGION,
      groups: [{ name: 'influx', rules: [{ ports: 22, cidrs: ['10.0.0.0/8'] }] }],
      instances: [{ name: 'db', tags: { influxdb: '' }, groups: ['influx'] }],
    });
    const groupId = estate.groups.influx!;
    const instanceId = estate.instances.db![0]!;
    await createScanTable(new DynamoDBClient(base), 'bench-events-scans');
    const sqs = new SQSClient(base);
    const unitsUrl = (await sqs.send(new CreateQueueCommand({ QueueName: `bench-units-${quietSeconds}` }))).QueueUrl!;
    const eventsUrl = (await sqs.send(new CreateQueueCommand({ QueueName: `bench-events-${quietSeconds}` }))).QueueUrl!;
    Object.assign(process.env, emulatorEnv(emulator.endpoint, REGION), {
      INFLUXGUARD_TABLE: 'bench-events-scans',
      INFLUXGUARD_QUEUE_URL: unitsUrl,
      INFLUXGUARD_EVENTS_QUEUE_URL: eventsUrl,
      INFLUXGUARD_EVENT_QUIET_SECONDS: String(quietSeconds),
      INFLUXGUARD_REGIONS: REGION,
      INFLUXGUARD_PROBE_ENABLED: 'false',
      INFLUXGUARD_HOST_ENABLED: 'false',
      INFLUXGUARD_PUBLISH_ENABLED: 'true',
      POWERTOOLS_LOG_LEVEL: 'ERROR',
      POWERTOOLS_METRICS_DISABLED: 'true',
    });
    const { resetAppDeps } = await import('../lib/app/runtime.js');
    resetAppDeps();
    const { handler: events } = await import('../handlers/events.js');
    const { handler: worker } = await import('../handlers/worker.js');
    loops.push(
      poller(sqs, eventsUrl, events as unknown as Handler, 'events', stop),
      poller(sqs, unitsUrl, worker as unknown as Handler, 'worker', stop),
    );
    const hub = new SecurityHubClient(base);
    const status = async () => {
      const got = await hub.send(new GetFindingsCommand({ MaxResults: 100 }));
      const id = `influxguard/${ACCOUNT}/${REGION}/net.http-port-public/${instanceId}/`;
      return got.Findings?.find((f) => f.Id?.startsWith(id))?.Compliance?.Status;
    };
    const open = {
      GroupId: groupId,
      IpPermissions: [{ IpProtocol: 'tcp', FromPort: 8086, ToPort: 8086, IpRanges: [{ CidrIp: '0.0.0.0/0' }] }],
    };
    const times: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      const opening = run % 2 === 0;
      await ec2.send(opening ? new AuthorizeSecurityGroupIngressCommand(open) : new RevokeSecurityGroupIngressCommand(open));
      const event = {
        version: '0',
        id: `bench-${run}`,
        'detail-type': 'AWS API Call via CloudTrail',
        source: 'aws.ec2',
        account: ACCOUNT,
        time: new Date().toISOString(),
        region: REGION,
        resources: [],
        detail: {
          eventSource: 'ec2.amazonaws.com',
          eventName: opening ? 'AuthorizeSecurityGroupIngress' : 'RevokeSecurityGroupIngress',
          awsRegion: REGION,
          recipientAccountId: ACCOUNT,
          requestParameters: { groupId },
          responseElements: null,
        },
      };
      const t0 = performance.now();
      await sqs.send(new SendMessageCommand({ QueueUrl: eventsUrl, MessageBody: JSON.stringify(event) }));
      const want = opening ? 'FAILED' : 'PASSED';
      while ((await status()) !== want) {
        if (performance.now() - t0 > 120_000) throw new Error(`no ${want} finding 120 s after the event`);
        await new Promise((r) => setTimeout(r, 50));
      }
      times.push((performance.now() - t0) / 1000);
      // Let the burst window close before the next change, so each run is one burst.
      await new Promise((r) => setTimeout(r, quietSeconds * 1000 + 500));
    }
    return times;
  } finally {
    stop.done = true;
    await Promise.allSettled(loops);
    await emulator.stop();
  }
}

const summary = (t: number[]) => {
  const s = [...t].sort((a, b) => a - b);
  return `${s[Math.floor(s.length / 2)]!.toFixed(1)} s median (${s[0]!.toFixed(1)}-${s[s.length - 1]!.toFixed(1)}, ${s.length} runs)`;
};

async function main() {
  const deployed = await measure(3);
  const undebounced = await measure(0);
  const body = [
    '## Time to finding: event-driven rescans (issue 17)',
    '',
    `${machine()}, load average ${loadavg()[0]!.toFixed(0)} at the end (shared machine). \`node dist/bench/events.js\` (target: under 10 s for one instance). From a CloudTrail-shaped event entering the events queue to the finding's new state in Security Hub, through the real handlers in the emulator (events → debounce → delayed check → dispatch → worker → Security Hub), one instance, probes and host evidence off. Real AWS adds CloudTrail's delivery of the management event to EventBridge (typically a few minutes) and Lambda's SQS polling before this path starts.`,
    '',
    '| path | time to finding |',
    '|---|---|',
    `| event-driven, eventQuietSeconds 3 (deployed default: a burst is scanned once it has been quiet 3 s) | ${summary(deployed)} |`,
    `| event-driven, eventQuietSeconds 0 (no debounce: the pipeline alone) | ${summary(undebounced)} |`,
    '| scheduled (rate(12 hours), the stack default) | up to 12 h plus the scan (the fan-out scan of 1,000 instances above: ~10 s) |',
  ].join('\n');
  writeSection('events', body);
  process.stdout.write(`${body}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(2);
});
