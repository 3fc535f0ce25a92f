/**
 * InfluxDB on ECS with the EC2 launch type and bridge or host networking (issue 30 follow-up): the container
 * instance's EC2 instance stands for the service's network ("for bridge or host networking, the container instance's
 * groups and the mapped host port"; "on EC2 launch type the container instance's address stands for it"). moto runs
 * it as it is: RegisterContainerInstance with an EC2 instance's identity document, RunTask with launchType EC2.
 */
import { beforeAll, describe, expect, it } from '@jest/globals';
import {
  CreateClusterCommand,
  CreateServiceCommand,
  ECSClient,
  RegisterContainerInstanceCommand,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
  type ContainerDefinition,
  type NetworkMode,
  type PortMapping,
} from '@aws-sdk/client-ecs';
import { DescribeInstancesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { parseConfig } from '../../lib/config.js';
import type { ScanResult } from '../../lib/model.js';
import { scan } from '../../lib/scan.js';
import { seedEstate, type SeededEstate } from '../../scripts/estate.js';
import { endpoint, testAccount, type TestAccount } from '../support/aws.js';

const R = 'eu-west-1';
let account: TestAccount;
let estate: SeededEstate;
let result: ScanResult;
const arns: Record<string, string> = {};

const verdict = (name: string, check: string) =>
  result.document.findings.filter((f) => f.instanceId === arns[name] && f.checkId === check).map((f) => f.status);

beforeAll(async () => {
  account = await testAccount();
  estate = await seedEstate(account.seeder(R), {
    region: R,
    ebsDefaultEncryption: true,
    groups: [
      { name: 'world-8086', rules: [{ ports: 8086, cidrs: ['0.0.0.0/0'] }] },
      { name: 'alb-80', rules: [{ ports: 80, cidrs: ['0.0.0.0/0'] }] },
      // The host ports a bridge service maps InfluxDB's 8086 and 8088 to, and the ephemeral range dynamic ports come from.
      {
        name: 'world-mapped',
        rules: [
          { ports: 18086, cidrs: ['0.0.0.0/0'] },
          { ports: 18088, cidrs: ['0.0.0.0/0'] },
          { ports: [32768, 33000], cidrs: ['0.0.0.0/0'] },
        ],
      },
    ],
    // The container instances: not tagged (not InfluxDB instances of their own), public, world-open on 8086, their root
    // volume unencrypted (the containers' writable layers and Docker volumes are on it).
    instances: [{ name: 'container-host', groups: ['world-8086', 'world-mapped'], publicIp: true, count: 2, rootEncrypted: false }],
    // An internet-facing ALB forwarding to the container instances' 8086 (instance targets, as ECS registers a bridge task).
    loadBalancers: [
      { name: 'alb', kind: 'application', groups: ['alb-80'], listeners: [{ port: 80, targetPort: 8086, targets: ['container-host'] }] },
    ],
  });
  const ecs = new ECSClient({ region: R, endpoint: endpoint(), credentials: account.credentials });
  const cluster = (await ecs.send(new CreateClusterCommand({ clusterName: 'ec2-cluster' }))).cluster!.clusterArn!;
  // Two container instances: a host port is one task's per instance (the bridge and the host task both take 8086).
  for (const hostId of estate.instances['container-host']!)
    await ecs.send(
      new RegisterContainerInstanceCommand({
        cluster,
        instanceIdentityDocument: JSON.stringify({ instanceId: hostId, region: R, availabilityZone: `${R}a` }),
      }),
    );
  const influxdb = (portMappings: PortMapping[]): ContainerDefinition => ({
    name: 'influxdb',
    image: 'influxdb:1.8.10',
    memory: 512,
    essential: true,
    portMappings: portMappings.map((m) => ({ ...m, protocol: 'tcp' })),
  });
  const service = async (
    name: string,
    networkMode: NetworkMode,
    hostPort: number | undefined,
    more: PortMapping[] = [],
    sidecar = false,
  ) => {
    const container = influxdb([{ containerPort: 8086, ...(hostPort !== undefined ? { hostPort } : {}) }, ...more]);
    // moto binds a task's first container only: an InfluxDB container after a sidecar has no networkBindings, as in AWS
    // before it runs.
    const sidecars: ContainerDefinition[] = sidecar ? [{ name: 'proxy', image: 'nginx:1.27', memory: 64, essential: true }] : [];
    await ecs.send(
      new RegisterTaskDefinitionCommand({
        family: name,
        networkMode,
        requiresCompatibilities: ['EC2'],
        containerDefinitions: [...sidecars, container],
      }),
    );
    arns[name] = (
      await ecs.send(new CreateServiceCommand({ cluster, serviceName: name, taskDefinition: name, desiredCount: 1, launchType: 'EC2' }))
    ).service!.serviceArn!;
    // moto starts no task for a service: one is run in its group, as ECS would.
    await ecs.send(new RunTaskCommand({ cluster, taskDefinition: name, launchType: 'EC2', count: 1, group: `service:${name}` }));
  };
  await service('influx-bridge', 'bridge', 8086);
  await service('influx-hostnet', 'host', 8086);
  await service('influx-dynamic', 'bridge', 0);
  await service('influx-mapped', 'bridge', 18086, [{ containerPort: 8088, hostPort: 18088 }]);
  await service('influx-unbound', 'bridge', undefined, [], true);
  ecs.destroy();
  const config = parseConfig({ regions: [R], probe: { enabled: false, allowedCidrs: ['127.0.0.0/8'] } });
  const { clients } = account.clients(config);
  result = await scan(config, { clients, homeRegion: R });
  clients.destroy();
}, 120_000);

describe('EC2 launch type, bridge or host networking', () => {
  it("bridge with 8086 on the host's 8086, and host networking: judged on the container instance's groups and address", () => {
    for (const name of ['influx-bridge', 'influx-hostnet']) {
      const f = result.document.findings.filter((x) => x.instanceId === arns[name] && x.checkId === 'net.http-port-public');
      expect(f.find((x) => x.resource.type === 'AwsEc2SecurityGroup')).toMatchObject({
        status: 'FAILED',
        resource: { id: estate.groups['world-8086'] },
      });
    }
  });

  // Fails on the code of 0782408 (no finding on the ALB): its instance targets are the container instances, which
  // stand for the service; a load balancer's path to them is the service's path.
  it("an internet-facing ALB forwarding to the container instance's 8086 is a path to the bridge and host services: CRITICAL on the ALB", () => {
    for (const name of ['influx-bridge', 'influx-hostnet']) {
      const f = result.document.findings.find(
        (x) => x.instanceId === arns[name] && x.checkId === 'net.http-port-public' && x.resource.type === 'AwsElbv2LoadBalancer',
      );
      expect({ name, status: f?.status, severity: f?.severity, id: f?.resource.id }).toEqual({
        name,
        status: 'FAILED',
        severity: 'CRITICAL',
        id: estate.loadBalancers.alb,
      });
    }
    // A container port mapped to another host port: the ALB forwarding to the host's 8086 forwards to neither's API.
    for (const name of ['influx-dynamic', 'influx-mapped'])
      for (const check of ['net.http-port-public', 'tls.load-balancer-plaintext'])
        expect(
          result.document.findings
            .filter((x) => x.instanceId === arns[name] && x.checkId === check && x.resource.type === 'AwsElbv2LoadBalancer')
            .map((x) => `${name} ${check} ${x.status}`),
        ).toEqual([]);
  });

  // Each fails on the old code (NOT_AVAILABLE: "the network checks judge InfluxDB's own ports on the host").
  it('bridge mapping 8086 to host port 18086 and 8088 to 18088: the network checks judge the host ports, not the container ports', () => {
    const judged = (check: string) =>
      result.document.findings
        .filter((x) => x.instanceId === arns['influx-mapped'] && x.checkId === check)
        .map((x) => ({ status: x.status, group: x.resource.id, ports: x.evidence.ports }));
    expect(judged('net.http-port-public')).toEqual([{ status: 'FAILED', group: estate.groups['world-mapped'], ports: [18086] }]);
    expect(judged('net.rpc-port-exposed')).toEqual([{ status: 'FAILED', group: estate.groups['world-mapped'], ports: [18088] }]);
    // The host's own 8086 is not this container's API: judged as any other port of the host.
    const unexpected = result.document.findings.find(
      (x) =>
        x.instanceId === arns['influx-mapped'] &&
        x.checkId === 'net.unexpected-ports-open' &&
        x.resource.id === estate.groups['world-8086'],
    );
    expect(unexpected).toMatchObject({ status: 'FAILED', evidence: { summary: expect.stringMatching(/TCP 8086 to 0\.0\.0\.0\/0/) } });
  });

  it("a dynamic host port (bridge, hostPort 0) is judged on the port the running task's networkBindings show", () => {
    const f = result.document.findings.filter((x) => x.instanceId === arns['influx-dynamic'] && x.checkId === 'net.http-port-public');
    expect(f.map((x) => ({ status: x.status, group: x.resource.id }))).toEqual([
      { status: 'FAILED', group: estate.groups['world-mapped'] },
    ]);
    const [port] = f[0]!.evidence.ports as number[];
    expect(port).toBeGreaterThanOrEqual(32768);
  });

  it('a dynamic host port no running task binds yet is NOT_AVAILABLE with the reason, never a pass', () => {
    expect(verdict('influx-unbound', 'net.http-port-public')).toEqual(['NOT_AVAILABLE']);
    const f = result.document.findings.find((x) => x.instanceId === arns['influx-unbound'] && x.checkId === 'net.http-port-public')!;
    expect(String(f.evidence.reason)).toMatch(/container port 8086 .*dynamic host port that no running task's networkBindings tells/);
  });

  // Fails on the old code ("the instance has no private address to probe"): a bridge or host task has no address of
  // its own. The allowlist (loopback only) refuses the emulated 10.x/172.31.x address: nothing is sent to it.
  it("probes a bridge or host service at its container instance's private address, under the allowlist; a dynamic port is not probed", async () => {
    const config = parseConfig({ regions: [R], probe: { enabled: true, allowedCidrs: ['127.0.0.0/8'] } });
    const { clients } = account.clients(config);
    const probed = await scan(config, { clients, homeRegion: R });
    clients.destroy();
    const ec2 = new EC2Client({ region: R, endpoint: endpoint(), credentials: account.credentials });
    const described = await ec2.send(new DescribeInstancesCommand({ InstanceIds: estate.instances['container-host'] }));
    ec2.destroy();
    const ips = (described.Reservations ?? []).flatMap((r) => r.Instances ?? []).map((i) => i.PrivateIpAddress!);
    expect(ips).toHaveLength(2);
    // The probe's answer, as the probe-only check (headers.version-disclosed) gives it.
    const reasons = (name: string) =>
      probed.document.findings
        .filter((f) => f.instanceId === arns[name] && f.checkId === 'headers.version-disclosed')
        .map((f) => `${f.status} ${String(f.evidence.reason)}`);
    for (const name of ['influx-bridge', 'influx-hostnet']) {
      const [reason, ...more] = reasons(name);
      expect(more).toEqual([]);
      const ip = ips.find((a) => reason?.includes(`${a} is outside the allowed target CIDRs (127.0.0.0/8)`));
      expect({ name, reason, refusedContainerInstance: ip !== undefined }).toEqual({ name, reason, refusedContainerInstance: true });
    }
    expect(reasons('influx-dynamic')).toEqual([expect.stringMatching(/^NOT_AVAILABLE .*container port 8086 .*dynamic host port/)]);
    expect(reasons('influx-mapped')).toEqual([expect.stringMatching(/^NOT_AVAILABLE .*container port 8086 .*host port 18086/)]);
  });

  it('the container instance itself is not a subject (it carries no selector tag)', () => {
    expect(result.instances).toEqual([]);
  });

  it("ecs.data-volume-unencrypted: the data lies on the container instance's EBS volumes, read and judged", () => {
    for (const name of ['influx-bridge', 'influx-hostnet']) {
      const [f, ...more] = result.document.findings.filter(
        (x) => x.instanceId === arns[name] && x.checkId === 'ecs.data-volume-unencrypted',
      );
      expect(more).toEqual([]);
      expect(f).toMatchObject({ status: 'FAILED', resource: { type: 'AwsEc2Volume', id: expect.stringMatching(/^vol-/) } });
      expect(f!.evidence).toMatchObject({ volume: 'container-instance', volumeId: f!.resource.id });
    }
  });
});
