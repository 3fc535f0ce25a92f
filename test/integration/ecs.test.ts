/**
 * InfluxDB on Amazon ECS and Fargate (issue 30) against the moto server, in a scan of the region with the default
 * flags: a public, world-open Fargate 1.x service with credentials in its plain environment and its data on an
 * unencrypted EFS file system on an end-of-life image; a private 2.x service with its credentials from Secrets
 * Manager and an encrypted EFS; a 1.x service with authentication on by the image's variable; a standalone task; and
 * services that are not InfluxDB (a secret-looking variable included) that must not be scanned at all. Then the
 * failure modes: denied ECS calls, a revision deleted between the list and the describe, a family with many revisions.
 */
import { beforeAll, describe, expect, it } from '@jest/globals';
import {
  CreateServiceCommand,
  DeleteTaskDefinitionsCommand,
  DeregisterTaskDefinitionCommand,
  ECSClient,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
  StopTaskCommand,
} from '@aws-sdk/client-ecs';
import { EnableSecurityHubCommand, SecurityHubClient } from '@aws-sdk/client-securityhub';
import { planRemediation, verifyFinding } from '../../lib/app/remediate.js';
import type { Clients } from '../../lib/aws/clients.js';
import { parseConfig, type Config } from '../../lib/config.js';
import { toAsff } from '../../lib/findings/asff.js';
import type { ScanResult } from '../../lib/model.js';
import { buildSummary } from '../../lib/publish/sns.js';
import { publishScope } from '../../lib/publish/index.js';
import { renderDocument } from '../../lib/render/formats.js';
import { renderTable } from '../../lib/render/table.js';
import { scan } from '../../lib/scan.js';
import { seedEstate, type SeededEstate } from '../../scripts/estate.js';
import { startFaultProxy } from '../../scripts/fault-proxy.js';
import { runCli } from '../support/cli.js';
import { denyOperation, endpoint, testAccount, type TestAccount } from '../support/aws.js';
import { allFindings, scanAndPublish } from '../support/publish.js';

const R = 'eu-west-1';
/** Planted in plain environments: it must appear in no output. */
const PLANTED = 'planted-Secret-value-8c1f2e';
let account: TestAccount;
let estate: SeededEstate;
let result: ScanResult;
let calls: Record<string, number>;

const baseConfig = (over: Record<string, unknown> = {}): Config =>
  parseConfig({ regions: [R], probe: { enabled: false, allowedCidrs: ['127.0.0.0/8'] }, ...over });

/** Clients whose ECS calls of one operation are denied. */
async function denied(clients: Clients, operation: string): Promise<Clients> {
  denyOperation(await clients.ecs(R), operation);
  return clients;
}

const ecsClient = () => new ECSClient({ region: R, endpoint: endpoint(), credentials: account.credentials });

