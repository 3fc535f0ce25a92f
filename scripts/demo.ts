/**
 * `npm run demo`: start the AWS emulator and a few real InfluxDB servers (and
 * an nginx) on 127.0.0.1, seed a small estate with deliberate
 * misconfigurations whose instances point at those servers, run the real CLI
 * against it and print its table, then stop everything it started.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { EC2Client } from '@aws-sdk/client-ec2';
import { EnableSecurityHubCommand, SecurityHubClient, paginateGetFindings } from '@aws-sdk/client-securityhub';
import { CreateTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { emulatorEnv, startEmulator } from './emulator.js'; // plain JS, shared with Jest's global setup
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { readFileSync, writeFileSync } from 'node:fs';
import { DEMO_REGION, demoEstate, demoHosts, type DemoAuditSecrets, type DemoEndpoints } from './demo-estate.js';
import { bindAuditSecrets, seedEstate } from './estate.js';
import { certificates, influxdCache, influxQuery, INFLUXD, startInfluxd } from './influxd.js';
import { startHardenedProxy } from './nginx.js';
import { allAccessPermissions, cachedInfluxd, createToken, startInfluxd2 } from './influxd2.js';
import { INFLUXDB3_VERSION, influxdb3Binary, startInfluxdb3 } from './influxdb3.js';

/** Audit credentials the operator would keep in Secrets Manager (fixture setup: in memory, never printed). */
interface AuditCredentialsJson {
  selfSigned: { username: string; password: string };
  hardened: { username: string; password: string };
  v2?: { token: string };
}

/** Security Hub enabled, and an SQS queue subscribed to the findings topic, as a team would have them. */
async function subscribe(aws: { region: string; endpoint: string; credentials: { accessKeyId: string; secretAccessKey: string } }) {
  const hub = new SecurityHubClient(aws);
  await hub.send(new EnableSecurityHubCommand({}));
  const sns = new SNSClient(aws);
  const sqs = new SQSClient(aws);
  const topicArn = (await sns.send(new CreateTopicCommand({ Name: 'influxguard-findings' }))).TopicArn!;
  const queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: 'security-team' }))).QueueUrl!;
  const queueArn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }))).Attributes!
    .QueueArn!;
  await sns.send(new SubscribeCommand({ TopicArn: topicArn, Protocol: 'sqs', Endpoint: queueArn }));
  return {
    topicArn,
    show: async () => {
      const findings = [];
      for await (const page of paginateGetFindings({ client: hub, pageSize: 100 }, {})) findings.push(...(page.Findings ?? []));
      const failed = findings.filter((f) => f.Compliance?.Status === 'FAILED');
      process.stderr.write(
        `\ndemo: Security Hub (emulated) now holds ${findings.length} influxguard findings, ${failed.length} FAILED; e.g.\n`,
      );
      for (const f of failed.slice(0, 3)) process.stderr.write(`  ${f.Severity?.Label} ${f.Id}\n`);
      const got = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 1 }));
      for (const m of got.Messages ?? []) {
        const body = JSON.parse(m.Body!) as { Subject: string; Message: string };
        process.stderr.write(`\ndemo: the SNS summary the security team received:\nSubject: ${body.Subject}\n${body.Message}\n`);
      }
      for (const c of [hub, sns, sqs]) c.destroy();
    },
  };
}

/** One fixture statement; the story depends on it, so a refusal stops the demo (the statement is shown, its password is not). */
async function setUp(url: string, q: string, as?: [string, string]): Promise<void> {
  const status = await influxQuery(url, q, as);
  if (status !== 200) throw new Error(`setting up the demo: "${q.replace(/'[^']*'/g, "'…'")}" answered HTTP ${status}`);
}

