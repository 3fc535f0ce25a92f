/**
 * `make local`: the serverless application on this machine, inside the sandbox (loopback only).
 *
 * 1. starts the AWS emulator (moto) on 127.0.0.1;
 * 2. deploys the stack into it: `serverless deploy -s local` packages the functions and creates the
 *    CloudFormation stack (KMS key, queues, table, topic, roles, functions) through moto's CloudFormation;
 * 3. seeds the demo estate (scripts/demo-estate.ts) and the scan that events/worker-sqs.json and
 *    events/api-get-scan.json name (`example-scan`), as dispatch would have recorded it;
 * 4. runs `serverless offline` (HTTP API on 127.0.0.1:3000, Lambda API on 3002) against the stack's
 *    resources, and a poller standing in for the SQS event source mapping: it receives work units from
 *    the stack's queue and invokes the worker through serverless-offline's Lambda API (serverless-offline
 *    has no SQS events; a poller of a few lines is less than another plugin), deleting what succeeded;
 * 5. runs the command given (`node dist/scripts/local.js sh -c '…'`) with the stack's environment, or
 *    an interactive shell where the commands of docs/serverless.md work; everything stops when it exits.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { DescribeStackResourcesCommand, CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EC2Client } from '@aws-sdk/client-ec2';
import { DeleteMessageCommand, ReceiveMessageCommand, SQSClient, type Message } from '@aws-sdk/client-sqs';
import { ScanStore } from '../lib/app/store.js';
import { DEMO_REGION, demoEstate } from './demo-estate.js';
import { emulatorEnv, startEmulator } from './emulator.js';
import { seedEstate } from './estate.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const sls = `${root}node_modules/serverless/bin/serverless.js`;
const STAGE = 'local';
const STACK = `influxguard-${STAGE}`;
/** serverless.yml custom.serverless-offline: fixed ports, inside the sandbox's own loopback. */
const HTTP_PORT = 3000;
const LAMBDA_PORT = 3002;
/** The scan the sample events name. */
const EXAMPLE_SCAN = 'example-scan';

const say = (text: string) => process.stderr.write(`local: ${text}\n`);

/** Run serverless to completion; its output goes to stderr (stdout stays the command's). */
function serverless(args: string[], env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [sls, ...args], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`serverless ${args.join(' ')} exited ${code}:\n${out.slice(-3000)}`)),
    );
  });
}

/** serverless-offline in its own process group, ready when it says so. */
async function startOffline(env: NodeJS.ProcessEnv): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    [
      sls,
      'offline',
      'start',
      '-s',
      STAGE,
      '--noAuth',
      '--host',
      '127.0.0.1',
      '--httpPort',
      String(HTTP_PORT),
      '--lambdaPort',
      String(LAMBDA_PORT),
    ],
    { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true },
  );
  let log = '';
  const keep = (d: Buffer) => {
    log = (log + d.toString()).slice(-20_000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const deadline = Date.now() + 90_000;
  while (!/Server ready/.test(log)) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`serverless offline did not start:\n${log.slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return child;
}

/** The SQS event source mapping, for serverless-offline: units from the queue to the worker, one at a time (batch size 1). */
function pollUnits(sqs: SQSClient, queueUrl: string, worker: string): { stop: () => Promise<void> } {
  let running = true;
  const invoke = async (m: Message) => {
    const event = {
      Records: [
        {
          messageId: m.MessageId,
          receiptHandle: m.ReceiptHandle,
          body: m.Body,
          attributes: m.Attributes ?? {},
          messageAttributes: {},
          md5OfBody: m.MD5OfBody,
          eventSource: 'aws:sqs',
          eventSourceARN: `arn:aws:sqs:${DEMO_REGION}:123456789012:${queueUrl.split('/').pop()}`,
          awsRegion: DEMO_REGION,
        },
      ],
    };
    const r = await fetch(`http://127.0.0.1:${LAMBDA_PORT}/2015-03-31/functions/${worker}/invocations`, {
      method: 'POST',
      body: JSON.stringify(event),
    });
    const answer = (await r.json().catch(() => ({}))) as { batchItemFailures?: unknown[] };
    // A failed unit stays on the queue (visible again after its visibility timeout), as with Lambda.
    if (r.ok && !answer.batchItemFailures?.length)
      await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: m.ReceiptHandle }));
    else say(`worker failed unit ${m.MessageId}: ${r.status} ${JSON.stringify(answer).slice(0, 300)}`);
  };
  const loop = (async () => {
    while (running) {
      const got = await sqs
        .send(
          new ReceiveMessageCommand({
            QueueUrl: queueUrl,
            MaxNumberOfMessages: 1,
            WaitTimeSeconds: 1,
            MessageSystemAttributeNames: ['All'],
          }),
        )
        .catch((err: unknown) => {
          if (running) say(`receiving work units failed: ${(err as Error).message}`);
          return { Messages: [] as Message[] };
        });
      for (const m of got.Messages ?? [])
        await invoke(m).catch((err: unknown) => say(`worker invocation failed: ${(err as Error).message}`));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
    },
  };
}