beforeAll(async () => {
  account = await testAccount();
  estate = await seedEstate(account.seeder(R), {
    region: R,
    ebsDefaultEncryption: true,
    groups: [
      { name: 'world-8086', rules: [{ ports: 8086, cidrs: ['0.0.0.0/0'] }] },
      { name: 'vpc-8086', rules: [{ ports: 8086, cidrs: ['10.0.0.0/16'] }] },
      { name: 'world-9000', rules: [{ ports: 9000, cidrs: ['0.0.0.0/0'] }] },
    ],
    instances: [{ name: 'ec2-influx', tags: { influxdb: '' }, groups: ['vpc-8086'] }],
    efs: [
      { name: 'plain', encrypted: false },
      { name: 'sealed', encrypted: true },
    ],
    ecs: [
      {
        name: 'influx-public',
        image: 'influxdb:1.8',
        environment: { INFLUXDB_ADMIN_USER: 'admin', INFLUXDB_ADMIN_PASSWORD: PLANTED, INFLUXDB_DB: 'metrics' },
        groups: ['world-8086'],
        assignPublicIp: true,
        efs: { fileSystem: 'plain', path: '/var/lib/influxdb' },
        running: 1,
        tags: { team: 'metrics' },
      },
      {
        name: 'influx-v2',
        image: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/mirror/influxdb:2.10.0',
        environment: {
          DOCKER_INFLUXDB_INIT_MODE: 'setup',
          DOCKER_INFLUXDB_INIT_USERNAME: 'operator',
          INFLUXD_PPROF_DISABLED: 'true',
          INFLUXD_METRICS_DISABLED: 'true',
          INFLUXD_HARDENING_ENABLED: 'true',
          INFLUXD_TLS_CERT: '/etc/ssl/influxdb.crt',
          INFLUXD_TLS_KEY: '/etc/ssl/influxdb.key',
        },
        secrets: ['DOCKER_INFLUXDB_INIT_PASSWORD', 'DOCKER_INFLUXDB_INIT_ADMIN_TOKEN'],
        groups: ['vpc-8086'],
        efs: { fileSystem: 'sealed', path: '/var/lib/influxdb2', transitEncryption: true },
        running: 1,
      },
      {
        name: 'influx-auth',
        image: 'docker.io/library/influxdb:1.12.2-alpine',
        environment: { INFLUXDB_HTTP_AUTH_ENABLED: 'true', INFLUXDB_HTTP_AUTH_PASSWORD_FILE: '/run/secrets/x' },
        groups: ['vpc-8086'],
      },
      { name: 'influx-adhoc', standalone: true, image: 'quay.io/influxdb/influxdb:1.8.10', groups: ['vpc-8086'] },
      // InfluxDB 3: judged from the command (the official image's entrypoint applied) and the INFLUXDB3_* variables.
      {
        name: 'influx3-open',
        image: 'influxdb:3-core',
        command: [
          'influxdb3',
          'serve',
          '--node-id',
          'n0',
          '--object-store',
          's3',
          '--bucket',
          'metrics',
          '--aws-access-key-id',
          'AKIAIOSFODNN7EXAMPLE',
          '--aws-secret-access-key',
          PLANTED,
          '--without-auth',
          '--http-bind',
          '0.0.0.0:9000',
        ],
        port: 9000,
        groups: ['world-9000'],
        assignPublicIp: true,
        running: 1,
      },
      {
        name: 'influx3-env',
        image: 'quay.io/influxdb/influxdb3-core:3.6.0',
        environment: {
          INFLUXDB3_START_WITHOUT_AUTH: 'true',
          INFLUXDB3_NODE_IDENTIFIER_PREFIX: 'n1',
          INFLUXDB3_OBJECT_STORE: 's3',
          INFLUXDB3_BUCKET: 'metrics',
          AWS_SECRET_ACCESS_KEY: PLANTED,
          AZURE_STORAGE_ACCESS_KEY: PLANTED,
          INFLUXDB3_AUTH_TOKEN: PLANTED,
          INFLUXDB3_TELEMETRY_DISABLE_UPLOAD: 'true',
        },
        groups: ['vpc-8086'],
      },
      {
        name: 'influx3-auth',
        image: 'influxdb:3.6.0-core',
        command: ['serve', '--node-id', 'n2', '--object-store', 'file', '--data-dir', '/var/lib/influxdb3', '--admin-token', PLANTED],
        environment: { INFLUXDB3_ADMIN_TOKEN_RECOVERY_HTTP_BIND_ADDR: '0.0.0.0:8182' },
        groups: ['vpc-8086'],
      },
      // Hostile commands: a custom entrypoint with control characters, and 5,000 arguments.
      {
        name: 'influx3-custom',
        image: 'influxdb:3-enterprise',
        entryPoint: ['/bin/\u001b[31mstart\u0007\u202e'],
        command: ['--without-auth', `--aws-secret-access-key=${PLANTED}`, '--\u009b\u001b]0;x\u0007'],
        groups: ['vpc-8086'],
      },
      {
        name: 'influx3-huge',
        image: 'ghcr.io/acme/influxdb3-core:3.6.0',
        command: ['influxdb3', 'serve', ...Array.from({ length: 5000 }, (_, i) => `--x${i}=\u001b[2J`)],
        groups: ['vpc-8086'],
      },
      // Attacks on the reading (each a wrong PASS or a leaked fragment on the code of 0782408): a lone $VAR the
      // entrypoint expands to --without-auth, credential values a first masking left pieces of, quotes a shell joins.
      {
        name: 'influx3-leaks',
        image: 'influxdb:3-core',
        command: [
          'serve',
          '$AUTH_MODE',
          `--aws-session-token=x;${PLANTED}`,
          `--telemetry-endpoint=https://u:p@${PLANTED}@t.example`,
          '--aws-secret-access-key',
          `-${PLANTED}`,
          '--node-id',
          'n9',
        ],
        environment: { AUTH_MODE: '--without-auth', AWS_SESSION_TOKEN: PLANTED, DB_PASSWORD: PLANTED },
        groups: ['vpc-8086'],
      },
      {
        name: 'influx3-wrapped',
        image: 'influxdb:3-core',
        entryPoint: ['env', `AWS_SECRET_ACCESS_KEY=x ${PLANTED}`, 'influxdb3', 'serve'],
        command: [`${PLANTED}.eyJ0`],
        groups: ['vpc-8086'],
      },
      {
        name: 'influx3-script',
        image: 'influxdb:3-core',
        entryPoint: ['/bin/sh', '-c'],
        command: [`exec influxdb3 serve --node-id n8 --with'out'-auth --aws-secret-access-key '${PLANTED} x'`],
        groups: ['vpc-8086'],
      },
      // INFLUXDB3_UNSET_VARS naming --without-auth's variable: which images' entrypoint applies it is told by the tag.
      {
        name: 'influx3-unset',
        image: 'influxdb:3-core',
        environment: { INFLUXDB3_START_WITHOUT_AUTH: 'true', INFLUXDB3_UNSET_VARS: 'INFLUXDB3_START_WITHOUT_AUTH' },
        groups: ['vpc-8086'],
      },
      {
        name: 'influx3-unset-old',
        image: 'influxdb:3.6.0-core',
        environment: { INFLUXDB3_START_WITHOUT_AUTH: 'true', INFLUXDB3_UNSET_VARS: 'INFLUXDB3_START_WITHOUT_AUTH' },
        groups: ['vpc-8086'],
      },
      // 1.x and 2.x commands that move the API port (read: 9000), or could and are not read (judged on 9000 too); each
      // a wrong PASS of net.http-port-public (8086 judged) on the old code. Credentials on them are masked at discovery.
      {
        name: 'influx2-bind',
        image: 'influxdb:2.7',
        command: ['influxd', '--http-bind-address', ':9000', '--vault-token', PLANTED],
        port: 9000,
        groups: ['world-9000'],
      },
      { name: 'influx2-bind-eq', image: 'influxdb:2.7.12', command: ['--http-bind-address=:9000'], port: 9000, groups: ['world-9000'] },
      {
        name: 'influx1-config',
        image: 'influxdb:1.8.10',
        command: ['influxd', '-config', '/etc/custom/influxdb.conf'],
        port: 9000,
        groups: ['world-9000'],
      },
      {
        name: 'influx2-script',
        image: 'influxdb:2.7',
        entryPoint: ['/bin/sh', '-c'],
        command: [`influxd --http-bind-address :9000 --vault-token ${PLANTED} --vault-addr https://u:${PLANTED}@vault.example`],
        port: 9000,
        groups: ['world-9000'],
      },
      {
        name: 'influx2-config-mount',
        image: 'influxdb:2.7',
        efs: { fileSystem: 'sealed', path: '/etc/influxdb2' },
        port: 9000,
        groups: ['world-9000'],
      },
      { name: 'influx3-start-9000', image: 'influxdb:3-core', entryPoint: ['/opt/start.sh'], port: 9000, groups: ['world-9000'] },
      {
        name: 'grafana',
        image: 'grafana/grafana:11.0.0',
        environment: { GF_SECURITY_ADMIN_PASSWORD: PLANTED, INFLUXDB_ADMIN_PASSWORD: PLANTED },
        groups: ['world-8086'],
        assignPublicIp: true,
        running: 1,
      },
      { name: 'telegraf', image: 'telegraf:1.30', environment: { INFLUX_TOKEN: PLANTED }, groups: ['vpc-8086'], running: 1 },
    ],
  });
  const config = baseConfig();
  const { clients, counter } = account.clients(config);
  result = await scan(config, { clients, homeRegion: R });
  calls = counter.callsByOperation();
});

