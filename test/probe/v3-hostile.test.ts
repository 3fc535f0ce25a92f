/**
 * Hostile servers that claim to be InfluxDB 3, on loopback, against the probe and the credentialed audit: huge and
 * endless bodies, slow answers, control characters (C0 where the HTTP parser lets them through, C1 as latin1 bytes)
 * in version headers, a token list of 100,000 entries, a deeply nested JSON answer. Every answer is bounded, nothing
 * crashes, what could not be read is NOT_AVAILABLE with a reason, no control character reaches the table, JSON or
 * ASFF, and the audit token appears in no output, log or error.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { createServer as createHttp, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttps } from 'node:https';
import { join } from 'node:path';
import { AuditCredentials } from '../../lib/evidence/audit/credentials.js';
import { toAsff } from '../../lib/findings/asff.js';
import type { Finding, ScanDocument } from '../../lib/model.js';
import { probeRun } from '../../lib/probe.js';
import { certificates } from '../../scripts/influxd.js';
import { runCli } from '../support/cli.js';
import { loopbackConfig, RAW_CONTROL } from '../support/hostile.js';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;
const servers: Server[] = [];
afterAll(() => {
  for (const s of servers) {
    s.closeAllConnections?.();
    s.close();
  }
});

async function serve(handler: Handler, tls = false): Promise<string> {
  const certs = certificates();
  const server = tls
    ? createHttps({ cert: readFileSync(join(certs, 'valid.pem')), key: readFileSync(join(certs, 'valid.key')) }, handler)
    : createHttp(handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `${tls ? 'https' : 'http'}://127.0.0.1:${(server.address() as { port: number }).port}`;
}

const config = () => loopbackConfig();
const one = (doc: ScanDocument, id: string): Finding | undefined => doc.findings.find((f) => f.checkId === id);

/** An InfluxDB 3 without authentication (/ping names 3.6.0 Core), whose other answers the test chooses. */
const openV3 =
  (over: Record<string, Handler> = {}, ping: Record<string, string> = {}): Handler =>
  (req, res) => {
    const path = (req.url ?? '').split('?')[0]!;
    if (over[path]) return over[path](req, res);
    if (path === '/ping')
      return res.writeHead(200, { 'x-influxdb-version': '3.6.0', 'x-influxdb-build': 'Core', ...ping }).end('{"version":"3.6.0"}');
    if (path === '/api/v3/configure/database') return res.writeHead(200, { 'content-type': 'application/json' }).end('[]');
    if (path === '/api/v3/query_sql') return res.writeHead(200).end('[{"cli_params":"{\\"node-id\\":\\"n\\"}"}]');
    res.writeHead(req.method === 'OPTIONS' ? 204 : 200).end();
  };

/** A body of `total` bytes written in 64 KiB chunks as the client reads them (stops when it hangs up). */
const huge =
  (total: number, chunk = 'x'): Handler =>
  (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    const piece = Buffer.alloc(64 * 1024, chunk);
    let sent = 0;
    const more = () => {
      while (sent < total && !res.destroyed) {
        sent += piece.length;
        if (!res.write(piece)) return void res.once('drain', more);
      }
      res.end();
    };
    res.on('close', () => {
      sent = total;
    });
    more();
  };

