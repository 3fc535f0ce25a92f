/**
 * A peer in the benchmark: the same emulated estate as bench/fleet.ts (1,000
 * instances over four regions by default) scanned by influxguard (the CLI,
 * `--no-probe`, AWS evidence only) and by Cloud Custodian with a policy
 * equivalent to the network and EBS checks (bench/custodian-policy.yml, run
 * with `--cache-period 0`), each in its own process, each through its own
 * pass-through proxy (scripts/fault-proxy.ts with no faults) that counts the
 * requests reaching moto. Reports wall time, peak RSS and AWS calls of both,
 * and influxguard / Custodian as ratios.
 *
 * Custodian comes from PyPI into .bench/custodian (`make bench-setup`, version
 * pinned in bench/requirements-custodian.txt); run that before entering the
 * sandbox, which has no network. Usage: node dist/bench/peer.js [--instances N] [--no-write]
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { EC2Client } from '@aws-sdk/client-ec2';
import { emulatorEnv, startEmulator } from '../scripts/emulator.js';
import { startFaultProxy } from '../scripts/fault-proxy.js';
import { apportion, REGIONS, seedFleet } from './fleet.js';
import { CLI_NODE_FLAGS } from '../scripts/bundle.js';
import { machine, writeSection } from './results.js';

const root = new URL('../../', import.meta.url).pathname;
export const CUSTODIAN = join(root, '.bench', 'custodian', 'bin', 'custodian');
const POLICY = join(root, 'bench', 'custodian-policy.yml');

/** Run a command; its wall time and the peak RSS of its process tree's largest process (getrusage of the waited-for children, through a tiny Python wrapper). */
function measured(
  cmd: string[],
  env: Record<string, string>,
): Promise<{ wallS: number; cpuS: number; peakRssMb: number; code: number; stdout: string; stderr: string }> {
  const wrapper =
    'import resource,subprocess,sys,json\nr=subprocess.run(sys.argv[1:])\nu=resource.getrusage(resource.RUSAGE_CHILDREN)\nsys.stderr.write("\\n@@"+json.dumps({"code":r.returncode,"maxrss":u.ru_maxrss,"cpu":u.ru_utime+u.ru_stime})+"\\n")';
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const p = spawn(process.env.INFLUXGUARD_PYTHON ?? 'python3', ['-c', wrapper, ...cmd], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('error', reject);
    p.on('exit', () => {
      const wallS = (performance.now() - t0) / 1000;
      const line = stderr.split('\n').find((l) => l.startsWith('@@'));
      if (!line) return reject(new Error(`${cmd[0]}: no measurement: ${stderr.slice(-1000)}`));
      const m = JSON.parse(line.slice(2)) as { code: number; maxrss: number; cpu: number };
      resolve({ wallS, cpuS: m.cpu, peakRssMb: m.maxrss / 1024, code: m.code, stdout, stderr: stderr.replace(line, '') });
    });
  });
}

/** Every resources.json under dir (Custodian writes one per policy, per region). */
function resourceCounts(dir: string): Record<string, number> {
  const counts: Record<string, number> = {};
  const walk = (d: string) => {
    for (const f of readdirSync(d)) {
      const p = join(d, f);
      if (statSync(p).isDirectory()) walk(p);
      else if (f === 'resources.json') {
        const policy = d.split('/').pop()!;
        counts[policy] = (counts[policy] ?? 0) + (JSON.parse(readFileSync(p, 'utf8')) as unknown[]).length;
      }
    }
  };
  if (existsSync(dir)) walk(dir);
  return counts;
}

