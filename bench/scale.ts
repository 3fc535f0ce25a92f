/**
 * Internet scale on paper, checked here. Two parts:
 *
 * 1. Calibration: one account-region of CAL instances scanned through the real
 *    dispatch → SQS → worker handlers by ONE worker process: per-unit costs
 *    (findings per instance, AWS calls per unit by operation, worker CPU and
 *    wall seconds per unit, the emulator's CPU per unit).
 * 2. Validation: a fan-out of N instances over A accounts × R regions through
 *    the same handlers, P worker processes polling the emulated queue side by
 *    side (as Lambda's SQS poller would), against the model's prediction for
 *    that run computed from the calibration only.
 *
 * Then the model at internet scale (default 100,000 instances in 100 accounts ×
 * 4 regions): wall time bound by Lambda concurrency (a parameter: the worker's
 * reserved concurrency) and by Security Hub's per-account-region quota
 * (~10 BatchImportFindings/s sustained, 100 findings a call), and cost per month.
 * Probes and host evidence are off (emulated instances have private addresses
 * that belong to nobody; moto has no SSM inventory): the model adds them as
 * per-unit parameters. Loopback only.
 *
 * Usage: node dist/bench/scale.js [--instances 10000] [--accounts 10] [--regions 4] [--workers 3] [--calibrate 500] [--no-write]
 *        (worker processes: node dist/bench/scale.js --worker)
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EC2Client } from '@aws-sdk/client-ec2';
import { EnableSecurityHubCommand, SecurityHubClient } from '@aws-sdk/client-securityhub';
import { CreateQueueCommand, DeleteMessageCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import type { Context } from 'aws-lambda';
import { emulatorEnv, startEmulator } from '../scripts/emulator.js';
import { apportion, PRICES, REGIONS, seedFleet } from './fleet.js';
import { machine, procCpuS, writeSection } from './results.js';
import { createScanTable } from '../scripts/scan-table.js';

const UNIT_SIZE = 100;
const HOME = 'eu-west-1';

/** What one worker process reports per unit (one JSON line each). */
interface UnitReport {
  start: number;
  end: number;
  cpuS: number;
  instances: number;
  calls: Record<string, number>;
  ok: boolean;
}

// ---------------------------------------------------------------------------
// A worker process: poll the queue, run the real worker handler on each unit.

async function workerProcess(): Promise<void> {
  const queueUrl = process.env.INFLUXGUARD_QUEUE_URL!;
  const sqs = new SQSClient({ region: HOME });
  const { handler } = await import('../handlers/worker.js');
  const { appDeps } = await import('../lib/app/runtime.js');
  const ctx = { functionName: 'worker', awsRequestId: 'bench', getRemainingTimeInMillis: () => 900_000 } as unknown as Context;
  process.stdout.write(`${JSON.stringify({ ready: Date.now() })}\n`);
  let empty = 0;
  while (empty < 3) {
    const got = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 1, WaitTimeSeconds: 1 }));
    const m = got.Messages?.[0];
    if (!m) {
      empty++;
      continue;
    }
    empty = 0;
    const before = { ...appDeps().counter!.callsByOperation() };
    const cpu0 = process.cpuUsage();
    const start = Date.now();
    const unit = JSON.parse(m.Body!) as { instanceIds: string[] | null };
    const r = (await handler({ Records: [{ messageId: m.MessageId!, body: m.Body! }] } as never, ctx)) as { batchItemFailures: unknown[] };
    const ok = r.batchItemFailures.length === 0;
    if (ok) await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: m.ReceiptHandle! }));
    const end = Date.now();
    const cpu = process.cpuUsage(cpu0);
    const after = appDeps().counter!.callsByOperation();
    const calls = Object.fromEntries(
      Object.entries(after)
        .map(([k, v]) => [k, v - (before[k] ?? 0)])
        .filter(([, v]) => (v as number) > 0),
    );
    const report: UnitReport = { start, end, cpuS: (cpu.user + cpu.system) / 1e6, instances: unit.instanceIds?.length ?? 0, calls, ok };
    process.stdout.write(`${JSON.stringify(report)}\n`);
  }
  const all = process.cpuUsage();
  process.stdout.write(`${JSON.stringify({ processCpuS: (all.user + all.system) / 1e6 })}\n`);
}

