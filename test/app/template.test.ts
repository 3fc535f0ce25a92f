/**
 * The deployable stack: `serverless package` offline with default parameters,
 * then the generated CloudFormation template is read and judged: least
 * privilege, IAM authorisation, encryption, DLQ and alarm, bundle sizes; and
 * cfn-lint (PyPI) passes on it and on the member-account template.
 */
import { beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CHECKS } from '../../lib/checks/index.js';
import { evaluateInstance } from '../../lib/evaluate.js';
import { GENERATOR_PREFIX, toAsff } from '../../lib/findings/asff.js';
import { ctx, net, open } from '../support/fixtures.js';
import { ACTIONS } from '../../lib/app/remediate.js';
import { CHANGE_EVENTS } from '../../lib/app/events.js';

const root = new URL('../../', import.meta.url).pathname;
type Template = {
  Resources: Record<string, { Type: string; Properties: Record<string, any>; Metadata?: any }>;
  Parameters?: Record<string, any>;
  Rules?: Record<string, any>;
  Conditions?: Record<string, any>;
};
let template: Template;
let packaged = '';

beforeAll(() => {
  const env = { ...process.env };
  for (const k of Object.keys(env)) if (/^AWS_(ACCESS|SECRET|SESSION|PROFILE)/.test(k)) delete env[k]; // no credentials
  const r = spawnSync(process.execPath, [`${root}node_modules/serverless/bin/serverless.js`, 'package'], {
    cwd: root,
    env: { ...env, SLS_TELEMETRY_DISABLED: '1' },
    encoding: 'utf8',
    timeout: 120_000,
  });
  packaged = `${r.status} ${r.stdout}${r.stderr}`;
  template = JSON.parse(readFileSync(`${root}.serverless/cloudformation-template-update-stack.json`, 'utf8'));
}, 150_000);

const ofType = (t: string) => Object.entries(template.Resources).filter(([, r]) => r.Type === t);
const statements = () =>
  ofType('AWS::IAM::Role').flatMap(([name, r]) =>
    (r.Properties.Policies ?? []).flatMap((p: any) => p.PolicyDocument.Statement.map((s: any) => ({ role: name, ...s }))),
  );
/** Actions AWS offers no resource-level permissions for: the only ones allowed on "*". */
const NO_RESOURCE_LEVEL = new Set([
  'sts:GetCallerIdentity',
  'ec2:DescribeInstances',
  'ec2:DescribeSecurityGroups',
  'ec2:DescribeVolumes',
  'ec2:DescribeRegions',
  'ec2:GetEbsEncryptionByDefault',
  'ec2:GetManagedPrefixListEntries',
  'ec2:DescribeRouteTables',
  'ec2:DescribeNetworkAcls',
  'ec2:DescribeSubnets',
  'ec2:DescribeNetworkInterfaces',
  'ec2:DescribeSnapshots',
  'ec2:GetSnapshotBlockPublicAccessState',
  'elasticloadbalancing:DescribeLoadBalancers',
  'elasticloadbalancing:DescribeListeners',
  'elasticloadbalancing:DescribeRules',
  'elasticloadbalancing:DescribeTargetGroups',
  'elasticloadbalancing:DescribeTargetHealth',
  'elasticloadbalancing:DescribeTargetGroupAttributes',
  'ec2:EnableEbsEncryptionByDefault',
  'ssm:DescribeInstanceInformation',
  'ssm:ListCommandInvocations',
  'ssm:GetCommandInvocation',
  'organizations:ListAccounts',
  'timestream-influxdb:ListDbInstances',
  'timestream-influxdb:ListDbClusters',
  'ecs:ListClusters',
  'ecs:DescribeTaskDefinition',
  's3:GetAccountPublicAccessBlock',
]);

/** `serverless print` resolves every variable as `package` does, without bundling (cheap on shared cores). */
const print = (param: string) =>
  spawnSync(process.execPath, [`${root}node_modules/serverless/bin/serverless.js`, 'print', '--format', 'json', '--param', param], {
    cwd: root,
    env: { ...process.env, SLS_TELEMETRY_DISABLED: '1', AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '' },
    encoding: 'utf8',
    timeout: 120_000,
  });

