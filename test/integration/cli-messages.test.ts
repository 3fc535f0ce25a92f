/** What a person reads: the table's headers and collapsed lines, probe's heading, and the probe's messages (loopback only). */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { certificates, startInfluxd, type RunningInfluxd } from '../../scripts/influxd.js';
import { runCli } from '../support/cli.js';

/** An address the allowlist refuses: nothing is ever sent to it. */
const REFUSED = '10.20.1.4:8086';
const LOOPBACK = ['--allow-cidr', '127.0.0.0/8'];

let tlsServer: RunningInfluxd;
let silent: Server;
const sockets: Socket[] = [];

beforeAll(async () => {
  tlsServer = await startInfluxd({ auth: true, https: 'valid.combined.pem' });
  // Accepts connections and never answers.
  silent = createServer((s) => sockets.push(s));
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
});
afterAll(async () => {
  for (const s of sockets) s.destroy();
  silent.close();
  await tlsServer.stop();
});

describe('the table', () => {
  it('has column headers; a subject’s NOT_AVAILABLE findings with one reason are one line; probe output is headed as a probe', async () => {
    const r = await runCli(['probe', ...LOOPBACK, REFUSED], {});
    expect(r.code).toBe(3);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toMatch(/^influxguard probe [0-9a-f-]{36} · 1 endpoint$/);
    expect(r.stdout).not.toMatch(/accounts -|regions -/);
    expect(lines[2]).toMatch(/^ {2}STATUS +SEVERITY +CHECK +RESOURCE +DETAIL$/);
    expect(lines.filter((l) => l.startsWith('  NOT_AVAILABLE'))).toEqual([
      '  NOT_AVAILABLE INFORMATIONAL 11 endpoint checks not evaluated: refused 10.20.1.4:8086: 10.20.1.4 is outside the allowed target CIDRs (127.0.0.0/8)',
    ]);
    expect(r.stdout).toMatch(/· 1 subject · 11 findings\n$/);
    expect(r.stderr).toMatch(/warning: 11 findings NOT_AVAILABLE: /);
  });

  it('the JSON keeps every finding with its reason', async () => {
    const r = await runCli(['probe', ...LOOPBACK, '--format', 'json', REFUSED], {});
    const doc = JSON.parse(r.stdout) as { findings: { status: string; evidence: { reason: string } }[] };
    expect(doc.findings).toHaveLength(11);
    for (const f of doc.findings)
      expect(f).toMatchObject({ status: 'NOT_AVAILABLE', evidence: { reason: expect.stringContaining('outside') } });
  });
});

describe('probe messages', () => {
  it('plain HTTP answered 400 by a TLS server suggests https://', async () => {
    const port = new URL(tlsServer.url).port;
    const r = await runCli(['probe', ...LOOPBACK, '--format', 'json', `http://127.0.0.1:${port}`], {});
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(`it answered plain HTTP with 400 as a TLS server does: try https://127.0.0.1:${port}`);
  });

  it('a response timeout names the configured value and the setting', async () => {
    const config = join(certificates(), 'timeouts.json');
    writeFileSync(config, JSON.stringify({ probe: { responseTimeoutMs: 700 } }));
    const { port } = silent.address() as { port: number };
    const r = await runCli(['probe', ...LOOPBACK, '--config', config, `http://127.0.0.1:${port}`], {});
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('no complete response within 700 ms (probe.responseTimeoutMs)');
  });

  it('scan-only flags given to probe are usage errors', async () => {
    for (const [flags, message] of [
      [['--region', 'eu-west-1'], '--region is a scan option: probe does not take it'],
      [['--publish', '--host'], '--host, --publish are scan options: probe does not take them'],
      [['--no-probe'], '--no-probe is a scan option'],
    ] as const) {
      const r = await runCli(['probe', ...flags, ...LOOPBACK, REFUSED], {});
      expect({ code: r.code, stdout: r.stdout, stderr: r.stderr }).toEqual({
        code: 2,
        stdout: '',
        stderr: expect.stringContaining(`influxguard: usage: ${message}`),
      });
    }
  });
});
