/**
 * A fault-injecting HTTP proxy between AWS SDK clients and the emulator (both
 * on loopback), for reliability tests and benchmarks. Per service (read from
 * the SigV4 credential scope) it injects, at configured rates: throttling
 * (429), access denied, server errors (500/503), added latency, dropped
 * connections and truncated responses, per service or per operation. Seeded, so a run is repeatable. Never used outside tests.
 */
import { createServer, request, type IncomingMessage, type Server } from 'node:http';

export type Fault = 'throttle' | 'deny' | 'error' | 'latency' | 'drop' | 'truncate';

export interface FaultPlan {
  /**
   * Probability that a request gets a fault, per `service:Operation` (e.g.
   * `ec2:DescribeVolumes`), else per service, else `*` for every service.
   */
  rates: Record<string, number>;
  /** Which faults to draw from (equally likely). */
  faults?: Fault[];
  seed?: number;
  latencyMs?: number;
}

export interface FaultProxy {
  endpoint: string;
  /** Faults injected so far, by service and kind. */
  injected: Record<string, Record<Fault, number>>;
  requests: number;
  /** Requests by `service:operation` (the operation as the fault plan names it). */
  readonly byOperation: Record<string, number>;
  setPlan: (plan: FaultPlan) => void;
  stop: () => Promise<void>;
}

/** mulberry32: a tiny seeded PRNG. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const serviceOf = (req: IncomingMessage) =>
  (req.headers.authorization ?? '').match(/Credential=[^/]+\/\d{8}\/[^/]+\/([^/]+)\//)?.[1] ?? 'unknown';

/** The operation: `Action=` of query protocols (EC2, STS, SNS), `X-Amz-Target` of JSON ones, else the REST path. */
function operationOf(req: IncomingMessage, body: Buffer): string {
  const target = req.headers['x-amz-target'];
  if (typeof target === 'string') return target.split('.').pop() ?? target;
  const action = new URLSearchParams(body.toString('utf8')).get('Action') ?? new URL(req.url ?? '/', 'http://x').searchParams.get('Action');
  return action ?? (req.url ?? '/').split('?')[0]!;
}

export async function startFaultProxy(upstream: string, initial: FaultPlan): Promise<FaultProxy> {
  const target = new URL(upstream);
  if (!['127.0.0.1', 'localhost', '::1'].includes(target.hostname)) throw new Error('the fault proxy only forwards to a loopback emulator');
  let plan = initial;
  let random = prng(initial.seed ?? 1);
  const injected: FaultProxy['injected'] = {};
  const state = { requests: 0 };
  const byOperation: Record<string, number> = {};
  const count = (service: string, f: Fault) => {
    injected[service] ??= { throttle: 0, deny: 0, error: 0, latency: 0, drop: 0, truncate: 0 };
    injected[service]![f]++;
  };

  const server: Server = createServer((req, res) => {
    state.requests++;
    const service = serviceOf(req);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const op = `${service}:${operationOf(req, Buffer.concat(chunks))}`;
      byOperation[op] = (byOperation[op] ?? 0) + 1;
      const rate = plan.rates[op] ?? plan.rates[service] ?? plan.rates['*'] ?? 0;
      const faults = plan.faults ?? ['throttle', 'error', 'latency', 'drop', 'truncate'];
      const fault = random() < rate ? faults[Math.floor(random() * faults.length)]! : undefined;
      if (fault) count(service, fault);
      const query = (req.headers['content-type'] ?? '').includes('x-www-form-urlencoded');
      if (fault === 'deny') {
        if (query && service === 'ec2') {
          res
            .writeHead(403, { 'content-type': 'text/xml' })
            .end(
              '<Response><Errors><Error><Code>UnauthorizedOperation</Code><Message>You are not authorized to perform this operation (injected)</Message></Error></Errors><RequestID>injected</RequestID></Response>',
            );
        } else if (query) {
          res
            .writeHead(403, { 'content-type': 'text/xml' })
            .end(
              '<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>Access denied (injected)</Message></Error><RequestId>injected</RequestId></ErrorResponse>',
            );
        } else {
          res
            .writeHead(403, { 'content-type': 'application/json', 'x-amzn-errortype': 'AccessDeniedException' })
            .end('{"__type":"AccessDeniedException","message":"Access denied (injected)"}');
        }
        return;
      }
      if (fault === 'throttle') {
        // Each protocol's own error shape, so that the SDK recognises throttling and retries it.
        if (query && service === 'ec2') {
          res
            .writeHead(503, { 'content-type': 'text/xml' })
            .end(
              '<Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>Request limit exceeded (injected)</Message></Error></Errors><RequestID>injected</RequestID></Response>',
            );
        } else if (query) {
          res
            .writeHead(400, { 'content-type': 'text/xml' })
            .end(
              '<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded (injected)</Message></Error><RequestId>injected</RequestId></ErrorResponse>',
            );
        } else {
          res
            .writeHead(429, { 'content-type': 'application/json', 'x-amzn-errortype': 'ThrottlingException' })
            .end('{"__type":"ThrottlingException","message":"Rate exceeded (injected)"}');
        }
        return;
      }
      if (fault === 'error') {
        res.writeHead(random() < 0.5 ? 500 : 503, { 'content-type': 'text/plain' }).end('injected server error');
        return;
      }
      if (fault === 'drop') {
        req.socket.destroy();
        return;
      }
      const forward = () => {
        const up = request(
          { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: { ...req.headers, host: target.host } },
          (upRes) => {
            if (fault === 'truncate') {
              const body: Buffer[] = [];
              upRes.on('data', (c: Buffer) => body.push(c));
              upRes.on('end', () => {
                const all = Buffer.concat(body);
                res.writeHead(upRes.statusCode ?? 502, { ...upRes.headers, 'content-length': String(all.length) });
                res.write(all.subarray(0, Math.floor(all.length / 2)));
                res.socket?.destroy();
              });
              return;
            }
            res.writeHead(upRes.statusCode ?? 502, upRes.headers);
            upRes.pipe(res);
          },
        );
        up.on('error', () => res.destroy());
        up.end(Buffer.concat(chunks));
      };
      if (fault === 'latency') setTimeout(forward, plan.latencyMs ?? 150);
      else forward();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as { port: number };
  return {
    endpoint: `http://127.0.0.1:${port}`,
    injected,
    get requests() {
      return state.requests;
    },
    byOperation,
    setPlan: (p) => {
      plan = p;
      random = prng(p.seed ?? 1);
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
