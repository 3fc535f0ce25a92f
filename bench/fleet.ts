/**
 * Full scans at fleet scale against the emulator: for each size, an estate of
 * N InfluxDB instances over four regions (security-group, prefix-list and
 * volume mixes, public addresses, stopped nodes, 5% Enterprise), probe
 * targets mapped to a pool of real local servers plus hanging endpoints
 * (loopback only), host evidence through SSM, Security Hub and SNS
 * publishing; then an unchanged rescan. Each size runs in its own process so
 * that its peak RSS is its own; AWS calls are counted by the SDK middleware.
 * Writes bench/RESULTS.md (section "fleet") and bench/fleet.svg.
 *
 * Usage: node dist/bench/fleet.js [--sizes 100,1000,5000] [--no-write]
 *   BENCH_NODE_ARGS="--max-old-space-size=160" passes flags to the scanning processes;
 *   BENCH_TRACE=1 prints their peak RSS by phase and each rise of their high-water mark, with its phase (peaks shorter than
 *   a sample included); BENCH_TRACE_LOG=1: memory every second; BENCH_NODE_ARGS=--cpu-prof profiles them;
 *   BENCH_SNAP=DIR writes V8 heap snapshots of them into DIR each time the used heap has grown 15% (at most 8 a process).
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { EC2Client } from '@aws-sdk/client-ec2';
import { EnableSecurityHubCommand, SecurityHubClient } from '@aws-sdk/client-securityhub';
import { CreateTopicCommand, SNSClient } from '@aws-sdk/client-sns';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { CallCounter, createClients } from '../lib/aws/clients.js';
import { goneInstances } from '../lib/discover/ec2.js';
import { parseConfig, type Config } from '../lib/config.js';
import { COLLECTOR_PATH } from '../lib/evidence/host/local.js';
import type { ProbeFn } from '../lib/evidence/index.js';
import { gatherProbe, probeOptions } from '../lib/evidence/probe/gather.js';
import type { Finding } from '../lib/model.js';
import { sortedIdHashes } from '../lib/findings/asff.js';
import { publishScan } from '../lib/publish/index.js';
import { scan } from '../lib/scan.js';
import { emulatorEnv, startEmulator } from '../scripts/emulator.js';
import { seedEstate, type InstanceSpec, type LoadBalancerSpec } from '../scripts/estate.js';
import { certificates, influxQuery, startInfluxd, type RunningInfluxd } from '../scripts/influxd.js';
import { startHardenedProxy } from '../scripts/nginx.js';
import { lineChart } from './chart.js';
import { machine, RESULTS, writeSection } from './results.js';
import { emulateSsm, onEveryClient } from './ssm-emulation.js';

/** Share of the fleet per region. */
export const REGIONS: [string, number][] = [
  ['eu-west-1', 0.4],
  ['us-east-1', 0.3],
  ['eu-central-1', 0.2],
  ['ap-southeast-2', 0.1],
];

/** Kinds of instance and their share of a region (5% Enterprise: 4% data, 1% meta). */
const COHORTS: {
  kind: string;
  share: number;
  spec: Omit<InstanceSpec, 'name' | 'count' | 'tags'>;
  tags?: Record<string, string>;
  hanging?: boolean;
}[] = [
  {
    kind: 'private',
    share: 0.46,
    spec: { groups: ['influx-private', 'monitoring'], volumes: [{ device: '/dev/sdf', sizeGiB: 100, encrypted: true }] },
  },
  {
    kind: 'plain-volume',
    share: 0.15,
    spec: { groups: ['influx-private', 'ssh-office'], volumes: [{ device: '/dev/sdf', sizeGiB: 100, encrypted: false }] },
  },
  { kind: 'public', share: 0.1, spec: { groups: ['influx-public', 'ssh-office'], publicIp: true, subnet: 'public' } },
  // World-open, but their subnet's ACL denies 8086 before it allows the rest: latent exposures.
  { kind: 'legacy', share: 0.05, spec: { groups: ['legacy-open'], rootEncrypted: false, publicIp: true, subnet: 'restricted' } },
  { kind: 'two-nic', share: 0.1, spec: { groups: ['influx-private'], secondInterfaceGroups: ['monitoring', 'ssh-office'] } },
  {
    kind: 'ent-data',
    share: 0.04,
    spec: { groups: ['cluster', 'influx-private'], volumes: [{ device: '/dev/sdf', sizeGiB: 500, encrypted: true }] },
    tags: { 'influxdb:role': 'data', 'influxdb:cluster': 'prod' },
  },
  { kind: 'ent-meta', share: 0.01, spec: { groups: ['cluster'] }, tags: { 'influxdb:role': 'meta', 'influxdb:cluster': 'prod' } },
  { kind: 'stopped', share: 0.03, spec: { groups: ['influx-private'], stopped: true } },
  { kind: 'spare', share: 0.025, spec: { groups: ['influx-private', 'monitoring'] } },
  // Behind the region's load balancers (their own group admits only the load balancers' group).
  { kind: 'behind-lb', share: 0.03, spec: { groups: ['from-lb'] } },
  { kind: 'hanging', share: 0.005, spec: { groups: ['influx-private'] }, hanging: true },
];

/** Split n by weights into whole numbers that sum to n (largest remainder). */
export function apportion(n: number, weights: number[]): number[] {
  const total = weights.reduce((a, b) => a + b, 0);
  const exact = weights.map((w) => (n * w) / total);
  const out = exact.map(Math.floor);
  const order = exact.map((e, i) => [e - Math.floor(e), i] as const).sort((a, b) => b[0] - a[0]);
  for (let k = 0; k < n - out.reduce((a, b) => a + b, 0); k++) out[order[k % order.length]![1]]! += 1;
  return out;
}