async function main(command: string[]): Promise<number> {
  say('starting the AWS emulator (moto) on 127.0.0.1…');
  const emulator = await startEmulator();
  const aws = emulatorEnv(emulator.endpoint, DEMO_REGION);
  const base = { ...process.env, ...aws, SLS_TELEMETRY_DISABLED: '1', POWERTOOLS_LOG_LEVEL: process.env.POWERTOOLS_LOG_LEVEL ?? 'WARN' };
  const config = { region: DEMO_REGION, endpoint: emulator.endpoint, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } };
  let offline: ChildProcess | undefined;
  let poller: { stop: () => Promise<void> } | undefined;
  const sqs = new SQSClient(config);
  try {
    say(`deploying the stack into the emulator (serverless deploy -s ${STAGE})…`);
    await serverless(['deploy', '-s', STAGE, '--region', DEMO_REGION], base);
    const cfn = new CloudFormationClient(config);
    const resources = (await cfn.send(new DescribeStackResourcesCommand({ StackName: STACK }))).StackResources ?? [];
    cfn.destroy();
    const physical = (logical: string) => {
      const id = resources.find((r) => r.LogicalResourceId === logical)?.PhysicalResourceId;
      if (!id) throw new Error(`the stack has no ${logical}`);
      return id;
    };
    const stack = {
      INFLUXGUARD_TABLE: physical('ScansTable'),
      // moto names the queue by AWS's host; the SQS client sends to the host of the queue URL.
      INFLUXGUARD_QUEUE_URL: physical('UnitsQueue').replace(/^https?:\/\/[^/]+/, emulator.endpoint),
      INFLUXGUARD_SNS_TOPIC_ARN: physical('FindingsTopic'),
    };
    say(`stack ${STACK}: ${resources.length} resources; table ${stack.INFLUXGUARD_TABLE}, queue ${stack.INFLUXGUARD_QUEUE_URL}`);

    // The demo estate; its endpoint tags point at nothing here (the emulated instances are never probed: AWS evidence only).
    const ec2 = new EC2Client(config);
    const nowhere = 'http://127.0.0.1:9';
    const estate = await seedEstate(ec2, demoEstate({ open: nowhere, noAdmin: nowhere, selfSigned: nowhere, hardened: nowhere }));
    ec2.destroy();
    const db = new DynamoDBClient(config);
    const store = new ScanStore(db, stack.INFLUXGUARD_TABLE);
    await store.createScan({
      scanId: EXAMPLE_SCAN,
      createdAt: new Date().toISOString(),
      request: { regions: [DEMO_REGION] },
      unitsTotal: 1,
      requestedBy: 'local',
    });
    await store.putInventory(EXAMPLE_SCAN, '123456789012', DEMO_REGION, Object.values(estate.instances).flat());
    db.destroy();
    say(`seeded the demo estate (${Object.keys(estate.instances).length} instances in ${DEMO_REGION}) and scan ${EXAMPLE_SCAN}`);

    const env = { ...base, ...stack };
    offline = await startOffline(env);
    poller = pollUnits(sqs, stack.INFLUXGUARD_QUEUE_URL, `${STACK}-worker`);
    say(
      `serverless offline: http://127.0.0.1:${HTTP_PORT} (HTTP API, --noAuth), Lambda API on ${LAMBDA_PORT}; the worker consumes the units queue`,
    );

    const [program, ...args] = command.length ? command : [process.env.SHELL || 'sh', '-i'];
    if (!command.length) say('a shell with the stack’s environment: run the commands of docs/serverless.md; exit to stop everything');
    return await new Promise<number>((resolve) => {
      spawn(program!, args, { cwd: root, env, stdio: 'inherit' })
        .on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 2)))
        .on('error', (err) => {
          say(`${program}: ${err.message}`);
          resolve(2);
        });
    });
  } finally {
    await poller?.stop();
    sqs.destroy();
    if (offline?.pid) {
      try {
        process.kill(-offline.pid, 'SIGTERM');
      } catch {
        // already gone
      }
    }
    await emulator.stop();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    say(err instanceof Error ? err.message : String(err));
    process.exit(2);
  },
);