// ---------------------------------------------------------------------------
// The driver.

/** Seconds from a worker process's spawn to its first poll (node start and the handler's imports), per process. */
const startups: number[] = [];
/** CPU-seconds of each worker process, start to exit. */
const processCpu: number[] = [];

/**
 * CPU-seconds the whole machine spent busy (all processes, /proc/stat): with this run's own processes
 * subtracted, what other processes took from the cores while it ran (the machine is shared).
 */
const machineBusyS = () => {
  try {
    const [, ...f] = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/);
    const [user, nice, system, , , irq, softirq, steal] = f.map(Number);
    return (user! + nice! + system! + irq! + softirq! + (steal ?? 0)) / 100;
  } catch {
    return 0;
  }
};

function runWorkers(count: number, env: Record<string, string>): Promise<UnitReport[]> {
  const self = new URL(import.meta.url).pathname;
  return Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<UnitReport[]>((resolve, reject) => {
          const spawned = Date.now();
          const p = spawn(process.execPath, [self, '--worker'], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
          let out = '';
          p.stdout.on('data', (d: Buffer) => (out += d.toString()));
          p.on('exit', (code) => {
            if (code !== 0) return reject(new Error(`worker process exited ${code}`));
            const lines = out
              .split('\n')
              .filter((l) => l.startsWith('{'))
              .map((l) => JSON.parse(l) as UnitReport & { ready?: number; processCpuS?: number });
            const ready = lines.find((l) => l.ready !== undefined)?.ready;
            if (ready) startups.push((ready - spawned) / 1000);
            processCpu.push(lines.find((l) => l.processCpuS !== undefined)?.processCpuS ?? 0);
            resolve(lines.filter((l) => l.ready === undefined && l.processCpuS === undefined));
          });
        }),
    ),
  ).then((all) => all.flat());
}

const addCalls = (units: UnitReport[]) =>
  units.reduce<Record<string, number>>((acc, u) => {
    for (const [k, v] of Object.entries(u.calls)) acc[k] = (acc[k] ?? 0) + v;
    return acc;
  }, {});
const total = (calls: Record<string, number>, prefix = '') =>
  Object.entries(calls).reduce((a, [k, v]) => a + (k.startsWith(prefix) ? v : 0), 0);

interface Run {
  workerStartS: number;
  instances: number;
  accountRegions: number;
  units: UnitReport[];
  dispatchS: number;
  /** moto's CPU-seconds during dispatch. */
  dispatchMotoCpuS: number;
  dispatchCalls: number;
  wallS: number;
  motoCpuS: number;
  /** CPU-seconds other processes on the machine used during the fan-out (not this benchmark's). */
  othersCpuS: number;
  findings: number;
  imported: number;
}