export interface Pool {
  servers: string[];
  hanging: string[];
  /** An influxd whose host the collector describes (a typical host runs one). */
  hostPid: number;
}

/** Load balancers per 1,000 instances of a region (the issue's shape: 20 for 1,000), at least 4. */
export const LBS_PER_1000 = 20;
export const lbCount = (instances: number): number => Math.max(4, Math.round((instances * LBS_PER_1000) / 1000));
/** The mix, in turn: internet-facing ALB, NLB (IP targets, no groups), Classic; internal ALB (read for tls.load-balancer-plaintext only, never a path). */
const LB_MIX: Pick<LoadBalancerSpec, 'kind' | 'scheme' | 'groups'>[] = [
  { kind: 'application', groups: ['lb-public'] },
  { kind: 'network' },
  { kind: 'classic', groups: ['lb-public'] },
  { kind: 'application', scheme: 'internal', groups: ['lb-public'] },
  { kind: 'application', groups: ['lb-public'] },
];

/** The kinds of the region's load balancers, in the order they are seeded (the mix, in turn). */
export const lbMix = (instances: number): Pick<LoadBalancerSpec, 'kind' | 'scheme'>[] =>
  Array.from({ length: lbCount(instances) }, (_, k) => LB_MIX[k % LB_MIX.length]!);

/** `--instances N` (at least 10) and `--no-write` of the one-region benchmarks (bench/reach.ts, bench/instance-data.ts). */
export function regionBenchArgs(): { n: number; write: boolean } {
  const { values } = parseArgs({
    options: { instances: { type: 'string', default: '1000' }, 'no-write': { type: 'boolean', default: false } },
  });
  const n = Number(values.instances);
  if (!Number.isInteger(n) || n < 10) throw new Error(`--instances: a whole number of at least 10, got "${values.instances}"`);
  return { n, write: !values['no-write'] };
}

/**
 * One region of the fleet estate with n instances, in its own emulated account: the account's credentials. Endpoint
 * tags point at a loopback address that is never probed (the one-region benchmarks scan without probes).
 */
