/**
 * A scheduled scan of 2 accounts × 2 regions × 250 instances through the real
 * handlers: dispatch → SQS → workers → DynamoDB → exactly one SNS summary.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { DeleteMessageCommand } from '@aws-sdk/client-sqs';
import { handler as api } from '../../handlers/api.js';
import { handler as dispatch } from '../../handlers/dispatch.js';
import { handler as worker } from '../../handlers/worker.js';
import { resetAppDeps } from '../../lib/app/runtime.js';
import { seedEstate } from '../../scripts/estate.js';
import { GetFindingsCommand, SecurityHubClient } from '@aws-sdk/client-securityhub';
import { endpoint, testAccount, type TestAccount } from '../support/aws.js';
import { createAppResources, lambdaContext, receiveAsEvent, type AppResources } from '../support/app.js';

const REGIONS = ['eu-west-1', 'eu-central-1'];
let home: TestAccount;
let member: TestAccount;
let res: AppResources;
let scanId = '';
let unitsTotal = 0;
let managedId = '';
const workerResults: { batchItemFailures: unknown[] }[] = [];
const bodies: Record<string, any>[] = [];
const savedEnv = { ...process.env };
const event = (name: string) => JSON.parse(readFileSync(new URL(`../../events/${name}`, import.meta.url), 'utf8'));

beforeAll(async () => {
  home = await testAccount();
  member = await testAccount();
  res = await createAppResources(home, 'eu-west-1', 'fanout');
  for (const account of [home, member]) {
    for (const region of REGIONS) {
      const seeded = await seedEstate(account.seeder(region), {
        region,
        groups: [{ name: 'influx', rules: [{ ports: 8086, cidrs: ['0.0.0.0/0'] }] }],
        instances: [{ name: 'fleet', tags: { influxdb: '' }, groups: ['influx'], count: 250 }],
        // One Timestream for InfluxDB instance, in the member's first region: listed by that region's region-checks unit.
        ...(account === member && region === REGIONS[0]
          ? { timestream: [{ name: 'managed', groups: ['influx'], publiclyAccessible: true }] }
          : {}),
      });
      if (seeded.timestream.managed) managedId = seeded.timestream.managed;
    }
  }
  Object.assign(process.env, home.env('eu-west-1'), {
    INFLUXGUARD_TABLE: res.table,
    INFLUXGUARD_QUEUE_URL: res.queueUrl,
    INFLUXGUARD_SNS_TOPIC_ARN: res.topicArn,
    INFLUXGUARD_ACCOUNTS: `self,${member.accountId}`,
    INFLUXGUARD_REGIONS: REGIONS.join(','),
    INFLUXGUARD_PROBE_ENABLED: 'false',
    INFLUXGUARD_PUBLISH_ENABLED: 'true',
    POWERTOOLS_LOG_LEVEL: 'ERROR',
    POWERTOOLS_METRICS_NAMESPACE: 'influxguard-test',
  });
  resetAppDeps();

  ({ scanId, unitsTotal } = (await dispatch(event('dispatch-schedule.json'), lambdaContext('dispatch'))) as {
    scanId: string;
    unitsTotal: number;
  });
  // Workers: drain the queue, ten messages per invocation, as Lambda's SQS trigger would.
  for (;;) {
    const batch = await receiveAsEvent(res.sqs, res.queueUrl);
    if (!batch.Records.length) break;
    bodies.push(...batch.Records.map((r) => JSON.parse(r.body)));
    const r = (await worker(batch, lambdaContext('worker'))) as { batchItemFailures: { itemIdentifier: string }[] };
    workerResults.push(r);
    for (const rec of batch.Records)
      if (!r.batchItemFailures.some((f) => f.itemIdentifier === rec.messageId))
        await res.sqs.send(new DeleteMessageCommand({ QueueUrl: res.queueUrl, ReceiptHandle: rec.receiptHandle }));
  }
}, 240_000);

afterAll(() => {
  resetAppDeps();
  process.env = savedEnv;
});

describe('fan-out: 2 accounts × 2 regions × 250 instances', () => {
  it('dispatches units of at most 100 instances and every worker succeeds', () => {
    expect(unitsTotal).toBe(2 * 2 * 3);
    expect(workerResults.flatMap((r) => r.batchItemFailures)).toEqual([]);
  });

  it('each message carries only its unit’s instances; the regions’ inventories are in the scan record (issue 19, item 11)', async () => {
    expect(bodies).toHaveLength(12);
    for (const b of bodies) {
      expect(b.knownInstanceIds).toBeUndefined();
      expect(b.instanceIds.length).toBeLessThanOrEqual(100);
    }
    const { appDeps } = await import('../../lib/app/runtime.js');
    const known = await appDeps().store.getInventory(scanId, member.accountId, REGIONS[1]!);
    expect(known).toHaveLength(250);
    expect(
      new Set(bodies.filter((b) => b.accountId === member.accountId && b.region === REGIONS[1]).flatMap((b) => b.instanceIds)),
    ).toEqual(new Set(known));
    // Large regions span several items; a region never recorded is unknown (then a unit archives nothing outside itself).
    const big = Array.from({ length: 12_001 }, (_, i) => `i-${i.toString(16).padStart(17, '0')}`);
    await appDeps().store.putInventory('inventory-test', home.accountId, 'us-west-2', big);
    expect(await appDeps().store.getInventory('inventory-test', home.accountId, 'us-west-2')).toEqual(big);
    expect(await appDeps().store.getInventory('inventory-test', home.accountId, 'us-east-2')).toBeUndefined();
  });

  it('records complete results, visible through GET /scans/{scanId}', async () => {
    const get = event('api-get-scan.json');
    get.rawPath = `/scans/${scanId}`;
    const r = (await api(get, lambdaContext('api'))) as { statusCode: number; body: string };
    expect(r.statusCode).toBe(200);
    const body = JSON.parse(r.body);
    expect(body).toMatchObject({ scanId, status: 'completed', progress: { unitsDone: 12, unitsTotal: 12 }, scope: { instances: 1001 } }); // and the Timestream instance
    expect(body.scope.accounts).toEqual([home.accountId, member.accountId].sort());
    expect(body.summary.FAILED).toBeGreaterThanOrEqual(1000); // 8086 world-open on every instance
  });

  it('imports each account’s findings into that account’s Security Hub', async () => {
    for (const account of [home, member]) {
      for (const region of REGIONS) {
        const hub = new SecurityHubClient({ region, endpoint: endpoint(), credentials: account.credentials });
        const found = (await hub.send(new GetFindingsCommand({ MaxResults: 100 }))).Findings ?? [];
        expect(found.length).toBeGreaterThan(0);
        expect(
          found.every((f) => f.AwsAccountId === account.accountId && f.Id!.startsWith(`influxguard/${account.accountId}/${region}/`)),
        ).toBe(true);
      }
    }
  });

  it('publishes the Timestream for InfluxDB instance once, from the unit that runs the region checks', async () => {
    const hub = new SecurityHubClient({ region: REGIONS[0], endpoint: endpoint(), credentials: member.credentials });
    const all: { Id?: string; Resources?: { Id?: string }[]; Compliance?: { Status?: string } }[] = [];
    let token: string | undefined;
    do {
      const page = await hub.send(new GetFindingsCommand({ MaxResults: 100, ...(token ? { NextToken: token } : {}) }));
      all.push(...(page.Findings ?? []));
      token = page.NextToken;
    } while (token);
    const managed = all.filter((f) => f.Id!.includes(`/${managedId}/`));
    expect(managed.map((f) => f.Id!.split('/')[3]).sort()).toEqual([
      'timestream.diagnostics-exposed',
      'timestream.log-delivery-disabled',
      'timestream.publicly-accessible',
    ]);
    expect(
      managed.every(
        (f) => f.Resources![0]!.Id === `arn:aws:timestream-influxdb:${REGIONS[0]}:${member.accountId}:db-instance/${managedId}`,
      ),
    ).toBe(true);
    expect(managed.every((f) => f.Compliance!.Status === 'FAILED')).toBe(true);
  });

  it('sends exactly one SNS summary, and a redelivered unit changes nothing', async () => {
    const redelivered = await worker(
      {
        Records: [
          {
            ...event('worker-sqs.json').Records[0],
            body: JSON.stringify({
              scanId,
              unitIndex: 0,
              unitsTotal,
              accountId: home.accountId,
              region: REGIONS[0],
              instanceIds: [],
              regionChecks: false,
              publish: false,
            }),
          },
        ],
      },
      lambdaContext('worker'),
    );
    expect(redelivered).toEqual({ batchItemFailures: [] });
    const first = await receiveAsEvent(res.sqs, res.subscriberUrl);
    const second = await receiveAsEvent(res.sqs, res.subscriberUrl);
    const messages = [...first.Records, ...second.Records].map((r) => JSON.parse(r.body));
    expect(messages).toHaveLength(1);
    expect(messages[0].Message).toContain(`influxguard scan ${scanId}`);
    expect(messages[0].Message).toMatch(/Findings: \d+ FAILED/);
    expect(messages[0].Message).toMatch(/Since the last scan: \d+ new failures/);
  });
});
