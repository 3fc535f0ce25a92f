/**
 * Nothing outside the allowed CIDRs is ever contacted: a listener that must
 * receive nothing, reached through every spelling of its address and through
 * a redirect from an allowed endpoint.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer, type Server } from 'node:net';
import { parseConfig } from '../../lib/config.js';
import { probeTargets } from '../../lib/probe.js';

let forbidden: Server;
let redirector: HttpServer;
let port = 0;
let redirectPort = 0;
let connections = 0;

beforeAll(async () => {
  forbidden = createServer((s) => {
    connections++;
    s.destroy();
  });
  await new Promise<void>((r) => forbidden.listen(0, '127.0.0.1', () => r()));
  port = (forbidden.address() as { port: number }).port;
  // An allowed "InfluxDB" on 127.0.0.2 that redirects everything to the forbidden listener.
  redirector = createHttpServer((_req, res) =>
    res.writeHead(302, { location: `http://127.0.0.1:${port}/ping`, 'x-influxdb-version': '1.8.10' }).end(),
  );
  await new Promise<void>((r) => redirector.listen(0, '127.0.0.2', () => r()));
  redirectPort = (redirector.address() as { port: number }).port;
});
afterAll(() => {
  forbidden.close();
  redirector.close();
});

describe('the prober stays inside its allowlist', () => {
  it('refuses every spelling of a disallowed address, and follows no redirect to it', async () => {
    const config = parseConfig({
      probe: { allowedCidrs: ['127.0.0.2/32'], connectTimeoutMs: 500, tlsTimeoutMs: 500, responseTimeoutMs: 1000 },
    });
    const spellings = [
      `http://127.0.0.1:${port}`,
      `http://2130706433:${port}`,
      `http://0x7f000001:${port}`,
      `http://0177.0.0.1:${port}`,
      `http://[::ffff:127.0.0.1]:${port}`,
      `localhost:${port}`,
      `127.1:${port}`,
    ];
    for (const target of spellings) {
      const doc = await probeTargets([target], config);
      expect({
        target,
        refused: doc.findings.every(
          (f) => f.status === 'NOT_AVAILABLE' && /outside the allowed target CIDRs/.test(String(f.evidence.reason)),
        ),
      }).toEqual({ target, refused: true });
    }
    const doc = await probeTargets([`http://127.0.0.2:${redirectPort}`], config);
    const viaRedirect = doc.findings.find((f) => f.checkId === 'auth.disabled')!;
    expect(String(viaRedirect.evidence.reason)).toMatch(/HTTP 302/);
    expect(connections).toBe(0);
  });
});