const arn = (name: string) => estate.ecs[name]!;
const of = (name: string, check: string) => result.document.findings.filter((f) => f.instanceId === arn(name) && f.checkId === check);
const verdict = (name: string, check: string) =>
  of(name, check)
    .map((f) => `${f.status} ${f.severity}`)
    .join(',');

describe('InfluxDB on Amazon ECS in a scan with the default flags', () => {
  it('finds the InfluxDB services and the standalone task beside the instance, and nothing else', () => {
    const seen = result.subjects.filter((s) => s.kind === 'ecs-service').map((s) => s.name);
    // A standalone task is named by its group, as ECS gives it (`family:` and its family).
    expect(seen.sort()).toEqual(
      [
        'family:influx-adhoc',
        'influx-auth',
        'influx-public',
        'influx-v2',
        'influx3-open',
        'influx3-env',
        'influx3-auth',
        'influx3-custom',
        'influx3-huge',
        'influx3-leaks',
        'influx3-wrapped',
        'influx3-script',
        'influx3-unset',
        'influx3-unset-old',
        'influx2-bind',
        'influx2-bind-eq',
        'influx1-config',
        'influx2-script',
        'influx2-config-mount',
        'influx3-start-9000',
      ].sort(),
    );
    expect(result.instances.map((i) => i.instanceId)).toEqual(estate.instances['ec2-influx']);
    expect(result.coverage[0]!.ecsListed).toBe(true);
    expect(result.incomplete).toEqual([]);
    // Not InfluxDB servers: not scanned at all, whatever their environment holds.
    for (const name of ['grafana', 'telegraf'])
      expect(result.document.findings.filter((f) => f.instanceId === arn(name) || JSON.stringify(f).includes(name))).toEqual([]);
  });

  it('one reading of the region serves both kinds: the paths from the internet and the security groups, once each', () => {
    // Was: the EC2 instance's paths read, then every path read again with the services (two of each), and the load
    // balancers' own groups in a describe of their own.
    for (const op of [
      'ec2:DescribeRouteTables',
      'ec2:DescribeNetworkAcls',
      'ec2:DescribeSecurityGroups',
      'elasticloadbalancingv2:DescribeLoadBalancers',
      'elasticloadbalancingv2:DescribeTargetGroups',
      'elasticloadbalancing:DescribeLoadBalancers',
    ])
      expect(`${op} ${calls[op]}`).toBe(`${op} 1`);
  });

  // Fails on the old code: the scan kept tags for instances and databases only (CHECKS.md: "on the instance, service or database").
  it('an accepted risk by tag (KEY=VALUE on the service) matches its findings', async () => {
    const expires = new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 10);
    const config = baseConfig({
      suppressions: [{ checkId: 'net.http-port-public', tag: 'team=metrics', reason: 'public by design, SEC-2', expires }],
    });
    const again = await scan(config, { clients: account.clients(config).clients, homeRegion: R });
    const f = again.document.findings.filter((x) => x.instanceId === arn('influx-public') && x.checkId === 'net.http-port-public');
    expect(f.map((x) => x.suppression)).toEqual([{ reason: 'public by design, SEC-2', expires, source: 'config' }]);
    expect(again.unmatchedSuppressions).toEqual([]);
  });

  it('the public 1.x service: credentials in plain environment, unencrypted EFS, world-open and reachable, auth off, end-of-life', () => {
    expect(verdict('influx-public', 'secrets.plaintext-environment')).toBe('FAILED HIGH');
    const [secret] = of('influx-public', 'secrets.plaintext-environment');
    const family = arn('influx-public').replace(/:service\/.*/, ':task-definition/influx-public');
    expect(secret!.resource).toEqual({ type: 'AwsEcsTaskDefinition', id: family });
    expect(secret!.evidence.plaintextVariables).toEqual(['influxdb: INFLUXDB_ADMIN_PASSWORD']);
    expect(secret!.evidence.revisions).toEqual([1]);
    expect(verdict('influx-public', 'ecs.data-volume-unencrypted')).toBe('FAILED HIGH');
    const [volume] = of('influx-public', 'ecs.data-volume-unencrypted');
    expect(volume!.resource.type).toBe('Other');
    expect(volume!.resource.id).toMatch(new RegExp(`:file-system/${estate.efs.plain}$`));
    expect(volume!.evidence).toMatchObject({ volume: 'efs', transitEncryption: 'DISABLED', dataDirectory: '/var/lib/influxdb' });
    // assignPublicIp stands for the public address; the subnet routes to an internet gateway: a complete path.
    expect(verdict('influx-public', 'net.http-port-public')).toBe('FAILED CRITICAL');
    // The 1.x image runs with authentication off: decided from the task definition (no probe), raised for exposure.
    const [auth] = of('influx-public', 'auth.disabled');
    expect(`${auth!.status} ${auth!.severity}`).toBe('FAILED CRITICAL');
    expect(auth!.evidence.decidedBy).toBe('host');
    expect(verdict('influx-public', 'host.version-vulnerable')).toBe('FAILED MEDIUM');
    expect(of('influx-public', 'auth.disabled')[0]!.resource).toEqual({ type: 'AwsEcsService', id: arn('influx-public') });
  });

  it('the private 2.x service: credentials from Secrets Manager, encrypted EFS with transit encryption, not reachable', () => {
    expect(verdict('influx-v2', 'secrets.plaintext-environment')).toBe('PASSED INFORMATIONAL');
    expect(of('influx-v2', 'secrets.plaintext-environment')[0]!.evidence.fromSecrets).toEqual([
      'influxdb: DOCKER_INFLUXDB_INIT_PASSWORD',
      'influxdb: DOCKER_INFLUXDB_INIT_ADMIN_TOKEN',
    ]);
    expect(verdict('influx-v2', 'ecs.data-volume-unencrypted')).toBe('PASSED INFORMATIONAL');
    expect(of('influx-v2', 'ecs.data-volume-unencrypted')[0]!.evidence.transitEncryption).toBe('ENABLED');
    expect(verdict('influx-v2', 'net.http-port-public')).toBe('PASSED INFORMATIONAL');
    expect(verdict('influx-v2', 'auth.diagnostics-unauthenticated')).toBe('PASSED INFORMATIONAL');
    expect(verdict('influx-v2', 'tls.disabled')).toBe('PASSED INFORMATIONAL');
    expect(verdict('influx-v2', 'host.version-vulnerable')).toBe('PASSED INFORMATIONAL');
    expect(verdict('influx-v2', 'host.v2-hardening-disabled')).toBe('PASSED INFORMATIONAL');
    // 1.x images have no Flux hardening switch: nothing to say.
    expect(of('influx-public', 'host.v2-hardening-disabled')).toEqual([]);
    // 2.x has no 1.x auth switch: nothing to say from the task definition.
    expect(of('influx-v2', 'auth.disabled').every((f) => f.status === 'NOT_AVAILABLE')).toBe(true);
  });

  it('the 1.x service with INFLUXDB_HTTP_AUTH_ENABLED=true: authentication on; no volume on Fargate: ephemeral storage, encrypted', () => {
    expect(verdict('influx-auth', 'auth.disabled')).toBe('PASSED INFORMATIONAL');
    expect(verdict('influx-auth', 'secrets.plaintext-environment')).toBe('PASSED INFORMATIONAL'); // a *_FILE names a path
    expect(of('influx-auth', 'ecs.data-volume-unencrypted')[0]!.evidence.summary).toMatch(/Fargate ephemeral storage, encrypted by AWS/);
    expect(verdict('influx-auth', 'host.version-vulnerable')).toBe('PASSED INFORMATIONAL');
  });

  it('a standalone task is a subject of its own (its task ARN), resource Other', () => {
    const f = of('influx-adhoc', 'host.version-vulnerable');
    expect(f.map((x) => x.status)).toEqual(['FAILED']);
    expect(f[0]!.resource).toEqual({ type: 'Other', id: arn('influx-adhoc') });
  });

  it('names the service in ASFF as AwsEcsService, and the family without revision as AwsEcsTaskDefinition', () => {
    const [auth] = of('influx-public', 'auth.disabled');
    expect(toAsff(auth!, { now: result.document.finishedAt }).Resources![0]).toMatchObject({
      Type: 'AwsEcsService',
      Id: arn('influx-public'),
    });
    const [secret] = of('influx-public', 'secrets.plaintext-environment');
    const a = toAsff(secret!, { now: result.document.finishedAt });
    expect(a.Resources![0]).toMatchObject({ Type: 'AwsEcsTaskDefinition' });
    expect(a.Resources![0]!.Id).not.toMatch(/:\d+$/);
  });

  it('no planted credential reaches any output format, the table or the SNS summary', async () => {
    const texts: string[] = [];
    for (const fmt of ['json', 'asff', 'ocsf', 'csv', 'html'] as const)
      texts.push([...(await renderDocument(fmt, result.document, { subjects: result.subjects }))].join(''));
    texts.push(renderTable(result.document, { color: false, showPassed: true, subjects: result.subjects }));
    texts.push(JSON.stringify(buildSummary(result.document, undefined, result.instances)));
    texts.push(JSON.stringify(result.subjects));
    for (const t of texts) expect(t.includes(PLANTED)).toBe(false);
    expect(texts[0]).toContain('INFLUXDB_ADMIN_PASSWORD');
    // Among the subjects: 1.x/2.x commands holding one (--vault-token, a URL's password), read and judged (below).
    expect(result.subjects.filter((x) => ['influx2-bind', 'influx2-script'].includes(x.name ?? '')).length).toBe(2);
  });
});