async function main() {
  const { values } = parseArgs({
    options: {
      worker: { type: 'boolean', default: false },
      instances: { type: 'string', default: '10000' },
      accounts: { type: 'string', default: '10' },
      regions: { type: 'string', default: '4' },
      workers: { type: 'string', default: '3' },
      calibrate: { type: 'string', default: '500' }, // two account-regions of 250: the size of one in the validation and at internet scale
      concurrency: { type: 'string', default: '50' },
      'no-write': { type: 'boolean', default: false },
    },
  });
  if (values.worker) return workerProcess();
  const N = Number(values.instances);
  const A = Number(values.accounts);
  const R = Number(values.regions);
  const P = Number(values.workers);
  const CAL = Number(values.calibrate);
  const C = Number(values.concurrency);
  if (R > REGIONS.length) throw new Error(`--regions: at most ${REGIONS.length}`);
  const regions = REGIONS.slice(0, R).map(([r]) => r);

  const emulator = await startEmulator();
  try {
    const base = { region: HOME, endpoint: emulator.endpoint, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } };
    const sts = new STSClient(base);
    const credsOf = async (account: string) => {
      const a = await sts.send(
        new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${account}:role/influxguard-member`, RoleSessionName: 'seed' }),
      );
      return {
        accessKeyId: a.Credentials!.AccessKeyId!,
        secretAccessKey: a.Credentials!.SecretAccessKey!,
        sessionToken: a.Credentials!.SessionToken!,
      };
    };
    const pool = { servers: ['https://127.0.0.1:9'], hanging: ['127.0.0.1:9'], hostPid: 0 }; // never probed: probes are off
    const seed = async (account: string, region: string, n: number) => {
      const aws = { ...base, region, credentials: await credsOf(account) };
      await new SecurityHubClient(aws).send(new EnableSecurityHubCommand({}));
      await seedFleet(new EC2Client(aws), region, n, pool);
    };

    // The application's own resources, in the tooling account.
    await createScanTable(new DynamoDBClient(base), 'scale-scans');
    const queueUrl = (
      await new SQSClient(base).send(new CreateQueueCommand({ QueueName: 'scale-units', Attributes: { VisibilityTimeout: '900' } }))
    ).QueueUrl!;
    const accounts = Array.from({ length: A }, (_, i) => String(310000000000 + i));
    const calAccount = '309999999999';
    const env = {
      // The scanner only scans the accounts it is configured for.
      INFLUXGUARD_ACCOUNTS: [calAccount, ...accounts].join(','),
      ...emulatorEnv(emulator.endpoint, HOME),
      INFLUXGUARD_TABLE: 'scale-scans',
      INFLUXGUARD_QUEUE_URL: queueUrl,
      INFLUXGUARD_PROBE_ENABLED: 'false',
      INFLUXGUARD_HOST_ENABLED: 'false',
      INFLUXGUARD_PUBLISH_ENABLED: 'true',
      INFLUXGUARD_UNIT_SIZE: String(UNIT_SIZE),
      POWERTOOLS_LOG_LEVEL: 'ERROR',
      POWERTOOLS_METRICS_DISABLED: 'true',
    };
    Object.assign(process.env, env);
    const { dispatch } = await import('../lib/app/service.js');
    const { appDeps } = await import('../lib/app/runtime.js');

    const s0 = performance.now();
    const calRegions = regions.slice(0, Math.min(2, R));
    const calPer = apportion(
      CAL,
      calRegions.map(() => 1),
    );
    await Promise.all(calRegions.map((region, i) => seed(calAccount, region, calPer[i]!)));
    const perAr = apportion(N, Array(A * R).fill(1));
    for (let k = 0; k < accounts.length; k += 2) {
      await Promise.all(
        accounts.slice(k, k + 2).flatMap((account, j) => regions.map((region, r) => seed(account, region, perAr[(k + j) * R + r]!))),
      );
    }
    const seedS = (performance.now() - s0) / 1000;
    process.stderr.write(`scale: ${CAL} + ${N} instances seeded in ${seedS.toFixed(0)} s\n`);

    const fanOut = async (request: { accounts: string[]; regions: string[] }, workers: number, n: number): Promise<Run> => {
      const deps = appDeps();
      const dispatchCalls0 = deps.counter!.total();
      const moto0 = procCpuS(emulator.pid);
      const busy0 = machineBusyS();
      const self0 = process.cpuUsage();
      const t0 = Date.now();
      const { unitsTotal } = await dispatch(request, deps);
      const dispatchS = (Date.now() - t0) / 1000;
      const dispatchMotoCpuS = procCpuS(emulator.pid) - moto0;
      const dispatchCalls = deps.counter!.total() - dispatchCalls0;
      startups.length = 0;
      processCpu.length = 0;
      const units = await runWorkers(workers, env);
      const workerStartS = Math.max(0, ...startups);
      const wallS = (Math.max(...units.map((u) => u.end)) - t0) / 1000;
      const motoCpuS = procCpuS(emulator.pid) - moto0;
      const self = process.cpuUsage(self0);
      const ours = motoCpuS + processCpu.reduce((a, b) => a + b, 0) + (self.user + self.system) / 1e6;
      const othersCpuS = Math.max(0, machineBusyS() - busy0 - ours);
      if (units.length !== unitsTotal || units.some((u) => !u.ok))
        throw new Error(`fan-out: ${unitsTotal} units dispatched, ${units.length} processed, ${units.filter((u) => !u.ok).length} failed`);
      const calls = addCalls(units);
      return {
        workerStartS,
        instances: n,
        accountRegions: request.accounts.length * request.regions.length,
        units,
        dispatchS,
        dispatchMotoCpuS,
        dispatchCalls,
        wallS,
        motoCpuS,
        othersCpuS,
        findings: 0,
        imported: total(calls, 'securityhub:BatchImportFindings'),
      };
    };

    // 1. Calibration: one worker process, one account-region.
    const cal = await fanOut({ accounts: [calAccount], regions: calRegions }, 1, CAL);
    process.stderr.write(`scale: calibration ${cal.units.length} units in ${cal.wallS.toFixed(1)} s\n`);
    // 2. Validation: P worker processes.
    const big = await fanOut({ accounts, regions }, P, N);
    process.stderr.write(`scale: fan-out ${big.units.length} units in ${big.wallS.toFixed(1)} s with ${P} worker processes\n`);

    let calFindings = 0;
    for (const region of calRegions) calFindings += await findingsIn(base, calAccount, region);
    const fpi = calFindings / CAL;
    const body = report({ cal, big, P, C, seedS, A, R, findingsPerInstance: fpi });
    const model = modelTable(calibrated(cal, fpi), C);
    process.stdout.write(`${body}\n\n${model}\n`);
    if (!values['no-write']) {
      writeSection('scale', body);
      writeSection('scale-model', model);
    }
  } finally {
    await emulator.stop();
  }
}

/** Findings of an account-region in Security Hub (what the workers imported). */
async function findingsIn(
  base: { endpoint: string; credentials: { accessKeyId: string; secretAccessKey: string } },
  account: string,
  region: string,
): Promise<number> {
  const { GetFindingsCommand } = await import('@aws-sdk/client-securityhub');
  const a = await new STSClient({ ...base, region }).send(
    new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${account}:role/influxguard-member`, RoleSessionName: 'count' }),
  );
  const hub = new SecurityHubClient({
    ...base,
    region,
    credentials: {
      accessKeyId: a.Credentials!.AccessKeyId!,
      secretAccessKey: a.Credentials!.SecretAccessKey!,
      sessionToken: a.Credentials!.SessionToken!,
    },
  });
  let n = 0;
  let token: string | undefined;
  do {
    const page = await hub.send(new GetFindingsCommand({ MaxResults: 100, ...(token ? { NextToken: token } : {}) }));
    n += page.Findings?.length ?? 0;
    token = page.NextToken;
  } while (token);
  return n;
}

