/**
 * Planted secrets (InfluxDB shared secrets in the file, the process
 * environment and a systemd environment file; on InfluxDB 2.x when built, a
 * vault token in its config file, INFLUXD_* environment and flags, and its
 * operator token; the AWS session token) appear in
 * no output of a full scan: CLI stdout/stderr (logs), findings, ASFF documents
 * in Security Hub, the SNS message, API responses and the function's logs.
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { paginateGetFindings, SecurityHubClient } from '@aws-sdk/client-securityhub';
import { handler as api } from '../../handlers/api.js';
import { resetAppDeps } from '../../lib/app/runtime.js';
import { seedEstate } from '../../scripts/estate.js';
import { influxdBuilds, setupV2, startInfluxd, type RunningInfluxd } from '../../scripts/influxd.js';
import { endpoint, testAccount, type TestAccount } from '../support/aws.js';
import { createAppResources, lambdaContext, receiveAsEvent, type AppResources } from '../support/app.js';
import { runCli } from '../support/cli.js';

const SECRETS = { file: 'file-secret-3b9d1e', env: 'env-secret-77c0aa', systemd: 'systemd-secret-51fe02' };
/** InfluxDB 2.x (when built, scripts/influxdb-build.sh): a vault token in its config file, environment and flags, and its operator token. */
const V2 = influxdBuilds().available.find((b) => b.major === 2);
const V2_SECRETS = V2
  ? { v2File: 'v2-file-vault-c81e', v2Env: 'v2-env-vault-0d4a', v2Flag: 'v2-flag-vault-93b7', v2Operator: 'v2-operator-token-5f2e6a' }
  : {};
let account: TestAccount;
let server: RunningInfluxd;
let server2: RunningInfluxd | undefined;
let res: AppResources;
let dir: string;
const outputs: string[] = [];
const savedEnv = { ...process.env };

beforeAll(async () => {
  account = await testAccount();
  res = await createAppResources(account, 'eu-west-1', 'secrets');
  dir = mkdtempSync(join(tmpdir(), 'ig-secrets-'));
  mkdirSync(join(dir, 'root/lib/systemd/system'), { recursive: true });
  mkdirSync(join(dir, 'root/etc/default'), { recursive: true });
  writeFileSync(join(dir, 'root/lib/systemd/system/influxdb.service'), '[Service]\nEnvironmentFile=-/etc/default/influxdb\n');
  writeFileSync(join(dir, 'root/etc/default/influxdb'), `INFLUXDB_HTTP_SHARED_SECRET=${SECRETS.systemd}\n`);
  server = await startInfluxd({
    auth: true,
    httpExtra: `  shared-secret = "${SECRETS.file}"`,
    env: { INFLUXDB_HTTP_SHARED_SECRET: SECRETS.env },
  });
  if (V2) {
    server2 = await startInfluxd({
      build: V2,
      configFile: { name: 'config.yaml', via: 'file', text: `vault-token: "${V2_SECRETS.v2File}"\n` },
      env: { INFLUXD_VAULT_TOKEN: V2_SECRETS.v2Env! },
      args: [`--vault-token=${V2_SECRETS.v2Flag}`],
    });
    expect(await setupV2(server2.url, V2_SECRETS.v2Operator!)).toBe(201);
  }
  await seedEstate(account.seeder('eu-west-1'), {
    region: 'eu-west-1',
    groups: [{ name: 'open', rules: [{ ports: 8086, cidrs: ['0.0.0.0/0'] }] }],
    instances: [
      { name: 'db', tags: { influxdb: '', 'influxdb:endpoint': server.url }, groups: ['open'], publicIp: true },
      ...(server2 ? [{ name: 'db2', tags: { influxdb: '', 'influxdb:endpoint': server2.url }, groups: ['open'], publicIp: true }] : []),
    ],
  });
  const config = join(dir, 'config.json');
  const local = {
    db: { pids: [server.pid], root: join(dir, 'root') },
    ...(server2 ? { db2: { pids: [server2.pid], root: join(dir, 'root') } } : {}),
  };
  writeFileSync(config, JSON.stringify({ host: { local } }));
  const env = { ...account.env('eu-west-1'), INFLUXGUARD_PROBE_ENABLED: 'true', INFLUXGUARD_SNS_TOPIC_ARN: res.topicArn };
  for (const args of [
    ['scan', '--config', config, '--publish', '--format', 'json', '--fail-on', 'none'],
    ['scan', '--config', config, '--format', 'asff'],
    ['scan', '--config', config, '--show-passed'],
  ]) {
    const r = await runCli(args, env);
    outputs.push(r.stdout, r.stderr);
  }
  const hub = new SecurityHubClient({ region: 'eu-west-1', endpoint: endpoint(), credentials: account.credentials });
  for await (const page of paginateGetFindings({ client: hub }, {})) outputs.push(JSON.stringify(page.Findings));
  outputs.push(JSON.stringify((await receiveAsEvent(res.sqs, res.subscriberUrl)).Records));

  // The API and its logs (Powertools writes to stdout).
  Object.assign(process.env, account.env('eu-west-1'), {
    INFLUXGUARD_TABLE: res.table,
    INFLUXGUARD_QUEUE_URL: res.queueUrl,
    POWERTOOLS_LOG_LEVEL: 'DEBUG',
  });
  resetAppDeps();
  const logs: string[] = [];
  const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: unknown) => {
    logs.push(String(chunk));
    return true;
  });
  const event = JSON.parse(readFileSync(new URL('../../events/api-post-scans-wait.json', import.meta.url), 'utf8'));
  const r = await api(event, lambdaContext('api'));
  spy.mockRestore();
  outputs.push(JSON.stringify(r), ...logs);
}, 120_000);

afterAll(async () => {
  resetAppDeps();
  process.env = savedEnv;
  await server.stop();
  await server2?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('planted secrets', () => {
  it('the scan saw the shared secrets (as "set") and did its work', () => {
    const all = outputs.join('\n');
    expect(all).toContain('auth.disabled');
    expect(all).toMatch(/collected from [^"]*influxd\[\d+\]/); // host evidence was collected from the influxd holding the secrets
    expect(all).toMatch(/"findings"/);
  });
  it('InfluxDB 2.x (when built) was scanned too, its vault token seen as "set"', () => {
    if (V2) expect(outputs.join('\n')).toMatch(/hardening-enabled/);
  });
  it.each(Object.entries({ ...SECRETS, ...V2_SECRETS }))('the %s secret appears nowhere', (_, secret) => {
    for (const out of outputs) expect(out.includes(secret)).toBe(false);
  });
  it('the AWS secret key and session token appear nowhere', () => {
    for (const out of outputs) {
      expect(out.includes(account.credentials.secretAccessKey)).toBe(false);
      expect(out.includes(account.credentials.sessionToken!)).toBe(false);
    }
  });
});
