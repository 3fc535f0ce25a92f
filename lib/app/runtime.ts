/**
 * What every Lambda function shares: one logger and one metrics instance
 * (Powertools), the application's dependencies built once per container from
 * the environment, and small middy middlewares.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { MetricUnit, Metrics } from '@aws-lambda-powertools/metrics';
import type { MiddlewareObj } from '@middy/core';
import { CallCounter, createClients } from '../aws/clients.js';
import { loadConfig, usableSuppressions } from '../config.js';
import { configError, oneLine } from '../errors.js';
import { printable } from '../util/text.js';
import type { AppDeps } from './service.js';
import { ScanStore } from './store.js';

/**
 * Log values quote outside text (errors from servers and AWS, instance names):
 * JSON escapes C0 controls but leaves C1 controls and bidi overrides raw, so
 * every string is made printable (newlines and tabs kept: JSON escapes them).
 */
export const logger = new Logger({
  serviceName: 'influxguard',
  jsonReplacerFn: (_key, value) => (typeof value === 'string' ? printable(value, '\n\t') : value),
});
export const metrics = new Metrics({ namespace: 'influxguard', serviceName: 'influxguard' });

let deps: AppDeps | undefined;
/** Built once per container; configuration errors surface as one clear line. */
export function appDeps(env: NodeJS.ProcessEnv = process.env): AppDeps {
  if (deps) return deps;
  // An invalid suppression is ignored at run time, with an error log and a metric (the deploy validates them).
  const suppressions = usableSuppressions(env);
  for (const problem of suppressions.invalid) logger.error('suppression ignored', { problem });
  if (suppressions.invalid.length) metrics.addMetric('InvalidSuppressions', MetricUnit.Count, suppressions.invalid.length);
  const config = loadConfig({ env: suppressions.env });
  const homeRegion = env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
  if (!homeRegion) throw configError('AWS_REGION is not set');
  if (!config.app.tableName) throw configError('INFLUXGUARD_TABLE is not set');
  const counter = new CallCounter();
  const clients = createClients({ aws: config.aws, counter });
  const externalId = env.INFLUXGUARD_MEMBER_EXTERNAL_ID?.trim();
  deps = {
    config,
    clients,
    homeRegion,
    store: new ScanStore(clients.dynamodb(homeRegion), config.app.tableName, config.app.scanTtlDays),
    counter,
    ...(externalId ? { memberExternalId: externalId } : {}),
  };
  return deps;
}

/** For tests: forget the cached dependencies. */
export function resetAppDeps(): void {
  deps?.clients.destroy();
  deps = undefined;
}

/** Logs a failure once, as one line without stack or secrets, then lets middy rethrow it. */
export function logErrors(): MiddlewareObj {
  return {
    onError: async (request) => {
      logger.error('invocation failed', { error: oneLine(request.error), name: (request.error as Error | undefined)?.name });
    },
  };
}
