/**
 * SQS (the events queue) → event-driven rescans. Three kinds of message:
 * CloudTrail management events EventBridge delivered (rules in serverless.yml,
 * member accounts forward theirs), rescans asked for by remediation, and the
 * delayed checks that scan a burst's changes once it is quiet (region-wide
 * ones at most once per `eventRegionIntervalSeconds`: metric
 * RegionRescansRateLimited counts the changes held back, RegionRescans the
 * region-wide rescans dispatched).
 */
import middy from '@middy/core';
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { z } from 'zod';
import { CloudTrailDetailSchema } from '../lib/app/events.js';
import {
  DueMessageSchema,
  endRescanSession,
  noteEvent,
  noteRescan,
  RescanMessageSchema,
  rescanSession,
  runDue,
  type RescanSession,
} from '../lib/app/rescan.js';
import { appDeps, logErrors, logger, metrics } from '../lib/app/runtime.js';
import { lazy } from '../lib/util/lazy.js';

/** The three kinds of message, built on the first record (Powertools' EventBridge schema is loaded then). */
const messageSchema = lazy(async () => {
  const { EventBridgeSchema } = await import('@aws-lambda-powertools/parser/schemas/eventbridge');
  const CloudTrailEventSchema = EventBridgeSchema.extend({
    'detail-type': z.literal('AWS API Call via CloudTrail'),
    detail: CloudTrailDetailSchema(),
  });
  return z.union([CloudTrailEventSchema, DueMessageSchema(), RescanMessageSchema()]);
});

const processor = new BatchProcessor(EventType.SQS);

async function handleRecord(record: SQSRecord, session: RescanSession): Promise<void> {
  let body: unknown;
  try {
    body = JSON.parse(record.body);
  } catch {
    body = undefined;
  }
  const msg = (await messageSchema()).safeParse(body);
  if (!msg.success) {
    // Never succeeds on a retry: dropped loudly, not retried into the DLQ.
    logger.error('malformed events message dropped', { messageId: record.messageId, issue: msg.error.issues[0]?.message });
    metrics.addMetric('MalformedEvents', MetricUnit.Count, 1);
    return;
  }
  const m = msg.data;
  if ('kind' in m && m.kind === 'due') {
    const out = await runDue(session, m.accountId, m.region, m.part);
    if (out.scanId) metrics.addMetric('EventScans', MetricUnit.Count, 1);
    if (out.scanId && out.wholeRegion) metrics.addMetric('RegionRescans', MetricUnit.Count, 1);
    const what = out.scanId
      ? 'rescan dispatched'
      : out.rateLimitedUntil
        ? 'region-wide rescan held back by the rate limit'
        : 'rescan checked';
    logger.info(what, { accountId: m.accountId, region: m.region, ...(m.part ? { part: m.part } : {}), ...out });
    return;
  }
  const noted = 'kind' in m ? await noteRescan(session, m) : await noteEvent(session, m.detail, m.account);
  if (!noted) {
    if ('detail' in m) logger.debug('event ignored: it cannot change what is judged', { eventId: m.id, eventName: m.detail.eventName });
    return;
  }
  metrics.addMetric(noted.ignored ? 'ChangesIgnored' : 'ChangesNoted', MetricUnit.Count, 1);
  // A region-wide change inside the rate limit's window: coalesced into the next allowed region-wide rescan.
  if (noted.rateLimitedUntil) metrics.addMetric('RegionRescansRateLimited', MetricUnit.Count, 1);
  logger.info(
    noted.ignored ? 'change ignored' : noted.rateLimitedUntil ? 'change noted; region-wide rescan rate-limited' : 'change noted',
    {
      ...noted,
      ...('detail' in m ? { eventId: m.id, by: m.detail.userIdentity?.arn } : {}),
    },
  );
}

export const handler = middy(async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
  const session = rescanSession(appDeps());
  try {
    // In order: a burst's events note their changes before its first check is due.
    return await processPartialResponse(event, (record: SQSRecord) => handleRecord(record, session), processor, {
      context,
      processInParallel: false,
    });
  } finally {
    await endRescanSession(session);
  }
})
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(metrics, { captureColdStartMetric: true }))
  .use(logErrors());
