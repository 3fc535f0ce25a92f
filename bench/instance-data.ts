/**
 * What the five checks of issue 31 add to a scan (snapshots, snapshot Block Public Access, user data; IMDS options
 * come with DescribeInstances): one region of the fleet benchmark's estate (bench/fleet.ts) scanned without probes,
 * host evidence or publishing, first with an empty user-data cache, then again in the same process (a warm
 * Lambda container, or a long-running scanner: running instances' verdicts are kept by instance id and launch time).
 * Calls are counted by the SDK middleware and split: the per-instance read (DescribeInstanceAttribute), the bulk
 * reads these checks add, and the rest. The two reads are also timed on their own. Writes its section of
 * bench/RESULTS.md (unless --no-write).
 *
 * Usage: node dist/bench/instance-data.js [--instances 1000] [--no-write]
 */
import { CallCounter, createClients } from '../lib/aws/clients.js';
import { parseConfig } from '../lib/config.js';
import { listInstances } from '../lib/discover/ec2.js';
import { clearUserDataCache, discoverSnapshots, discoverUserData, USER_DATA_CONCURRENCY } from '../lib/discover/instance-data.js';
import { scan } from '../lib/scan.js';
import { startEmulator } from '../scripts/emulator.js';
import { lbMix, regionBenchArgs, seedFleetRegion } from './fleet.js';
import { machine, writeSection } from './results.js';

const REGION = 'eu-west-1';
const PER_INSTANCE = 'ec2:DescribeInstanceAttribute';
const ADDED_BULK = new Set(['ec2:DescribeSnapshots', 'ec2:GetSnapshotBlockPublicAccessState']);
/**
 * EC2's default request-rate refill for non-mutating actions (token bucket; burst 100), for the projection against
 * AWS: an assumption named here, not a measurement (moto does not throttle).
 */
const EC2_REFILL_PER_S = 20;

interface Run {
  wallS: number;
  perInstance: number;
  added: number;
  rest: number;
  byOp: Record<string, number>;
  findings: number;
  /** tls.load-balancer-plaintext findings through an internal load balancer (MEDIUM). */
  internalPlain: number;
}