export async function seedFleetRegion(endpoint: string, account: string, region: string, n: number) {
  const base = { endpoint, region };
  const assumed = await new STSClient({ ...base, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } }).send(
    new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${account}:role/bench`, RoleSessionName: 'bench' }),
  );
  const c = assumed.Credentials!;
  const credentials = { accessKeyId: c.AccessKeyId!, secretAccessKey: c.SecretAccessKey!, sessionToken: c.SessionToken! };
  await seedFleet(new EC2Client({ ...base, credentials }), region, n, { servers: ['127.0.0.1:9'], hanging: ['127.0.0.1:9'], hostPid: 0 });
  return credentials;
}

/**
 * The estate of n instances over REGIONS for scans without probes (bench/peer.ts, bench/profile.ts): endpoint tags
 * point at a loopback port nothing listens on. Returns the seconds it took.
 */
export async function seedNoProbeFleet(endpoint: string, n: number): Promise<number> {
  const s0 = performance.now();
  const base = { endpoint, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } };
  const counts = apportion(
    n,
    REGIONS.map(([, w]) => w),
  );
  const pool = { servers: ['https://127.0.0.1:9'], hanging: ['127.0.0.1:9'], hostPid: 0 };
  await Promise.all(REGIONS.map(([region], i) => seedFleet(new EC2Client({ ...base, region }), region, counts[i]!, pool)));
  return (performance.now() - s0) / 1000;
}

/** `influxguard scan` of the fleet's regions without probes, the JSON document on stdout, never failing on findings. */
export const noProbeScanArgs = (extra: readonly string[] = []): string[] => [
  'scan',
  '--region',
  REGIONS.map(([r]) => r).join(','),
  '--no-probe',
  '--format',
  'json',
  '--quiet',
  '--fail-on',
  'none',
  ...extra,
];

export async function seedFleet(ec2: EC2Client, region: string, n: number, pool: Pool): Promise<void> {
  const counts = apportion(
    n,
    COHORTS.map((c) => c.share),
  );
  const instances: InstanceSpec[] = [];
  COHORTS.forEach((c, i) => {
    const targets = c.hanging ? pool.hanging : pool.servers;
    apportion(
      counts[i]!,
      targets.map(() => 1),
    ).forEach((count, t) => {
      if (count)
        instances.push({
          name: `${c.kind}-${t}`,
          count,
          ...c.spec,
          tags: { influxdb: '', 'influxdb:endpoint': targets[t]!, ...(c.tags ?? {}) },
        });
    });
  });
  // Each load balancer fronts its own share of the `behind-lb` instances.
  const lbs = lbCount(n);
  const behind: string[][] = Array.from({ length: lbs }, () => []);
  for (const spec of instances.filter((i) => i.name.startsWith('behind-lb-'))) {
    const whole = spec.count ?? 1;
    spec.count = 0;
    apportion(
      whole,
      behind.map(() => 1),
    ).forEach((count, k) => {
      if (count) {
        instances.push({ ...spec, name: `${spec.name}-${k}`, count });
        behind[k]!.push(`${spec.name}-${k}`);
      }
    });
  }
  const loadBalancers: LoadBalancerSpec[] = Array.from({ length: lbs }, (_, k) => {
    const mix = LB_MIX[k % LB_MIX.length]!;
    const port = mix.kind === 'application' ? 443 : 8086;
    const targets = behind[k]!;
    return {
      name: `lb-${k}`,
      ...mix,
      listeners: [{ port, targetPort: 8086, targets, ...(mix.kind === 'network' ? { targetType: 'ip' as const } : {}) }],
    };
  });
  await seedEstate(ec2, {
    region,
    ebsDefaultEncryption: region !== 'us-east-1',
    instances: instances.filter((i) => i.count !== 0),
    // Private instances have no route to the internet; public ones do; `restricted` denies 8086 in its ACL.
    subnets: [
      { name: 'private', route: 'none' },
      { name: 'public' },
      {
        name: 'restricted',
        acl: [
          { rule: 90, action: 'deny', ports: 8086 },
          { rule: 100, action: 'allow', protocol: '-1' },
          { rule: 100, egress: true, action: 'allow', protocol: '-1' },
        ],
      },
    ],
    loadBalancers,
    prefixLists: [
      { name: 'office', cidrs: ['203.0.113.0/24', '198.51.100.0/24'] },
      { name: 'vpn', cidrs: ['10.8.0.0/16'] },
    ],
    groups: [
      {
        name: 'influx-private',
        rules: [
          { ports: 8086, cidrs: ['10.0.0.0/8'] },
          { ports: 8086, prefixLists: ['vpn'] },
        ],
      },
      { name: 'influx-public', rules: [{ ports: 8086, cidrs: ['0.0.0.0/0'], ipv6: ['::/0'] }] },
      { name: 'ssh-office', rules: [{ ports: 22, prefixLists: ['office'] }] },
      {
        name: 'monitoring',
        rules: [
          { ports: 9100, cidrs: ['10.0.0.0/8'] },
          { protocol: 'udp', ports: 8125, cidrs: ['10.0.0.0/8'] },
        ],
      },
      {
        name: 'cluster',
        rules: [
          { ports: [8088, 8091], groups: ['self'] },
          { ports: 8086, groups: ['influx-private'] },
        ],
      },
      { name: 'legacy-open', rules: [{ protocol: '-1', cidrs: ['0.0.0.0/0'] }] },
      { name: 'lb-public', rules: [{ ports: [443, 8086], cidrs: ['0.0.0.0/0'] }] },
      {
        name: 'from-lb',
        rules: [
          { ports: 8086, groups: ['lb-public'] },
          { ports: 8086, cidrs: ['10.0.0.0/16'] },
        ],
      },
    ],
  });
}

interface SizeResult {
  instances: number;
  regions: Record<string, { instances: number; ec2Calls: number; discoveryCalls: number }>;
  first: RunFigures;
  rescan: RunFigures;
  /** The larger of the two scans' peaks (each scan runs in its own process, as a CLI run or an invocation would). */
  peakRssMb: number;
}

interface RunFigures {
  wallS: number;
  peakRssMb: number;
  /** EC2 calls by region. */
  ec2ByRegion: Record<string, number>;
  /** Discovery calls (EC2 and Elastic Load Balancing) by region. */
  discoveryByRegion: Record<string, number>;
  scanS: number;
  publishS: number;
  findings: number;
  notAvailable: number;
  /** The commonest NOT_AVAILABLE reasons (reason → findings). */
  notAvailableReasons: Record<string, number>;
  probes: number;
  probesPerS: number;
  calls: Record<string, number>;
  attempts: number;
  imported: number;
  batchImportCalls: number;
  notImported: number;
  snsSent: boolean;
  /** Sum of AWS call latencies by operation (calls overlap: the sum can exceed the wall time). */
  callSeconds: Record<string, number>;
  /** Findings sharing a Security Hub id with another (one would overwrite the other): must be 0. */
  duplicateIds: number;
}

// ---------------------------------------------------------------------------
// One scan, in its own process.

/** The services discovery calls in each region. */
const DISCOVERY = new Set<string>(['ec2', 'elb', 'elbv2']);
const SERVICES = ['ec2', 'elb', 'elbv2', 'sts', 'ssm', 'securityHub', 'sns', 'dynamodb', 'sqs', 'organizations'] as const;

/**
 * Ids that occur more than once, counted by sorted 48-bit hashes (8 bytes an id): the bench's own bookkeeping must
 * not add a set of a fleet's ids to the peak RSS it measures. (A hash collision could only over-count: a failure, never missed.)
 */
function duplicates(findings: readonly Finding[]): number {
  const hashes = sortedIdHashes(findings);
  let n = 0;
  for (let i = 1; i < hashes.length; i++) if (hashes[i] === hashes[i - 1]) n++;
  return n;
}

let phase = 'start';
const phasePeaks = new Map<string, number>();

/** One scan and its publishing, in this process (the child). */
async function runScan(at: string): Promise<RunFigures> {
  if (process.env.BENCH_TRACE) {
    let hwm = 0;
    setInterval(() => {
      phasePeaks.set(phase, Math.max(phasePeaks.get(phase) ?? 0, process.memoryUsage.rss() / 2 ** 20));
      const top = process.resourceUsage().maxRSS / 1024;
      if (top > hwm + 2) {
        hwm = top;
        const m = process.memoryUsage();
        process.stderr.write(
          `HWM ${top.toFixed(0)} MB in ${phase} at ${(performance.now() / 1000).toFixed(2)} s (rss now ${(m.rss / 2 ** 20).toFixed(0)}, heapUsed ${(m.heapUsed / 2 ** 20).toFixed(0)}, external ${(m.external / 2 ** 20).toFixed(0)}, arrayBuffers ${(m.arrayBuffers / 2 ** 20).toFixed(0)})\n`,
        );
      }
    }, 25).unref();
  }
  if (process.env.BENCH_TRACE_LOG)
    setInterval(() => {
      const m = process.memoryUsage();
      const mb = (x: number) => (x / 2 ** 20).toFixed(0);
      process.stderr.write(
        `${phase} ${(performance.now() / 1000).toFixed(1)} s: rss ${mb(m.rss)} heapTotal ${mb(m.heapTotal)} heapUsed ${mb(m.heapUsed)} MB\n`,
      );
    }, 1000).unref();
  if (process.env.BENCH_SNAP) {
    const { writeHeapSnapshot } = await import('node:v8');
    let top = 0;
    let count = 0;
    setInterval(() => {
      const used = process.memoryUsage().heapUsed;
      if (used > top * 1.15 && used > 60 * 2 ** 20 && count < 8) {
        top = used;
        count++;
        writeHeapSnapshot(join(process.env.BENCH_SNAP!, `${process.pid}-${count}-${phase}-${Math.round(used / 2 ** 20)}.heapsnapshot`));
      }
    }, 500).unref();
  }
  const env = process.env;
  const credentials = { accessKeyId: env.BENCH_KEY!, secretAccessKey: env.BENCH_SECRET!, sessionToken: env.BENCH_TOKEN! };
  const collectorOutput = readFileSync(env.BENCH_COLLECTOR_OUTPUT!, 'utf8');
  const config: Config = parseConfig({
    regions: REGIONS.map(([r]) => r),
    probe: {
      allowedCidrs: ['127.0.0.0/8'],
      endpointCidrs: ['127.0.0.0/8'],
      caFiles: [env.BENCH_CA!],
      endpointTimeoutMs: 3000,
      connectTimeoutMs: 1000,
      tlsTimeoutMs: 1000,
      responseTimeoutMs: 2000,
    },
    host: { enabled: true },
    publish: { enabled: true, snsTopicArn: env.BENCH_TOPIC! },
    // moto answers a 2,000-instance DescribeInstances page in seconds, more under load: room beyond the 20 s default.
    aws: { maxAttempts: 6, connectTimeoutMs: 3000, requestTimeoutMs: 60_000 },
  });
  const opts = probeOptions(config);
  const counter = new CallCounter();
  const clients = createClients({ aws: config.aws, credentials, counter });
  const perRegion = new Map<string, number>();
  const discoveryByRegion = new Map<string, number>();
  const callMs = new Map<string, number>();
  onEveryClient(clients, SERVICES, (c, region, service) => {
    c.middlewareStack.add(
      (next, context) => async (args) => {
        if (service === 'ec2') perRegion.set(region, (perRegion.get(region) ?? 0) + 1);
        if (DISCOVERY.has(service)) discoveryByRegion.set(region, (discoveryByRegion.get(region) ?? 0) + 1);
        const t = performance.now();
        try {
          return await next(args);
        } finally {
          const key = `${service.toLowerCase()}:${(context.commandName ?? '?').replace(/Command$/, '')}`;
          callMs.set(key, (callMs.get(key) ?? 0) + performance.now() - t);
        }
      },
      { step: 'initialize', name: 'benchTiming' },
    );
  });
  emulateSsm(clients, collectorOutput);
  let probes = 0;
  let firstProbe = Infinity;
  let lastProbe = 0;
  const probe: ProbeFn = async (t) => {
    firstProbe = Math.min(firstProbe, performance.now());
    const r = await gatherProbe(t, config.probe.allowedCidrs, opts);
    probes++;
    lastProbe = performance.now();
    return r;
  };
  phase = 'scan';
  const t0 = performance.now();
  const result = await scan(config, { clients, homeRegion: REGIONS[0]![0], probe, now: () => new Date(at) });
  const t1 = performance.now();
  phase = 'publish';
  const report = await publishScan(result, config, {
    clients,
    now: () => new Date(at),
    goneInstances: (_a, r, ids) => goneInstances(clients.ec2(r), ids),
  });
  const t2 = performance.now();
  clients.destroy();
  const findings = result.document.findings;
  return {
    wallS: (t2 - t0) / 1000,
    scanS: (t1 - t0) / 1000,
    publishS: (t2 - t1) / 1000,
    findings: findings.length,
    notAvailable: findings.filter((f) => f.status === 'NOT_AVAILABLE').length,
    notAvailableReasons: Object.fromEntries(
      [
        ...findings
          .filter((f) => f.status === 'NOT_AVAILABLE')
          .reduce((m, f) => {
            const reason = String(f.evidence.reason ?? '').slice(0, 160);
            return m.set(reason, (m.get(reason) ?? 0) + 1);
          }, new Map<string, number>()),
      ]
        .sort((a, b) => b[1] - a[1])
        .slice(0, 8),
    ),
    probes,
    probesPerS: probes / Math.max(0.001, (lastProbe - firstProbe) / 1000),
    calls: counter.callsByOperation(),
    attempts: counter.total(undefined, 'attempt'),
    imported: report.securityHub.imported,
    batchImportCalls: report.securityHub.batchImportCalls,
    notImported: report.securityHub.failed.length,
    snsSent: report.sns?.sent === true,
    callSeconds: Object.fromEntries([...callMs].map(([k, v]) => [k, +(v / 1000).toFixed(1)])),
    duplicateIds: duplicates(findings),
    ec2ByRegion: Object.fromEntries(perRegion),
    discoveryByRegion: Object.fromEntries(discoveryByRegion),
    peakRssMb: process.resourceUsage().maxRSS / 1024,
  };
}

// ---------------------------------------------------------------------------
// The driver: emulator, server pool, seeding, one child per size, the report.

async function startPool(): Promise<{ pool: Pool; stop: () => Promise<void> }> {
  const open = await startInfluxd({});
  const authed = await startInfluxd({ auth: true, pprof: false });
  const https = await startInfluxd({ auth: true, https: 'valid.combined.pem' });
  for (const s of [authed, https]) await influxQuery(s.url, "CREATE USER admin WITH PASSWORD 'bench-only-pw' WITH ALL PRIVILEGES");
  const proxy = await startHardenedProxy(authed);
  const sockets: Socket[] = [];
  const hang = createServer((s) => sockets.push(s.on('error', () => undefined)));
  await new Promise<void>((r) => hang.listen(0, '127.0.0.1', () => r()));
  const servers: RunningInfluxd[] = [open, authed, https, proxy];
  return {
    pool: { servers: servers.map((s) => s.url), hanging: [`127.0.0.1:${(hang.address() as { port: number }).port}`], hostPid: authed.pid },
    stop: async () => {
      for (const s of sockets) s.destroy();
      hang.close();
      await Promise.all(servers.map((s) => s.stop()));
    },
  };
}

/**
 * The scanning process runs this file bundled as the CLI is (scripts/bundle.ts), with the node flags of the
 * CLI's own launcher (bin/influxguard.ts's first line), so that its peak RSS is what a scan costs as shipped.
 * Written to dist/bench-fleet/ (the collector is found from there, as from the CLI's dist/cli/).
 */
const CHILD_DIR = join(new URL('../../', import.meta.url).pathname, 'dist', 'bench-fleet');
const CHILD_BUNDLE = join(CHILD_DIR, 'fleet.mjs');
function child(n: number, at: string, env: Record<string, string>, flags: readonly string[]): Promise<RunFigures> {
  return new Promise((resolve, reject) => {
    const p = spawn(
      process.execPath,
      [...flags, ...(process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean), CHILD_BUNDLE, '--child', at],
      { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`size ${n}: child exited ${code}`));
      try {
        resolve(JSON.parse(out.trim().split('\n').pop()!) as RunFigures);
      } catch (err) {
        reject(new Error(`size ${n}: unreadable result: ${String(err)}: ${out.slice(-500)}`));
      }
    });
  });
}

const sum = (calls: Record<string, number>, service?: string) =>
  Object.entries(calls).reduce((a, [k, v]) => a + (service === undefined || k.startsWith(`${service}:`) ? v : 0), 0);
const op = (calls: Record<string, number>, name: string) => calls[name] ?? 0;

function report(results: SizeResult[], seedS: number[], collectorChars: number, flags: readonly string[]): string {
  const base = results.find((r) => r.instances === 1000);
  const rows = results.map((r, i) => {
    const f = r.first;
    const ssmTargets = REGIONS.reduce((a, [reg]) => a + Math.ceil(r.regions[reg]!.instances / 50), 0);
    return [
      r.instances.toLocaleString('en'),
      `${f.wallS.toFixed(1)} s (scan ${f.scanS.toFixed(1)}, publish ${f.publishS.toFixed(1)})`,
      `${r.rescan.wallS.toFixed(1)} s`,
      `${r.first.peakRssMb.toFixed(0)} / ${r.rescan.peakRssMb.toFixed(0)} MB`,
      `${f.findings.toLocaleString('en')} (${f.notAvailable} N/A)`,
      `${f.probes} at ${f.probesPerS.toFixed(0)}/s`,
      `${sum(f.calls, 'ec2')} (max/region ${Math.max(...Object.values(r.regions).map((x) => x.ec2Calls))})`,
      `${op(f.calls, 'ssm:SendCommand')} (bound ${ssmTargets})`,
      `${sum(f.calls)} (${f.attempts} HTTP)`,
      `${f.imported.toLocaleString('en')} / ${f.batchImportCalls}`,
      `${r.rescan.imported} (${((100 * r.rescan.imported) / Math.max(1, r.rescan.findings)).toFixed(2)}%) / ${r.rescan.batchImportCalls}`,
      `${seedS[i]!.toFixed(0)} s`,
    ].join(' | ');
  });
  const ops = [...new Set(results.flatMap((r) => Object.keys(r.first.calls)))].sort();
  const opRows = ops.map((o) => `| ${o} | ${results.map((r) => `${op(r.first.calls, o)} / ${op(r.rescan.calls, o)}`).join(' | ')} |`);
  const regionRows = REGIONS.map(
    ([reg]) =>
      `| ${reg} | ${results.map((r) => `${r.regions[reg]!.instances} (${lbCount(r.regions[reg]!.instances)} LBs) → ${r.regions[reg]!.ec2Calls} EC2, ${r.regions[reg]!.discoveryCalls} EC2+ELB`).join(' | ')} |`,
  );
  const big = results.find((r) => r.instances === 5000);
  const target = (ok: boolean) => (ok ? 'met' : '**missed**');
  const targets: string[] = [];
  if (base) targets.push(`- 1,000 instances, full scan ≤ 30 s: ${base.first.wallS.toFixed(1)} s, ${target(base.first.wallS <= 30)}.`);
  if (base && big)
    targets.push(
      `- 5,000 ≤ 5 × the 1,000 figure (${(5 * base.first.wallS).toFixed(1)} s): ${big.first.wallS.toFixed(1)} s (${(big.first.wallS / base.first.wallS).toFixed(2)}×), ${target(big.first.wallS <= 5 * base.first.wallS)}.`,
    );
  const perThousand = results.flatMap((r) => Object.values(r.regions).filter((x) => x.instances === 1000));
  if (perThousand.length)
    targets.push(
      `- EC2 calls for one region of 1,000 instances ≤ 10: ${perThousand.map((x) => x.ec2Calls).join(', ')}, ${target(perThousand.every((x) => x.ec2Calls <= 10))}.`,
      `- All discovery calls (EC2 + ELB) for one region of 1,000 instances and 20 load balancers ≤ 20: ${perThousand.map((x) => x.discoveryCalls).join(', ')}, ${target(perThousand.every((x) => x.discoveryCalls <= 20))}.`,
    );
  targets.push(
    `- SSM SendCommand ≤ ceil(n/50) per region: ${target(results.every((r) => op(r.first.calls, 'ssm:SendCommand') <= REGIONS.reduce((a, [reg]) => a + Math.ceil(r.regions[reg]!.instances / 50), 0)))}.`,
  );
  targets.push(
    `- Unchanged rescan re-imports ≤ 1%: ${results.map((r) => `${((100 * r.rescan.imported) / Math.max(1, r.rescan.findings)).toFixed(2)}%`).join(', ')}, ${target(results.every((r) => r.rescan.imported <= r.rescan.findings / 100))}.`,
  );
  if (big) targets.push(`- Peak RSS at 5,000 ≤ 300 MB: ${big.peakRssMb.toFixed(0)} MB, ${target(big.peakRssMb <= 300)}.`);
  const small = results.find((r) => r.instances === 100);
  if (big && small)
    targets.push(
      `- Peak RSS growth from 100 to 5,000 instances ≤ 100 MB: ${small.peakRssMb.toFixed(0)} → ${big.peakRssMb.toFixed(0)} MB (+${(big.peakRssMb - small.peakRssMb).toFixed(0)}), ${target(big.peakRssMb - small.peakRssMb <= 100)}.`,
    );
  return `## Fleet scans (issue 8)

${machine()}. \`node dist/bench/fleet.js --sizes ${results.map((r) => r.instances).join(',')}\` in a loopback-only network namespace.

Each size: an emulated estate (moto) over ${REGIONS.map(([r, w]) => `${r} ${w * 100}%`).join(', ')}; per region three subnets (private: no internet route; public: 0.0.0.0/0 to an internet gateway; restricted: its network ACL denies 8086 before allowing the rest), eight security groups (world-open 8086 v4+v6, private 8086 + VPN prefix list, SSH from an office prefix list, monitoring incl. UDP, Enterprise cluster ports by group reference, all-traffic legacy, a load balancer group open on 443/8086, 8086 from that group), ${LBS_PER_1000} load balancers per 1,000 instances (at least 4; in turn internet-facing ALB, NLB with IP targets, Classic LB, internal ALB, ALB) in front of 3% of the instances, data volumes encrypted and not, EBS default encryption off in us-east-1, 10% public addresses, 10% with two interfaces, 3% stopped, 5% Enterprise (4% data, 1% meta). Probe targets (\`influxdb:endpoint\`) spread over real local servers (influxd auth off, influxd auth on, influxd HTTPS, nginx HTTPS in front) and 0.5% over a hanging endpoint (endpoint timeout 3 s). Host evidence through SSM: SendCommand (and GetCommandInvocation, for outputs too long to list) go to moto; moto has no DescribeInstanceInformation or ListCommandInvocations and returns empty stdout, so those two calls are answered in the client and the output is the real collector's on this machine for one influxd (${collectorChars} characters: under ListCommandInvocations' 2,500, so GetCommandInvocation is not needed; bench/ssm-emulation.ts). Security Hub and SNS publishing against moto. Wall time excludes seeding; peak RSS is the scanning process's (moto and the servers are other processes), which runs bundled as the CLI is shipped (\`dist/cli/\`, split into chunks loaded on use, scripts/bundle.ts) with the CLI launcher's node flags \`${flags.join(' ')}\` (V8's memory-saving modes; no heap limit: scripts/bundle.ts) and Node's compile cache, as the launcher turns it on, filled by one load of the bundle before the first size (as for any run after a user's first).

| instances | first scan wall | rescan wall | peak RSS (first / rescan) | findings | probes | EC2 calls | SSM SendCommand | AWS calls | imported / BatchImportFindings (first) | re-imported / calls (rescan) | seeding |
|---|---|---|---|---|---|---|---|---|---|---|---|
${rows.map((r) => `| ${r} |`).join('\n')}

Targets:

${targets.join('\n')}

Calls per region (instances and load balancers → EC2 calls, and all discovery calls: EC2 + Elastic Load Balancing; first scan):

| region | ${results.map((r) => r.instances.toLocaleString('en')).join(' | ')} |
|---|${results.map(() => '---|').join('')}
${regionRows.join('\n')}

Sum of AWS call latencies by operation, first scan (calls overlap, so a sum can exceed the wall time; against the emulator this is mostly moto's own time):

| operation | ${results.map((r) => r.instances.toLocaleString('en')).join(' | ')} |
|---|${results.map(() => '---|').join('')}
${[...new Set(results.flatMap((r) => Object.keys(r.first.callSeconds)))]
  .sort()
  .map((svc) => `| ${svc} | ${results.map((r) => `${r.first.callSeconds[svc] ?? 0} s`).join(' | ')} |`)
  .join('\n')}

AWS calls by operation (first scan / unchanged rescan), counted by the SDK middleware:

| operation | ${results.map((r) => r.instances.toLocaleString('en')).join(' | ')} |
|---|${results.map(() => '---|').join('')}
${opRows.join('\n')}

NOT_AVAILABLE findings of the largest size, by reason (expected: the hanging endpoint's probe checks, and checks that need a probe on Enterprise meta nodes, which serve no 8086 API):

| reason | findings |
|---|---|
${Object.entries(results.at(-1)!.first.notAvailableReasons)
  .map(([k, v]) => `| ${k.replace(/\|/g, '\\|')} | ${v} |`)
  .join('\n')}

![wall time and API calls against fleet size](fleet.svg)`;
}

