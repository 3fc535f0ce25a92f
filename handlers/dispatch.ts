/** EventBridge schedule → split the configured scope into work units on SQS. */
import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { dispatch } from '../lib/app/service.js';
import { appDeps, logErrors, logger, metrics } from '../lib/app/runtime.js';

export const handler = middy(async () => {
  const { scanId, unitsTotal } = await dispatch({}, appDeps(), { requestedBy: 'schedule' }).catch((err: unknown) => {
    // Every invocation publishes a metric: a failed one this (an empty flush only prints a warning).
    metrics.addMetric('DispatchFailures', MetricUnit.Count, 1);
    throw err;
  });
  logger.appendKeys({ scanId });
  logger.info('scan dispatched', { unitsTotal });
  metrics.addMetric('WorkUnitsDispatched', MetricUnit.Count, unitsTotal);
  return { scanId, unitsTotal };
})
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(metrics, { captureColdStartMetric: true }))
  .use(logErrors());
