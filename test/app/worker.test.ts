/**
 * The worker on Powertools' BatchProcessor (issue 29 item 4): a malformed
 * message is dropped loudly (never retried into the DLQ), a unit that fails is
 * reported in batchItemFailures, and a batch in which every unit fails is
 * reported too, not thrown (SQS then retries exactly those messages).
 */
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import type { SQSEvent } from 'aws-lambda';
import { handler as worker } from '../../handlers/worker.js';
import { resetAppDeps } from '../../lib/app/runtime.js';
import { testAccount } from '../support/aws.js';
import { lambdaContext } from '../support/app.js';

const savedEnv = { ...process.env };
beforeAll(async () => {
  const account = await testAccount();
  // A table that does not exist: every unit fails where it records its result.
  Object.assign(process.env, account.env('eu-west-1'), {
    INFLUXGUARD_TABLE: 'no-such-table',
    INFLUXGUARD_PROBE_ENABLED: 'false',
    INFLUXGUARD_PUBLISH_ENABLED: 'false',
    POWERTOOLS_LOG_LEVEL: 'CRITICAL',
    POWERTOOLS_METRICS_NAMESPACE: 'influxguard-test',
  });
  resetAppDeps();
  unit.accountId = account.accountId;
});
afterAll(() => {
  resetAppDeps();
  process.env = savedEnv;
});

const unit = {
  scanId: 'scan-worker-test',
  unitIndex: 0,
  unitsTotal: 1,
  accountId: '000000000000',
  region: 'eu-west-1',
  instanceIds: null,
  regionChecks: true,
  publish: false,
};
const record = (messageId: string, body: string) =>
  ({
    messageId,
    receiptHandle: `rh-${messageId}`,
    body,
    attributes: { ApproximateReceiveCount: '1', SentTimestamp: '0', SenderId: 'x', ApproximateFirstReceiveTimestamp: '0' },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:eu-west-1:000000000000:units',
    awsRegion: 'eu-west-1',
  }) as SQSEvent['Records'][number];

it('drops a malformed message and reports the unit that failed', async () => {
  const r = await worker(
    { Records: [record('bad-json', '{not json'), record('bad-unit', '{"scanId":1}'), record('fails', JSON.stringify(unit))] },
    lambdaContext('worker'),
  );
  expect(r).toEqual({ batchItemFailures: [{ itemIdentifier: 'fails' }] });
});

it('a batch whose every unit fails is reported, not thrown', async () => {
  const r = await worker(
    { Records: [record('a', JSON.stringify(unit)), record('b', JSON.stringify({ ...unit, unitIndex: 0 }))] },
    lambdaContext('worker'),
  );
  expect(r).toEqual({ batchItemFailures: [{ itemIdentifier: 'a' }, { itemIdentifier: 'b' }] });
});