// ---------------------------------------------------------------------------
// The cost model: per-scan quantities as a + b·n fitted to the measured sizes.

/** Prices (us-east-1, x86) used by the model; check the AWS price pages for yours. */
export const PRICES = {
  lambdaGbSecond: 0.0000166667,
  lambdaRequest: 0.2 / 1e6,
  /** Security Hub CSPM finding ingestion after the first 10,000 events per account, region and month. */
  securityHubIngestion: 0.00003,
};
const WORKER_GB = 1; // serverless.yml: worker memorySize 1024
const UNIT_SIZE = 100; // INFLUXGUARD_UNIT_SIZE default: instances per work unit
const REFRESH_DAYS = 7; // publish.refreshDays: unchanged findings re-imported once a week
const SCANS_PER_MONTH = 30 * 24; // hourly

/** Least-squares line through (n, y). */
function fitLine(points: [number, number][]): (n: number) => number {
  const k = points.length;
  const mx = points.reduce((a, [x]) => a + x, 0) / k;
  const my = points.reduce((a, [, y]) => a + y, 0) / k;
  const sxx = points.reduce((a, [x]) => a + (x - mx) ** 2, 0);
  const b = sxx ? points.reduce((a, [x, y]) => a + (x - mx) * (y - my), 0) / sxx : 0;
  return (n) => Math.max(0, my + b * (n - mx));
}