describe('1.x and 2.x containers whose command moves the API port', () => {
  const api = (name: string) =>
    of(name, 'net.http-port-public').map((f) => `${f.status} ${JSON.stringify(f.evidence.ports ?? f.evidence.reason ?? '')}`);

  it('--http-bind-address :9000 (or =:9000) is read: 9000 is the API port, judged world-open; never "unexpected"', () => {
    for (const name of ['influx2-bind', 'influx2-bind-eq']) {
      expect({ name, api: api(name) }).toEqual({ name, api: ['FAILED [9000]'] });
      expect({ name, unexpected: of(name, 'net.unexpected-ports-open').map((f) => f.status) }).toEqual({ name, unexpected: ['PASSED'] });
    }
  });

  it('a command or configuration the scanner does not read: the default ports and every mapped port are judged; host verdicts NOT_AVAILABLE', () => {
    for (const name of ['influx1-config', 'influx2-script', 'influx2-config-mount', 'influx3-start-9000'])
      expect({ name, api: api(name) }).toEqual({ name, api: ['FAILED [9000]'] });
    const auth = (name: string) => of(name, 'auth.disabled').map((f) => `${f.status} ${String(f.evidence.reason)}`);
    expect(auth('influx1-config')).toEqual([expect.stringMatching(/^NOT_AVAILABLE .*-config/)]);
    expect(auth('influx2-script')).toEqual([expect.stringMatching(/^NOT_AVAILABLE .*shell script/)]);
    expect(auth('influx2-config-mount')).toEqual([expect.stringMatching(/^NOT_AVAILABLE .*\/etc\/influxdb2/)]);
  });
});

