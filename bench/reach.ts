/**
 * Reachability's cost in calls: one region of the fleet benchmark's estate
 * (bench/fleet.ts: private, public and ACL-restricted subnets, 20 load
 * balancers per 1,000 instances) scanned without probes, host evidence or
 * publishing, calls counted by the SDK middleware per service and operation.
 * Writes its section of bench/RESULTS.md (unless --no-write).
 *
 * Usage: node dist/bench/reach.js [--instances 1000] [--no-write]
 */
import { CallCounter, createClients } from '../lib/aws/clients.js';
import { parseConfig } from '../lib/config.js';
import { scan } from '../lib/scan.js';
import { startEmulator } from '../scripts/emulator.js';
import { lbCount, lbMix, regionBenchArgs, seedFleetRegion } from './fleet.js';
import { machine, writeSection } from './results.js';

const REGION = 'eu-west-1';
/** The issue's target: every discovery call of a region of 1,000 instances and 20 load balancers, all services together. */
const TARGET = 20;
/** The snapshot and user-data reads of issue 31's checks: not reachability (bench/instance-data.ts counts them). */
const NOT_REACHABILITY = new Set(['ec2:DescribeSnapshots', 'ec2:GetSnapshotBlockPublicAccessState', 'ec2:DescribeInstanceAttribute']);
/** Calls made once per scan, not per region (the region names' check). */
const PER_SCAN = new Set(['ec2:DescribeRegions']);
/**
 * Calls made per internet-facing ALB/NLB (and per internal ALB in a scanned instance's VPC, for tls.load-balancer-plaintext) (ELBv2 has no batch read of listeners, targets or target group attributes):
 * one DescribeListeners per load balancer whose listeners can matter, one DescribeTargetHealth per target group behind
 * a listener admitted from the internet, one DescribeTargetGroupAttributes per NLB target group where client IP
 * preservation decides an answer, one DescribeRules per ALB listener forwarding to a scanned instance (by a rule or
 * by its default action: a rule matching every request may shadow it). Everything else is read once per region, growing with pages only.
 */
const PER_LB = new Set([
  'elasticloadbalancingv2:DescribeListeners',
  'elasticloadbalancingv2:DescribeRules',
  'elasticloadbalancingv2:DescribeTargetHealth',
  'elasticloadbalancingv2:DescribeTargetGroupAttributes',
]);