// ---------------------------------------------------------------------------
// The model.

/** Per-unit costs measured by the calibration (one worker process, nothing else running). */
interface UnitCosts {
  findingsPerInstance: number;
  /** AWS calls of a unit: a fixed part and a part per instance (fitted over the calibration's units). */
  callsFixed: number;
  callsPerInstance: number;
  /** Extra calls of a region's first unit (region checks). */
  callsRegionUnit: number;
  /** BatchImportFindings calls per 100 findings (1 when every call is full). */
  importCallsPer100: number;
  workerCpuPerUnitS: number;
  workerWallPerUnitS: number;
  motoCpuPerUnitS: number;
  dispatchCallsPerAr: number;
  dispatchSPerAr: number;
  /** moto's CPU-seconds per instance listed by dispatch: against one emulator process, listing is serial work in moto. */
  dispatchMotoCpuPerInstanceS: number;
  /** A worker process's start (node and the handler's imports), s. */
  workerStartS: number;
  callsByOperationPerUnit: Record<string, number>;
}

function calibrated(cal: Run, fpi: number): UnitCosts {
  const units = [...cal.units].sort((a, b) => a.start - b.start);
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
  const callsOf = (u: UnitReport) => total(u.calls);
  // Each region's first unit runs the region checks: the units with the most calls, one per account-region.
  const byCalls = [...units].sort((a, b) => callsOf(b) - callsOf(a));
  const firsts = byCalls.slice(0, cal.accountRegions);
  const rest = byCalls.slice(cal.accountRegions);
  const xs = rest.map((u) => u.instances);
  const ys = rest.map(callsOf);
  const mx = mean(xs);
  const sxx = xs.reduce((a, x) => a + (x - mx) ** 2, 0);
  const perInstance = sxx ? xs.reduce((a, x, i) => a + (x - mx) * (ys[i]! - mean(ys)), 0) / sxx : 0;
  const fixed = mean(rest.map((u) => callsOf(u) - perInstance * u.instances));
  const imports = total(addCalls(units), 'securityhub:BatchImportFindings');
  const ops = addCalls(units);
  // CPU and wall per unit: warm units only (the process's first unit loads the SDK clients: part of the start, as a cold Lambda's).
  const warm = units.length > 1 ? units.slice(1) : units;
  return {
    findingsPerInstance: fpi,
    callsFixed: fixed,
    callsPerInstance: perInstance,
    callsRegionUnit: mean(firsts.map((u) => callsOf(u) - (fixed + perInstance * u.instances))),
    importCallsPer100: imports / ((fpi * cal.instances) / 100),
    workerCpuPerUnitS: mean(warm.map((u) => u.cpuS)),
    workerWallPerUnitS: mean(warm.map((u) => (u.end - u.start) / 1000)),
    motoCpuPerUnitS: cal.motoCpuS / units.length,
    dispatchCallsPerAr: cal.dispatchCalls / cal.accountRegions,
    dispatchSPerAr: cal.dispatchS / cal.accountRegions,
    dispatchMotoCpuPerInstanceS: cal.dispatchMotoCpuS / cal.instances,
    workerStartS:
      cal.workerStartS +
      (units.length > 1 ? Math.max(0, (units[0]!.end - units[0]!.start) / 1000 - mean(warm.map((u) => (u.end - u.start) / 1000))) : 0),
    callsByOperationPerUnit: Object.fromEntries(Object.entries(ops).map(([k, v]) => [k, v / units.length])),
  };
}

