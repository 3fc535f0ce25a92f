/** HTTP API (AWS_IAM): POST /scans, GET /scans/{scanId}. */
import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { APIGatewayProxyEventV2WithIAMAuthorizer, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { InfluxguardError, oneLine } from '../lib/errors.js';
import {
  DispatchError,
  ForbiddenError,
  RequestError,
  dispatch,
  parseScanRequest,
  requestHash,
  scanNow,
  scanStatus,
  type AppDeps,
  type ScanRequest,
} from '../lib/app/service.js';
import { appDeps, logger } from '../lib/app/runtime.js';

type ApiEvent = APIGatewayProxyEventV2WithIAMAuthorizer;

const json = (statusCode: number, body: unknown): APIGatewayProxyStructuredResultV2 => ({
  statusCode,
  headers: { 'content-type': 'application/json', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' },
  body: JSON.stringify(body),
});

const IDEMPOTENCY_KEY = /^[A-Za-z0-9_.:-]{8,128}$/;

/**
 * POST /scans with an Idempotency-Key: the key is claimed (pending) with the
 * hash of the request, confirmed once the units are enqueued, released if
 * that fails (so a failure never burns it). The same key with another body
 * is a 409. A duplicate gets the first request's scan id, also while that one
 * is still dispatching (if its dispatch then fails, the scan is marked
 * `failed` and the key is free again).
 */
async function dispatchOnce(
  key: string,
  request: ScanRequest,
  requestedBy: string | undefined,
  deps: AppDeps,
): Promise<APIGatewayProxyStructuredResultV2> {
  const hash = requestHash(request);
  for (let attempt = 0; ; attempt++) {
    const scanId = (deps.newId ?? (() => crypto.randomUUID()))();
    const existing = await deps.store.claimIdempotencyKey(key, { scanId, requestHash: hash });
    // (Our own claim, seen again when the SDK retried a write that had succeeded, is still ours.)
    if (!existing || existing.scanId === scanId) {
      let out: { scanId: string; unitsTotal: number };
      try {
        out = await dispatch(request, { ...deps, newId: () => scanId }, requestedBy ? { requestedBy } : {});
      } catch (err) {
        await deps.store.releaseIdempotencyKey(key, scanId);
        throw err;
      }
      try {
        await deps.store.confirmIdempotencyKey(key, scanId);
      } catch (err) {
        // The scan is on its way; an unconfirmed claim still replays it, and expires as abandoned after a while.
        logger.warn('idempotency key not confirmed', { scanId, error: oneLine(err) });
      }
      logger.info('scan dispatched', { scanId, requestedBy, unitsTotal: out.unitsTotal });
      return json(202, out);
    }
    if (existing.scanId && existing.requestHash !== hash)
      throw new RequestError('Idempotency-Key', 'Idempotency-Key was already used with a different request body', 409);
    if (existing.scanId) return json(202, { scanId: existing.scanId, replayed: true });
    // Released between our claim and our read: claim again (a second time in a row means contention: 409).
    if (attempt > 0) throw new RequestError('Idempotency-Key', 'a request with this Idempotency-Key is being dispatched; retry later', 409);
  }
}

async function route(event: ApiEvent): Promise<APIGatewayProxyStructuredResultV2> {
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
    // Who asked (the IAM principal API Gateway authenticated): kept on the scan record and in the logs.
    const requestedBy = event.requestContext?.authorizer?.iam?.userArn ?? undefined;
    logger.info('scan requested', { requestedBy, wait: request.wait ?? false });
    if (request.wait) return json(200, await scanNow(request, deps, requestedBy ? { requestedBy } : {}));
    const key = event.headers?.['idempotency-key'];
    if (key !== undefined && !IDEMPOTENCY_KEY.test(key))
      throw new RequestError('Idempotency-Key', 'Idempotency-Key must be 8-128 characters of [A-Za-z0-9_.:-]');
    if (key) return dispatchOnce(key, request, requestedBy, deps);
    const out = await dispatch(request, deps, requestedBy ? { requestedBy } : {});
    logger.info('scan dispatched', { scanId: out.scanId, requestedBy, unitsTotal: out.unitsTotal });
    return json(202, out);
  }
  const m = path.match(/^\/scans\/([A-Za-z0-9-]{1,100})$/);
  if (method === 'GET' && m) {
    const status = await scanStatus(m[1]!, deps);
    return status ? json(200, status) : json(404, { error: 'scan not found', scanId: m[1] });
  }
  return json(404, { error: 'no such route', method, path });
}

export const handler = middy(async (event: ApiEvent) => {
  try {
    return await route(event);
  } catch (err) {
    if (err instanceof RequestError) return json(err.status, { error: err.message, field: err.field });
    if (err instanceof ForbiddenError) {
      logger.warn('scan refused', { field: err.field, account: err.account, requestedBy: event.requestContext?.authorizer?.iam?.userArn });
      return json(403, { error: err.message, field: err.field, account: err.account });
    }
    if (err instanceof DispatchError) {
      logger.error('dispatch failed', { scanId: err.scanId, error: err.message });
      return json(503, { error: `${err.message}; the scan is marked failed, retry`, scanId: err.scanId });
    }
    if (err instanceof InfluxguardError && err.kind === 'usage') return json(400, { error: oneLine(err) });
    logger.error('request failed', { error: oneLine(err), path: event.rawPath });
    return json(500, { error: 'internal error', requestId: event.requestContext?.requestId });
  }
})
  // No Powertools metrics here: the API records none (Lambda's own metrics count its requests and errors), and an
  // empty flush only printed "No application metrics to publish" on every request.
  .use(injectLambdaContext(logger, { resetKeys: true }));
