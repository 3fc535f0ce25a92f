/**
 * The serverless application: wall time of a fanned-out scan of 1,000
 * emulated instances (2 accounts × 2 regions × 250) through the real
 * dispatch → SQS → worker handlers; and, for each of the five functions, the
 * bundle size and the cold-start import time of the packaged bundle (median of
 * 5 fresh processes) against the 150 ms target, with the load average then.
 * Loopback only. Usage: node dist/bench/app.js [--bundles-only]
 * (--bundles-only: the bundles alone, printed; bench/RESULTS.md is not rewritten).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateQueueCommand, DeleteMessageCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { EC2Client } from '@aws-sdk/client-ec2';
import type { Context } from 'aws-lambda';
import { emulatorEnv, startEmulator } from '../scripts/emulator.js';
import { seedEstate } from '../scripts/estate.js';
import { machine, writeSection } from './results.js';
import { createScanTable } from '../scripts/scan-table.js';

const root = new URL('../../', import.meta.url).pathname;
const ctx = (name: string) =>
  ({ functionName: name, awsRequestId: 'bench', getRemainingTimeInMillis: () => 900_000 }) as unknown as Context;

async function fanOut(): Promise<string[]> {
  const emulator = await startEmulator();
  try {
    const base = { region: 'eu-west-1', endpoint: emulator.endpoint, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } };
    const member = await new STSClient(base).send(
      new AssumeRoleCommand({ RoleArn: 'arn:aws:iam::210987654321:role/influxguard-member', RoleSessionName: 'seed' }),
    );
    const memberCreds = {
      accessKeyId: member.Credentials!.AccessKeyId!,
      secretAccessKey: member.Credentials!.SecretAccessKey!,
      sessionToken: member.Credentials!.SessionToken!,
    };
    for (const credentials of [base.credentials, memberCreds]) {
      for (const region of ['eu-west-1', 'eu-central-1']) {
        await seedEstate(new EC2Client({ ...base, region, credentials }), {
          region,
          groups: [
            {
              name: 'influx',
              rules: [
                { ports: 8086, cidrs: ['0.0.0.0/0'] },
                { ports: 22, cidrs: ['10.0.0.0/8'] },
              ],
            },
          ],
          instances: [{ name: 'fleet', tags: { influxdb: '' }, groups: ['influx'], count: 250 }],
        });
      }
    }
    await createScanTable(new DynamoDBClient(base), 'bench-scans');
    const sqs = new SQSClient(base);
    const queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: 'bench-units' }))).QueueUrl!;
    Object.assign(process.env, emulatorEnv(emulator.endpoint, 'eu-west-1'), {
      INFLUXGUARD_TABLE: 'bench-scans',
      INFLUXGUARD_QUEUE_URL: queueUrl,
      INFLUXGUARD_ACCOUNTS: 'self,210987654321',
      INFLUXGUARD_REGIONS: 'eu-west-1,eu-central-1',
      INFLUXGUARD_PROBE_ENABLED: 'false',
      INFLUXGUARD_PUBLISH_ENABLED: 'true',
      POWERTOOLS_LOG_LEVEL: 'ERROR',
    });
    const { handler: dispatch } = await import('../handlers/dispatch.js');
    const { handler: worker } = await import('../handlers/worker.js');
    const t0 = performance.now();
    const { unitsTotal } = (await dispatch({} as never, ctx('dispatch'))) as { unitsTotal: number };
    const dispatched = performance.now();
    let units = 0;
    for (;;) {
      const got = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10 }));
      if (!got.Messages?.length) break;
      // Up to 4 workers at once, one unit each (batchSize 1, as deployed).
      await Promise.all(
        got.Messages.map(async (m) => {
          const r = (await worker({ Records: [{ messageId: m.MessageId!, body: m.Body! }] } as never, ctx('worker'))) as {
            batchItemFailures: unknown[];
          };
          if (!r.batchItemFailures.length)
            await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: m.ReceiptHandle! }));
          units++;
        }),
      );
    }
    const seconds = (performance.now() - t0) / 1000;
    return [
      `| fan-out scan, 2 accounts × 2 regions × 250 instances (probes off, Security Hub on) | ${seconds.toFixed(1)} s wall (dispatch ${((dispatched - t0) / 1000).toFixed(1)} s), ${unitsTotal} units, ${units} processed |`,
    ];
  } finally {
    await emulator.stop();
  }
}

/** Each bundle's import, in a fresh process, must take at most this (issue 33). */
const IMPORT_TARGET_MS = 150;
const FUNCTIONS = ['dispatch', 'worker', 'api', 'events', 'remediate'] as const;
const loadAverage = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

