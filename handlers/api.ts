/** HTTP API (AWS_IAM): POST /scans, GET /scans/{scanId}. */
import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { InfluxguardError, oneLine } from '../lib/errors.js';
import { RequestError, dispatch, parseScanRequest, scanNow, scanStatus } from '../lib/app/service.js';
import { appDeps, logger, metrics } from '../lib/app/runtime.js';

const json = (statusCode: number, body: unknown): APIGatewayProxyStructuredResultV2 => ({
  statusCode,
  headers: { 'content-type': 'application/json', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' },
  body: JSON.stringify(body),
});

const IDEMPOTENCY_KEY = /^[A-Za-z0-9_.:-]{8,128}$/;

async function route(event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> {
  const deps = appDeps();
  const method = event.requestContext?.http?.method ?? 'GET';
  const path = event.rawPath ?? '/';
  if (method === 'POST' && path === '/scans') {
    let body: unknown = {};
    if (event.body) {
      try {
        body = JSON.parse(event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body);
      } catch {
        throw new RequestError('(body)', 'the body is not valid JSON');
      }
    }
    const request = parseScanRequest(body);
    if (request.wait) return json(200, await scanNow(request, deps));
    const key = event.headers?.['idempotency-key'];
    if (key !== undefined && !IDEMPOTENCY_KEY.test(key)) throw new RequestError('Idempotency-Key', 'Idempotency-Key must be 8-128 characters of [A-Za-z0-9_.:-]');
    if (key) {
      const scanId = (deps.newId ?? (() => crypto.randomUUID()))();
      const existing = await deps.store.claimIdempotencyKey(key, scanId);
      if (existing) return json(202, { scanId: existing, replayed: true });
      const out = await dispatch(request, { ...deps, newId: () => scanId });
      return json(202, out);
    }
    return json(202, await dispatch(request, deps));
  }
  const m = path.match(/^\/scans\/([A-Za-z0-9-]{1,100})$/);
  if (method === 'GET' && m) {
    const status = await scanStatus(m[1]!, deps);
    return status ? json(200, status) : json(404, { error: 'scan not found', scanId: m[1] });
  }
  return json(404, { error: 'no such route', method, path });
}

export const handler = middy(async (event: APIGatewayProxyEventV2) => {
  try {
    return await route(event);
  } catch (err) {
    if (err instanceof RequestError) return json(400, { error: err.message, field: err.field });
    if (err instanceof InfluxguardError && err.kind === 'usage') return json(400, { error: oneLine(err) });
    logger.error('request failed', { error: oneLine(err), path: event.rawPath });
    return json(500, { error: 'internal error', requestId: event.requestContext?.requestId });
  }
})
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(metrics));