describe('the packaged stack', () => {
  it('packages offline with default parameters and no credentials', () => {
    expect(packaged).toMatch(/^0 [\s\S]*Service packaged/);
  });

  it('runs nodejs24.x, one bundle per function, each under 1 MB', () => {
    const fns = ofType('AWS::Lambda::Function');
    expect(fns.map(([n]) => n).sort()).toEqual([
      'ApiLambdaFunction',
      'DispatchLambdaFunction',
      'EventsLambdaFunction',
      'RemediateLambdaFunction',
      'WorkerLambdaFunction',
    ]);
    for (const [, f] of fns) expect(f.Properties.Runtime).toBe('nodejs24.x');
    for (const name of ['dispatch', 'worker', 'api', 'events', 'remediate'])
      expect(statSync(`${root}.serverless/${name}.zip`).size).toBeLessThan(1024 * 1024);
  });

  it("bundles zod's English messages alone (serverless/zod-english.cjs): a third less to parse at each cold start", () => {
    const dir = mkdtempSync(join(tmpdir(), 'ig-bundle-'));
    try {
      execFileSync('unzip', ['-q', '-o', `${root}.serverless/worker.zip`, '-d', dir]);
      const code = readFileSync(join(dir, 'handlers/worker.cjs'), 'utf8');
      // Messages of zod's German and Japanese locales (node_modules/zod/v4/locales/de.js, ja.js): absent.
      expect(code).not.toContain('Ungültige Eingabe');
      expect(code).not.toContain('無効な入力');
      // zod's English messages stay: the worker logs them for a malformed unit.
      expect(code).toContain('Invalid input: expected');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
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
      const out = execFileSync(process.execPath, ['-e', script], {
        env: { ...process.env, NODE_PATH: `${root}node_modules` },
        encoding: 'utf8',
      });
      expect(JSON.parse(out)).toEqual({ handler: 'function', atImport: [], before: false, type: 'function', after: true });
      // Loaded on first use by the code itself (lib/aws/clients.ts), yet required: an ES import does not search NODE_PATH,
      // where the Lambda runtime keeps the SDK.
      for (const name of ['dispatch', 'worker', 'api', 'events', 'remediate']) {
        execFileSync('unzip', ['-q', '-o', `${root}.serverless/${name}.zip`, '-d', dir]);
        expect({ name, imports: readFileSync(join(dir, `handlers/${name}.cjs`), 'utf8').match(/\bimport\("@aws-sdk[^"]*"\)/g) }).toEqual({
          name,
          imports: null,
        });
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('defers at import what a path does not need (bench/app.ts measures the import times)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ig-bundle-'));
    try {
      for (const name of ['dispatch', 'worker', 'api', 'events', 'remediate']) {
        execFileSync('unzip', ['-q', '-o', `${root}.serverless/${name}.zip`, '-d', dir]);
        const file = join(dir, `handlers/${name}.cjs`);
        // No client package, and no node:zlib: gzipped user data and Powertools' parser helper load it on first use.
        const out = execFileSync(
          process.execPath,
          [
            '-e',
            `require(${JSON.stringify(file)});console.log(JSON.stringify({sdk:Object.keys(require.cache).filter((k)=>k.includes('@aws-sdk/client-')),zlib:process.moduleLoadList.includes('NativeModule zlib')}))`,
          ],
          { env: { ...process.env, NODE_PATH: `${root}node_modules` }, encoding: 'utf8' },
        );
        expect({ name, ...JSON.parse(out) }).toEqual({ name, sdk: [], zlib: false });
        // The host collector's output parsers (yaml, smol-toml) are loaded by a scan that reads hosts: the functions
        // that never scan do not even hold them.
        const code = readFileSync(file, 'utf8');
        const scans = name === 'worker' || name === 'api';
        expect({ name, parsers: code.includes('YAMLMap') && code.includes('TomlError') }).toEqual({ name, parsers: scans });
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('gives each function its own role, with no wildcard action and "*" only where AWS allows nothing narrower', () => {
    const roles = new Set(ofType('AWS::Lambda::Function').map(([, f]) => JSON.stringify(f.Properties.Role)));
    expect(roles.size).toBe(5);
    for (const s of statements()) {
      const actions: string[] = [s.Action].flat();
      for (const a of actions)
        expect({ role: s.role, action: a, wildcard: /\*/.test(a) }).toEqual({ role: s.role, action: a, wildcard: false });
      if (s.Resource === '*')
        for (const a of actions) expect({ action: a, allowedOnStar: NO_RESOURCE_LEVEL.has(a) }).toEqual({ action: a, allowedOnStar: true });
    }
    const send = statements().filter((s) => [s.Action].flat().includes('ssm:SendCommand'));
    expect(send.some((s) => JSON.stringify(s.Resource).includes('document/${CollectorDocument}'))).toBe(true);
  });

  it('authorises the HTTP API with AWS_IAM on every route', () => {
    const routes = ofType('AWS::ApiGatewayV2::Route');
    expect(routes.map(([, r]) => r.Properties.RouteKey).sort()).toEqual(['GET /scans/{scanId}', 'POST /scans']);
    for (const [, r] of routes) expect(r.Properties.AuthorizationType).toBe('AWS_IAM');
  });

  it('encrypts SQS, DynamoDB and SNS under the stack key; has a DLQ with an alarm; DynamoDB has a TTL', () => {
    const key = { 'Fn::GetAtt': ['DataKey', 'Arn'] };
    for (const [, q] of ofType('AWS::SQS::Queue')) expect(q.Properties.KmsMasterKeyId).toEqual(key);
    const [, table] = ofType('AWS::DynamoDB::Table')[0]!;
    expect(table.Properties).toMatchObject({
      SSESpecification: { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: key },
      TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true },
    });
    expect(ofType('AWS::SNS::Topic')[0]![1].Properties.KmsMasterKeyId).toEqual(key);
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
    const r = spawnSync(
      cfnLintBin(),
      // Nothing ignored: moto's ValidateTemplate (cfn-lint inside) rejects a template for any warning, W3005 included.
      [
        '--',
        `${root}.serverless/cloudformation-template-update-stack.json`,
        `${root}cloudformation/member-role.yml`,
        `${root}cloudformation/member-events.yml`,
      ],
      { encoding: 'utf8' },
    );
    expect({ status: r.status, out: r.stdout + r.stderr }).toEqual({ status: 0, out: '' });
  });
});

const statementsOf = (role: string) => statements().filter((s) => s.role === role);
const actionsOf = (role: string) =>
  [
    ...new Set(
      statementsOf(role)
        .filter((s) => s.Effect === 'Allow')
        .flatMap((s) => [s.Action].flat() as string[]),
    ),
  ].sort();
const LOGS = ['logs:CreateLogStream', 'logs:PutLogEvents'];
const EC2_SCAN = [
  'ec2:DescribeInstances',
  'ec2:DescribeNetworkAcls',
  'ec2:DescribeRegions',
  'ec2:DescribeRouteTables',
  'ec2:DescribeSecurityGroups',
  'ec2:DescribeSubnets',
  'ec2:DescribeVolumes',
  'ec2:GetEbsEncryptionByDefault',
  'ec2:GetManagedPrefixListEntries',
  // Snapshots of the instances' volumes, the region's snapshot Block Public Access, user data (issue 31).
  'ec2:DescribeSnapshots',
  'ec2:GetSnapshotBlockPublicAccessState',
  'ec2:DescribeInstanceAttribute',
  // Reachability through internet-facing load balancers.
  'elasticloadbalancing:DescribeListeners',
  'elasticloadbalancing:DescribeRules',
  'elasticloadbalancing:DescribeLoadBalancers',
  'elasticloadbalancing:DescribeTargetGroups',
  'elasticloadbalancing:DescribeTargetHealth',
  'elasticloadbalancing:DescribeTargetGroupAttributes',
];
const KMS = ['kms:Decrypt', 'kms:GenerateDataKey'];
/** Timestream for InfluxDB: listed and described by the unit that runs a region's region checks (and wait=true scans). */
const TIMESTREAM_SCAN = [
  'timestream-influxdb:ListDbInstances',
  'timestream-influxdb:ListDbClusters',
  'timestream-influxdb:GetDbInstance',
  'timestream-influxdb:GetDbCluster',
  'timestream-influxdb:GetDbParameterGroup',
  'timestream-influxdb:ListTagsForResource',
];
/** Amazon ECS and EFS: listed and described like Timestream (issue 30, lib/kinds/ecs-service/iam.json). */
const ECS_SCAN = [
  'ecs:ListClusters',
  'ecs:ListServices',
  'ecs:ListTasks',
  'ecs:DescribeServices',
  'ecs:DescribeTasks',
  'ecs:DescribeTaskDefinition',
  'ecs:DescribeContainerInstances',
  'elasticfilesystem:DescribeFileSystems',
];
/** What each function's code calls (lib/app/service.ts and what it uses), with the default parameters (accounts=self, no VPC). */
const EXPECTED: Record<string, string[]> = {
  DispatchRole: [
    ...LOGS,
    ...KMS,
    'sts:GetCallerIdentity',
    'ec2:DescribeRegions',
    'ec2:DescribeInstances',
    'sqs:SendMessage',
    'dynamodb:PutItem',
    'dynamodb:UpdateItem',
  ],
  WorkerRole: [
    ...LOGS,
    ...KMS,
    ...EC2_SCAN,
    ...TIMESTREAM_SCAN,
    ...ECS_SCAN,
    'sts:GetCallerIdentity',
    'ssm:DescribeInstanceInformation',
    'ssm:ListCommandInvocations',
    'ssm:GetCommandInvocation',
    'ssm:SendCommand',
    // The S3 bucket an InfluxDB 3 host names (storage.object-store-public).
    's3:GetBucketPublicAccessBlock',
    's3:GetBucketPolicyStatus',
    's3:GetBucketAcl',
    's3:GetAccountPublicAccessBlock',
    'securityhub:BatchImportFindings',
    'securityhub:GetFindings',
    'securityhub:BatchUpdateFindings',
    'sns:Publish',
    'dynamodb:PutItem',
    'dynamodb:UpdateItem',
    'dynamodb:GetItem',
    'dynamodb:Query',
    'dynamodb:DeleteItem',
    'sqs:ReceiveMessage',
    'sqs:DeleteMessage',
    'sqs:GetQueueAttributes',
  ],
  // wait=true scans run read-only in the API: no host evidence, no publishing, no summary.
  ApiRole: [
    ...LOGS,
    ...KMS,
    ...EC2_SCAN,
    ...TIMESTREAM_SCAN,
    ...ECS_SCAN,
    'sts:GetCallerIdentity',
    'sqs:SendMessage',
    'dynamodb:PutItem',
    'dynamodb:UpdateItem',
    'dynamodb:GetItem',
    'dynamodb:Query',
    'dynamodb:DeleteItem',
  ],
  // Change events → inventories (member role), the debounce items, delayed checks and rescans (dispatch).
  EventsRole: [
    ...LOGS,
    ...KMS,
    ...TIMESTREAM_SCAN,
    ...ECS_SCAN,
    'sts:GetCallerIdentity',
    'ec2:DescribeRegions',
    'ec2:DescribeInstances',
    // A route or ACL event's VPC; the load balancers carrying a changed group, their targets.
    'ec2:DescribeRouteTables',
    'ec2:DescribeNetworkAcls',
    'elasticloadbalancing:DescribeLoadBalancers',
    'elasticloadbalancing:DescribeTargetGroups',
    'elasticloadbalancing:DescribeTargetHealth',
    'sqs:SendMessage',
    'sqs:ReceiveMessage',
    'sqs:DeleteMessage',
    'sqs:GetQueueAttributes',
    'dynamodb:PutItem',
    'dynamodb:UpdateItem',
    'dynamodb:GetItem',
    'dynamodb:DeleteItem',
  ],
  RemediateRole: [
    ...LOGS,
    ...KMS,
    'ec2:DescribeInstances',
    'ec2:DescribeSecurityGroups',
    'ec2:DescribeNetworkInterfaces',
    'ec2:GetManagedPrefixListEntries',
    'ec2:GetEbsEncryptionByDefault',
    'ec2:EnableEbsEncryptionByDefault',
    'ec2:RevokeSecurityGroupIngress',
    'securityhub:BatchUpdateFindings',
    'dynamodb:PutItem',
    'dynamodb:GetItem',
    'dynamodb:DeleteItem',
    'dynamodb:Query',
    'sqs:SendMessage',
  ],
};

const iam = createRequire(import.meta.url)(`${root}serverless/iam.cjs`);
const PARAMS: Record<string, unknown> = {
  accounts: 'self',
  excludeAccounts: '',
  memberRoleName: 'influxguard-member',
  tags: 'influxdb;Service=influxdb',
  subnetIds: [],
  securityGroupIds: [],
};
const resolver = (over: Record<string, unknown> = {}) => ({
  resolveVariable: async (v: string) => {
    const params = { ...PARAMS, ...over };
    if (v.startsWith('param:')) return params[v.slice(6)];
    if (v === 'sls:stage') return 'dev';
    if (v === 'self:service') return 'influxguard';
    if (v === 'self:provider.region') return 'eu-west-1';
    throw new Error(`unexpected variable ${v}`);
  },
});
const assumeOf = async (fn: string, over: Record<string, unknown>) =>
  ((await iam[fn](resolver(over))) as any[]).filter((s) => [s.Action].flat().includes('sts:AssumeRole'));

describe('IAM: each role gets exactly what its code calls (issue 19, items 7 and 12)', () => {
  it('per role, the exact set of actions', () => {
    for (const [role, actions] of Object.entries(EXPECTED))
      expect({ role, actions: actionsOf(role) }).toEqual({ role, actions: [...new Set(actions)].sort() });
  });

  it('no managed policy (AWSLambdaVPCAccessExecutionRole grants logs:* on *); logs only to the function’s own log group', () => {
    for (const [name, r] of ofType('AWS::IAM::Role'))
      expect({ name, managed: r.Properties.ManagedPolicyArns }).toEqual({ name, managed: undefined });
    for (const [role, fn] of [
      ['DispatchRole', 'dispatch'],
      ['WorkerRole', 'worker'],
      ['ApiRole', 'api'],
      ['EventsRole', 'events'],
      ['RemediateRole', 'remediate'],
    ] as const) {
      const logs = statementsOf(role).filter((s) => [s.Action].flat().some((a: string) => a.startsWith('logs:')));
      expect(logs.map((s) => s.Resource)).toEqual([
        { 'Fn::Sub': `arn:\${AWS::Partition}:logs:\${AWS::Region}:\${AWS::AccountId}:log-group:/aws/lambda/influxguard-dev-${fn}:*` },
      ]);
    }
  });

  it('in a VPC, the worker gets the network-interface actions and nothing of logs:*', async () => {
    const st = (await iam.worker(resolver({ subnetIds: ['subnet-1'], securityGroupIds: ['sg-1'] }))) as any[];
    const eni = st.filter((s) => [s.Action].flat().some((a: string) => a.includes('NetworkInterface')));
    expect(eni.flatMap((s) => s.Action).sort()).toEqual([
      'ec2:AssignPrivateIpAddresses',
      'ec2:CreateNetworkInterface',
      'ec2:DeleteNetworkInterface',
      'ec2:DescribeNetworkInterfaces',
      'ec2:UnassignPrivateIpAddresses',
    ]);
    expect(
      st
        .flatMap((s) => [s.Action].flat())
        .filter((a: string) => a.startsWith('logs:'))
        .sort(),
    ).toEqual(LOGS);
  });

  it('the credentialed audit: only the worker may read secrets, only the configured ones; KMS only through Secrets Manager; none by default', async () => {
    const reads = (st: any[]) =>
      st.filter(
        (s) =>
          [s.Action].flat().some((a: string) => a.startsWith('secretsmanager:') || a === 'kms:Decrypt') &&
          s.Resource !== undefined &&
          JSON.stringify(s).includes('secretsmanager'),
      );
    expect(reads(statementsOf('WorkerRole'))).toEqual([]);
    const arns = 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:influxdb/*';
    const fleet = 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:fleet-AbCdEf';
    expect(reads(await iam.worker(resolver({ auditSecrets: arns, auditSecret: fleet })))).toEqual([
      { Effect: 'Allow', Action: ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue'], Resource: [arns, fleet] },
      {
        Effect: 'Allow',
        Action: ['kms:Decrypt'],
        Resource: '*',
        Condition: { StringLike: { 'kms:ViaService': 'secretsmanager.*.amazonaws.com' } },
      },
    ]);
    for (const fn of ['dispatch', 'api']) expect(reads(await iam[fn](resolver({ auditSecrets: arns })))).toEqual([]);
  });

  it('ssm:SendCommand reaches exactly the instances the configured selectors select', () => {
    const send = statementsOf('WorkerRole').filter(
      (s) => [s.Action].flat().includes('ssm:SendCommand') && JSON.stringify(s.Resource).includes(':instance/'),
    );
    expect(send.map((s) => s.Condition)).toEqual([
      { StringLike: { 'ssm:resourceTag/influxdb': '*' } },
      { StringLike: { 'ssm:resourceTag/Service': ['influxdb'] } },
    ]);
  });

  it('sts:AssumeRole follows the configured accounts: none for self, the listed accounts, or the organisation', async () => {
    expect(statements().filter((s) => [s.Action].flat().includes('sts:AssumeRole'))).toEqual([]);
    for (const fn of ['dispatch', 'worker', 'api', 'events']) {
      expect(await assumeOf(fn, {})).toEqual([]);
      expect(await assumeOf(fn, { accounts: 'self,111122223333,444455556666', excludeAccounts: '444455556666' })).toEqual([
        {
          Effect: 'Allow',
          Action: 'sts:AssumeRole',
          Resource: [{ 'Fn::Sub': 'arn:${AWS::Partition}:iam::111122223333:role/influxguard-member' }],
        },
      ]);
      expect(await assumeOf(fn, { accounts: 'organization', excludeAccounts: '444455556666' })).toEqual([
        {
          Effect: 'Allow',
          Action: 'sts:AssumeRole',
          Resource: { 'Fn::Sub': 'arn:${AWS::Partition}:iam::*:role/influxguard-member' },
          Condition: { StringEquals: { 'aws:ResourceOrgID': { 'Fn::Join': ['', ['$', '{aws:PrincipalOrgID}']] } } },
        },
        {
          Effect: 'Deny',
          Action: 'sts:AssumeRole',
          Resource: [{ 'Fn::Sub': 'arn:${AWS::Partition}:iam::444455556666:role/influxguard-member' }],
        },
      ]);
    }
    const orgs = ((await iam.dispatch(resolver({ accounts: 'organization' }))) as any[]).filter((s) =>
      [s.Action].flat().includes('organizations:ListAccounts'),
    );
    expect(orgs).toHaveLength(1);
  });

  it('resolves in organisation mode: the ${aws:PrincipalOrgID} policy variable survives Serverless', () => {
    const r = print('accounts=organization');
    expect({ status: r.status, err: r.status ? r.stderr + r.stdout : '' }).toEqual({ status: 0, err: '' });
    const config = JSON.parse(r.stdout.slice(r.stdout.indexOf('{')));
    const assume = config.resources.Resources.WorkerRole.Properties.Policies[0].PolicyDocument.Statement.find(
      (s: any) => s.Action === 'sts:AssumeRole',
    );
    expect(assume.Condition).toEqual({ StringEquals: { 'aws:ResourceOrgID': { 'Fn::Join': ['', ['$', '{aws:PrincipalOrgID}']] } } });
  }, 150_000);
});

describe("the stack's accepted risks (CHECKS.md: an invalid entry fails the deploy)", () => {
  const entry = { checkId: 'net.unexpected-ports-open', instanceId: 'i-0abc', reason: 'bastion SSH, SEC-1234' };
  const inDays = (n: number) => new Date(Date.now() + n * 86_400_000).toISOString().slice(0, 10);

  it("an invalid entry stops packaging with the entry named in the product's words", () => {
    const r = print(
      `suppressions=${JSON.stringify([
        { ...entry, expires: inDays(30) },
        { ...entry, checkId: 'net.nope', expires: inDays(30) },
      ])}`,
    );
    expect(r.status).not.toBe(0);
    expect(r.stdout + r.stderr).toContain('parameter suppressions: suppressions[1]: unknown check id "net.nope"');
  }, 150_000);

  it('valid entries reach the functions unchanged', () => {
    const text = JSON.stringify([{ ...entry, expires: inDays(30) }]);
    const r = print(`suppressions=${text}`);
    expect({ status: r.status, err: r.status ? r.stderr + r.stdout : '' }).toEqual({ status: 0, err: '' });
    expect(JSON.parse(r.stdout.slice(r.stdout.indexOf('{'))).provider.environment.INFLUXGUARD_SUPPRESSIONS).toBe(text);
  }, 150_000);
});

describe('the HTTP API and the alarm topic (issue 19, item 12)', () => {
  it('the HTTP API stage is throttled and writes an access log', () => {
    const [, stage] = ofType('AWS::ApiGatewayV2::Stage')[0]!;
    expect(stage.Properties.DefaultRouteSettings).toMatchObject({
      ThrottlingBurstLimit: expect.any(Number),
      ThrottlingRateLimit: expect.any(Number),
    });
    expect(stage.Properties.AccessLogSettings).toMatchObject({
      DestinationArn: expect.anything(),
      Format: expect.stringContaining('$context.identity.userArn'),
    });
  });

  it('the topic is under a customer managed key that CloudWatch alarms may use', () => {
    const [, topic] = ofType('AWS::SNS::Topic')[0]!;
    const keyName = topic.Properties.KmsMasterKeyId['Fn::GetAtt']?.[0];
    const key = template.Resources[keyName]!;
    expect(key.Type).toBe('AWS::KMS::Key');
    expect(key.Properties.EnableKeyRotation).toBe(true);
    const cw = key.Properties.KeyPolicy.Statement.find((s: any) => s.Principal?.Service === 'cloudwatch.amazonaws.com');
    expect([cw.Action].flat().sort()).toEqual(['kms:Decrypt', 'kms:GenerateDataKey*']);
  });
});

/** The member-account template: a comment header, then JSON (valid YAML). */
const memberTemplate = (): Template => JSON.parse(readFileSync(`${root}cloudformation/member-role.yml`, 'utf8').replace(/^#.*$/gm, ''));

describe('the member-account template (issue 19, items 8 and 9)', () => {
  it('trusts only the scanner’s exact role ARNs, within the organisation or with an external id', () => {
    const t = memberTemplate();
    const trust = t.Resources.MemberRole!.Properties.AssumeRolePolicyDocument.Statement;
    expect(trust).toHaveLength(1);
    expect(JSON.stringify(trust)).not.toMatch(/\*|ArnLike/);
    expect(trust[0].Condition.StringEquals['aws:PrincipalArn']).toEqual({ Ref: 'ScannerRoleArns' });
    expect(trust[0].Condition.StringEquals['aws:PrincipalOrgID']).toEqual({
      'Fn::If': ['HasOrganizationId', { Ref: 'OrganizationId' }, { Ref: 'AWS::NoValue' }],
    });
    expect(trust[0].Condition.StringEquals['sts:ExternalId']).toEqual({
      'Fn::If': ['HasExternalId', { Ref: 'ExternalId' }, { Ref: 'AWS::NoValue' }],
    });
    expect(JSON.stringify(t.Rules)).toContain('OrganizationId');
    // The scanner stack names the roles the member template must trust.
    expect(JSON.stringify((template as any).Outputs.MemberTrustRoleArns)).toMatch(/DispatchRole.*WorkerRole.*ApiRole/);
  });

  it('ships the collector as the influxguard-collect Command document, equal to collector/collect.sh now', () => {
    const t = memberTemplate();
    const docs = Object.values(t.Resources).filter((r) => r.Type === 'AWS::SSM::Document');
    expect(docs).toHaveLength(1);
    expect(docs[0]!.Properties).toMatchObject({ Name: 'influxguard-collect', DocumentType: 'Command' });
    const cmd: string = docs[0]!.Properties.Content.mainSteps[0].inputs.runCommand[0];
    expect(Buffer.from(cmd.match(/echo '([^']+)'/)![1]!, 'base64').toString('utf8')).toBe(
      readFileSync(`${root}collector/collect.sh`, 'utf8'),
    );
    // and the stack's own document is the same content
    const [, own] = ofType('AWS::SSM::Document')[0]!;
    expect(own.Properties.Content).toEqual(docs[0]!.Properties.Content);
  });

  it('is exactly what its generator writes (re-run: node serverless/member-role.cjs)', () => {
    const { render } = createRequire(import.meta.url)(`${root}serverless/member-role.cjs`);
    expect(render()).toBe(readFileSync(`${root}cloudformation/member-role.yml`, 'utf8'));
  });
});

/** cfn-lint (PyPI), installed with moto by `make setup` into .venv-moto (python3 from PATH on a checkout set up before it). */
const cfnLintBin = () => (existsSync(`${root}.venv-moto/bin/cfn-lint`) ? `${root}.venv-moto/bin/cfn-lint` : 'cfn-lint');
/** checkov (PyPI), installed by `make setup` into .venv-checkov. */
const checkovBin = () => (existsSync(`${root}.venv-checkov/bin/checkov`) ? `${root}.venv-checkov/bin/checkov` : 'checkov');
const STACK = `${root}.serverless/cloudformation-template-update-stack.json`;
const MEMBER = `${root}cloudformation/member-role.yml`;
const MEMBER_EVENTS = `${root}cloudformation/member-events.yml`;
let checked: any;
/** One checkov run over both templates (it takes seconds of CPU), the results of one file. */
const checkov = (file: string) => {
  checked ??= (() => {
    const r = spawnSync(
      checkovBin(),
      ['--compact', '--framework', 'cloudformation', '--output', 'json', '--skip-download', '-f', STACK, '-f', MEMBER, '-f', MEMBER_EVENTS],
      { encoding: 'utf8', timeout: 240_000 },
    );
    if (r.error) throw new Error(`checkov could not run (${r.error.message}): \`make setup\` installs it in .venv-checkov`);
    const out = JSON.parse(r.stdout);
    return (Array.isArray(out) ? out[0] : out).results ?? {};
  })();
  const mine = (list: any[] | undefined) => (list ?? []).filter((c) => c.file_abs_path === file || file.endsWith(c.file_path));
  const passed = mine(checked.passed_checks).length;
  return {
    evaluated: passed > 0, // the file was read and checked
    failed: mine(checked.failed_checks).map((c: any) => `${c.check_id} ${c.resource}`),
    skippedWithoutReason: mine(checked.skipped_checks)
      .filter((c: any) => !(c.check_result?.suppress_comment ?? '').trim() || /no comment/i.test(c.check_result?.suppress_comment))
      .map((c: any) => `${c.check_id} ${c.resource}`),
  };
};

describe('checkov (issue 19, item 13)', () => {
  it('finds no failed check in the packaged stack that is not suppressed with a reason', () => {
    expect(checkov(STACK)).toEqual({ evaluated: true, failed: [], skippedWithoutReason: [] });
  }, 240_000);
  it('finds no failed check in the member-account template that is not suppressed with a reason', () => {
    expect(checkov(MEMBER)).toEqual({ evaluated: true, failed: [], skippedWithoutReason: [] });
  }, 240_000);
  it('finds no failed check in the member-account change-events template that is not suppressed with a reason', () => {
    expect(checkov(MEMBER_EVENTS)).toEqual({ evaluated: true, failed: [], skippedWithoutReason: [] });
  }, 240_000);
});

const memberEvents = (): Template => JSON.parse(readFileSync(MEMBER_EVENTS, 'utf8').replace(/^#.*$/gm, ''));

describe('event-driven rescans and remediation (issue 17)', () => {
  it('one rule sends exactly the change events lib/app/events.ts maps (successful calls only) to the events queue', () => {
    const rule = template.Resources.ChangeEventsRule!;
    expect(rule.Type).toBe('AWS::Events::Rule');
    expect(rule.Properties.EventPattern).toEqual({
      source: ['aws.ec2', 'aws.elasticloadbalancing', 'aws.timestream-influxdb', 'aws.ecs'],
      'detail-type': ['AWS API Call via CloudTrail'],
      detail: {
        eventSource: ['ec2.amazonaws.com', 'elasticloadbalancing.amazonaws.com', 'timestream-influxdb.amazonaws.com', 'ecs.amazonaws.com'],
        eventName: Object.values(CHANGE_EVENTS).flatMap((s) => s.events),
        errorCode: [{ exists: false }],
      },
    });
    expect(rule.Properties.State).toBe('ENABLED');
    expect(rule.Properties.Targets).toEqual([{ Id: 'events-queue', Arn: { 'Fn::GetAtt': ['EventsQueue', 'Arn'] } }]);
    // Only that rule may send to the queue; EventBridge may use the stack key for it; failures are dead-lettered and alarmed.
    const policy = template.Resources.EventsQueuePolicy!.Properties.PolicyDocument.Statement;
    expect(policy).toEqual([
      expect.objectContaining({
        Principal: { Service: 'events.amazonaws.com' },
        Action: 'sqs:SendMessage',
        Condition: { ArnEquals: { 'aws:SourceArn': { 'Fn::GetAtt': ['ChangeEventsRule', 'Arn'] } } },
      }),
    ]);
    const key = template.Resources.DataKey!.Properties.KeyPolicy.Statement.find(
      (st: any) => st.Principal?.Service === 'events.amazonaws.com',
    );
    expect([key.Action].flat().sort()).toEqual(['kms:Decrypt', 'kms:GenerateDataKey']);
    expect(template.Resources.EventsQueue!.Properties.RedrivePolicy).toMatchObject({ maxReceiveCount: 5 });
    expect(ofType('AWS::CloudWatch::Alarm').some(([n]) => n === 'EventsDeadLetterAlarm')).toBe(true);
    const mapping = ofType('AWS::Lambda::EventSourceMapping').find(([, m]) =>
      JSON.stringify(m.Properties.EventSourceArn).includes('EventsQueue'),
    )!;
    expect(mapping[1].Properties).toMatchObject({ FunctionResponseTypes: ['ReportBatchItemFailures'], MaximumBatchingWindowInSeconds: 1 });
  });

  it('organisation mode: the bus policy lets only the organisation put events, and only when organizationId is set', () => {
    const policy = template.Resources.MemberEventsBusPolicy as any;
    expect(policy.Condition).toBe('HasOrganizationId');
    expect(policy.Properties.Statement).toMatchObject({
      Effect: 'Allow',
      Action: 'events:PutEvents',
      Condition: { StringEquals: { 'aws:PrincipalOrgID': { Ref: 'OrganizationId' } } },
    });
    expect((template as any).Conditions.HasOrganizationId).toEqual({ 'Fn::Not': [{ 'Fn::Equals': [{ Ref: 'OrganizationId' }, ''] }] });
    expect(template.Parameters!.OrganizationId).toMatchObject({ Type: 'String', Default: '' });
  });

  it('three Security Hub custom actions, and one rule sending exactly their events to the remediation function', () => {
    const targets = ofType('AWS::SecurityHub::ActionTarget');
    expect(targets.map(([n, r]) => [n, r.Properties.Id]).sort()).toEqual([
      ['EnableEbsDefaultAction', 'IgEnableEbsDefault'],
      ['RescanAction', 'IgRescan'],
      ['RevokeWorldOpenAction', 'IgRevokeWorldOpen'],
    ]);
    for (const [, r] of targets) expect(r.Properties.Name.length).toBeLessThanOrEqual(20);
    expect(targets.map(([, r]) => r.Properties.Id).sort()).toEqual(
      Object.values(ACTIONS)
        .map((a) => a.targetId)
        .sort(),
    );
    const rule = ofType('AWS::Events::Rule').find(([, r]) => r.Properties.EventPattern?.source?.[0] === 'aws.securityhub')![1];
    expect(rule.Properties.EventPattern).toEqual({
      source: ['aws.securityhub'],
      'detail-type': ['Security Hub Findings - Custom Action'],
      resources: [{ Ref: 'RevokeWorldOpenAction' }, { Ref: 'EnableEbsDefaultAction' }, { Ref: 'RescanAction' }],
    });
    expect(rule.Properties.Targets).toEqual([expect.objectContaining({ Arn: { 'Fn::GetAtt': ['RemediateLambdaFunction', 'Arn'] } })]);
    // Dry run by default; never retried.
    const fn = template.Resources.RemediateLambdaFunction!.Properties;
    expect(fn.Environment.Variables.INFLUXGUARD_REMEDIATION_APPLY).toBe('false');
    expect(ofType('AWS::Lambda::EventInvokeConfig').map(([, c]) => c.Properties.MaximumRetryAttempts)).toEqual([0]);
  });

  it('the remediation role: exactly these statements (revoke only on this account’s groups, notes only on its hub)', () => {
    expect(statementsOf('RemediateRole').map(({ role: _r, ...st }) => st)).toEqual([
      {
        Effect: 'Allow',
        Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        Resource: {
          'Fn::Sub': 'arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:/aws/lambda/influxguard-dev-remediate:*',
        },
      },
      {
        Effect: 'Allow',
        Action: [
          'ec2:DescribeInstances',
          'ec2:DescribeSecurityGroups',
          'ec2:DescribeNetworkInterfaces',
          'ec2:GetManagedPrefixListEntries',
          'ec2:GetEbsEncryptionByDefault',
          'ec2:EnableEbsEncryptionByDefault',
        ],
        Resource: '*',
      },
      {
        Effect: 'Allow',
        Action: ['ec2:RevokeSecurityGroupIngress'],
        Resource: { 'Fn::Sub': 'arn:${AWS::Partition}:ec2:*:${AWS::AccountId}:security-group/*' },
        Condition: { StringEquals: { 'aws:ResourceAccount': { 'Fn::Sub': '${AWS::AccountId}' } } },
      },
      {
        Effect: 'Allow',
        Action: ['securityhub:BatchUpdateFindings'],
        Resource: { 'Fn::Sub': 'arn:${AWS::Partition}:securityhub:*:${AWS::AccountId}:hub/default' },
      },
      // The claim that serialises runs on one finding, and the record of each run (issue 35).
      {
        Effect: 'Allow',
        Action: ['dynamodb:PutItem', 'dynamodb:GetItem', 'dynamodb:DeleteItem', 'dynamodb:Query'],
        Resource: { 'Fn::GetAtt': ['ScansTable', 'Arn'] },
      },
      { Effect: 'Allow', Action: ['sqs:SendMessage'], Resource: { 'Fn::GetAtt': ['EventsQueue', 'Arn'] } },
      { Effect: 'Allow', Action: ['kms:GenerateDataKey', 'kms:Decrypt'], Resource: { 'Fn::GetAtt': ['DataKey', 'Arn'] } },
    ]);
  });

  it('remediationGroupTag narrows the revoke to groups carrying that tag', async () => {
    const st = ((await iam.remediate(resolver({ remediationGroupTag: 'influxguard-remediate=allowed' }))) as any[]).find((x) =>
      [x.Action].flat().includes('ec2:RevokeSecurityGroupIngress'),
    );
    expect(st.Condition).toEqual({
      StringEquals: { 'aws:ResourceAccount': { 'Fn::Sub': '${AWS::AccountId}' }, 'aws:ResourceTag/influxguard-remediate': 'allowed' },
    });
  });

  it('the member-account change-events template forwards the same pattern to the scanner’s bus, with a role that can only put events there', () => {
    const t = memberEvents();
    const { render } = createRequire(import.meta.url)(`${root}serverless/member-events.cjs`);
    expect(render()).toBe(readFileSync(MEMBER_EVENTS, 'utf8'));
    expect(t.Resources.ForwardRule!.Properties.EventPattern).toEqual(template.Resources.ChangeEventsRule!.Properties.EventPattern);
    expect(t.Resources.ForwardRule!.Properties.Targets).toEqual([
      { Id: 'influxguard-scanner-bus', Arn: { Ref: 'ScannerEventBusArn' }, RoleArn: { 'Fn::GetAtt': ['ForwardRole', 'Arn'] } },
    ]);
    expect(t.Resources.ForwardRole!.Properties.Policies[0].PolicyDocument.Statement).toEqual([
      { Effect: 'Allow', Action: 'events:PutEvents', Resource: { Ref: 'ScannerEventBusArn' } },
    ]);
    expect((template as any).Outputs.ChangeEventsBusArn).toBeDefined();
  });
});

describe('Security Hub insights (issue 18)', () => {
  const insights = () => Object.fromEntries(ofType('AWS::SecurityHub::Insight').map(([name, r]) => [name, r as any]));
  it('creates insights over influxguard’s active, unresolved, failing findings: by instance, by check, internet-reachable', () => {
    const all = insights();
    expect(Object.keys(all).sort()).toEqual(['FailingByCheckInsight', 'FailingByResourceInsight', 'InternetReachableInsight']);
    for (const r of Object.values(all)) {
      expect(r.Condition).toBe('InsightsEnabled');
      expect(r.Properties.Name).toMatch(/^influxguard: /);
      expect(r.Properties.Filters).toMatchObject({
        GeneratorId: [{ Comparison: 'PREFIX', Value: GENERATOR_PREFIX }],
        RecordState: [{ Comparison: 'EQUALS', Value: 'ACTIVE' }],
        ComplianceStatus: [
          { Comparison: 'EQUALS', Value: 'FAILED' },
          { Comparison: 'EQUALS', Value: 'WARNING' },
        ],
      });
    }
    expect(all.FailingByResourceInsight.Properties.GroupByAttribute).toBe('ResourceId');
    expect(all.FailingByCheckInsight.Properties.GroupByAttribute).toBe('GeneratorId');
    expect(all.InternetReachableInsight.Properties.GroupByAttribute).toBe('ResourceId');
  });
  it('the internet-reachable insight selects exactly the findings whose ASFF says so', () => {
    const [filter] = insights().InternetReachableInsight.Properties.Filters.ProductFields;
    const key = filter.Key as string;
    // What the net.* checks' evidence says (however reachability is decided), and an endpoint finding raised for it.
    const [latent] = evaluateInstance(
      CHECKS.filter((c) => c.id === 'net.http-port-public'),
      ctx({ net: net([open('sg-1', 'tcp', 8086, '0.0.0.0/0')]) }),
    );
    const reachable = { ...latent!, evidence: { ...latent!.evidence, internetReachable: true } };
    const raised = {
      ...latent!,
      evidence: { summary: 'auth off', severityRaised: 'TCP 8086 is open to the world and the instance has a public address' },
    };
    expect(toAsff(reachable, { now: '2026-11-29T00:00:00Z' }).ProductFields?.[key]).toBe(filter.Value);
    expect(toAsff(raised, { now: '2026-11-29T00:00:00Z' }).ProductFields?.[key]).toBe(filter.Value);
    expect(latent!.status).toBe('FAILED');
    expect(toAsff(latent!, { now: '2026-11-29T00:00:00Z' }).ProductFields?.[key]).toBeUndefined();
  });
  it('can be turned off at deploy time (SecurityHubInsights parameter; the local stage does)', () => {
    expect(template.Parameters?.SecurityHubInsights).toMatchObject({ Default: 'true', AllowedValues: ['true', 'false'] });
    expect(template.Conditions?.InsightsEnabled).toEqual({ 'Fn::Equals': [{ Ref: 'SecurityHubInsights' }, 'true'] });
  });
});
