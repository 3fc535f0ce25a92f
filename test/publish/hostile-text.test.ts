/**
 * Text from the outside never reaches a terminal, Security Hub or SNS with its
 * control characters: a real TLS server whose certificate CN carries ESC[2J
 * and an OSC 52 clipboard write (and a C1 CSI in its Server header), an EC2
 * Name tag with control characters and a bidi override (in moto), and
 * collector output with an OSC 52 sequence. The JSON document keeps what was
 * observed, escaped.
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { logger } from '../../lib/app/runtime.js';
import { parseConfig } from '../../lib/config.js';
import { COLLECTOR_SCHEMA, parseCollectorOutput } from '../../lib/evidence/host/parse.js';
import type { Instance, ScanDocument } from '../../lib/model.js';
import { toAsff } from '../../lib/findings/asff.js';
import { buildSummary } from '../../lib/publish/sns.js';
import { renderTable } from '../../lib/render/table.js';
import { scan } from '../../lib/scan.js';
import { seedEstate, type SeededEstate } from '../../scripts/estate.js';
import { testAccount } from '../support/aws.js';
import { runCli } from '../support/cli.js';
import { ec2InstanceSubject } from '../../lib/kinds/ec2-instance/subject.js';

const R = 'sa-east-1';
const OSC52 = '\x1b]52;c;aGFja2Vk\x07';
const CN = `influx\x1b[2J${OSC52}`;
const NAME = `db\x1b[2J\u009b31m\u202eevil${OSC52}`;
const PROCESS = `sshd${OSC52}\x1b[2J`;
/** ESC, the C1 CSI, BEL, the bidi overrides: none may be left. */
const UNSAFE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

let dir: string;
let server: Server;
let port = 0;
let estate: SeededEstate;
let doc: ScanDocument;
let instances: Instance[];

const collectorOutput = JSON.stringify({
  schema: COLLECTOR_SCHEMA,
  collectedAt: '2026-11-23T10:00:00Z',
  hostname: `host${OSC52}`,
  tools: { ss: true, openssl: true, influxd: true },
  version: '1.8.10',
  processes: [],
  listeners: [{ address: '0.0.0.0', port: 2222, process: PROCESS, pid: 7 }],
  listenerSource: 'ss',
  files: [],
  systemd: { environmentFiles: [], env: {} },
  errors: [],
});

/** Every string inside a value (an ASFF document, a message). */
const strings = (v: unknown): string[] =>
  typeof v === 'string'
    ? [v]
    : Array.isArray(v)
      ? v.flatMap(strings)
      : v && typeof v === 'object'
        ? Object.entries(v).flatMap(([k, x]) => [k, ...strings(x)])
        : [];
const clean = (texts: string[]) => texts.filter((t) => UNSAFE.test(t));

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ig-hostile-'));
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
      '-days',
      '2',
      '-utf8',
      '-subj',
      `/CN=${CN}`,
    ],
    { stdio: 'ignore' },
  );
  // An "InfluxDB" with auth off: /ping with version headers (the Server header carries a C1 CSI, byte 0x9B), /query answers.
  server = createServer({ key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) }, (req, res) => {
    const headers = { 'X-Influxdb-Version': '1.8.10', Server: 'influx\u009b2J' };
    if (req.url?.startsWith('/ping')) return void res.writeHead(204, headers).end();
    if (req.url?.startsWith('/query'))
      return void res
        .writeHead(200, { ...headers, 'content-type': 'application/json' })
        .end('{"results":[{"statement_id":0,"series":[{"name":"databases","columns":["name"],"values":[["_internal"]]}]}]}');
    res.writeHead(404, headers).end('404 page not found\n');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  port = (server.address() as { port: number }).port;

  const account = await testAccount();
  estate = await seedEstate(account.seeder(R), {
    region: R,
    groups: [{ name: 'open', rules: [{ ports: 8086, cidrs: ['0.0.0.0/0'] }] }],
    instances: [{ name: NAME, tags: { influxdb: '', 'influxdb:endpoint': `https://localhost:${port}` }, groups: ['open'], publicIp: true }],
  });
  const config = parseConfig({
    regions: [R],
    probe: {
      allowedCidrs: ['127.0.0.0/8'],
      endpointCidrs: ['127.0.0.0/8'],
      connectTimeoutMs: 1000,
      tlsTimeoutMs: 1000,
      responseTimeoutMs: 2500,
    },
  });
  const { clients } = account.clients(config);
  const host = async (is: Instance[]) => new Map(is.map((i) => [i.instanceId, parseCollectorOutput(collectorOutput)]));
  ({ document: doc, instances } = await scan(config, { clients, homeRegion: R, host }));
}, 60_000);

