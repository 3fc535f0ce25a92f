/**
 * What a person reads: the table's headers and collapsed lines, probe's heading, the probe's messages
 * (loopback only), each command's own help, the version, configuration errors in the product's words.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { VERSION } from '../../lib/version.js';
import { certificates, startInfluxd, type RunningInfluxd } from '../../scripts/influxd.js';
import { runCli } from '../support/cli.js';

/** An address the allowlist refuses: nothing is ever sent to it. */
const REFUSED = '10.20.1.4:8086';
const LOOPBACK = ['--allow-cidr', '127.0.0.0/8'];

let tlsServer: RunningInfluxd;
let silent: Server;
let plainHttp: HttpServer;
const sockets: Socket[] = [];

beforeAll(async () => {
  tlsServer = await startInfluxd({ auth: true, https: 'valid.combined.pem' });
  // Accepts connections and never answers.
  silent = createServer((s) => sockets.push(s));
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  // Plain HTTP only: a TLS ClientHello gets its 400 page.
  plainHttp = createHttpServer((_req, res) => res.writeHead(204, { 'X-Influxdb-Version': '1.8.10' }).end());
  await new Promise<void>((r) => plainHttp.listen(0, '127.0.0.1', r));
});
afterAll(async () => {
  for (const s of sockets) s.destroy();
  silent.close();
  plainHttp.closeAllConnections();
  plainHttp.close();
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
    // One line, wrapped to fit 120 columns: its continuation sits under the detail.
    const at = lines.findIndex((l) => l.startsWith('  NOT_AVAILABLE'));
    expect(lines.filter((l) => l.startsWith('  NOT_AVAILABLE'))).toHaveLength(1);
    const detail = [
      lines[at]!.slice(30),
      ...lines
        .slice(at + 1, at + 3)
        .filter((l) => /^ {30}\S/.test(l))
        .map((l) => l.slice(30)),
    ];
    expect(detail.join(' ')).toBe(
      '14 endpoint checks not evaluated: refused 10.20.1.4:8086: 10.20.1.4 is outside the allowed target CIDRs (127.0.0.0/8)',
    );
    expect(Math.max(...lines.map((l) => l.length))).toBeLessThanOrEqual(120);
    expect(r.stdout).toMatch(/· 1 subject · 14 findings\n$/);
    expect(r.stderr).toMatch(/warning: 14 findings NOT_AVAILABLE: /);
  });

  it('the JSON keeps every finding with its reason', async () => {
    const r = await runCli(['probe', ...LOOPBACK, '--format', 'json', REFUSED], {});
    const doc = JSON.parse(r.stdout) as { findings: { status: string; evidence: { reason: string } }[] };
    // 14: the three InfluxDB 3 endpoint checks too (issue 32): a refused probe does not tell the flavour.
    expect(doc.findings).toHaveLength(14);
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

  it('loopback refused names the flag that allows it', async () => {
    for (const [target, range] of [
      ['127.0.0.1:9', '127.0.0.0/8'],
      ['[::1]:9', '::1/128'],
    ] as const) {
      const r = await runCli(['probe', target], {});
      expect(r.code).toBe(3);
      expect(r.stderr).toContain(`loopback is not probed unless allowed: add --allow-cidr ${range} (probe.allowedCidrs)`);
    }
  });

  it("https:// against a plain-HTTP port says so and what to try, not OpenSSL's words", async () => {
    const { port } = plainHttp.address() as { port: number };
    const r = await runCli(['probe', ...LOOPBACK, `https://127.0.0.1:${port}`], {});
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(`TLS handshake failed: this port speaks plain HTTP; try http://127.0.0.1:${port}`);
    expect(r.stderr + r.stdout).not.toMatch(/SSL routines|ERR_SSL|openssl/i);
  });

  it('scan-only flags given to probe are usage errors', async () => {
    for (const [flags, message] of [
      [['--region', 'eu-west-1'], '--region is a scan option: probe does not take it'],
      [['--publish', '--host'], '--host, --publish are scan options: probe does not take them'],
      [['--no-probe'], '--no-probe is a scan option'],
      [['--check', 'tls.*'], '--check is a scan option'],
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

describe('help and version', () => {
  it('scan, probe and remediate each have their own short help; the overview lists the commands', async () => {
    const texts = new Map<string, string>();
    for (const command of ['scan', 'probe', 'remediate']) {
      const r = await runCli([command, '--help'], {});
      expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
      expect(r.stdout).toMatch(new RegExp(`^usage: influxguard ${command} `));
      expect(r.stdout.trimEnd().split('\n').length).toBeLessThanOrEqual(45);
      expect(Math.max(...r.stdout.split('\n').map((l) => l.length))).toBeLessThanOrEqual(110);
      texts.set(command, r.stdout);
      expect((await runCli(['help', command], {})).stdout).toBe(r.stdout);
    }
    expect(new Set(texts.values()).size).toBe(3);
    expect(texts.get('probe')).toContain('--allow-cidr');
    expect(texts.get('probe')).not.toContain('--region');
    expect(texts.get('remediate')).toContain('--apply');
    expect(texts.get('remediate')).not.toContain('--format');
    const overview = await runCli(['--help'], {});
    expect(overview.stdout).toMatch(/^usage: influxguard <command>/);
    for (const command of ['scan', 'probe', 'remediate', 'version']) expect(overview.stdout).toMatch(new RegExp(`^  ${command} `, 'm'));
    expect(overview.stdout.trimEnd().split('\n').length).toBeLessThanOrEqual(25);
  });

  it('-V, --version and version print the version', async () => {
    for (const args of [['-V'], ['--version'], ['version']]) {
      const r = await runCli(args, {});
      expect({ code: r.code, stdout: r.stdout, stderr: r.stderr }).toEqual({ code: 0, stdout: `${VERSION}\n`, stderr: '' });
    }
  });
});

describe('configuration errors', () => {
  it("are said once, in the product's words, naming the flag or key", async () => {
    const port = await runCli(['scan', '--allow-port', '70000'], {});
    expect({ code: port.code, stderr: port.stderr }).toEqual({
      code: 2,
      stderr: 'influxguard: invalid allowed port --allow-port "70000": port must be a whole number from 0 to 65535\n',
    });
    const config = join(certificates(), 'bad-config.json');
    writeFileSync(config, JSON.stringify({ probe: { port: 70000 } }));
    const file = await runCli(['probe', '--config', config, '127.0.0.1'], {});
    expect({ code: file.code, stderr: file.stderr }).toEqual({
      code: 2,
      stderr: `influxguard: invalid config file ${config}: probe.port (70000): must be a whole number from 1 to 65535\n`,
    });
    writeFileSync(config, '[]');
    const root = await runCli(['scan', '--config', config], {});
    expect(root.stderr).toBe(`influxguard: invalid config file ${config}: it must be a JSON object ({…})\n`);
    const flag = await runCli(['probe', '--allow-cidr', '10.0.0.0/33', '10.1.2.3'], {});
    expect(flag.stderr).toBe('influxguard: invalid option: --allow-cidr ("10.0.0.0/33"): is not a valid IPv4/IPv6 CIDR\n');
  });

  it('checks whose evidence is gathered (the host by --host, ECS task definitions without a probe) are not refused', async () => {
    for (const flags of [
      ['--check', 'host.rpc-bind-all-interfaces', '--host'],
      // An ECS task definition answers the endpoint checks that the host answers, probe or not.
      ['--check', 'auth.disabled', '--no-probe'],
      ['--check', 'tls.*', '--kind', 'timestream-db'],
      ['--check', 'tokens.*', '--audit-secret', 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:influx-AbCdEf'],
    ]) {
      const r = await runCli(['scan', ...flags], {});
      expect([flags, r.code, r.stderr]).toEqual([flags, 2, expect.stringContaining('influxguard: usage: no AWS region')]);
    }
  });

  it('a check or kind that does not exist, and a partial scan with --publish, are usage errors (before any AWS call)', async () => {
    for (const [flags, message] of [
      [['--check', 'net.*,net.no-such-check'], '--check net.no-such-check: no check has this id or family'],
      [['--check', 'nets.*'], '--check nets.*: no check has this id or family'],
      [['--kind', 'ec2'], '--kind ec2: not a resource kind (ec2-instance, ecs-service, timestream-db)'],
      [['--check', 'net.*', '--publish'], '--check and --publish: a partial scan is not published'],
      [['--kind', 'ec2-instance', '--publish'], '--kind and --publish: a partial scan is not published'],
      // Chosen checks that no chosen kind receives: a scan that could check nothing.
      [
        ['--check', 'timestream.*', '--kind', 'ec2-instance'],
        '--check timestream.* --kind ec2-instance: none of the chosen checks applies to the chosen kinds (they check timestream-db)',
      ],
      [
        ['--check', 'net.http-port-public,ebs.*', '--kind', 'timestream-db'],
        '--check net.http-port-public,ebs.* --kind timestream-db: none of the chosen checks applies to the chosen kinds (they check ec2-instance, ecs-service)',
      ],
      // One pattern of several that no chosen kind receives is not dropped silently either: it is named.
      [
        ['--check', 'net.*,ebs.default-encryption-disabled', '--kind', 'ecs-service'],
        '--check ebs.default-encryption-disabled --kind ecs-service: none of the chosen checks applies to the chosen kinds (they check ec2-instance)',
      ],
      [
        ['--check', 'timestream.publicly-accessible', '--check', 'net.http-port-public', '--kind', 'ec2-instance'],
        '--check timestream.publicly-accessible --kind ec2-instance: none of the chosen checks applies to the chosen kinds (they check timestream-db)',
      ],
      // An empty list (an unset shell variable: --check "$CHECKS") is not a scan of no check, nor of every kind.
      [['--check', ''], '--check: no check id or family given'],
      [['--check', ' , '], '--check: no check id or family given'],
      [['--kind', ''], '--kind: no resource kind given (ec2-instance, ecs-service, timestream-db)'],
      // Checks that read only evidence the scan does not gather would be silent (exit 0, no finding): refused, saying why.
      [
        ['--check', 'host.rpc-bind-all-interfaces,net.*'],
        '--check host.rpc-bind-all-interfaces: its checks read only evidence this scan does not gather (host evidence: --host)',
      ],
      [
        ['--check', 'auth.no-admin-user', '--no-probe'],
        '--check auth.no-admin-user: its checks read only evidence this scan does not gather (the probe: not with --no-probe)',
      ],
      // Of the chosen kinds' checks: Timestream for InfluxDB has no host; an instance check of TLS does not speak of it.
      [
        ['--check', 'tls.*', '--kind', 'timestream-db', '--no-probe'],
        '--check tls.*: its checks read only evidence this scan does not gather (the probe: not with --no-probe)',
      ],
      [
        ['--check', 'tokens.*'],
        '--check tokens.*: its checks read only evidence this scan does not gather (the credentialed audit: --audit-secret)',
      ],
    ] as const) {
      // No region, no credentials: the usage error comes first.
      const r = await runCli(['scan', ...flags], {});
      expect({ code: r.code, stdout: r.stdout, stderr: r.stderr }).toEqual({
        code: 2,
        stdout: '',
        stderr: expect.stringContaining(`influxguard: usage: ${message}`),
      });
    }
  });
});