interface Shape {
  instances: number;
  accounts: number;
  regions: number;
}

const unitsOf = (s: Shape) => {
  const per = apportion(s.instances, Array(s.accounts * s.regions).fill(1));
  return { per, units: per.reduce((a, n) => a + Math.max(1, Math.ceil(n / UNIT_SIZE)), 0) };
};

/**
 * The model's prediction for a local fan-out: worker processes and one moto process on `cores` cores
 * (the machine's, less what other processes took during the run: measured, the machine is shared).
 */
function predictLocal(c: UnitCosts, s: Shape, cores: number) {
  const { per, units } = unitsOf(s);
  const ar = s.accounts * s.regions;
  const calls = units * c.callsFixed + s.instances * c.callsPerInstance + ar * c.callsRegionUnit;
  const findings = s.instances * c.findingsPerInstance;
  // Security Hub pacing (10 calls/s per account-region in the publisher): a floor per account-region.
  const hubFloorS = Math.max(...per.map((n) => Math.ceil((n * c.findingsPerInstance) / 100) / 10));
  // CPU quantities only: wall times measured on a shared machine say how busy it was, not what the work costs.
  const bounds = {
    emulator: (units * c.motoCpuPerUnitS) / Math.min(1, cores), // moto: one Python process, one core at most
    cpu: (units * (c.workerCpuPerUnitS + c.motoCpuPerUnitS)) / cores,
    securityHub: hubFloorS,
  };
  // Dispatch lists 4 accounts at a time, but every listing is moto's work, one process: serial in the instances listed.
  const dispatchS = (s.instances * c.dispatchMotoCpuPerInstanceS) / Math.min(1, cores);
  return {
    units,
    calls,
    findings,
    imports: Math.ceil(findings / 100) * c.importCallsPer100,
    dispatchS,
    bounds,
    wallS: dispatchS + c.workerStartS + Math.max(...Object.values(bounds)),
  };
}

/** Internet-scale parameters: what AWS adds that the emulator does not measure. */
export const AWS_PARAMS = {
  /** Sequential AWS round trip inside a unit (EC2, STS, Security Hub), s. */
  callLatencyS: 0.1,
  /** Run Command: send, wait for the collector, read outputs (host evidence on), s per unit. */
  runCommandS: 8,
  /** Probing 100 endpoints 32 at a time (about 1 s each with TLS), s per unit. */
  probeS: 4,
  /**
   * Findings per instance with probes and host evidence on (every check): the
   * fleet benchmark's 19,230 findings for 1,000 instances (bench/RESULTS.md,
   * "Fleet scans"); the fan-out here measures AWS evidence only.
   */
  findingsPerInstanceAllEvidence: 19.23,
  /** Security Hub BatchImportFindings, sustained per account and region, calls/s. */
  hubCallsPerS: 10,
  /** Security Hub GetFindings, sustained per account and region, calls/s (100 findings a page). */
  hubReadsPerS: 3,
  findingsPerCall: 100,
  workerGb: 1,
  dispatchGb: 0.5,
  scansPerMonth: 60, // rate(12 hours), serverless.yml
  refreshDays: 7,
  /** Free ingestion events per account, region and month. */
  hubFreeEvents: 10_000,
};

