/**
 * The largest work unit the configuration allows (unitSize 1,000), on a first
 * scan where every instance fails several checks: the unit's record must stay
 * within DynamoDB's 400 KB item limit however many findings are new, and the
 * scan's summary still counts and lists the new failures.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { DeleteMessageCommand } from '@aws-sdk/client-sqs';
import { handler as dispatch } from '../../handlers/dispatch.js';
import { handler as worker } from '../../handlers/worker.js';
import { resetAppDeps } from '../../lib/app/runtime.js';
import { seedEstate } from '../../scripts/estate.js';
import { testAccount, type TestAccount } from '../support/aws.js';
import { createAppResources, lambdaContext, receiveAsEvent, type AppResources } from '../support/app.js';

const REGION = 'eu-west-1';
const INSTANCES = 1000;
let home: TestAccount;
let res: AppResources;
let scanId = '';
const failures: unknown[] = [];
const savedEnv = { ...process.env };
const event = (name: string) => JSON.parse(readFileSync(new URL(`../../events/${name}`, import.meta.url), 'utf8'));

beforeAll(async () => {
  home = await testAccount();
  res = await createAppResources(home, REGION, 'unitsize');
  await seedEstate(home.seeder(REGION), {
    region: REGION,
    groups: [
      {
        name: 'open',
        rules: [
          { ports: [8086, 8091], cidrs: ['0.0.0.0/0'] },
          { ports: 22, cidrs: ['0.0.0.0/0'] },
        ],
      },
    ],
    instances: [
      {
        name: 'wide',
        tags: { influxdb: '' },
        groups: ['open'],
        count: INSTANCES,
        volumes: [{ device: '/dev/sdf', sizeGiB: 10, encrypted: false }],
      },
    ],
  });
  Object.assign(process.env, home.env(REGION), {
    INFLUXGUARD_TABLE: res.table,
    INFLUXGUARD_QUEUE_URL: res.queueUrl,
    INFLUXGUARD_SNS_TOPIC_ARN: res.topicArn,
    INFLUXGUARD_REGIONS: REGION,
    INFLUXGUARD_UNIT_SIZE: String(INSTANCES),
    INFLUXGUARD_PROBE_ENABLED: 'false',
    INFLUXGUARD_PUBLISH_ENABLED: 'true',
    POWERTOOLS_LOG_LEVEL: 'ERROR',
    POWERTOOLS_METRICS_NAMESPACE: 'influxguard-test',
  });
  resetAppDeps();
  scanId = await scheduledScan();
}, 240_000);

/** One scheduled scan through the handlers: dispatch, then workers until the queue is empty. */
async function scheduledScan(): Promise<string> {
  const { scanId } = (await dispatch(event('dispatch-schedule.json'), lambdaContext('dispatch'))) as { scanId: string };
  for (;;) {
    const batch = await receiveAsEvent(res.sqs, res.queueUrl);
    if (!batch.Records.length) break;
    const r = (await worker(batch, lambdaContext('worker'))) as { batchItemFailures: { itemIdentifier: string }[] };
    failures.push(...r.batchItemFailures);
    for (const rec of batch.Records)
      await res.sqs.send(new DeleteMessageCommand({ QueueUrl: res.queueUrl, ReceiptHandle: rec.receiptHandle }));
  }
  return scanId;
}

/** The SNS summaries the subscriber queue received (taken off it). */
async function summaries(): Promise<{ Message: string; Subject: string; MessageAttributes: Record<string, { Value: string }> }[]> {
  const batch = await receiveAsEvent(res.sqs, res.subscriberUrl);
  for (const rec of batch.Records)
    await res.sqs.send(new DeleteMessageCommand({ QueueUrl: res.subscriberUrl, ReceiptHandle: rec.receiptHandle }));
  return batch.Records.map((r) => JSON.parse(r.body));
}

afterAll(() => {
  resetAppDeps();
  process.env = savedEnv;
});

describe(`a unit of ${INSTANCES} instances, all failing, first scan`, () => {
  it('is recorded (its result fits in one DynamoDB item) and completes the scan with one summary of the new failures', async () => {
    expect(failures).toEqual([]);
    const { appDeps } = await import('../../lib/app/runtime.js');
    const got = await appDeps().store.getScan(scanId);
    expect(got?.meta.status).toBe('completed');
    expect(got?.units).toHaveLength(1);
    const failing = got!.units[0]!.summary.FAILED + got!.units[0]!.summary.WARNING;
    expect(failing).toBeGreaterThanOrEqual(4 * INSTANCES);
    const messages = (await summaries()).map((m) => m.Message);
    expect(messages).toHaveLength(1);
    expect(messages[0]).toContain(`Since the last scan: ${failing} new failures, 0 resolved, 0 still failing`);
    // The worst new failures are listed (the world-open InfluxDB port first), the rest counted.
    expect(messages[0]).toMatch(/Worst new findings:\n {2}CRITICAL/);
    // A unit carries its 25 worst; the message says how many more there are.
    expect(messages[0]).toContain(`  … and ${failing - 25} more`);
  });

  it('an unchanged rescan: no new failures, and the summary still names the worst failing severity (subscription filters read it)', async () => {
    const rescan = await scheduledScan();
    expect(failures).toEqual([]);
    const [summary, ...more] = await summaries();
    expect(more).toEqual([]);
    expect(summary!.Message).toContain(`influxguard scan ${rescan}`);
    expect(summary!.Message).toMatch(/Since the last scan: 0 new failures, 0 resolved, \d+ still failing/);
    expect(summary!.Subject).toMatch(/no new failures/);
    expect(summary!.MessageAttributes.maxSeverity!.Value).toBe('CRITICAL');
  }, 240_000);
});