describe('the probe against hostile InfluxDB 3 imitations', () => {
  it('a 1 GiB database list and an endless system.nodes answer: read to the cap, the engine NOT_AVAILABLE with a reason', async () => {
    const url = await serve(openV3({ '/api/v3/configure/database': huge(1 << 30), '/api/v3/query_sql': huge(1 << 30, '[') }));
    const doc = (await probeRun([url], config())).document;
    expect(one(doc, 'auth.disabled')).toMatchObject({ status: 'FAILED' });
    const engine = one(doc, 'host.v3-processing-engine-open')!;
    expect(engine.status).toBe('NOT_AVAILABLE');
    expect(String(engine.evidence.reason)).not.toBe('');
    expect(JSON.stringify(doc).length).toBeLessThan(200_000);
  }, 30_000);

  it('answers that never finish: NOT_AVAILABLE naming the timeout, never a pass', async () => {
    const stall: Handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('['); // and nothing more
    };
    const url = await serve(openV3({ '/api/v3/configure/database': stall, '/api/v3/query_sql': stall }));
    const doc = (await probeRun([url], config())).document;
    const auth = one(doc, 'auth.disabled')!;
    expect(auth.status).toBe('NOT_AVAILABLE');
    expect(String(auth.evidence.reason)).toMatch(/no complete response within/);
    // What the stalled answers decide is never a pass (the headers and CORS checks read /ping and OPTIONS, which answered).
    for (const id of ['host.v3-processing-engine-open', 'auth.v3-recovery-listener-exposed', 'auth.v3-admin-token-unclaimed'])
      expect({ id, status: one(doc, id)?.status }).not.toEqual({ id, status: 'PASSED' });
  }, 30_000);

  it('C1 controls (latin1 bytes) and bidi overrides in the version headers: recognised, never raw in the table, JSON or ASFF', async () => {
    const url = await serve(openV3({}, { 'x-influxdb-version': '3.6.0\u009b31m\u00ad', 'x-influxdb-build': 'Core\u0085\u009d' }));
    const doc = (await probeRun([url], config())).document;
    expect(doc.findings.length).toBeGreaterThan(5);
    expect(one(doc, 'host.version-vulnerable')).toMatchObject({ status: 'FAILED' });
    for (const format of ['table', 'json', 'ocsf', 'csv', 'html']) {
      const r = await runCli(['probe', url, '--allow-cidr', '127.0.0.0/8', '--format', format, '--fail-on', 'none'], {});
      expect({ format, code: r.code }).toEqual({ format, code: 0 });
      const both = `${r.stdout}${r.stderr}`.replaceAll('\r\n', '\n'); // CSV's record separator (RFC 4180)
      const at = both.search(RAW_CONTROL);
      expect({ format, raw: at >= 0 ? JSON.stringify(both.slice(Math.max(0, at - 120), at + 5)) : '' }).toEqual({ format, raw: '' });
    }
    // ASFF (a scan's format: the probe's findings given the account and region a scan would).
    const asff = JSON.stringify(
      doc.findings.map((f) => toAsff({ ...f, accountId: '123456789012', region: 'eu-west-1' }, { now: doc.finishedAt })),
    );
    expect(RAW_CONTROL.test(asff)).toBe(false);
  }, 60_000);

  it('a JSON body of 60,000 nested arrays in system.nodes: no crash, the engine NOT_AVAILABLE', async () => {
    const bomb: Handler = (_req, res) => res.writeHead(200).end(`${'['.repeat(60_000)}${']'.repeat(60_000)}`);
    const url = await serve(openV3({ '/api/v3/query_sql': bomb }));
    const doc = (await probeRun([url], config())).document;
    expect(one(doc, 'host.v3-processing-engine-open')).toMatchObject({ status: 'NOT_AVAILABLE' });
    expect(one(doc, 'auth.disabled')).toMatchObject({ status: 'FAILED' });
  }, 30_000);
});