function predictAws(c: UnitCosts, s: Shape, concurrency: number) {
  const p = AWS_PARAMS;
  const { per, units } = unitsOf(s);
  const ar = s.accounts * s.regions;
  const unitInstances = Math.min(UNIT_SIZE, s.instances / ar);
  const callsPerUnit = c.callsFixed + unitInstances * c.callsPerInstance;
  const fpi = Math.max(c.findingsPerInstance, p.findingsPerInstanceAllEvidence);
  const unitFindings = unitInstances * fpi;
  const importCalls = Math.ceil(unitFindings / p.findingsPerCall);
  // A unit: its CPU, its calls one after another (imports paced at the quota), Run Command and probes.
  // Every unit reads its account-region's active findings (the lifecycle, publish/securityhub.ts readActive): pages of 100,
  // all of the region's findings, whatever the unit's size (steady state: the region's findings are already there).
  const readPages = (n: number) => Math.ceil((n * fpi) / 100);
  const unitReads = readPages(s.instances / ar);
  const unitS =
    c.workerCpuPerUnitS +
    (callsPerUnit - importCalls) * p.callLatencyS +
    importCalls / p.hubCallsPerS +
    unitReads / p.hubReadsPerS +
    p.runCommandS +
    p.probeS;
  const lambdaBoundS = Math.ceil(units / concurrency) * unitS;
  const hubBoundS = Math.max(
    ...per.map(
      (n) => (n * fpi) / p.findingsPerCall / p.hubCallsPerS + (Math.max(1, Math.ceil(n / UNIT_SIZE)) * readPages(n)) / p.hubReadsPerS,
    ),
  );
  const dispatchS = Math.ceil(ar / 16) * (c.dispatchCallsPerAr * p.callLatencyS) + (Math.ceil(units / 10) * p.callLatencyS) / 4;
  const wallS = dispatchS + Math.max(lambdaBoundS, hubBoundS);
  const findings = s.instances * fpi;
  const gbS = units * unitS * p.workerGb + dispatchS * p.dispatchGb;
  const lambdaMonth = p.scansPerMonth * (gbS * PRICES.lambdaGbSecond + (units + 1) * PRICES.lambdaRequest);
  // Ingestion: every finding re-imported once a week (unchanged findings), free tier per account-region.
  const eventsPerArMonth = (findings / ar) * (30 / p.refreshDays);
  const hubMonth = ar * Math.max(0, eventsPerArMonth - p.hubFreeEvents) * PRICES.securityHubIngestion;
  const sqsDdbMonth = (p.scansPerMonth * units * 6 * 0.4) / 1e6 + (p.scansPerMonth * units * 4 * 1.25) / 1e6;
  return {
    units,
    unitS,
    lambdaBoundS,
    hubBoundS,
    dispatchS,
    wallS,
    findings,
    calls: units * (callsPerUnit + unitReads) + ar * (c.callsRegionUnit + c.dispatchCallsPerAr),
    gbS,
    lambdaMonth,
    hubMonth,
    sqsDdbMonth,
  };
}

const fmt = (x: number, d = 0) => x.toLocaleString('en', { maximumFractionDigits: d, minimumFractionDigits: d });
const money = (x: number) => `$${fmt(x, x < 10 ? 2 : 0)}`;