function costModel(results: SizeResult[]): string {
  const line = (f: (r: SizeResult) => number) => fitLine(results.map((r) => [r.instances, f(r)]));
  const calls = { first: line((r) => sum(r.first.calls)), steady: line((r) => sum(r.rescan.calls)) };
  const seconds = { first: line((r) => r.first.wallS), steady: line((r) => r.rescan.wallS) };
  const findings = line((r) => r.first.findings);
  const reimported = line((r) => r.rescan.imported);
  const money = (x: number) => (x < 0.01 ? `$${x.toFixed(4)}` : `$${x.toFixed(2)}`);
  const rows = [100, 1000, 10000].map((n) => {
    const units = Math.ceil(n / UNIT_SIZE);
    const gbS = { first: WORKER_GB * seconds.first(n), steady: WORKER_GB * seconds.steady(n) };
    const lambdaMonth = SCANS_PER_MONTH * (gbS.steady * PRICES.lambdaGbSecond + (units + 1) * PRICES.lambdaRequest);
    const eventsMonth = findings(n) * (30 / REFRESH_DAYS) + reimported(n) * SCANS_PER_MONTH;
    const measured = results.some((r) => r.instances === n) ? '' : ' (extrapolated)';
    return `| ${n.toLocaleString('en')}${measured} | ${Math.round(calls.first(n)).toLocaleString('en')} / ${Math.round(calls.steady(n)).toLocaleString('en')} | ${gbS.first.toFixed(0)} / ${gbS.steady.toFixed(0)} | ${money(lambdaMonth)} | ${Math.round(findings(n)).toLocaleString('en')} / ${Math.round(eventsMonth).toLocaleString('en')} | ${money(eventsMonth * PRICES.securityHubIngestion)} |`;
  });
  return `## Cost model

Computed by \`bench/fleet.ts\` from the counts it measured (${results.map((r) => r.instances.toLocaleString('en')).join(', ')} instances; each quantity fitted as a + b·n). Per scan: AWS API calls (EC2, SSM, Security Hub, STS and SNS calls carry no charge of their own); Lambda GB-seconds, the worker (1 GB) for the scan's measured wall time (units of ${UNIT_SIZE} instances share it; against real AWS a unit also waits a few seconds for Run Command); Security Hub ingestion events: every finding on the first scan, then only changes plus a refresh of each unchanged finding every ${REFRESH_DAYS} days. Monthly figures for an hourly schedule at $${PRICES.lambdaGbSecond}/GB-s, $0.20 per million requests and $${PRICES.securityHubIngestion} per ingestion event, before free tiers (10,000 ingestion events per account and region each month). SNS, SQS and DynamoDB use a few requests per work unit: cents per month.

| instances | AWS API calls per scan (first / unchanged) | Lambda GB-s per scan (first / unchanged) | Lambda per month, hourly | Security Hub ingestion events (first scan / per month) | Security Hub per month |
|---|---|---|---|---|---|
${rows.join('\n')}`;
}