afterAll(() => {
  server?.close();
  rmSync(dir, { recursive: true, force: true });
});

const id = () => estate.instances[NAME]![0]!;
const finding = (checkId: string) => doc.findings.find((f) => f.instanceId === id() && f.checkId === checkId)!;

describe('hostile text from a server, a tag and a host', () => {
  it('reached the evidence as observed (the JSON document keeps it, escaped)', () => {
    expect(instances[0]!.name).toBe(NAME);
    expect(String(finding('tls.certificate-invalid').evidence.summary)).toContain(CN);
    expect(String(finding('headers.version-disclosed').evidence.summary)).toContain('\u009b');
    expect(String(finding('host.unexpected-listeners').evidence.summary)).toContain(PROCESS);
    const json = JSON.stringify(doc);
    expect(JSON.parse(json)).toEqual(doc);
  });

  it('the table shows it without control characters', () => {
    for (const color of [false, true]) {
      const table = renderTable(doc, { color, showPassed: true, subjects: instances.map(ec2InstanceSubject) });
      const plain = color ? table.replace(/\x1b\[[0-9;]*m/g, '') : table; // our own colours only
      expect(plain).toContain('db[2J31mevil]52;c;aGFja2Vk');
      expect(plain).toContain("is not cert's CN: influx[2J]52;c;aGFja2Vk");
      expect(plain.split('\n').filter((l) => UNSAFE.test(l))).toEqual([]);
      expect(Buffer.from(plain).includes(Buffer.from([0xc2, 0x9b]))).toBe(false);
    }
  });

  it('every string of every ASFF document is printable', () => {
    const asff = doc.findings.map((f) => toAsff(f, { now: doc.finishedAt }));
    const all = strings(asff);
    expect(all.some((s) => s.includes("is not cert's CN: influx[2J]52;c;aGFja2Vk"))).toBe(true);
    expect(all.some((s) => s.includes('sshd]52;c;aGFja2Vk[2J'))).toBe(true);
    expect(clean(all)).toEqual([]);
  });

  it('the SNS subject, message and attributes are printable', () => {
    const summary = buildSummary(doc, undefined, instances);
    expect(summary.message).toContain('db[2J31mevil]52;c;aGFja2Vk');
    expect(clean(strings(summary))).toEqual([]);
    expect(summary.message.split('\n').filter((l) => UNSAFE.test(l))).toEqual([]);
  });

  it('log lines (Powertools) carry no control characters, not even the C1 ones JSON leaves raw', () => {
    const lines: string[] = [];
    const spies = [process.stdout, process.stderr].map((s) =>
      jest.spyOn(s, 'write').mockImplementation((chunk: unknown) => {
        lines.push(String(chunk));
        return true;
      }),
    );
    try {
      logger.error(`probe failed: ${finding('tls.certificate-invalid').evidence.summary as string}`, { instanceName: NAME });
    } finally {
      for (const s of spies) s.mockRestore();
    }
    expect(lines.join('')).toContain('db[2J31mevil');
    expect(lines.join('')).not.toMatch(/[\u007f-\u009f\u202a-\u202e\u2066-\u2069]/);
    expect(lines.join('')).not.toMatch(/\\u001b|\\u0007/); // not even escaped: gone
  });

  it('the CLI: table and JSON on stdout, and its stderr lines', async () => {
    const target = `https://localhost:${port}`;
    const table = await runCli(['probe', target, '--allow-cidr', '127.0.0.0/8', '--fail-on', 'none'], {});
    expect(table.stdout).toContain("is not cert's CN: influx[2J]52;c;aGFja2Vk");
    expect(table.stdout.split('\n').filter((l) => UNSAFE.test(l))).toEqual([]);
    const json = await runCli(['probe', target, '--allow-cidr', '127.0.0.0/8', '--format', 'json', '--fail-on', 'none'], {});
    expect(json.stdout).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e]/);
    expect(json.stdout).toContain('\\u001b]52;c;aGFja2Vk\\u0007'); // what was observed, escaped
    expect(json.stdout).toContain('\\u009b');
    // stderr quotes outside text (here a target as given): one printable line.
    const bad = await runCli(['probe', `ftp://x${OSC52}\x1b[2J`], {});
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/invalid target/);
    expect(bad.stderr.replace(/\n$/, '')).not.toMatch(UNSAFE);
  });
});