async function main() {
  const { n, write } = regionBenchArgs();
  const emulator = await startEmulator();
  try {
    const credentials = await seedFleetRegion(emulator.endpoint, '410000000031', REGION, n);
    process.env.AWS_ENDPOINT_URL = emulator.endpoint;
    const config = parseConfig({ regions: [REGION], probe: { enabled: false }, aws: { requestTimeoutMs: 60_000 } });

    const run = async (): Promise<Run> => {
      const counter = new CallCounter();
      const clients = createClients({ aws: config.aws, credentials, counter });
      const t0 = performance.now();
      const { document } = await scan(config, { clients, homeRegion: REGION });
      const wallS = (performance.now() - t0) / 1000;
      clients.destroy();
      const byOp = counter.callsByOperation();
      const ec2 = Object.entries(byOp).filter(([k]) => /^(ec2|elasticloadbalancing)/.test(k));
      const sum = (p: (k: string) => boolean) => ec2.filter(([k]) => p(k)).reduce((a, [, v]) => a + v, 0);
      return {
        wallS,
        perInstance: sum((k) => k === PER_INSTANCE),
        added: sum((k) => ADDED_BULK.has(k)),
        rest: sum((k) => k !== PER_INSTANCE && !ADDED_BULK.has(k)),
        byOp,
        findings: document.findings.length,
        internalPlain: document.findings.filter(
          (f) => f.checkId === 'tls.load-balancer-plaintext' && f.status === 'FAILED' && f.evidence.scheme === 'internal',
        ).length,
      };
    };
    clearUserDataCache();
    const first = await run();
    const again = await run();

    // The two reads on their own, over the same instances.
    const clients = createClients({ aws: config.aws, credentials });
    const ec2 = clients.ec2(REGION);
    const instances = await listInstances(ec2, '410000000031', REGION, config);
    const time = async (fn: () => Promise<unknown>) => {
      const t0 = performance.now();
      await fn();
      return (performance.now() - t0) / 1000;
    };
    const snapshotsS = await time(() => discoverSnapshots(ec2, instances));
    clearUserDataCache();
    const userDataFirstS = await time(() => discoverUserData(ec2, instances));
    const userDataRescanS = await time(() => discoverUserData(ec2, instances));
    clients.destroy();

    // The fleet's internet-facing ALB/NLBs each cost reachability one DescribeListeners and one DescribeTargetHealth
    // (bench/reach.ts); what this scan makes beyond them is the internal ALBs' reads, for tls.load-balancer-plaintext.
    const mix = lbMix(n);
    const internal = mix.filter((m) => m.scheme === 'internal').length;
    const facing = mix.filter((m) => m.kind !== 'classic' && m.scheme !== 'internal').length;
    const elb = (op: string) => first.byOp[`elasticloadbalancingv2:${op}`] ?? 0;
    const projected = (calls: number) => Math.max(0, calls - 100) / EC2_REFILL_PER_S;
    const row = (label: string, r: Run) =>
      `| ${label} | ${r.perInstance} | ${r.added} | ${r.rest} | ${r.wallS.toFixed(1)} s | ${r.findings.toLocaleString('en')} |`;
    const body = `## Snapshots, user data, IMDS: what the five checks add (issue 31)

${machine()}. \`node dist/bench/instance-data.js --instances ${n}\` in a loopback-only network namespace: one region of the fleet estate (bench/fleet.ts) with ${n.toLocaleString('en')} instances, scanned without probes, host evidence or publishing, twice in one process.

| scan | per-instance reads (DescribeInstanceAttribute) | added bulk reads (DescribeSnapshots, GetSnapshotBlockPublicAccessState) | other EC2 + ELB calls | wall time | findings |
|---|---|---|---|---|---|
${row('first (empty cache)', first)}
${row('rescan (same process)', again)}

The reads on their own against moto: snapshots (owned by volume id, 200 ids a call; public once; Block Public Access once) ${snapshotsS.toFixed(2)} s; user data of ${instances.length.toLocaleString('en')} instances at ${USER_DATA_CONCURRENCY} in flight ${userDataFirstS.toFixed(2)} s on the first scan, ${userDataRescanS.toFixed(3)} s on the rescan (verdicts of running instances kept by instance id and launch time; stopped instances are read every time). IMDS options come with DescribeInstances: no call.

Plain-HTTP listeners (tls.load-balancer-plaintext): the internet-facing load balancers' listeners come with reachability's reads (${facing} DescribeListeners and ${facing} DescribeTargetHealth for the ${facing} internet-facing ALB/NLBs); the ${internal} internal ALBs in the scanned VPC add the rest of this scan's ${elb('DescribeListeners')} DescribeListeners and ${elb('DescribeTargetHealth')} DescribeTargetHealth (${elb('DescribeListeners') - facing} and ${elb('DescribeTargetHealth') - facing}, in "other EC2 + ELB calls"), growing with internal ALBs, never with instances; internal NLBs and Classic LBs add none. ${first.internalPlain} instances behind an internal ALB's HTTP listener are FAILED MEDIUM.

Against AWS the per-instance reads are bound by EC2's request rate, not by moto: at an assumed ${EC2_REFILL_PER_S} requests/s refill after a burst of 100 (EC2's default for non-mutating actions; not measured here), ${first.perInstance.toLocaleString('en')} reads take about ${projected(first.perInstance).toFixed(0)} s on a first scan (${projected(first.perInstance * 5).toFixed(0)} s at five times the instances), and ${again.perInstance} on a rescan of the same running instances.`;
    process.stdout.write(`${body}\n`);
    if (write) writeSection('instance-data', body);
  } finally {
    await emulator.stop();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(2);
});
