/** SQS → scan one work unit each (Powertools' BatchProcessor reports partial batch failures; a retried unit is idempotent). */
import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { oneLine } from '../lib/errors.js';
import { runUnit } from '../lib/app/service.js';
import { appDeps, logErrors, logger, metrics } from '../lib/app/runtime.js';
import { WorkUnitSchema } from '../lib/app/units.js';
import { lazy } from '../lib/util/lazy.js';

/** Time kept at the end of an invocation to publish and record what was gathered. */
const PUBLISH_RESERVE_MS = 120_000;

const processor = new BatchProcessor(EventType.SQS);
/**
 * A work unit, as the dispatcher sends it: a JSON body validated by the unit's schema (Powertools' parser helper),
 * built on the first record (the helper's module and the schema are not needed to import the handler).
 */
const unitBody = lazy(async () => (await import('@aws-lambda-powertools/parser/helpers')).JSONStringified(WorkUnitSchema()));

async function scanRecord(record: SQSRecord, context: Context): Promise<void> {
  const unit = (await unitBody()).safeParse(record.body);
  if (!unit.success) {
    // A malformed message can never succeed: drop it loudly instead of retrying it into the DLQ.
    logger.error('malformed work unit dropped', { messageId: record.messageId, issue: unit.error.issues[0]?.message });
    metrics.addMetric('MalformedUnits', MetricUnit.Count, 1);
    return;
  }
  logger.appendKeys({ scanId: unit.data.scanId });
  try {
    const remaining = context?.getRemainingTimeInMillis?.() ?? 900_000;
    const r = await runUnit(unit.data, appDeps(), { deadline: Date.now() + Math.max(remaining - PUBLISH_RESERVE_MS, remaining / 2) });
    const s = r.document.summary;
    logger.info('unit scanned', {
      unitIndex: unit.data.unitIndex,
      accountId: unit.data.accountId,
      region: unit.data.region,
      recorded: r.recorded,
      completedScan: r.completedScan,
      summary: s,
    });
    metrics.addMetric('InstancesScanned', MetricUnit.Count, new Set(r.document.findings.map((f) => f.instanceId).filter(Boolean)).size);
    for (const [sev, n] of Object.entries(s.bySeverity)) if (n) metrics.addMetric(`Failing${sev}`, MetricUnit.Count, n);
    metrics.addMetric('NotAvailable', MetricUnit.Count, s.NOT_AVAILABLE);
  } catch (err) {
    logger.error('unit failed; SQS will retry it', { messageId: record.messageId, unitIndex: unit.data.unitIndex, error: oneLine(err) });
    metrics.addMetric('UnitFailures', MetricUnit.Count, 1);
    throw err; // BatchProcessor lists it in batchItemFailures
  }
}

export const handler = middy(
  async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> =>
    // One unit at a time (each fans out its own concurrency); a batch that fails whole is reported, not thrown.
    processPartialResponse(event, (record: SQSRecord) => scanRecord(record, context), processor, {
      context,
      processInParallel: false,
      throwOnFullBatchFailure: false,
    }),
)
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(metrics, { captureColdStartMetric: true }))
  .use(logErrors());
