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
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { emulatorEnv, startEmulator } from './emulator.js'; // plain JS, shared with Jest's global setup
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { DEMO_REGION, demoEstate, demoHosts, type DemoEndpoints } from './demo-estate.js';
import { seedEstate } from './estate.js';
import { certificates, influxQuery, startInfluxd, type RunningInfluxd } from './influxd.js';
import { startHardenedProxy } from './nginx.js';

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

async function startServers(): Promise<{ servers: RunningInfluxd[]; urls: DemoEndpoints; pids: Record<keyof DemoEndpoints, number> }> {
  const [open, noAdmin, selfSigned, protectedInflux] = await Promise.all([
    startInfluxd({}),
    startInfluxd({ auth: true }),
    startInfluxd({ auth: true, https: 'selfsigned.combined.pem' }),
    startInfluxd({ auth: true, pprof: false }),
  ]);
  // Fixture setup (the scanner never writes): admins where the story needs them.
  for (const s of [selfSigned!, protectedInflux!])
    await influxQuery(s.url, `CREATE USER admin WITH PASSWORD '${randomBytes(12).toString('hex')}' WITH ALL PRIVILEGES`);
  const hardened = await startHardenedProxy(protectedInflux!);
  return {
    servers: [open!, noAdmin!, selfSigned!, protectedInflux!, hardened],
    urls: { open: open!.url, noAdmin: noAdmin!.url, selfSigned: selfSigned!.url, hardened: hardened.url },
    // Host evidence for the nginx-fronted instances comes from the influxd behind it.
    pids: { open: open!.pid, noAdmin: noAdmin!.pid, selfSigned: selfSigned!.pid, hardened: protectedInflux!.pid },
  };
}

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const cli = fileURLToPath(new URL('../influxguard.mjs', import.meta.url));

async function main(): Promise<number> {
  process.stderr.write('demo: starting the AWS emulator (moto) on 127.0.0.1…\n');
  const emulator = await startEmulator();
  process.stderr.write('demo: starting InfluxDB servers (influxd ×4, nginx) on 127.0.0.1…\n');
  const { servers, urls, pids } = await startServers().catch(async (err: unknown) => {
    await emulator.stop();
    throw err;
  });
  try {
    const env = { ...process.env, ...emulatorEnv(emulator.endpoint, DEMO_REGION) };
    const aws = { region: DEMO_REGION, endpoint: emulator.endpoint, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } };
    const ec2 = new EC2Client(aws);
    const subscriber = await subscribe(aws);
    const estate = await seedEstate(ec2, demoEstate(urls));
    ec2.destroy();
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
      JSON.stringify({ probe, host: { local: Object.fromEntries(demoHosts(pids).map(([name, pid]) => [name, { pids: [pid] }])) } }),
    );
    // The test CA stands in for the operator's CA.
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