function bundles(): string[] {
  execFileSync(process.execPath, [`${root}node_modules/serverless/bin/serverless.js`, 'package'], {
    cwd: root,
    env: { ...process.env, SLS_TELEMETRY_DISABLED: '1' },
    stdio: 'ignore',
  });
  const rows: string[] = [];
  let bundleFile = '';
  const loadBefore = loadAverage();
  for (const fn of FUNCTIONS) {
    const dir = mkdtempSync(join(tmpdir(), `ig-bundle-${fn}-`));
    execFileSync('unzip', ['-q', '-o', join(root, '.serverless', `${fn}.zip`), '-d', dir]);
    const file = join(dir, 'handlers', readdirSync(join(dir, 'handlers')).find((f) => f.endsWith('.cjs'))!);
    const times: number[] = [];
    for (let i = 0; i < 5; i++) {
      // A fresh process per sample: the AWS SDK comes from node_modules, as the runtime provides it.
      const r = spawnSync(
        process.execPath,
        ['-e', `const t=process.hrtime.bigint();require(${JSON.stringify(file)});console.log(Number(process.hrtime.bigint()-t)/1e6)`],
        {
          env: { ...process.env, NODE_PATH: join(root, 'node_modules') },
          encoding: 'utf8',
        },
      );
      times.push(Number(r.stdout.trim()));
    }
    times.sort((a, b) => a - b);
    const size = statSync(file).size;
    const met = times[2]! <= IMPORT_TARGET_MS ? 'met' : '**missed**';
    rows.push(
      `| ${fn} bundle | ${(size / 1024).toFixed(0)} KiB minified (${(statSync(join(root, '.serverless', `${fn}.zip`)).size / 1024).toFixed(0)} KiB zipped); import ${times[2]!.toFixed(0)} ms median of 5 (${times[0]!.toFixed(0)}-${times[4]!.toFixed(0)}): ${met} (≤ ${IMPORT_TARGET_MS} ms)${size < 1024 * 1024 ? '' : '; **over 1 MB**'} |`,
    );
    if (fn === 'api') bundleFile = file;
  }
  rows.push(`| load average (1, 5, 15 min) while the bundles were imported | ${loadBefore} before, ${loadAverage()} after |`);
  // What the first call of each path adds: the client packages it uses load then (serverless/lazy-sdk.cjs).
  const firstUse = ['dynamodb', 'sqs', 'sts', 'organizations', 'ec2', 'ssm', 'securityhub', 'sns'].map((pkg) => {
    const times = Array.from({ length: 3 }, () => {
      const r = spawnSync(
        process.execPath,
        [
          '-e',
          `require(${JSON.stringify(bundleFile)});const t=process.hrtime.bigint();require('@aws-sdk/client-${pkg}');console.log(Number(process.hrtime.bigint()-t)/1e6)`,
        ],
        {
          env: { ...process.env, NODE_PATH: join(root, 'node_modules') },
          encoding: 'utf8',
        },
      );
      return Number(r.stdout.trim());
    }).sort((a, b) => a - b);
    return `${pkg} ${times[1]!.toFixed(0)} ms`;
  });
  rows.push(
    `| AWS SDK client packages, loaded on first use (after the api bundle's import; median of 3) | ${firstUse.join(', ')}: \`GET /scans/{id}\` loads dynamodb only; a worker loads ec2, ssm, securityhub, sns, sts, dynamodb |`,
  );
  return rows;
}

async function main() {
  if (process.argv.includes('--bundles-only')) {
    process.stdout.write(`${bundles().join('\n')}\n`);
    return;
  }
  const rows = [...bundles(), ...(await fanOut())];
  const body = `## Serverless application\n\n${machine()}. \`node dist/bench/app.js\` (targets: each bundle under 1 MB minified, import under 150 ms)\n\n| measure | value |\n|---|---|\n${rows.join('\n')}`;
  writeSection('app', body);
  process.stdout.write(`${body}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(2);
});
