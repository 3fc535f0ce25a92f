/**
 * The Security Hub lifecycle as a property, against moto's Security Hub:
 * random sequences of scans of a small estate, each with random evidence
 * failures (EC2 throttling or access denied, probe and collector failures)
 * and random real changes. Invariants, judged from the faults this test
 * injected (not from the engine's own bookkeeping):
 *   - a FAILED finding becomes PASSED only after a scan whose evidence for
 *     that check on that instance was not failed;
 *   - it becomes ARCHIVED only after a complete discovery without the
 *     instance (terminated, DescribeInstances not failed);
 *   - after a fault-free scan, Security Hub's failures are exactly the scan's.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { AuthorizeSecurityGroupIngressCommand, RevokeSecurityGroupIngressCommand, TerminateInstancesCommand } from '@aws-sdk/client-ec2';
import { EnableSecurityHubCommand, SecurityHubClient, paginateGetFindings, type AwsSecurityFinding } from '@aws-sdk/client-securityhub';
import { ENDPOINT_CHECKS } from '../../lib/checks/endpoint.js';
import { goneInstances } from '../../lib/discover/ec2.js';
import { parseConfig } from '../../lib/config.js';
import type { HostFn, ProbeFn } from '../../lib/evidence/index.js';
import { fail, ok, type HostEvidence, type HttpObservation, type Instance, type ProbeEvidence } from '../../lib/model.js';
import { publishScan } from '../../lib/publish/index.js';
import { parseFindingId } from '../../lib/publish/lifecycle.js';
import { scan } from '../../lib/scan.js';
import { seedEstate } from '../../scripts/estate.js';
import { startFaultProxy, type FaultProxy } from '../../scripts/fault-proxy.js';
import { endpoint, testAccount } from '../support/aws.js';
import { hostEvidence } from '../support/fixtures.js';

const R = 'ca-central-1';
const RUNS = Number(process.env.INFLUXGUARD_PROPERTY_RUNS ?? 25);
const ENDPOINT_IDS = new Set(ENDPOINT_CHECKS.map((c) => c.id));
let proxy: FaultProxy;

const obs = (status: number, body = ''): HttpObservation => ({
  status,
  headers: { 'x-influxdb-version': '1.8.10' },
  body,
  truncated: false,
});
function probeEvidence(address: string, authOff: boolean): ProbeEvidence {
  return {
    endpoint: `http://${address}:8086`,
    address,
    scheme: 'http',
    fingerprint: { flavour: 'influxdb-1', version: '1.8.10', build: 'OSS' },
    ping: ok(obs(204)),
    query: ok(authOff ? obs(200, '{"results":[]}') : obs(401, '{"error":"unable to parse authentication credentials"}')),
    jwt: ok(obs(401, '{"error":"signature is invalid"}')),
    error: ok(obs(401)),
    diagnostics: { '/debug/vars': ok({ status: authOff ? 200 : 401 }) },
    setup: ok(obs(404)),
    cors: ok({ sentOrigin: 'https://x.invalid' }),
  };
}
const hostOf = (authOff: boolean): HostEvidence => hostEvidence({ 'http.auth-enabled': String(!authOff), 'bind-address': '0.0.0.0:8088' });

type Ec2Fault = 'DescribeInstances' | 'DescribeSecurityGroups' | 'DescribeVolumes';
interface Step {
  ec2Faults: Ec2Fault[];
  kind: 'throttle' | 'deny';
  probeFails: boolean[];
  hostFails: boolean[];
  /** Real changes before the scan. */
  toggleWorld: boolean;
  toggleAuth: number | null;
  terminate: number | null;
}
const N = 3;
const step: fc.Arbitrary<Step> = fc.record({
  ec2Faults: fc.subarray<Ec2Fault>(['DescribeInstances', 'DescribeSecurityGroups', 'DescribeVolumes']),
  kind: fc.constantFrom('throttle' as const, 'deny' as const),
  probeFails: fc.array(fc.boolean(), { minLength: N, maxLength: N }),
  hostFails: fc.array(fc.boolean(), { minLength: N, maxLength: N }),
  toggleWorld: fc.boolean(),
  toggleAuth: fc.option(fc.integer({ min: 0, max: N - 1 })),
  terminate: fc.option(fc.integer({ min: 0, max: N - 1 }), { freq: 4 }),
});
const clean = (s: Step) => !s.ec2Faults.length && !s.probeFails.some(Boolean) && !s.hostFails.some(Boolean);