function modelTable(c: UnitCosts, concurrency: number): string {
  const shapes: (Shape & { label: string })[] = [
    { label: '1,000 in 1 account × 4 regions', instances: 1000, accounts: 1, regions: 4 },
    { label: '10,000 in 10 accounts × 4 regions', instances: 10_000, accounts: 10, regions: 4 },
    { label: '**100,000 in 100 accounts × 4 regions**', instances: 100_000, accounts: 100, regions: 4 },
    { label: '100,000 in 1 account × 4 regions (Security Hub binds)', instances: 100_000, accounts: 1, regions: 4 },
  ];
  const rows = shapes.map((s) => {
    const m = predictAws(c, s, concurrency);
    return `| ${s.label} | ${fmt(m.units)} | ${fmt(m.unitS, 1)} s | ${fmt(m.lambdaBoundS)} s / ${fmt(m.hubBoundS, 1)} s | **${fmt(m.wallS / 60, 1)} min** | ${fmt(m.calls)} | ${fmt(m.findings)} | ${fmt(m.gbS)} | ${money(m.lambdaMonth)} | ${money(m.hubMonth)} | ${money(m.sqsDdbMonth)} |`;
  });
  const p = AWS_PARAMS;
  return `## Scale model

Computed by \`bench/scale.ts\` from per-unit costs it measured (one unit = one account-region's slice of up to ${UNIT_SIZE} instances): ${fmt(c.findingsPerInstance, 1)} findings per instance from AWS evidence (${AWS_PARAMS.findingsPerInstanceAllEvidence} with probes and host evidence, from the fleet benchmark, used below), ${fmt(c.callsFixed, 1)} + ${fmt(c.callsPerInstance, 3)}·instances AWS calls per unit (+${fmt(c.callsRegionUnit, 0)} for a region's first unit), ${fmt(c.workerCpuPerUnitS, 2)} worker CPU-seconds per unit. A unit against AWS: its CPU, its calls one after another at ${p.callLatencyS} s, BatchImportFindings paced at ${p.hubCallsPerS}/s (${p.findingsPerCall} findings a call), GetFindings at ${p.hubReadsPerS}/s (each unit reads its account-region's active findings, 100 a page: the engine's lifecycle today), Run Command ${p.runCommandS} s and probes ${p.probeS} s (parameters, not measured here). Wall time = dispatch + the larger of the Lambda bound (ceil(units / reserved concurrency ${concurrency}) × unit time) and the Security Hub bound (per account-region: its findings imported at ${p.hubCallsPerS} × ${p.findingsPerCall} per second, plus its units' reads of its findings at ${p.hubReadsPerS} pages per second; account-regions run side by side). Cost per month for \`rate(12 hours)\` (${p.scansPerMonth} scans), worker ${p.workerGb} GB, at $${PRICES.lambdaGbSecond}/GB-s and $0.20 per million requests; Security Hub ingestion at $${PRICES.securityHubIngestion} per event after ${fmt(p.hubFreeEvents)} free per account-region and month, unchanged findings refreshed every ${p.refreshDays} days (the first scan imports every finding once: add findings × $${PRICES.securityHubIngestion}). Validated against a real fan-out on this machine: section "Scale: fan-out model against a real fan-out" below.

| estate | units | unit time | Lambda bound / Security Hub bound | wall per scan | AWS calls per scan | findings | Lambda GB-s per scan | Lambda per month | Security Hub per month | SQS + DynamoDB per month |
|---|---|---|---|---|---|---|---|---|---|---|
${rows.join('\n')}`;
}