async function main() {
  const { n, write } = regionBenchArgs();
  const emulator = await startEmulator();
  try {
    const credentials = await seedFleetRegion(emulator.endpoint, '410000000000', REGION, n);
    process.env.AWS_ENDPOINT_URL = emulator.endpoint;
    const config = parseConfig({ regions: [REGION], probe: { enabled: false }, aws: { requestTimeoutMs: 60_000 } });
    const counter = new CallCounter();
    const clients = createClients({ aws: config.aws, credentials, counter });
    const t0 = performance.now();
    const { document } = await scan(config, { clients, homeRegion: REGION });
    const wallS = (performance.now() - t0) / 1000;
    clients.destroy();
    const calls = counter.callsByOperation();
    const discovery = Object.entries(calls).filter(([k]) => /^(ec2|elasticloadbalancing)/.test(k) && !NOT_REACHABILITY.has(k));
    const sum = (ops: [string, number][]) => ops.reduce((a, [, v]) => a + v, 0);
    const total = sum(discovery);
    const perScan = sum(discovery.filter(([k]) => PER_SCAN.has(k)));
    const perLb = discovery.filter(([k]) => PER_LB.has(k));
    const fixed = total - perScan - sum(perLb);
    const facing = lbMix(n).filter((m) => m.kind !== 'classic' && m.scheme !== 'internal');
    const nlbs = facing.filter((m) => m.kind === 'network').length;
    // Internal ALBs are read for tls.load-balancer-plaintext only (issue 31): each fleet one has a plain-HTTP listener
    // and one target group whose targets' groups admit it, so one DescribeListeners, one DescribeTargetHealth and one
    // DescribeRules (a rule matching every request may shadow its default action) each.
    const internal = lbMix(n).filter((m) => m.scheme === 'internal').length;
    const albs = facing.length - nlbs;
    const bound = fixed + perScan + 2 * facing.length + albs + nlbs + 3 * internal;
    const perLbText = perLb.map(([k, v]) => `${v} ${k.split(':')[1]}`).join(' + ');
    const reach = document.findings.filter((f) => f.checkId === 'net.http-port-public' && f.status === 'FAILED');
    const count = (p: (f: (typeof reach)[number]) => boolean) => new Set(reach.filter(p).map((f) => f.instanceId)).size;
    const body = `## Reachability: calls per region (issue 13)

${machine()}. \`node dist/bench/reach.js --instances ${n}\` in a loopback-only network namespace: one region of the fleet estate (bench/fleet.ts) with ${n.toLocaleString('en')} instances and ${lbCount(n)} load balancers, scanned without probes, host evidence or publishing (${wallS.toFixed(1)} s against moto).

| operation | calls |
|---|---|
${discovery.map(([k, v]) => `| ${k} | ${v} |`).join('\n')}
| **all discovery calls (EC2 + ELB)** | **${total}** |

Target ≤ ${TARGET} calls for the region, all services together: ${total <= TARGET ? 'met' : '**missed**'}. The calls split into ${fixed} read once per region (growing with pages, never with instances or load balancers: DescribeInstances one per tag selector and page, DescribeSecurityGroups once for the instances' groups and the internet-facing load balancers' own (listed first), DescribeVolumes 1,000 ids a call, GetManagedPrefixListEntries one per prefix list, one each of the rest), ${perScan} once per scan (DescribeRegions, checking the configured names), and ${sum(perLb)} per internet-facing ALB/NLB and per internal ALB (${perLbText}). The estate has ${facing.length} internet-facing ALB/NLBs (${facing.length - nlbs} ALB, ${nlbs} NLB with IP targets and no groups, each with one target group whose targets' groups admit it), ${lbMix(n).filter((m) => m.kind === 'classic').length} Classic LBs (one listing has listeners and instances: no call each) and ${internal} internal ALBs (read for tls.load-balancer-plaintext only, never a path: their listeners, and the targets behind their plain-HTTP listeners). ELBv2 has no batch read of listeners, targets or target group attributes, so the per-load-balancer part alone is at least ${facing.length} DescribeListeners + ${facing.length} DescribeTargetHealth + ${albs} DescribeRules (each ALB's one listener forwards to scanned instances by its default action, which a rule matching every request could shadow) + ${nlbs} DescribeTargetGroupAttributes (each NLB target admits the NLB's subnets but neither the internet nor an NLB group: client IP preservation decides) = ${2 * facing.length + albs + nlbs}, and ${internal} DescribeListeners + ${internal} DescribeTargetHealth + ${internal} DescribeRules for the internal ALBs: the target of ${TARGET} cannot be met for this estate. Lower bound = ${fixed} + ${perScan} + ${2 * facing.length + albs + nlbs} + ${3 * internal} = ${bound}${bound === total ? ', which this run makes' : `; this run made ${total}`}. Skipped as nothing they read could change an answer: listeners of internal NLBs and of internal load balancers outside the scanned instances' VPCs, of ALB/NLBs without instance or IP target groups and of those whose groups admit no TCP port from the internet; targets behind listeners not admitted from the internet and of target groups no scanned instance of their VPC could admit.

Instances failing \`net.http-port-public\`: ${count((f) => f.severity === 'CRITICAL' && f.resource.type.startsWith('AwsElb'))} CRITICAL through load balancers (${reach.filter((f) => f.resource.type.startsWith('AwsElb')).length} findings, one per load balancer), ${count((f) => f.severity === 'CRITICAL' && f.resource.type === 'AwsEc2SecurityGroup')} CRITICAL direct, ${count((f) => f.severity !== 'CRITICAL')} latent (world-open, no complete path).`;
    process.stdout.write(`${body}\n`);
    if (write) writeSection('reach', body);
  } finally {
    await emulator.stop();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(2);
});