describe('InfluxDB 3 containers, judged from their task definitions', () => {
  // Each fails on the old code: a 3.x container had no host view, so nothing was said of it from its task definition.
  it('--without-auth in the command: auth.disabled FAILED as on a host with that flag (CRITICAL: reachable), the engine open', () => {
    const [auth] = of('influx3-open', 'auth.disabled');
    expect(`${auth!.status} ${auth!.severity}`).toBe('FAILED CRITICAL');
    expect(auth!.evidence).toMatchObject({ decidedBy: 'host', summary: 'effective not --without-auth = false (flag)' });
    // The official image sets INFLUXDB3_PLUGIN_DIR=/plugins: with authentication off, anyone runs Python in it.
    expect(verdict('influx3-open', 'host.v3-processing-engine-open')).toBe('FAILED CRITICAL');
    expect(of('influx3-open', 'host.v3-processing-engine-open')[0]!.evidence.summary).toMatch(/--plugin-dir \/plugins/);
    // Authentication off: nothing to claim, the token check says nothing; no recovery listener.
    expect(of('influx3-open', 'auth.v3-admin-token-unclaimed')).toEqual([]);
    expect(verdict('influx3-open', 'auth.v3-recovery-listener-exposed')).toBe('PASSED INFORMATIONAL');
  });

  it('--http-bind 0.0.0.0:9000: the network checks judge 9000 as the API port (world-open, reachable), not 8086 or 8181', () => {
    const [open] = of('influx3-open', 'net.http-port-public');
    expect(`${open!.status} ${open!.severity}`).toBe('FAILED CRITICAL');
    expect(JSON.stringify(open!.evidence)).toMatch(/9000/);
    // 9000 is the API's port, judged above: never "unexpected".
    expect(of('influx3-open', 'net.unexpected-ports-open').map((f) => f.status)).toEqual(['PASSED']);
  });

  it('INFLUXDB3_START_WITHOUT_AUTH=true: the same finding from the variable (HIGH: not reachable)', () => {
    const [auth] = of('influx3-env', 'auth.disabled');
    expect(`${auth!.status} ${auth!.severity}`).toBe('FAILED HIGH');
    expect(auth!.evidence.summary).toBe('effective not --without-auth = false (environment)');
    expect(verdict('influx3-env', 'host.v3-processing-engine-open')).toBe('FAILED CRITICAL');
    // Its API is 8181 (no bind given): the group's 8086 is a port it does not serve, judged as any other.
    expect(of('influx3-env', 'net.unexpected-ports-open').map((f) => `${f.status} ${f.evidence.summary}`)).toEqual([
      'FAILED opens TCP 8086 to 10.0.0.0/16',
    ]);
    // Its credentials in plain environment are named (never their values); the 3.x options are not credentials.
    expect(of('influx3-env', 'secrets.plaintext-environment')[0]!.evidence.plaintextVariables).toEqual([
      'influxdb: AWS_SECRET_ACCESS_KEY',
      'influxdb: INFLUXDB3_AUTH_TOKEN',
    ]);
  });

  it('authentication on (the default), a recovery listener bound to every address by its variable; the admin token is not in a task definition', () => {
    expect(verdict('influx3-auth', 'auth.disabled')).toBe('PASSED INFORMATIONAL');
    const [recovery] = of('influx3-auth', 'auth.v3-recovery-listener-exposed');
    expect(`${recovery!.status} ${recovery!.severity}`).toBe('FAILED CRITICAL');
    expect(recovery!.evidence.summary).toMatch(/bound to 0\.0\.0\.0:8182 \(environment\)/);
    // INFLUXDB3_ADMIN_TOKEN_RECOVERY_HTTP_BIND_ADDR is an address, not a credential (its value is read, never flagged).
    expect(verdict('influx3-auth', 'secrets.plaintext-environment')).toBe('PASSED INFORMATIONAL');
    const [token] = of('influx3-auth', 'auth.v3-admin-token-unclaimed');
    expect(token!.status).toBe('NOT_AVAILABLE');
    expect(token!.evidence.reason).toMatch(/catalog is not read from its task definition/);
    expect(verdict('influx3-auth', 'tls.disabled')).toBe('FAILED HIGH');
  });

  it('commands the scanner does not read (a custom entrypoint, 5,000 arguments): NOT_AVAILABLE with why, control characters stripped', () => {
    const [custom] = of('influx3-custom', 'auth.disabled');
    expect(custom!.status).toBe('NOT_AVAILABLE');
    expect(custom!.evidence.reason).toMatch(/influx3-custom:1\/influxdb: it runs \/bin\/\[31mstart --without-auth, not influxdb3 serve/);
    const [huge] = of('influx3-huge', 'auth.disabled');
    expect(huge!.status).toBe('NOT_AVAILABLE');
    expect(huge!.evidence.reason).toMatch(/longer than the scanner reads/);
    for (const name of ['influx3-custom', 'influx3-huge']) {
      for (const check of ['host.v3-processing-engine-open', 'auth.v3-recovery-listener-exposed'])
        expect(verdict(name, check)).toBe('NOT_AVAILABLE INFORMATIONAL');
      // Where it binds is not told: 8086 and 8181 are both its API, as while only AWS evidence speaks.
      expect(verdict(name, 'net.unexpected-ports-open')).toBe('PASSED INFORMATIONAL');
    }
    const text = JSON.stringify(result.document.findings);
    expect(text).not.toMatch(/\\u001b|\\u0007|\\u009b|\\u202e|[\u001b\u0007\u009b\u202e]/);
  });

  it('attacks on the reading: a $VAR the entrypoint expands to --without-auth, a script whose quotes hide it, a wrapper (fail on the code of 0782408)', () => {
    for (const name of ['influx3-leaks', 'influx3-script']) expect(verdict(name, 'auth.disabled')).toBe('FAILED HIGH');
    const [wrapped] = of('influx3-wrapped', 'auth.disabled');
    expect(wrapped!.status).toBe('NOT_AVAILABLE');
    expect(wrapped!.evidence.reason).toMatch(/influx3-wrapped:1\/influxdb: it runs env …, not influxdb3 serve/);
  });

  it('INFLUXDB3_UNSET_VARS is applied only where the tag tells an entrypoint that applies it (3.8+): else never a PASS on it (a wrong PASS on the code of 0782408)', () => {
    const [unknown] = of('influx3-unset', 'auth.disabled');
    expect(unknown!.status).toBe('NOT_AVAILABLE');
    expect(unknown!.evidence.reason).toMatch(/INFLUXDB3_UNSET_VARS names INFLUXDB3_START_WITHOUT_AUTH: whether/);
    expect(verdict('influx3-unset-old', 'auth.disabled')).toBe('FAILED HIGH');
  });
});

describe('host checks judged from the task definition as host evidence (CHECKS.md "InfluxDB on Amazon ECS")', () => {
  // Each fails on the old code: the ECS kind gave its task-definition host view to the endpoint checks alone.
  it('host.v3-telemetry-upload: FAILED (LOW) without the flag or its variable, PASSED with INFLUXDB3_TELEMETRY_DISABLE_UPLOAD=true', () => {
    for (const name of ['influx3-open', 'influx3-auth']) expect(verdict(name, 'host.v3-telemetry-upload')).toBe('FAILED LOW');
    expect(of('influx3-auth', 'host.v3-telemetry-upload')[0]!.evidence.summary).toMatch(/^telemetry upload is on/);
    expect(verdict('influx3-env', 'host.v3-telemetry-upload')).toBe('PASSED INFORMATIONAL');
    // A command the scanner does not read: never a PASS.
    expect(verdict('influx3-custom', 'host.v3-telemetry-upload')).toBe('NOT_AVAILABLE INFORMATIONAL');
  });

  it('secrets.command-line: FAILED naming the flag (never its value), PASSED on a command without one, NOT_AVAILABLE on an unread one', () => {
    const flags = (name: string) => of(name, 'secrets.command-line').map((f) => `${f.status} ${f.severity} ${f.evidence.summary}`);
    expect(flags('influx3-open')).toEqual([
      'FAILED HIGH credential on the command line: influxdb3[1] --aws-secret-access-key (value not shown)',
    ]);
    expect(flags('influx3-auth')).toEqual(['FAILED HIGH credential on the command line: influxdb3[1] --admin-token (value not shown)']);
    expect(verdict('influx3-script', 'secrets.command-line')).toBe('FAILED HIGH');
    expect(verdict('influx3-env', 'secrets.command-line')).toBe('PASSED INFORMATIONAL');
    expect(verdict('influx3-custom', 'secrets.command-line')).toBe('NOT_AVAILABLE INFORMATIONAL');
    const text = JSON.stringify(result.document.findings.filter((f) => f.checkId === 'secrets.command-line'));
    expect(text).not.toContain(PLANTED);
  });

  it('1.x and 2.x containers: the 3.x host checks say nothing; nor does secrets.command-line, whose command is not read for them', () => {
    for (const name of ['influx-public', 'influx-v2', 'influx-auth', 'influx-adhoc'])
      for (const check of ['host.v3-telemetry-upload', 'secrets.command-line', 'storage.object-store-public'])
        expect(of(name, check)).toEqual([]);
    // Nor do the other host-only checks judge a container (listeners, key files: not in a task definition).
    const services = new Set(Object.values(estate.ecs));
    for (const check of [
      'tls.private-key-exposed',
      'host.rpc-bind-all-interfaces',
      'host.unexpected-listeners',
      'host.evidence-unavailable',
    ])
      expect(result.document.findings.filter((f) => f.checkId === check && services.has(f.instanceId!))).toEqual([]);
  });
});

describe('remediation', () => {
  it("a world-open rule on a group the service shares (grafana's task uses it too) is refused, never an EC2 error", async () => {
    const [open] = of('influx-public', 'net.http-port-public');
    expect(open!.resource.type).toBe('AwsEc2SecurityGroup');
    const asff = toAsff(open!, { now: result.document.finishedAt });
    const target = verifyFinding(asff);
    if ('refused' in target) throw new Error(target.refused);
    expect(target.instanceId).toBe(arn('influx-public'));
    const plan = await planRemediation('revoke-world-open', asff, target, account.seeder(R), baseConfig().tagSelectors, async () =>
      ecsClient(),
    );
    expect(plan.refused).toMatch(/is also used by eni-\w+, outside ECS service influx-public: .*remediate by hand$/);
    expect(plan.rescan).toEqual({ instanceIds: [], serviceArns: [arn('influx-public')], wholeRegion: false });
    expect(plan.revoke).toBeUndefined();
  });
});

describe('failures and bounds', () => {
  it('denied ECS calls: the ECS checks NOT_AVAILABLE once at account level, an incomplete scan, nothing archived, EC2 still scanned', async () => {
    const config = baseConfig();
    const clients = await denied(account.clients(config).clients, 'ListServices');
    const r = await scan(config, { clients, homeRegion: R });
    const ecs = r.document.findings.filter(
      (f) => f.checkId === 'secrets.plaintext-environment' || f.checkId === 'ecs.data-volume-unencrypted',
    );
    expect(ecs.map((f) => `${f.checkId} ${f.status} ${f.resource.type}`).sort()).toEqual([
      'ecs.data-volume-unencrypted NOT_AVAILABLE AwsAccount',
      'secrets.plaintext-environment NOT_AVAILABLE AwsAccount',
    ]);
    expect(ecs[0]!.evidence.reason).toMatch(/ecs:ListServices failed: AccessDeniedException/);
    // Only the checks an ECS service's evidence answers (ecs-service declares its evidence), each once: never the
    // EC2-only ones (EBS volumes and snapshots, IMDS, user data, a collector's host checks).
    const placeholders = r.document.findings.filter(
      (f) => f.status === 'NOT_AVAILABLE' && /ecs:ListServices/.test(String(f.evidence.reason)),
    );
    expect(placeholders.every((f) => f.resource.type === 'AwsAccount' && f.instanceId === undefined)).toBe(true);
    expect(placeholders.map((f) => f.checkId)).toEqual([...new Set(placeholders.map((f) => f.checkId))]);
    expect(placeholders.map((f) => f.checkId).sort()).toEqual(
      [
        'auth.diagnostics-unauthenticated',
        'auth.disabled',
        'auth.jwt-empty-secret',
        // The 3.x checks with a host verdict: a container of an influxdb3 image is judged by them too.
        'auth.v3-admin-token-unclaimed',
        'auth.v3-recovery-listener-exposed',
        'ecs.data-volume-unencrypted',
        'headers.security-headers-missing',
        'host.v2-hardening-disabled',
        'host.v3-processing-engine-open',
        // Host checks whose facts a task definition states (the others never speak of a container).
        'host.v3-telemetry-upload',
        'host.version-vulnerable',
        'net.cluster-ports-exposed',
        'net.http-port-public',
        'net.rpc-port-exposed',
        'net.unexpected-ports-open',
        'secrets.command-line',
        'secrets.plaintext-environment',
        'tls.disabled',
        'tls.load-balancer-plaintext',
      ].sort(),
    );
    expect(r.incomplete).toEqual([expect.stringMatching(/^Amazon ECS of \d{12}\/eu-west-1 could not be listed: ecs:ListServices failed/)]);
    expect(r.subjects.filter((s) => s.kind === 'ecs-service')).toEqual([]);
    expect(r.instances).toHaveLength(1);
    const cov = r.coverage[0]!;
    expect(cov.ecsListed).toBeUndefined();
    expect(publishScope(cov).isGone(arn('influx-public'))).toBe(false);
  });

  it('the CLI, with every ECS ListServices denied (fault proxy): exit 3, the ECS checks NOT_AVAILABLE, the instance still checked', async () => {
    const proxy = await startFaultProxy(endpoint(), { rates: { 'ecs:ListServices': 1 }, faults: ['deny'] });
    try {
      const r = await runCli(['scan', '--format', 'json', '--quiet'], { ...account.env(R), AWS_ENDPOINT_URL: proxy.endpoint });
      expect(r.stderr).toMatch(/influxguard: incomplete: Amazon ECS of \d{12}\/eu-west-1 could not be listed: ecs:ListServices failed/);
      expect(r.code).toBe(3);
      const doc = JSON.parse(r.stdout) as { findings: { checkId: string; status: string; instanceId?: string }[] };
      expect(doc.findings.filter((f) => f.checkId === 'secrets.plaintext-environment').map((f) => f.status)).toEqual(['NOT_AVAILABLE']);
      expect(doc.findings.some((f) => f.instanceId === estate.instances['ec2-influx']![0] && f.status === 'PASSED')).toBe(true);
      expect(doc.findings.some((f) => f.instanceId?.startsWith('arn:aws:ecs:'))).toBe(false);
    } finally {
      await proxy.stop();
    }
  });

  it('a revision deleted between the list and the describe: NOT_AVAILABLE for what it holds, never a pass; a stopped task is gone', async () => {
    const ecs = ecsClient();
    try {
      await ecs.send(
        new RegisterTaskDefinitionCommand({
          family: 'influx-deleted',
          networkMode: 'awsvpc',
          requiresCompatibilities: ['FARGATE'],
          cpu: '256',
          memory: '512',
          containerDefinitions: [{ name: 'influxdb', image: 'influxdb:1.8', memory: 512 }],
        }),
      );
      const svc = await ecs.send(
        new CreateServiceCommand({
          cluster: 'influxguard-estate',
          serviceName: 'influx-deleted',
          taskDefinition: 'influx-deleted:1',
          desiredCount: 1,
          launchType: 'FARGATE',
          networkConfiguration: { awsvpcConfiguration: { subnets: [estate.subnetId], securityGroups: [estate.groups['vpc-8086']!] } },
        }),
      );
      await ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: 'influx-deleted:1' }));
      await ecs.send(new DeleteTaskDefinitionsCommand({ taskDefinitions: ['influx-deleted:1'] }));
      const config = baseConfig();
      const r = await scan(config, { clients: account.clients(config).clients, homeRegion: R });
      const mine = r.document.findings.filter((f) => f.instanceId === svc.service!.serviceArn);
      for (const check of ['secrets.plaintext-environment', 'ecs.data-volume-unencrypted', 'host.version-vulnerable']) {
        const f = mine.filter((x) => x.checkId === check);
        expect({ check, status: f.map((x) => x.status) }).toEqual({ check, status: ['NOT_AVAILABLE'] });
        expect(f[0]!.evidence.reason).toMatch(/could not be described \(deleted\?\)/);
      }
      expect(r.incomplete).toEqual([]);
      // The standalone task stopped: not listed by a complete listing, so its findings are archived.
      await ecs.send(new StopTaskCommand({ cluster: 'influxguard-estate', task: arn('influx-adhoc') }));
      const after = await scan(config, { clients: account.clients(config).clients, homeRegion: R });
      expect(after.subjects.map((s) => s.id)).not.toContain(arn('influx-adhoc'));
      expect(publishScope(after.coverage[0]!).isGone(arn('influx-adhoc'))).toBe(true);
    } finally {
      ecs.destroy();
    }
  });

  it('a family with many revisions: only the service current one is described, no revision is ever listed', async () => {
    const ecs = ecsClient();
    try {
      for (let n = 0; n < 40; n++)
        await ecs.send(
          new RegisterTaskDefinitionCommand({
            family: 'influx-many',
            networkMode: 'awsvpc',
            containerDefinitions: [{ name: 'influxdb', image: `influxdb:1.8.${n}`, memory: 512 }],
          }),
        );
      await ecs.send(
        new CreateServiceCommand({
          cluster: 'influxguard-estate',
          serviceName: 'influx-many',
          taskDefinition: 'influx-many:40',
          desiredCount: 1,
          launchType: 'FARGATE',
          networkConfiguration: { awsvpcConfiguration: { subnets: [estate.subnetId], securityGroups: [estate.groups['vpc-8086']!] } },
        }),
      );
      const config = baseConfig();
      const { clients, counter } = account.clients(config);
      const r = await scan(config, { clients, homeRegion: R });
      const calls = counter.callsByOperation();
      expect(calls['ecs:ListTaskDefinitions']).toBeUndefined();
      expect(calls['ecs:ListTaskDefinitionFamilies']).toBeUndefined();
      // One describe per task definition in use (cached per scan by ARN), never one per revision.
      const inUse = new Set(r.subjects.filter((s) => s.kind === 'ecs-service').map((s) => s.evidence?.taskDefinition)).size;
      expect(calls['ecs:DescribeTaskDefinition']).toBeLessThanOrEqual(inUse + 3);
      const many = r.subjects.find((s) => s.name === 'influx-many')!;
      expect(many.evidence?.taskDefinition).toMatch(/:task-definition\/influx-many:40$/);
    } finally {
      ecs.destroy();
    }
  });
});