async function startServers(): Promise<{
  servers: { stop: () => Promise<void> }[];
  urls: DemoEndpoints;
  pids: Parameters<typeof demoHosts>[0];
  audit: AuditCredentialsJson;
}> {
  const v2Binary = cachedInfluxd('2.7.12');
  const v3Binary = influxdb3Binary();
  const [open, noAdmin, selfSigned, protectedInflux, v2, v3] = await Promise.all([
    startInfluxd({}),
    startInfluxd({ auth: true }),
    // A certificate of a private CA the probe is not told of (untrusted: tls.certificate-invalid), the audit is (--audit-ca).
    startInfluxd({ auth: true, https: 'private.combined.pem' }),
    startInfluxd({ auth: true, pprof: false }),
    // Over TLS: audit credentials go nowhere else.
    v2Binary ? startInfluxd2(v2Binary, 'valid.combined.pem') : Promise.resolve(undefined),
    // InfluxDB 3 with its defaults (authentication on) and its admin token never created: anyone who reaches it may claim it.
    'binary' in v3Binary ? startInfluxdb3(v3Binary.binary) : Promise.resolve(undefined),
  ]);
  // Nothing is built for the demo: InfluxDB 2.7.12 joins when a build is already in the cache (make test makes one).
  process.stderr.write(
    v2Binary
      ? `demo: InfluxDB 2.7.12 from the cache (${v2Binary}) joins as the 2.x instance\n`
      : `demo: no InfluxDB 2.7.12 build in the cache (${influxdCache()}; make test or scripts/influxdb-build.sh 2.7.12 makes one, about 6 min): the 2.x instance and its token audit are left out\n`,
  );
  process.stderr.write(
    'binary' in v3Binary
      ? `demo: InfluxDB ${INFLUXDB3_VERSION} from the cache (${v3Binary.binary}) joins as the InfluxDB 3 instance\n`
      : `demo: ${v3Binary.missing}: the InfluxDB 3 instance is left out\n`,
  );
  // Fixture setup (the scanner never writes): admins where the story needs them, users and tokens for the audit.
  const pw = () => randomBytes(12).toString('hex');
  const audit: AuditCredentialsJson = {
    selfSigned: { username: 'admin', password: pw() },
    hardened: { username: 'guardian', password: pw() },
  };
  for (const [s, c] of [
    [selfSigned!, audit.selfSigned],
    [protectedInflux!, audit.hardened],
  ] as const)
    await setUp(s.url, `CREATE USER ${c.username} WITH PASSWORD '${c.password}' WITH ALL PRIVILEGES`);
  // The over-privileged 1.x server: a second admin and a dashboard user holding ALL on every database.
  for (const q of [
    `CREATE USER ops WITH PASSWORD '${pw()}' WITH ALL PRIVILEGES`,
    'CREATE DATABASE metrics',
    `CREATE USER dashboards WITH PASSWORD '${pw()}'`,
    'GRANT ALL ON metrics TO dashboards',
  ])
    await setUp(selfSigned!.url, q, [audit.selfSigned.username, audit.selfSigned.password]);
  if (v2) {
    // An extra all-access token beside the operator's (what `influx auth create --all-access` makes).
    await createToken(v2, 'ci pipeline (all access)', allAccessPermissions(v2.orgID, v2.userID));
    audit.v2 = { token: v2.token };
  }
  const hardened = await startHardenedProxy(protectedInflux!);
  return {
    servers: [open!, noAdmin!, selfSigned!, protectedInflux!, hardened, ...(v2 ? [v2] : []), ...(v3 ? [v3] : [])],
    urls: {
      open: open!.url,
      noAdmin: noAdmin!.url,
      selfSigned: selfSigned!.url,
      hardened: hardened.url,
      ...(v2 ? { v2: v2.url } : {}),
      ...(v3 ? { v3: v3.url } : {}),
    },
    // Host evidence for the nginx-fronted instances comes from the influxd behind it.
    pids: {
      open: open!.pid,
      noAdmin: noAdmin!.pid,
      selfSigned: selfSigned!.pid,
      hardened: protectedInflux!.pid,
      ...(v3 ? { v3: v3.pid } : {}),
    },
    audit,
  };
}

/** The audit credentials as Secrets Manager secrets; their ARNs. */
async function storeSecrets(
  aws: NonNullable<ConstructorParameters<typeof SecretsManagerClient>[0]>,
  audit: AuditCredentialsJson,
): Promise<DemoAuditSecrets> {
  const sm = new SecretsManagerClient(aws);
  const put = async (name: string, value: object) =>
    (await sm.send(new CreateSecretCommand({ Name: `influxguard/demo/${name}`, SecretString: JSON.stringify(value) }))).ARN!;
  try {
    return {
      selfSigned: await put('influx-metrics', audit.selfSigned),
      hardened: await put('influx-well-configured', audit.hardened),
      ...(audit.v2 ? { v2: await put('influx-v2', audit.v2) } : {}),
    };
  } finally {
    sm.destroy();
  }
}