async function main() {
  const { values } = parseArgs({
    options: { instances: { type: 'string', default: '1000' }, 'no-write': { type: 'boolean', default: false } },
  });
  const n = Number(values.instances);
  if (!existsSync(CUSTODIAN))
    throw new Error(`Cloud Custodian is not installed at ${CUSTODIAN}: run "make bench-setup" (outside the sandbox) first`);
  const emulator = await startEmulator();
  try {
    const base = { endpoint: emulator.endpoint, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } };
    const s0 = performance.now();
    const counts = apportion(
      n,
      REGIONS.map(([, w]) => w),
    );
    // Endpoint tags point at a loopback port nothing listens on: neither tool probes here (influxguard runs with --no-probe).
    const pool = { servers: ['https://127.0.0.1:9'], hanging: ['127.0.0.1:9'], hostPid: 0 };
    await Promise.all(REGIONS.map(([region], i) => seedFleet(new EC2Client({ ...base, region }), region, counts[i]!, pool)));
    const seedS = (performance.now() - s0) / 1000;
    process.stderr.write(`peer: ${n} instances seeded in ${seedS.toFixed(1)} s\n`);
    const regions = REGIONS.map(([r]) => r);

    const run = async (name: string, cmd: string[], extraEnv: Record<string, string> = {}) => {
      const proxy = await startFaultProxy(emulator.endpoint, { rates: {} });
      try {
        const env = {
          ...emulatorEnv(proxy.endpoint, regions[0]),
          AWS_DEFAULT_REGION: regions[0]!,
          HOME: mkdtempSync(join(tmpdir(), `ig-peer-${name}-`)),
          ...extraEnv,
        };
        const r = await measured(cmd, env);
        process.stderr.write(
          `peer: ${name}: ${r.wallS.toFixed(1)} s, ${r.cpuS.toFixed(2)} CPU-s, ${r.peakRssMb.toFixed(0)} MB, ${proxy.requests} requests, exit ${r.code}\n`,
        );
        process.stderr.write(`peer: ${name}: ${JSON.stringify(proxy.byOperation)}\n`);
        return { ...r, calls: proxy.requests, byOperation: { ...proxy.byOperation } };
      } finally {
        await proxy.stop();
      }
    };

    // The CLI as a user runs it: the bundle through its own launcher (node flags included), its compile cache filled by
    // an earlier scan (the chunks a scan loads on use included), as for any scan after a user's first.
    const cache = { XDG_CACHE_HOME: mkdtempSync(join(tmpdir(), 'ig-peer-cache-')) };
    const scanCmd = [
      join(root, 'dist', 'influxguard.mjs'),
      'scan',
      '--region',
      regions.join(','),
      '--no-probe',
      '--format',
      'json',
      '--quiet',
      '--fail-on',
      'none',
      ...(process.env.IG_ARGS ? process.env.IG_ARGS.split(' ') : []),
    ];
    // Asynchronously: the emulator's output is read by this process, which must not block.
    const warm = await measured(scanCmd, { ...emulatorEnv(emulator.endpoint, regions[0]), ...cache });
    if (warm.code !== 0) throw new Error(`influxguard (warm-up) exited ${warm.code}: ${warm.stderr.slice(-1500)}`);
    const ig = await run('influxguard', scanCmd, { ...cache, ...(process.env.IG_EXP ? { IG_EXP: '1' } : {}) });
    if (ig.code !== 0 && ig.code !== 3) throw new Error(`influxguard exited ${ig.code}: ${ig.stderr.slice(-1500)}`);
    const doc = JSON.parse(ig.stdout) as {
      findings: { checkId: string; status: string; severity: string; instanceId?: string; resource: { id: string } }[];
    };
    const failing = (id: string) => doc.findings.filter((f) => f.checkId === id && f.status === 'FAILED');
    // World-open only: net.rpc-port-exposed is CRITICAL when a rule admits the world (HIGH for narrower exposures, which the policy does not ask about).
    const igOpen = new Set(
      [...failing('net.http-port-public'), ...failing('net.rpc-port-exposed').filter((f) => f.severity === 'CRITICAL')].map(
        (f) => f.instanceId,
      ),
    ).size;
    const igVolumes = new Set(failing('ebs.volume-unencrypted').map((f) => f.resource.id)).size;

    const out = mkdtempSync(join(tmpdir(), 'ig-peer-c7n-out-'));
    const c7n = await run('custodian', [CUSTODIAN, 'run', '--cache-period', '0', '-s', out, ...regions.flatMap((r) => ['-r', r]), POLICY]);
    if (c7n.code !== 0) throw new Error(`custodian exited ${c7n.code}: ${c7n.stderr.slice(-1500)}`);
    const found = resourceCounts(out);

    const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}×`;
    const rows = [
      `| wall time (process start to exit) | ${ig.wallS.toFixed(1)} s | ${c7n.wallS.toFixed(1)} s | **${ratio(ig.wallS, c7n.wallS)}** |`,
      `| peak RSS | ${ig.peakRssMb.toFixed(0)} MB | ${c7n.peakRssMb.toFixed(0)} MB | **${ratio(ig.peakRssMb, c7n.peakRssMb)}** |`,
      `| AWS calls (HTTP requests reaching moto) | ${ig.calls} | ${c7n.calls} | **${ratio(ig.calls, c7n.calls)}** |`,
      `| instances with 8086/8088 open to the world | ${igOpen} (net.http-port-public FAILED, or net.rpc-port-exposed FAILED CRITICAL) | ${found['influxdb-world-open'] ?? 0} | |`,
      `| unencrypted volumes attached to them | ${igVolumes} (ebs.volume-unencrypted FAILED) | ${found['influxdb-unencrypted-volumes'] ?? 0} | |`,
      `| what else it judged | all ${new Set(doc.findings.map((f) => f.checkId)).size} AWS-evidence checks, ${doc.findings.length.toLocaleString('en')} findings | only these two policies | |`,
    ];
    const body = `## A peer: Cloud Custodian on the same estate

${machine()}. \`node dist/bench/peer.js --instances ${n}\` in a loopback-only network namespace: the fleet benchmark's estate (${n.toLocaleString('en')} instances over ${REGIONS.map(([r, w]) => `${r} ${w * 100}%`).join(', ')}; seeded in ${seedS.toFixed(0)} s) scanned by \`influxguard scan --no-probe\` (AWS evidence, every check; the bundled CLI, \`dist/influxguard.mjs\`, run through its launcher, dist/influxguard.mjs: node \`${CLI_NODE_FLAGS.join(' ')}\` and Node's compile cache, filled by one scan before, not counted) and by Cloud Custodian ${readFileSync(
      join(root, 'bench', 'requirements-custodian.txt'),
      'utf8',
    )
      .trim()
      .replace(
        '==',
        ' ',
      )} with [bench/custodian-policy.yml](custodian-policy.yml) (world-open 8086/8088 on security groups of tagged instances; unencrypted volumes attached to them), \`--cache-period 0\`, the same four regions, each tool in its own process through its own counting pass-through proxy to the same moto server (botocore honours \`AWS_ENDPOINT_URL\`). Peak RSS: getrusage of the tool's process.

| measure | influxguard | Cloud Custodian | influxguard / Custodian |
|---|---|---|---|
${rows.join('\n')}`;
    process.stdout.write(`${body}\n`);
    if (!values['no-write']) writeSection('peer', body);
  } finally {
    await emulator.stop();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(2);
});