describe('publishing to Security Hub', () => {
  it("imports the services' findings with ids read back whole; a stopped standalone task is archived only after a complete listing", async () => {
    const sh = new SecurityHubClient({ region: R, endpoint: endpoint(), credentials: account.credentials });
    const ecs = ecsClient();
    try {
      await sh.send(new EnableSecurityHubCommand({}));
      const config = baseConfig({ publish: { enabled: true } });
      const run = (at: string, clients = account.clients(config).clients) => scanAndPublish(config, clients, R, at);
      const all = () => allFindings(sh);
      const task = (
        await ecs.send(
          new RunTaskCommand({
            cluster: 'influxguard-estate',
            taskDefinition: 'influx-adhoc',
            launchType: 'FARGATE',
            networkConfiguration: { awsvpcConfiguration: { subnets: [estate.subnetId], securityGroups: [estate.groups['vpc-8086']!] } },
          }),
        )
      ).tasks![0]!.taskArn!;
      const first = await run('2026-11-01T00:00:00Z');
      expect(first.report.securityHub.failed).toEqual([]);
      const ofTask = async () => (await all()).filter((f) => f.Id!.includes(`/${task}/`));
      expect((await ofTask()).length).toBeGreaterThan(0);
      expect((await run('2026-11-01T01:00:00Z')).report.securityHub.imported).toBe(0);
      await ecs.send(new StopTaskCommand({ cluster: 'influxguard-estate', task }));
      const broken = await run('2026-11-01T02:00:00Z', await denied(account.clients(config).clients, 'ListTasks'));
      expect(broken.report.securityHub.archived).toBe(0);
      expect((await ofTask()).every((f) => f.RecordState === 'ACTIVE')).toBe(true);
      await run('2026-11-01T03:00:00Z');
      const gone = await ofTask();
      expect(gone.length).toBeGreaterThan(0);
      expect(gone.every((f) => f.RecordState === 'ARCHIVED')).toBe(true);
      // The services still running keep theirs.
      expect((await all()).filter((f) => f.Id!.includes(`/${arn('influx-v2')}/`)).every((f) => f.RecordState === 'ACTIVE')).toBe(true);
    } finally {
      sh.destroy();
      ecs.destroy();
    }
  });
});