async function main() {
  const { values } = parseArgs({
    options: {
      sizes: { type: 'string', default: '100,1000,5000' },
      child: { type: 'string' },
      'no-write': { type: 'boolean', default: false },
      warm: { type: 'boolean', default: false },
    },
  });
  // Fills the compile cache as a user's earlier scan would: the bundle, and the chunks a scan loads on use (SSM's client
  // and the host gatherer, the credential chain's provider), without a call to AWS.
  if (values.warm) {
    const clients = createClients({ aws: parseConfig({}).aws });
    await Promise.all([
      clients.ssm('eu-west-1'),
      clients.securityHub('eu-west-1'),
      clients.sns('eu-west-1'),
      import('../lib/evidence/host/ssm.js'),
    ]);
    await clients.ec2('eu-west-1').config.credentials();
    return;
  }
  if (values.child) {
    process.stdout.write(`${JSON.stringify(await runScan(values.child))}\n`);
    if (process.env.BENCH_TRACE)
      process.stderr.write(
        `peak RSS by phase (MB): ${JSON.stringify(Object.fromEntries([...phasePeaks].map(([k, v]) => [k, Math.round(v)])))}\n`,
      );
    return;
  }
  const sizes = values.sizes.split(',').map(Number);
  if (sizes.some((n) => !Number.isInteger(n) || n < 10)) throw new Error(`--sizes: whole numbers of at least 10, got "${values.sizes}"`);
  // Imported here, in the driver only: the bundled child must not carry the bundler's own entry point.
  const { bundle, CLI_NODE_FLAGS } = await import('../scripts/bundle.js');
  await bundle('bench/fleet.ts', 'dist/bench-fleet', 'fleet');
  // The CLI's launcher turns Node's compile cache on (scripts/bundle.ts): the child runs warm, as any run after a user's first.
  process.env.NODE_COMPILE_CACHE = mkdtempSync(join(tmpdir(), 'ig-bench-cache-'));
  execFileSync(process.execPath, [...CLI_NODE_FLAGS, CHILD_BUNDLE, '--warm'], {
    env: { ...process.env, AWS_ACCESS_KEY_ID: 'warm', AWS_SECRET_ACCESS_KEY: 'warm' },
  });
  const emulator = await startEmulator();
  const { pool, stop } = await startPool();
  try {
    // The collector's real output on this machine, for one of the pool's influxd processes: the stdout SSM returns.
    const outDir = mkdtempSync(join(tmpdir(), 'ig-bench-'));
    const collectorOutput = join(outDir, 'collector.json');
    writeFileSync(
      collectorOutput,
      execFileSync('sh', [COLLECTOR_PATH], {
        encoding: 'utf8',
        maxBuffer: 1 << 20,
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', INFLUXGUARD_PIDS: String(pool.hostPid) },
      }),
    );
    const results: SizeResult[] = [];
    const seedS: number[] = [];
    for (const [k, n] of sizes.entries()) {
      const base = { endpoint: emulator.endpoint, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } };
      // A fresh account per size, so that sizes do not share state in the emulator.
      const account = String(400000000000 + k);
      const assumed = await new STSClient({ ...base, region: 'us-east-1' }).send(
        new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${account}:role/bench`, RoleSessionName: 'bench' }),
      );
      const credentials = {
        accessKeyId: assumed.Credentials!.AccessKeyId!,
        secretAccessKey: assumed.Credentials!.SecretAccessKey!,
        sessionToken: assumed.Credentials!.SessionToken!,
      };
      const s0 = performance.now();
      const counts = apportion(
        n,
        REGIONS.map(([, w]) => w),
      );
      await Promise.all(
        REGIONS.map(async ([region], i) => {
          const aws = { ...base, region, credentials };
          await new SecurityHubClient(aws).send(new EnableSecurityHubCommand({}));
          await seedFleet(new EC2Client(aws), region, counts[i]!, pool);
        }),
      );
      const topic = await new SNSClient({ ...base, region: REGIONS[0]![0], credentials }).send(
        new CreateTopicCommand({ Name: 'influxguard-bench' }),
      );
      seedS.push((performance.now() - s0) / 1000);
      process.stderr.write(`fleet: ${n} instances seeded in ${seedS.at(-1)!.toFixed(1)} s; scanning\n`);
      const env = {
        ...emulatorEnv(emulator.endpoint, REGIONS[0]![0]),
        BENCH_KEY: credentials.accessKeyId,
        BENCH_SECRET: credentials.secretAccessKey,
        BENCH_TOKEN: credentials.sessionToken,
        BENCH_TOPIC: topic.TopicArn!,
        BENCH_COLLECTOR_OUTPUT: collectorOutput,
        BENCH_CA: join(certificates(), 'ca.pem'),
      };
      // The first scan, then an unchanged rescan a day later: each in its own process.
      const first = await child(n, '2026-11-20T00:00:00Z', env, CLI_NODE_FLAGS);
      const rescan = await child(n, '2026-11-21T00:00:00Z', env, CLI_NODE_FLAGS);
      const r: SizeResult = {
        instances: n,
        regions: Object.fromEntries(
          REGIONS.map(([reg], i) => [
            reg,
            { instances: counts[i]!, ec2Calls: first.ec2ByRegion[reg] ?? 0, discoveryCalls: first.discoveryByRegion[reg] ?? 0 },
          ]),
        ),
        first,
        rescan,
        peakRssMb: Math.max(first.peakRssMb, rescan.peakRssMb),
      };
      process.stderr.write(
        `fleet: ${n} instances: ${r.first.wallS.toFixed(1)} s, rescan ${r.rescan.wallS.toFixed(1)} s, peak RSS ${r.peakRssMb.toFixed(0)} MB\n`,
      );
      results.push(r);
    }
    const body = report(results, seedS, readFileSync(collectorOutput, 'utf8').length, CLI_NODE_FLAGS);
    process.stdout.write(`${body}\n\n${costModel(results)}\n`);
    if (!values['no-write']) {
      writeSection('fleet', body);
      writeSection('cost-model', costModel(results));
      const xs = results.map((r) => r.instances);
      writeFileSync(
        join(RESULTS, '..', 'fleet.svg'),
        await lineChart('instances', xs, [
          {
            title: 'wall time (s)',
            series: [
              { label: 'first scan', values: results.map((r) => r.first.wallS) },
              { label: 'unchanged rescan', values: results.map((r) => r.rescan.wallS) },
            ],
          },
          {
            title: 'AWS API calls (first scan)',
            series: [
              { label: 'all', values: results.map((r) => sum(r.first.calls)) },
              { label: 'EC2', values: results.map((r) => sum(r.first.calls, 'ec2')) },
              { label: 'Security Hub', values: results.map((r) => sum(r.first.calls, 'securityhub')) },
            ],
          },
        ]),
      );
    }
    // Errors fail the run, timings never do.
    for (const r of results) {
      const problems = [
        r.first.notImported || r.rescan.notImported ? `${r.first.notImported + r.rescan.notImported} findings not imported` : '',
        r.first.duplicateIds ? `${r.first.duplicateIds} findings share a Security Hub id` : '',
        r.first.snsSent ? '' : 'no SNS summary sent',
      ].filter(Boolean);
      if (problems.length) throw new Error(`${r.instances} instances: ${problems.join('; ')}`);
    }
  } finally {
    await stop();
    await emulator.stop();
  }
}

// Run when executed (bench/peer.ts imports the estate from here).
if (process.argv[1] && realpathSync(process.argv[1]) === realpathSync(new URL(import.meta.url).pathname)) {
  main().catch((err: unknown) => {
    process.stderr.write(`bench: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(2);
  });
}
