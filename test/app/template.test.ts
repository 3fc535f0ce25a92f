/**
 * The deployable stack: `serverless package` offline with default parameters,
 * then the generated CloudFormation template is read and judged: least
 * privilege, IAM authorisation, encryption, DLQ and alarm, bundle sizes; and
 * cfn-lint (PyPI) passes on it and on the member-account template.
 */
import { beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('../../', import.meta.url).pathname;
let template: { Resources: Record<string, { Type: string; Properties: Record<string, any> }> };
let packaged = '';

beforeAll(() => {
  const env = { ...process.env };
  for (const k of Object.keys(env)) if (/^AWS_(ACCESS|SECRET|SESSION|PROFILE)/.test(k)) delete env[k]; // no credentials
  const r = spawnSync(process.execPath, [`${root}node_modules/serverless/bin/serverless.js`, 'package'], { cwd: root, env: { ...env, SLS_TELEMETRY_DISABLED: '1' }, encoding: 'utf8', timeout: 120_000 });
  packaged = `${r.status} ${r.stdout}${r.stderr}`;
  template = JSON.parse(readFileSync(`${root}.serverless/cloudformation-template-update-stack.json`, 'utf8'));
}, 150_000);

const ofType = (t: string) => Object.entries(template.Resources).filter(([, r]) => r.Type === t);
const statements = () =>
  ofType('AWS::IAM::Role').flatMap(([name, r]) => (r.Properties.Policies ?? []).flatMap((p: any) => p.PolicyDocument.Statement.map((s: any) => ({ role: name, ...s }))));
/** Actions AWS offers no resource-level permissions for: the only ones allowed on "*". */
const NO_RESOURCE_LEVEL = new Set([
  'sts:GetCallerIdentity',
  'ec2:DescribeInstances',
  'ec2:DescribeSecurityGroups',
  'ec2:DescribeVolumes',
  'ec2:DescribeRegions',
  'ec2:GetEbsEncryptionByDefault',
  'ec2:GetManagedPrefixListEntries',
  'ssm:DescribeInstanceInformation',
  'ssm:ListCommandInvocations',
  'ssm:GetCommandInvocation',
  'organizations:ListAccounts',
]);

describe('the packaged stack', () => {
  it('packages offline with default parameters and no credentials', () => {
    expect(packaged).toMatch(/^0 [\s\S]*Service packaged/);
  });

  it('runs nodejs22.x, one bundle per function, each under 1 MB', () => {
    const fns = ofType('AWS::Lambda::Function');
    expect(fns.map(([n]) => n).sort()).toEqual(['ApiLambdaFunction', 'DispatchLambdaFunction', 'WorkerLambdaFunction']);
    for (const [, f] of fns) expect(f.Properties.Runtime).toBe('nodejs22.x');
    for (const name of ['dispatch', 'worker', 'api']) expect(statSync(`${root}.serverless/${name}.zip`).size).toBeLessThan(1024 * 1024);
  });

  it('loads the AWS SDK lazily: importing a bundle loads no client package, first use loads just that one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ig-bundle-'));
    try {
      execFileSync('unzip', ['-q', '-o', `${root}.serverless/api.zip`, '-d', dir]);
      const script = `
        const loaded = () => Object.keys(require.cache).filter((k) => k.includes('@aws-sdk/client-')).map((k) => k.split('@aws-sdk/')[1].split('/')[0]);
        const { handler } = require(${JSON.stringify(join(dir, 'handlers/api.cjs'))});
        const atImport = [...new Set(loaded())];
        const { lazify } = require(${JSON.stringify(`${root}serverless/lazy-sdk.cjs`)});
        const m = { exports: {} };
        new Function('require', 'module', lazify('var s=require("@aws-sdk/client-sts");module.exports=()=>typeof s.STSClient;'))(require, m);
        const before = loaded().includes('client-sts');
        const type = m.exports();
        console.log(JSON.stringify({ handler: typeof handler, atImport, before, type, after: loaded().includes('client-sts') }));`;
      const out = execFileSync(process.execPath, ['-e', script], { env: { ...process.env, NODE_PATH: `${root}node_modules` }, encoding: 'utf8' });
      expect(JSON.parse(out)).toEqual({ handler: 'function', atImport: [], before: false, type: 'function', after: true });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('gives each function its own role, with no wildcard action and "*" only where AWS allows nothing narrower', () => {
    const roles = new Set(ofType('AWS::Lambda::Function').map(([, f]) => JSON.stringify(f.Properties.Role)));
    expect(roles.size).toBe(3);
    for (const s of statements()) {
      const actions: string[] = [s.Action].flat();
      for (const a of actions) expect({ role: s.role, action: a, wildcard: /\*/.test(a) }).toEqual({ role: s.role, action: a, wildcard: false });
      if (s.Resource === '*') for (const a of actions) expect({ action: a, allowedOnStar: NO_RESOURCE_LEVEL.has(a) }).toEqual({ action: a, allowedOnStar: true });
    }
    const send = statements().filter((s) => [s.Action].flat().includes('ssm:SendCommand'));
    expect(send.some((s) => JSON.stringify(s.Resource).includes('document/${CollectorDocument}'))).toBe(true);
    expect(send.some((s) => s.Condition?.StringLike?.['ssm:resourceTag/influxdb'] === '*')).toBe(true);
  });

  it('authorises the HTTP API with AWS_IAM on every route', () => {
    const routes = ofType('AWS::ApiGatewayV2::Route');
    expect(routes.map(([, r]) => r.Properties.RouteKey).sort()).toEqual(['GET /scans/{scanId}', 'POST /scans']);
    for (const [, r] of routes) expect(r.Properties.AuthorizationType).toBe('AWS_IAM');
  });

  it('encrypts SQS, DynamoDB and SNS; has a DLQ with an alarm; DynamoDB has a TTL', () => {
    for (const [, q] of ofType('AWS::SQS::Queue')) expect(q.Properties.SqsManagedSseEnabled).toBe(true);
    const [, table] = ofType('AWS::DynamoDB::Table')[0]!;
    expect(table.Properties).toMatchObject({ SSESpecification: { SSEEnabled: true }, TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true } });
    expect(ofType('AWS::SNS::Topic')[0]![1].Properties.KmsMasterKeyId).toBe('alias/aws/sns');
    expect(template.Resources.UnitsQueue!.Properties.RedrivePolicy).toMatchObject({ maxReceiveCount: 3 });
    const [, alarm] = ofType('AWS::CloudWatch::Alarm')[0]!;
    expect(alarm.Properties).toMatchObject({ MetricName: 'ApproximateNumberOfMessagesVisible', Threshold: 0 });
    const mapping = ofType('AWS::Lambda::EventSourceMapping')[0]![1];
    expect(mapping.Properties.FunctionResponseTypes).toEqual(['ReportBatchItemFailures']);
  });

  it('ships the collector as its own SSM Command document', () => {
    const [, doc] = ofType('AWS::SSM::Document')[0]!;
    expect(doc.Properties.DocumentType).toBe('Command');
    const cmd: string = doc.Properties.Content.mainSteps[0].inputs.runCommand[0];
    const script = Buffer.from(cmd.match(/echo '([^']+)'/)![1]!, 'base64').toString('utf8');
    expect(script).toBe(readFileSync(`${root}collector/collect.sh`, 'utf8'));
  });

  it('passes cfn-lint (the stack and the member-account role)', () => {
    const r = spawnSync('cfn-lint', ['--ignore-checks', 'W3005', '--', `${root}.serverless/cloudformation-template-update-stack.json`, `${root}cloudformation/member-role.yml`], { encoding: 'utf8' });
    expect({ status: r.status, out: r.stdout + r.stderr }).toEqual({ status: 0, out: '' });
  });
});