describe('the audit against a hostile InfluxDB 3 (TLS, test CA as the operator CA)', () => {
  const TOKEN = `apiv3_${'S3cr3t'.repeat(12)}`;
  let tokensUrl = '';
  let bombUrl = '';
  let echoUrl = '';

  /** `influxguard probe URL` with TOKEN for the audit (from the environment) and the test CA as the operator CA. */
  const auditedCli = (url: string, format: string, env: Record<string, string> = {}) =>
    runCli(
      [
        'probe',
        url,
        '--allow-cidr',
        '127.0.0.0/8',
        '--audit-ca',
        join(certificates(), 'ca.pem'),
        '--credentials-env',
        'IG_T',
        '--format',
        format,
        '--fail-on',
        'none',
      ],
      { IG_T: TOKEN, ...env },
    );

  /** An InfluxDB 3 with authentication on that accepts TOKEN and answers system.tokens with `tokens`. */
  const withAuth =
    (tokens: (res: ServerResponse) => void): Handler =>
    (req, res) => {
      const path = (req.url ?? '').split('?')[0]!;
      // As 3.6.0: the admin-token path is routed before authentication (only POST served there).
      if (path === '/api/v3/configure/token/admin' && req.method === 'GET') return res.writeHead(404).end('not found');
      if (req.headers.authorization !== `Bearer ${TOKEN}` && req.headers.authorization !== `Token ${TOKEN}`)
        return res.writeHead(401, { 'content-length': '0' }).end();
      if (path === '/ping') return res.writeHead(200, { 'x-influxdb-version': '3.6.0', 'x-influxdb-build': 'Core' }).end('{}');
      if (path === '/api/v3/query_sql' && /system\.tokens/.test(decodeURIComponent(req.url ?? ''))) return tokens(res);
      if (path === '/api/v3/query_sql') return res.writeHead(200).end('[{"cli_params":"{}","triggers":0}]');
      res.writeHead(404).end();
    };

  beforeAll(async () => {
    // 100,000 admin tokens whose names hold C1 controls, under the audit's 4 MiB cap (a longer answer is refused whole).
    const list = JSON.stringify(Array.from({ length: 100_000 }, (_, i) => ({ name: `\u009b${i.toString(36)}`, permissions: '*:*:*' })));
    expect(Buffer.byteLength(list)).toBeLessThan(4 << 20);
    tokensUrl = await serve(
      withAuth((res) => res.writeHead(200).end(list)),
      true,
    );
    bombUrl = await serve(
      withAuth((res) => res.writeHead(200).end(`${'['.repeat(1_000_000)}${']'.repeat(1_000_000)}`)),
      true,
    );
    // A server that puts the token it was sent into its error message.
    echoUrl = await serve((req, res) => {
      if ((req.url ?? '').startsWith('/ping')) res.writeHead(200, { 'x-influxdb-version': '3.6.0' }).end('{}');
      else
        res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ error: `bad token ${req.headers.authorization}` }));
    }, true);
  }, 30_000);

  it('100,000 admin tokens: judged, the finding bounded, no control character and no token in any output', async () => {
    const doc = (await probeRun([tokensUrl], config(), { credentials: AuditCredentials.token(TOKEN) })).document;
    const f = one(doc, 'tokens.all-access-excess')!;
    expect(f).toMatchObject({ status: 'FAILED' });
    expect(JSON.stringify(f).length).toBeLessThan(64 * 1024);
    const claimed = one(doc, 'auth.v3-admin-token-unclaimed')!;
    expect(claimed).toMatchObject({ status: 'PASSED' });
    expect(JSON.stringify(claimed).length).toBeLessThan(64 * 1024);
    const asff = JSON.stringify(toAsff({ ...f, accountId: '123456789012', region: 'eu-west-1' }, { now: doc.finishedAt }));
    expect(RAW_CONTROL.test(asff)).toBe(false);
    expect(asff.length).toBeLessThan(240 * 1024); // Security Hub's limit for one finding
    for (const format of ['table', 'json']) {
      const r = await auditedCli(tokensUrl, format);
      expect({ format, code: r.code }).toEqual({ format, code: 0 });
      const out = `${r.stdout}${r.stderr}`;
      expect({ format, raw: RAW_CONTROL.test(out), token: out.includes(TOKEN) || out.includes('S3cr3tS3cr3t') }).toEqual({
        format,
        raw: false,
        token: false,
      });
      expect(out.length).toBeLessThan(2_000_000);
    }
  }, 120_000);

  it('expiry as 3.6.0 writes it (UTC without a zone, "2026-12-06T05:16:35.861"): an expired admin token is not counted, whatever the local time zone', async () => {
    const utc = (ms: number) => new Date(ms).toISOString().slice(0, 23); // no "Z", as system.tokens answers
    const rows = [
      { name: '_admin', permissions: '*:*:*' },
      { name: 'expired-2h-ago', permissions: '*:*:*', expiry: utc(Date.now() - 2 * 3600_000) },
    ];
    const url = await serve(
      withAuth((res) => res.writeHead(200).end(JSON.stringify(rows))),
      true,
    );
    // The CLI in a zone 7 or 8 hours behind UTC: read as local time, the token would still live.
    const r = await auditedCli(url, 'json', { TZ: 'America/Los_Angeles' });
    const f = (JSON.parse(r.stdout) as ScanDocument).findings.find((x) => x.checkId === 'tokens.all-access-excess')!;
    expect(f.status).toBe('PASSED');
    expect(f.evidence.adminTokens).toEqual([{ name: '_admin' }]);
  }, 30_000);

  it('a token list over the 4 MiB cap (an endless answer): refused whole, NOT_AVAILABLE saying so, never judged in part', async () => {
    const url = await serve(
      withAuth((res) => huge(64 << 20, '{')(null as unknown as IncomingMessage, res)),
      true,
    );
    const doc = (await probeRun([url], config(), { credentials: AuditCredentials.token(TOKEN) })).document;
    const f = one(doc, 'tokens.all-access-excess')!;
    expect(f.status).toBe('NOT_AVAILABLE');
    expect(String(f.evidence.reason)).toMatch(/larger than 4194304 bytes/);
    expect(one(doc, 'auth.v3-admin-token-unclaimed')?.status).not.toBe('PASSED');
  }, 30_000);

  it('a JSON bomb as system.tokens: NOT_AVAILABLE with a reason, no crash', async () => {
    const doc = (await probeRun([bombUrl], config(), { credentials: AuditCredentials.token(TOKEN) })).document;
    const f = one(doc, 'tokens.all-access-excess')!;
    expect(f.status).toBe('NOT_AVAILABLE');
    expect(String(f.evidence.reason)).toMatch(/system\.tokens/);
  }, 30_000);

  it('3.x to the probe, 2.x to the token (its /ping says v2.7), every list answered with JSON null: NOT_AVAILABLE, no crash', async () => {
    const url = await serve((req, res) => {
      const path = (req.url ?? '').split('?')[0]!;
      if (path === '/api/v3/configure/token/admin') res.writeHead(404).end('not found');
      else if (!req.headers.authorization) res.writeHead(401, { 'content-length': '0' }).end();
      else if (path === '/ping') res.writeHead(204, { 'x-influxdb-version': 'v2.7.12', 'x-influxdb-build': 'OSS' }).end();
      else res.writeHead(200, { 'content-type': 'application/json' }).end('null');
    }, true);
    const doc = (await probeRun([url], config(), { credentials: AuditCredentials.token(TOKEN) })).document;
    const f = one(doc, 'tokens.all-access-excess')!;
    expect(f.status).toBe('NOT_AVAILABLE');
    expect(String(f.evidence.reason)).toMatch(/not a JSON object/);
  }, 30_000);

  it('a server that echoes the token in its error: the reason never holds it', async () => {
    const doc = (await probeRun([echoUrl], config(), { credentials: AuditCredentials.token(TOKEN) })).document;
    const f = one(doc, 'tokens.all-access-excess')!;
    expect(f.status).toBe('NOT_AVAILABLE');
    expect(JSON.stringify(doc)).not.toContain('S3cr3tS3cr3t');
  }, 30_000);
});