async function readAll(sh: SecurityHubClient): Promise<Map<string, AwsSecurityFinding>> {
  const out = new Map<string, AwsSecurityFinding>();
  for await (const page of paginateGetFindings({ client: sh, pageSize: 100 }, {})) for (const f of page.Findings ?? []) out.set(f.Id!, f);
  return out;
}

let cases = 0;
let scans = 0;
const transitions = { resolved: 0, archived: 0, kept: 0 };

/** One sequence of scans of a fresh estate in a fresh account; throws on the first violated invariant. */
async function runSequence(steps: Step[]): Promise<void> {
  cases++;
  const account = await testAccount();
  const sh = new SecurityHubClient({ region: R, endpoint: endpoint(), credentials: account.credentials });
  await sh.send(new EnableSecurityHubCommand({}));
  const ec2 = account.seeder(R);
  const estate = await seedEstate(ec2, {
    region: R,
    ebsDefaultEncryption: true,
    groups: [
      { name: 'app', rules: [{ ports: 8086, cidrs: ['0.0.0.0/0'] }] },
      { name: 'rpc', rules: [{ ports: 8088, cidrs: ['10.0.0.0/16'] }] },
    ],
    instances: [
      { name: 'i0', tags: { influxdb: '' }, groups: ['app'], volumes: [{ device: '/dev/sdf', sizeGiB: 10, encrypted: false }] },
      { name: 'i1', tags: { influxdb: '' }, groups: ['app', 'rpc'] },
      { name: 'i2', tags: { influxdb: '' }, groups: ['rpc'], publicIp: true },
    ],
  });
  const ids = ['i0', 'i1', 'i2'].map((n) => estate.instances[n]![0]!);
  const authOff = [true, false, true];
  const terminated = new Set<string>();
  let worldOpen = true;
  let current: Step = steps[0]!;
  const indexOf = (i: Instance) => ids.indexOf(i.instanceId);
  // Host collection starts first (it records the instances); probes map their target back to the instance.
  let lastInstances: Instance[] = [];
  const probe: ProbeFn = async (t) => {
    const i = lastInstances.find((x) => x.privateIps.includes(t.host));
    const idx = i ? indexOf(i) : -1;
    if (idx < 0 || current.probeFails[idx]) return fail(`${t.input} did not answer /ping: connect ECONNREFUSED (injected)`);
    return ok(probeEvidence(t.host, authOff[idx]!));
  };
  const host: HostFn = async (instances) => {
    lastInstances = instances;
    return new Map(
      instances.map((i) => [
        i.instanceId,
        current.hostFails[indexOf(i)] ? fail<HostEvidence>('collector Failed (exit 1): injected') : ok(hostOf(authOff[indexOf(i)]!)),
      ]),
    );
  };
  const config = parseConfig({
    regions: [R],
    probe: { enabled: true, allowedCidrs: ['127.0.0.0/8'] },
    aws: { maxAttempts: 1, connectTimeoutMs: 1000, requestTimeoutMs: 5000 },
  });
  let before = new Map<string, AwsSecurityFinding>();

  for (const [n, s] of steps.entries()) {
    current = s;
    // Real changes.
    if (n > 0 && s.toggleWorld) {
      const perm = {
        GroupId: estate.groups.app!,
        IpPermissions: [{ IpProtocol: 'tcp', FromPort: 8086, ToPort: 8086, IpRanges: [{ CidrIp: '0.0.0.0/0' }] }],
      };
      await ec2.send(worldOpen ? new RevokeSecurityGroupIngressCommand(perm) : new AuthorizeSecurityGroupIngressCommand(perm));
      worldOpen = !worldOpen;
    }
    if (n > 0 && s.toggleAuth !== null) authOff[s.toggleAuth] = !authOff[s.toggleAuth];
    if (n > 0 && s.terminate !== null && !terminated.has(ids[s.terminate]!)) {
      await ec2.send(new TerminateInstancesCommand({ InstanceIds: [ids[s.terminate]!] }));
      terminated.add(ids[s.terminate]!);
    }
    // The scan, its EC2 calls through the fault proxy; probe and collector answers from this test.
    proxy.setPlan({ rates: Object.fromEntries(s.ec2Faults.map((op) => [`ec2:${op}`, 1])), faults: [s.kind] });
    const saved = process.env.AWS_ENDPOINT_URL;
    process.env.AWS_ENDPOINT_URL = proxy.endpoint; // clients are created lazily: keep it for the whole scan
    const { clients } = account.clients(config);
    const result = await scan(config, { clients, homeRegion: R, host, probe }).finally(() => (process.env.AWS_ENDPOINT_URL = saved));
    proxy.setPlan({ rates: {} });
    const publishClients = account.clients(config).clients; // Security Hub itself is not faulted: the lifecycle is under test
    const report = await publishScan(result, config, {
      clients: publishClients,
      importOptions: { pacingMs: 0 },
      goneInstances: (_a, r, ids) => goneInstances(publishClients.ec2(r), ids),
    });
    clients.destroy();
    publishClients.destroy();
    scans++;
    expect(report.securityHub.failed).toEqual([]);
    const after = await readAll(sh);

    const faulted = (checkId: string, instanceId: string | undefined): boolean => {
      if (s.ec2Faults.includes('DescribeInstances')) return true;
      if (checkId.startsWith('net.') && s.ec2Faults.includes('DescribeSecurityGroups')) return true;
      if (checkId === 'ebs.volume-unencrypted' && s.ec2Faults.includes('DescribeVolumes')) return true;
      const idx = instanceId ? ids.indexOf(instanceId) : -1;
      if (idx >= 0 && ENDPOINT_IDS.has(checkId) && s.probeFails[idx]) return true;
      if (idx >= 0 && checkId.startsWith('host.') && s.hostFails[idx]) return true;
      return false;
    };
    for (const [id, prev] of before) {
      if (prev.Compliance?.Status !== 'FAILED' || prev.RecordState !== 'ACTIVE') continue;
      const now = after.get(id)!;
      const parts = parseFindingId(id)!;
      const where = `scan ${n + 1} of ${JSON.stringify(steps)}: ${id}`;
      if (now.RecordState === 'ARCHIVED') {
        transitions.archived++;
        if (!(parts.instanceId && terminated.has(parts.instanceId) && !s.ec2Faults.includes('DescribeInstances')))
          throw new Error(`archived without a complete discovery lacking its instance: ${where}`);
      } else if (now.Compliance?.Status === 'PASSED') {
        transitions.resolved++;
        if (faulted(parts.checkId, parts.instanceId)) throw new Error(`resolved although its evidence failed: ${where}`);
      } else {
        transitions.kept++;
      }
    }
    if (clean(s)) {
      // Nothing stuck: after a fault-free scan, Security Hub's active failures are exactly the scan's.
      const scanFailed = result.document.findings.filter((f) => f.status === 'FAILED').length;
      const hubFailed = [...after.values()].filter((f) => f.Compliance?.Status === 'FAILED' && f.RecordState === 'ACTIVE').length;
      if (scanFailed !== hubFailed)
        throw new Error(
          `after a fault-free scan Security Hub has ${hubFailed} active failures, the scan ${scanFailed}: scan ${n + 1} of ${JSON.stringify(steps)}`,
        );
    }
    before = after;
  }
  sh.destroy();
  ec2.destroy();
}

beforeAll(async () => {
  proxy = await startFaultProxy(endpoint(), { rates: {} });
});
afterAll(async () => {
  await proxy.stop();
  console.info(
    `lifecycle property: ${cases} cases, ${scans} scans; earlier failures: ${transitions.kept} kept, ${transitions.resolved} resolved, ${transitions.archived} archived`,
  );
});

describe('the Security Hub lifecycle under random faults and changes', () => {
  it(`holds its invariants over ${RUNS} random sequences of scans`, async () => {
    // The first scan is fault-free, so that there are failures to keep.
    const sequence = fc.tuple(
      step.map((s) => ({ ...s, ec2Faults: [], probeFails: [false, false, false], hostFails: [false, false, false] })),
      fc.array(step, { minLength: 2, maxLength: 4 }),
    );
    await fc.assert(
      fc.asyncProperty(sequence, async ([first, rest]) => {
        await runSequence([first, ...rest]);
      }),
      { numRuns: RUNS, seed: Number(process.env.INFLUXGUARD_PROPERTY_SEED ?? 20261129), endOnFailure: true },
    );
  }, 600_000);
});