const cli = fileURLToPath(new URL('../influxguard.mjs', import.meta.url));

async function main(): Promise<number> {
  process.stderr.write('demo: starting the AWS emulator (moto) on 127.0.0.1…\n');
  const emulator = await startEmulator();
  process.stderr.write(
    `demo: starting InfluxDB servers on 127.0.0.1: Debian's influxd 1.6.7 ×4 (${INFLUXD}), nginx, and 2.7.12 and ${INFLUXDB3_VERSION} when they are in the cache…\n`,
  );
  const { servers, urls, pids, audit } = await startServers().catch(async (err: unknown) => {
    await emulator.stop();
    throw err;
  });
  try {
    // INFLUXGUARD_CACHE names the InfluxDB build cache for this script; the CLI rejects INFLUXGUARD_* names it does not know.
    const { INFLUXGUARD_CACHE: _cache, ...own } = process.env;
    const env = { ...own, ...emulatorEnv(emulator.endpoint, DEMO_REGION) };
    const aws = { region: DEMO_REGION, endpoint: emulator.endpoint, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } };
    const ec2 = new EC2Client(aws);
    const subscriber = await subscribe(aws);
    const secrets = await storeSecrets(aws, audit);
    const spec = demoEstate(urls, secrets);
    const estate = await seedEstate(ec2, spec);
    ec2.destroy();
    // The secrets' owner binds each to its instance (tag influxguard:instances): a secret is read for, and sent to, no other.
    const sm = new SecretsManagerClient(aws);
    await bindAuditSecrets(sm, spec, estate, Object.values(secrets)).finally(() => sm.destroy());
    const names = Object.keys(estate.instances);
    const managed = Object.keys(estate.timestream);
    process.stderr.write(
      `demo: seeded ${names.length} instances in ${DEMO_REGION} (${names.join(', ')}) and ${managed.length} Timestream for InfluxDB instances (${managed.join(', ')})\n`,
    );
    // Host evidence: the real collector runs locally against the influxd standing in for each instance.
    const configFile = join(certificates(), 'demo-config.json');
    // Probes reach only 127.0.0.0/8, where the servers standing in for the instances listen: allowed, and listed as
    // endpoint CIDRs since the instances' endpoint tags do not point at their own (made-up) addresses.
    const probe = { allowedCidrs: ['127.0.0.0/8'], endpointCidrs: ['127.0.0.0/8'] };
    writeFileSync(
      configFile,
      JSON.stringify({
        probe,
        host: { local: Object.fromEntries(demoHosts(pids).map(([name, pid]) => [name, { pids: [pid] }])) },
        // The credentialed audit may read these secrets only (instances name theirs with influxdb:audit-secret).
        audit: { secrets: Object.values(secrets) },
      }),
    );
    // The test CA stands in for the operator's CA; the audit trusts it and the private CA of influx-metrics' server, alone.
    const auditCa = join(certificates(), 'demo-audit-ca.pem');
    writeFileSync(auditCa, ['ca.pem', 'demo-ca.pem'].map((f) => readFileSync(join(certificates(), f), 'utf8')).join('\n'));
    const args = [
      'scan',
      '--region',
      DEMO_REGION,
      '--publish',
      '--config',
      configFile,
      '--allow-port',
      `22@${estate.groups.bastion}`,
      '--ca',
      join(certificates(), 'ca.pem'),
      '--audit-ca',
      auditCa,
      ...process.argv.slice(2),
    ];
    process.stderr.write(`demo: influxguard ${args.join(' ')}\n\n`);
    const code = await new Promise<number>((resolve) => {
      spawn(process.execPath, [cli, ...args], { stdio: 'inherit', env: { ...env, INFLUXGUARD_SNS_TOPIC_ARN: subscriber.topicArn } }).on(
        'exit',
        (c) => resolve(c ?? 2),
      );
    });
    await subscriber.show();
    process.stderr.write(`\ndemo: influxguard exited ${code} (1 = failing findings at or above --fail-on)\n`);
    return code === 1 || code === 0 ? 0 : code;
  } finally {
    await Promise.all([emulator.stop(), ...servers.map((s) => s.stop())]);
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`demo: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(2);
  },
);
