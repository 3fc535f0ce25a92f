/**
 * Peers in the benchmark (issue 33): the fleet benchmark's estate (bench/fleet.ts, four regions) at 1,000, 5,000 and
 * 10,000 instances, scanned by influxguard and by Cloud Custodian, interleaved (each round alternates which goes
 * first), each in its own process through its own counting pass-through proxy (scripts/fault-proxy.ts, no faults) to
 * the same moto server. Records wall time, CPU-seconds (getrusage of the tool's process tree), peak RSS and AWS calls
 * by operation, medians of the rounds, and influxguard / Custodian as ratios.
 *
 * The comparison is on the scope Custodian's policy covers (bench/custodian-policy.yml: instances tagged `influxdb`,
 * EC2 exposure and EBS): `influxguard scan --no-probe --tag influxdb --kind ec2-instance --check net.*
 * --check ebs.volume-unencrypted` (every network check, reachability included). Its calls are counted without the
 * reads of what the region's load balancers reference (listeners, rules, target groups, targets and their
 * attributes, the load balancers' subnets), which grow with the load balancers and which Custodian does not make;
 * those are reported apart. A full `--no-probe` scan (every check and kind, the per-instance user-data reads
 * included) is run once per size and reported beside it, with no target.
 *
 * Prowler runs too, in the same rounds, at the sizes where it finishes in reasonable time (`--prowler-sizes`, 1,000 by
 * default: about a minute there), with its six checks nearest to that scope (`PROWLER_CHECKS`); influxguard / Prowler
 * is reported beside, with no target of its own.
 *
 * Custodian and Prowler come from PyPI into .bench/ (`make bench-setup`, versions pinned in
 * bench/requirements-*.txt); run that before entering the sandbox, which has no network.
 * Usage: node dist/bench/peer.js [--sizes 1000,5000,10000] [--rounds 3] [--prowler-sizes 1000] [--no-write]
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { emulatorEnv, startEmulator } from '../scripts/emulator.js';
import { startFaultProxy } from '../scripts/fault-proxy.js';
import { noProbeScanArgs, REGIONS, seedNoProbeFleet } from './fleet.js';
import { CLI_NODE_FLAGS } from '../scripts/bundle.js';
import { machine, writeSection } from './results.js';

const root = new URL('../../', import.meta.url).pathname;
export const CUSTODIAN = join(root, '.bench', 'custodian', 'bin', 'custodian');
const PROWLER = join(root, '.bench', 'prowler', 'bin', 'prowler');
/** Prowler's checks nearest to Custodian's policy: world-open groups and ACLs, EBS encryption. */
const PROWLER_CHECKS = [
  'ec2_securitygroup_allow_ingress_from_internet_to_any_port',
  'ec2_securitygroup_allow_ingress_from_internet_to_all_ports',
  'ec2_securitygroup_allow_ingress_from_internet_to_high_risk_tcp_ports',
  'ec2_networkacl_allow_ingress_any_port',
  'ec2_ebs_volume_encryption',
  'ec2_ebs_default_encryption',
];
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

/** The comparison's scope: what Custodian's policy selects and judges. */
export const PEER_SCOPE = ['--tag', 'influxdb', '--kind', 'ec2-instance', '--check', 'net.*', '--check', 'ebs.volume-unencrypted'];

/**
 * Reads of what a region's load balancers reference, made only because they exist and growing with them (ALB/NLB
 * listeners, rules, target groups, target health and attributes; Classic policies; the load balancers' subnets).
 * Listing the load balancers themselves (DescribeLoadBalancers) is counted.
 */
const LB_READ = /^elasticloadbalancing:(?!DescribeLoadBalancers$)|^ec2:DescribeSubnets$/;
const USER_DATA = 'ec2:DescribeInstanceAttribute';

interface Run {
  wallS: number;
  cpuS: number;
  peakRssMb: number;
  calls: number;
  byOperation: Record<string, number>;
  stdout: string;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;
const sum = (ops: Record<string, number>, keep: (op: string) => boolean) =>
  Object.entries(ops).reduce((n, [op, c]) => n + (keep(op) ? c : 0), 0);
const counted = (ops: Record<string, number>) => sum(ops, (op) => !LB_READ.test(op) && op !== USER_DATA);
const ops = (r: Run) =>
  Object.entries(r.byOperation)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([op, c]) => `${op.split(':')[1]} ${c}`)
    .join(', ');

