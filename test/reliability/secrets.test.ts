/**
 * Planted secrets (InfluxDB shared secrets in the file, the process
 * environment and a systemd environment file; on InfluxDB 2.x when built, a
 * vault token in its config file, INFLUXD_* environment and flags, and its
 * operator token; the AWS session token; the credentialed audit's password and
 * token in Secrets Manager, right and wrong) appear in
 * no output of a full scan: CLI stdout/stderr (logs), findings, ASFF documents
 * in Security Hub, the SNS message, API responses and the function's logs.
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { paginateGetFindings, SecurityHubClient } from '@aws-sdk/client-securityhub';
import { handler as api } from '../../handlers/api.js';
import { resetAppDeps } from '../../lib/app/runtime.js';
import { bindAuditSecrets, seedEstate, type EstateSpec } from '../../scripts/estate.js';
import { certificates, influxdBuilds, influxQuery, setupV2, startInfluxd, type RunningInfluxd } from '../../scripts/influxd.js';
import { endpoint, testAccount, type TestAccount } from '../support/aws.js';
import { createAppResources, lambdaContext, receiveAsEvent, type AppResources } from '../support/app.js';
import { runCli } from '../support/cli.js';

const SECRETS = { file: 'file-secret-3b9d1e', env: 'env-secret-77c0aa', systemd: 'systemd-secret-51fe02' };
/** InfluxDB 2.x (when built, scripts/influxdb-build.sh): a vault token in its config file, environment and flags, and its operator token. */
const V2 = influxdBuilds().available.find((b) => b.major === 2);
const V2_SECRETS = V2
  ? { v2File: 'v2-file-vault-c81e', v2Env: 'v2-env-vault-0d4a', v2Flag: 'v2-flag-vault-93b7', v2Operator: 'v2-operator-token-5f2e6a' }
  : {};
/** The audit's credentials in Secrets Manager: the right password, a wrong one, and a token sent to the wrong flavour. */
const AUDIT = { password: 'audit-pw-c41d7e92', wrongPassword: 'audit-wrong-pw-9a0b3f', token: 'audit-token-e5f60718aa' };
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
  // Over TLS (a certificate of the test CA, the operator's CA in the config file): audit credentials go nowhere else.
  server = await startInfluxd({
    auth: true,
    https: 'valid.combined.pem',
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
  expect(await influxQuery(server.url, `CREATE USER auditor WITH PASSWORD '${AUDIT.password}' WITH ALL PRIVILEGES`)).toBe(200);
  const sm = new SecretsManagerClient({ region: 'eu-west-1', endpoint: endpoint(), credentials: account.credentials });
  const secret = async (name: string, value: object) =>
    (await sm.send(new CreateSecretCommand({ Name: `influxguard/${name}`, SecretString: JSON.stringify(value) }))).ARN!;
  const arns = {
    right: await secret('right', { username: 'auditor', password: AUDIT.password }),
    wrong: await secret('wrong', { username: 'auditor', password: AUDIT.wrongPassword }),
    token: await secret('token', { token: AUDIT.token }),
  };
  const db = (name: string, arn: string) => ({
    name,
    tags: { influxdb: '', 'influxdb:endpoint': server.url, 'influxdb:audit-secret': arn },
    groups: ['open'],
    publicIp: true,
  });
  const spec: EstateSpec = {
    region: 'eu-west-1',
    groups: [{ name: 'open', rules: [{ ports: 8086, cidrs: ['0.0.0.0/0'] }] }],
    instances: [
      db('db', arns.right),
      db('db-wrong', arns.wrong),
      db('db-token', arns.token),
      ...(server2 ? [{ name: 'db2', tags: { influxdb: '', 'influxdb:endpoint': server2.url }, groups: ['open'], publicIp: true }] : []),
    ],
  };
  await bindAuditSecrets(sm, spec, await seedEstate(account.seeder('eu-west-1'), spec), Object.values(arns));
  sm.destroy();
  const config = join(dir, 'config.json');
  const local = {
    db: { pids: [server.pid], root: join(dir, 'root') },
    ...(server2 ? { db2: { pids: [server2.pid], root: join(dir, 'root') } } : {}),
  };
  writeFileSync(config, JSON.stringify({ host: { local }, audit: { ca: readFileSync(join(certificates(), 'ca.pem'), 'utf8') } }));
  const env = {
    ...account.env('eu-west-1'),
    INFLUXGUARD_PROBE_ENABLED: 'true',
    INFLUXGUARD_SNS_TOPIC_ARN: res.topicArn,
    INFLUXGUARD_AUDIT_SECRETS: `arn:aws:secretsmanager:eu-west-1:${account.accountId}:secret:influxguard/*`,
  };
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
    // The audit ran with each secret: a verdict with the right password, the reason with the wrong one and the token.
    expect(all).toMatch(/users\.default-admin-name/);
    expect(all).toMatch(/wrong user name or password/);
    expect(all).toMatch(/not an InfluxDB 2\.x API/);
  });
  it.each(Object.entries(AUDIT))('the audit %s appears nowhere (nor its Basic encoding)', (_, secret) => {
    const encoded = Buffer.from(`auditor:${secret}`).toString('base64');
    for (const out of outputs) {
      expect(out.includes(secret)).toBe(false);
      expect(out.includes(encoded)).toBe(false);
    }
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