function report(x: { cal: Run; big: Run; P: number; C: number; seedS: number; A: number; R: number; findingsPerInstance: number }): string {
  const c = calibrated(x.cal, x.findingsPerInstance);
  const shape = { instances: x.big.instances, accounts: x.A, regions: x.R };
  const machineCores = 2;
  // The cores this run had: the machine's, less what other processes used meanwhile (measured over the fan-out).
  const cores = Math.max(0.25, machineCores - x.big.othersCpuS / x.big.wallS);
  const pred = predictLocal(c, shape, cores);
  const ideal = predictLocal(c, shape, machineCores);
  const measuredCalls = total(addCalls(x.big.units));
  const measuredImports = x.big.imported;
  const measuredCpu = x.big.units.reduce((a, u) => a + u.cpuS, 0);
  const side = (label: string, model: string, measured: string, ratio?: number) =>
    `| ${label} | ${model} | ${measured} | ${ratio === undefined ? '' : `${ratio.toFixed(2)}`} |`;
  const rows = [
    side('work units', fmt(pred.units), fmt(x.big.units.length), x.big.units.length / pred.units),
    side('AWS calls of the workers', fmt(pred.calls), fmt(measuredCalls), measuredCalls / pred.calls),
    side('BatchImportFindings calls', fmt(pred.imports), fmt(measuredImports), measuredImports / pred.imports),
    side(
      'dispatch',
      `${fmt(pred.dispatchS, 1)} s`,
      `${fmt(x.big.dispatchS, 1)} s (${x.big.dispatchCalls} calls)`,
      x.big.dispatchS / pred.dispatchS,
    ),
    side(
      'worker CPU-seconds',
      fmt(pred.units * c.workerCpuPerUnitS, 1),
      fmt(measuredCpu, 1),
      measuredCpu / (pred.units * c.workerCpuPerUnitS),
    ),
    side(
      'emulator (moto) CPU-seconds',
      fmt(pred.units * c.motoCpuPerUnitS, 1),
      fmt(x.big.motoCpuS, 1),
      x.big.motoCpuS / (pred.units * c.motoCpuPerUnitS),
    ),
    side(
      `wall time, ${x.P} worker processes (bounds: emulator ${fmt(pred.bounds.emulator)} s, CPU ${fmt(pred.bounds.cpu)} s, Security Hub ${fmt(pred.bounds.securityHub, 1)} s)`,
      `**${fmt(pred.wallS, 1)} s**`,
      `**${fmt(x.big.wallS, 1)} s**`,
      x.big.wallS / pred.wallS,
    ),
    side(
      `the same on an idle machine (${machineCores} cores: other processes used ${fmt(x.big.othersCpuS)} CPU-seconds during the fan-out, ${fmt(x.big.othersCpuS / x.big.wallS, 2)} cores on average)`,
      `${fmt(ideal.wallS, 1)} s`,
      '',
    ),
  ];
  const ops = Object.entries(c.callsByOperationPerUnit)
    .sort()
    .map(([k, v]) => `${k} ${fmt(v, 2)}`)
    .join(', ');
  return `## Scale: fan-out model against a real fan-out

${machine()}. \`node dist/bench/scale.js --instances ${x.big.instances} --accounts ${x.A} --regions ${x.R} --workers ${x.P} --calibrate ${x.cal.instances}\` in a loopback-only network namespace. The fleet benchmark's instance mix, seeded into moto (${fmt(x.cal.instances + x.big.instances)} instances in ${fmt(x.seedS)} s); the real dispatch → SQS → worker handlers (probes and host evidence off; Security Hub publishing on, paced by the publisher at 10 BatchImportFindings/s per account-region); worker processes poll the emulated queue one unit at a time (batchSize 1, as deployed).

Calibration: ${x.cal.instances} instances in one account × ${x.cal.accountRegions} regions (the account-region size of the validation and of the internet-scale shape), ${x.cal.units.length} units, ONE worker process (per-unit CPU and wall of warm units; the first unit's extra time counts as the process's start): ${fmt(c.findingsPerInstance, 2)} findings per instance; per unit ${fmt(c.workerWallPerUnitS, 2)} s wall, ${fmt(c.workerCpuPerUnitS, 2)} s worker CPU, ${fmt(c.motoCpuPerUnitS, 2)} s moto CPU; AWS calls per unit ${fmt(c.callsFixed, 1)} + ${fmt(c.callsPerInstance, 3)}·instances (+${fmt(c.callsRegionUnit, 0)} on a region's first unit): ${ops}.

Validation: ${fmt(x.big.instances)} instances in ${x.A} accounts × ${x.R} regions, ${x.P} worker processes side by side, predicted from the calibration alone and the cores the run had (CPU quantities only: wall times measured on a shared machine say how busy it was, not what the work costs. Wall = dispatch, moto's CPU for listing, ${fmt(c.dispatchMotoCpuPerInstanceS * 1000, 2)} ms per instance in the calibration, serial in one process, + a worker process's start, ${fmt(c.workerStartS, 1)} s, + the largest of: moto CPU, one Python process, at most one core; all CPU over the cores available; Security Hub pacing). The machine is shared (2 cores, other sessions): the cores available are ${machineCores} less what other processes used during the fan-out (/proc/stat less this run's processes), ${fmt(cores, 2)} here; the idle-machine prediction is beside it. All figures from one run.

| quantity | model | measured | measured / model |
|---|---|---|---|
${rows.join('\n')}

The internet-scale figures (100,000 instances in 100 accounts × 4 regions, worker reserved concurrency ${x.C}) are in this file's scale model (section "Scale model"), computed from the same calibration.`;
}

main().catch((err: unknown) => {
  process.stderr.write(`bench: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(2);
});