async function main() {
  const { values } = parseArgs({
    options: {
      sizes: { type: 'string', default: '1000,5000,10000' },
      rounds: { type: 'string', default: '3' },
      'prowler-sizes': { type: 'string', default: '1000' },
      'no-write': { type: 'boolean', default: false },
    },
  });
  const sizes = values.sizes.split(',').map(Number);
  const withProwler = existsSync(PROWLER) ? values['prowler-sizes'].split(',').map(Number) : [];
  if (!withProwler.length) process.stderr.write(`peer: Prowler is not installed at ${PROWLER} ("make bench-setup"): not run\n`);
  const rounds = Number(values.rounds);
  if (!existsSync(CUSTODIAN))
    throw new Error(`Cloud Custodian is not installed at ${CUSTODIAN}: run "make bench-setup" (outside the sandbox) first`);
  const regions = REGIONS.map(([r]) => r);
  const cache = { XDG_CACHE_HOME: mkdtempSync(join(tmpdir(), 'ig-peer-cache-')) };
  const scanCmd = (scope: string[]) => [join(root, 'dist', 'influxguard.mjs'), ...noProbeScanArgs(scope)];
  const sections: string[] = [];
  const targetRows: string[] = [];
  let warmed = false;
  for (const n of sizes) {
    const emulator = await startEmulator();
    try {
      // Neither tool probes here (influxguard runs with --no-probe).
      const seedS = await seedNoProbeFleet(emulator.endpoint, n);
      process.stderr.write(`peer: ${n} instances seeded in ${seedS.toFixed(1)} s\n`);

      const run = async (name: string, cmd: string[], extraEnv: Record<string, string> = {}): Promise<Run> => {
        const proxy = await startFaultProxy(emulator.endpoint, { rates: {} });
        try {
          const env = {
            ...emulatorEnv(proxy.endpoint, regions[0]),
            AWS_DEFAULT_REGION: regions[0]!,
            HOME: mkdtempSync(join(tmpdir(), `ig-peer-${name}-`)),
            ...extraEnv,
          };
          const r = await measured(cmd, env);
          if (r.code !== 0 && r.code !== 3) throw new Error(`${name} exited ${r.code}: ${r.stderr.slice(-1500)}`);
          process.stderr.write(
            `peer: ${n} ${name}: ${r.wallS.toFixed(1)} s, ${r.cpuS.toFixed(2)} CPU-s, ${r.peakRssMb.toFixed(0)} MB, ${proxy.requests} calls (${counted(proxy.byOperation)} counted)\n`,
          );
          return { ...r, calls: proxy.requests, byOperation: { ...proxy.byOperation } };
        } finally {
          await proxy.stop();
        }
      };
      // The CLI as a user runs it: the bundle through its own launcher (node flags included), its compile cache filled
      // by an earlier scan (the chunks a scan loads on use included), as for any scan after a user's first.
      if (!warmed) {
        const warm = await measured(scanCmd([]), { ...emulatorEnv(emulator.endpoint, regions[0]), ...cache });
        if (warm.code !== 0 && warm.code !== 3) throw new Error(`influxguard (warm-up) exited ${warm.code}: ${warm.stderr.slice(-1500)}`);
        warmed = true;
      }
      const out = mkdtempSync(join(tmpdir(), 'ig-peer-c7n-out-'));
      const c7nCmd = [CUSTODIAN, 'run', '--cache-period', '0', '-s', out, ...regions.flatMap((r) => ['-r', r]), POLICY];
      // Each run its own output directory: the findings are counted from the first.
      const prowlerOut: string[] = [];
      const prowlerCmd = () => {
        prowlerOut.push(mkdtempSync(join(tmpdir(), 'ig-peer-prowler-out-')));
        return [PROWLER, 'aws', '--checks', ...PROWLER_CHECKS, '-f', ...regions, '-M', 'csv', '-o', prowlerOut.at(-1)!, '-b', '-z'];
      };
      const ig: Run[] = [];
      const c7n: Run[] = [];
      const prowler: Run[] = [];
      const tools = [
        async () => ig.push(await run('influxguard', scanCmd(PEER_SCOPE), cache)),
        async () => c7n.push(await run('custodian', c7nCmd)),
        ...(withProwler.includes(n) ? [async () => prowler.push(await run('prowler', prowlerCmd()))] : []),
      ];
      // Interleaved, the order turning each round: drift in the machine's load falls on every tool.
      for (let r = 0; r < rounds; r++) for (let t = 0; t < tools.length; t++) await tools[(r + t) % tools.length]!();
      const full = await run('influxguard-full', scanCmd([]), cache);
      const found = resourceCounts(out);
      const doc = JSON.parse(ig[0]!.stdout) as {
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

      const m = (xs: Run[], f: (r: Run) => number) => median(xs.map(f));
      const igCalls = m(ig, (r) => counted(r.byOperation));
      const c7nCalls = m(c7n, (r) => r.calls);
      const lbReads = m(ig, (r) => sum(r.byOperation, (op) => LB_READ.test(op)));
      // Each measure: its row here, and its row in the table of every size.
      const measures: [string, string, number, number, string, number, number][] = [
        ['wall time', 'wall', m(ig, (r) => r.wallS), m(c7n, (r) => r.wallS), ' s', 1, 1],
        ['CPU-seconds', 'CPU', m(ig, (r) => r.cpuS), m(c7n, (r) => r.cpuS), ' s', 2, 1],
        ['peak RSS', 'RSS', m(ig, (r) => r.peakRssMb), m(c7n, (r) => r.peakRssMb), ' MB', 0, 1],
        ['AWS calls (load-balancer reads apart)', 'calls', igCalls, c7nCalls, '', 0, 2],
      ];
      const [wall, cpu, rss, calls] = measures.map(([what, short, a, b, unit, digits, limit]) => {
        const q = a / b;
        const cells = `${a.toFixed(digits)}${unit} | ${b.toFixed(digits)}${unit} | **${q.toFixed(2)}×** (target ≤ ${limit}×: ${q <= limit ? 'met' : '**missed**'}) |`;
        targetRows.push(`| ${n.toLocaleString('en')} | ${short} | ${cells}`);
        return `| ${what} | ${cells}`;
      });
      sections.push(`### ${n.toLocaleString('en')} instances

Seeded in ${seedS.toFixed(0)} s. Medians of ${rounds} interleaved rounds (influxguard: ${ig.map((r) => `${r.wallS.toFixed(1)} s / ${r.cpuS.toFixed(2)} CPU-s`).join(', ')}; Custodian: ${c7n.map((r) => `${r.wallS.toFixed(1)} s / ${r.cpuS.toFixed(2)} CPU-s`).join(', ')}).

| measure | influxguard (Custodian's scope) | Cloud Custodian | influxguard / Custodian |
|---|---|---|---|
${wall}
${cpu}
${rss}
${calls}
| load-balancer reads (apart: listeners, rules, target groups, targets, attributes, subnets) | ${lbReads} | none | |
| instances with 8086/8088 open to the world | ${igOpen} (net.http-port-public FAILED, or net.rpc-port-exposed FAILED CRITICAL) | ${found['influxdb-world-open'] ?? 0} | |
| unencrypted volumes attached to them | ${igVolumes} (ebs.volume-unencrypted FAILED) | ${found['influxdb-unencrypted-volumes'] ?? 0} | |
| full scan, every check and kind (no target) | ${full.wallS.toFixed(1)} s, ${full.cpuS.toFixed(2)} CPU-s, ${full.peakRssMb.toFixed(0)} MB, ${full.calls} calls: ${full.byOperation[USER_DATA] ?? 0} per-instance user-data reads, ${sum(full.byOperation, (op) => LB_READ.test(op))} load-balancer reads, ${counted(full.byOperation)} others | | |

Calls by operation: influxguard ${ops(ig[0]!)}; Custodian ${ops(c7n[0]!)}.${prowler.length ? prowlerTable(ig, prowler, prowlerFails(prowlerOut[0]!)) : ''}`);
    } finally {
      await emulator.stop();
    }
  }
  const prowlerVersion = readFileSync(join(root, 'bench', 'requirements-prowler.txt'), 'utf8')
    .trim()
    .split('==')[1];
  const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  const body = `## Peers: Cloud Custodian on the same estate (issue 33)

${machine()}; load average at the end ${load}. \`node dist/bench/peer.js --sizes ${sizes.join(',')} --rounds ${rounds}\` in a loopback-only network namespace: the fleet benchmark's estate (over ${REGIONS.map(([r, w]) => `${r} ${w * 100}%`).join(', ')}) scanned by influxguard on the scope Custodian's policy covers (\`influxguard scan --no-probe ${PEER_SCOPE.join(' ')}\`: every network check with reachability, and EBS volume encryption, of the instances tagged \`influxdb\`; the bundled CLI, \`dist/influxguard.mjs\`, through its launcher: node \`${CLI_NODE_FLAGS.join(' ')}\` and Node's compile cache, filled by one scan before, not counted) and by Cloud Custodian ${readFileSync(
    join(root, 'bench', 'requirements-custodian.txt'),
    'utf8',
  )
    .trim()
    .replace(
      '==',
      ' ',
    )} with [bench/custodian-policy.yml](custodian-policy.yml) (world-open 8086/8088 on security groups of tagged instances; unencrypted volumes attached to them), \`--cache-period 0\`, the same four regions; each tool in its own process through its own counting pass-through proxy to the same moto server (botocore honours \`AWS_ENDPOINT_URL\`). CPU and peak RSS: getrusage of the tool's process tree. ${withProwler.length ? `Prowler ${prowlerVersion} in the same rounds at ${withProwler.map((x) => x.toLocaleString('en')).join(', ')} (\`prowler aws --checks ${PROWLER_CHECKS.join(' ')}\`, the same regions; no target, reported below).` : 'Prowler is not installed here: not run.'}

| instances | measure | influxguard | Custodian | influxguard / Custodian |
|---|---|---|---|---|
${targetRows.join('\n')}

${sections.join('\n\n')}`;
  process.stdout.write(`${body}\n`);
  if (!values['no-write']) writeSection('peer', body);
}

/** Prowler's FAIL results by check, from the CSV files it wrote (semicolon-separated, a header line each). */
function prowlerFails(dir: string): Record<string, number> {
  const fails: Record<string, number> = {};
  for (const f of readdirSync(dir).filter((x) => x.endsWith('.csv'))) {
    const [head, ...rows] = readFileSync(join(dir, f), 'utf8').split('\n').filter(Boolean);
    const cols = head!.split(';');
    const [check, status] = [cols.indexOf('CHECK_ID'), cols.indexOf('STATUS')];
    for (const row of rows.map((r) => r.split(';'))) if (row[status] === 'FAIL') fails[row[check]!] = (fails[row[check]!] ?? 0) + 1;
  }
  return fails;
}

const prowlerTable = (ig: Run[], prowler: Run[], fails: Record<string, number>) => {
  const m = (xs: Run[], f: (r: Run) => number) => median(xs.map(f));
  const row = (what: string, f: (r: Run) => number, unit: string, digits: number, g = f) =>
    `| ${what} | ${m(ig, f).toFixed(digits)}${unit} | ${m(prowler, g).toFixed(digits)}${unit} | **${(m(ig, f) / m(prowler, g)).toFixed(2)}×** |`;
  return `

Prowler in the same rounds (${prowler.map((r) => `${r.wallS.toFixed(1)} s / ${r.cpuS.toFixed(2)} CPU-s`).join(', ')}), every call counted:

| measure | influxguard (Custodian's scope) | Prowler (six checks) | influxguard / Prowler |
|---|---|---|---|
${row('wall time', (r) => r.wallS, ' s', 1)}
${row('CPU-seconds', (r) => r.cpuS, ' s', 2)}
${row('peak RSS', (r) => r.peakRssMb, ' MB', 0)}
${row(
  'AWS calls (influxguard: load-balancer reads apart)',
  (r) => counted(r.byOperation),
  '',
  0,
  (r) => r.calls,
)}

Prowler's FAIL results: ${
    Object.entries(fails)
      .map(([c, k]) => `${c} ${k}`)
      .join(', ') || 'none'
  }. Its calls by operation: ${ops(prowler[0]!)}.`;
};

main().catch((err: unknown) => {
  process.stderr.write(`bench: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(2);
});
