// The IAM statements of each function's role in serverless.yml, built from the
// stack's parameters: each role gets exactly the actions its code calls
// (test/app/template.test.ts asserts the set per role), on the narrowest
// resources the service supports. Actions that support no resource-level
// permissions (EC2 Describe*, ssm:DescribeInstanceInformation,
// sts:GetCallerIdentity, organizations:ListAccounts, the VPC network-interface
// actions) are the only ones on "*".
const sub = (s) => ({ 'Fn::Sub': s });
const list = (v) => (Array.isArray(v) ? v : String(v ?? '').split(',')).map((s) => String(s).trim()).filter(Boolean);

async function params(resolveVariable) {
  const get = (name) => resolveVariable(`param:${name}`);
  return {
    service: await resolveVariable('self:service'),
    stage: await resolveVariable('sls:stage'),
    accounts: list(await get('accounts')),
    excluded: list(await get('excludeAccounts')),
    memberRoleName: await get('memberRoleName'),
    tags: String((await get('tags')) ?? '')
      .split(';')
      .map((s) => s.trim())
      .filter(Boolean),
    subnetIds: list(await get('subnetIds')),
    auditSecrets: [...new Set([...list(await get('auditSecrets')), ...list(await get('auditSecret'))])],
    remediationGroupTag: String((await get('remediationGroupTag')) ?? '').trim(),
  };
}

const lambdaTrust = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
};

/** Only to the function's own log group (the stack creates it). */
const logs = (p, fn) => ({
  Effect: 'Allow',
  Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
  Resource: sub(`arn:\${AWS::Partition}:logs:\${AWS::Region}:\${AWS::AccountId}:log-group:/aws/lambda/${p.service}-${p.stage}-${fn}:*`),
});
const identity = { Effect: 'Allow', Action: ['sts:GetCallerIdentity'], Resource: '*' };
/** The IAM policy variable ${aws:PrincipalOrgID}, joined so that Serverless does not take it for one of its variables. */
const PRINCIPAL_ORG_ID = { 'Fn::Join': ['', ['$', '{aws:PrincipalOrgID}']] };
const memberRole = (p, account) => sub(`arn:\${AWS::Partition}:iam::${account}:role/${p.memberRoleName}`);

/**
 * The member role, only where a scan may go: nothing for `self`; the listed
 * accounts; or any account of the scanner's own organisation
 * (aws:ResourceOrgID), with excluded accounts denied.
 */
function assumeMemberRole(p) {
  const out = [];
  const excluded = new Set(p.excluded);
  if (p.accounts.includes('organization')) {
    out.push({
      Effect: 'Allow',
      Action: 'sts:AssumeRole',
      Resource: memberRole(p, '*'),
      Condition: { StringEquals: { 'aws:ResourceOrgID': PRINCIPAL_ORG_ID } },
    });
    if (p.excluded.length) out.push({ Effect: 'Deny', Action: 'sts:AssumeRole', Resource: p.excluded.map((a) => memberRole(p, a)) });
    return out;
  }
  const ids = [...new Set(p.accounts.filter((a) => /^\d{12}$/.test(a) && !excluded.has(a)))];
  if (ids.length) out.push({ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: ids.map((a) => memberRole(p, a)) });
  return out;
}

const organizations = (p) =>
  p.accounts.includes('organization') ? [{ Effect: 'Allow', Action: ['organizations:ListAccounts'], Resource: '*' }] : [];
const listInstances = { Effect: 'Allow', Action: ['ec2:DescribeRegions', 'ec2:DescribeInstances'], Resource: '*' };
/**
 * Each resource kind's reads (lib/kinds/<kind>/iam.json, for the kinds of lib/kinds/kinds.json): `scan` for the
 * scanning roles and the member role, `rescan` (or `"scan"`: the same) for the events function's listings.
 */
const KIND_NAMES = require('../lib/kinds/kinds.json');
const kindIam = KIND_NAMES.map((k) => require(`../lib/kinds/${k}/iam.json`));
const scanKinds = kindIam.flatMap((k) => k.scan);
const rescanKinds = kindIam.flatMap((k) => (k.rescan === 'scan' ? k.scan : k.rescan));
const table = (actions) => ({ Effect: 'Allow', Action: actions, Resource: { 'Fn::GetAtt': ['ScansTable', 'Arn'] } });
const sendUnits = { Effect: 'Allow', Action: ['sqs:SendMessage'], Resource: { 'Fn::GetAtt': ['UnitsQueue', 'Arn'] } };
/** The stack key (SQS and SNS under SSE-KMS): producers need GenerateDataKey and Decrypt, consumers Decrypt. */
const dataKey = { Effect: 'Allow', Action: ['kms:GenerateDataKey', 'kms:Decrypt'], Resource: { 'Fn::GetAtt': ['DataKey', 'Arn'] } };

/**
 * ssm:SendCommand on instances: one statement per configured tag selector
 * (discovery selects instances matching any of them; the conditions of one
 * statement would all have to hold). `KEY` matches any value, `KEY=V` the
 * listed values (EC2 filter wildcards are StringLike's).
 */
function sendCommandInstances(tags) {
  const byKey = new Map();
  for (const spec of tags) {
    const eq = spec.indexOf('=');
    const key = (eq < 0 ? spec : spec.slice(0, eq)).trim();
    if (!key) continue;
    if (eq < 0) byKey.set(key, undefined);
    else if (!byKey.has(key) || byKey.get(key) !== undefined) byKey.set(key, [...(byKey.get(key) ?? []), spec.slice(eq + 1)]);
  }
  return [...byKey].map(([key, values]) => ({
    Effect: 'Allow',
    Action: ['ssm:SendCommand'],
    Resource: sub('arn:${AWS::Partition}:ec2:*:${AWS::AccountId}:instance/*'),
    Condition: { StringLike: { [`ssm:resourceTag/${key}`]: values ?? '*' } },
  }));
}

/**
 * The credentialed audit: secretsmanager:DescribeSecret (every secret, the
 * fleet one included, is read only if its tags influxguard:instances[:N] list
 * an instance the scan audits, or `*` with an operator CA) and GetSecretValue
 * on the configured secrets only (ARNs; a
 * trailing * matches a prefix), and kms:Decrypt only through Secrets Manager
 * (for secrets under a customer managed key). Nothing when no secret is
 * configured.
 */
const readAuditSecrets = (arns) =>
  !Array.isArray(arns) || arns.length
    ? [
        { Effect: 'Allow', Action: ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue'], Resource: arns },
        {
          Effect: 'Allow',
          Action: ['kms:Decrypt'],
          Resource: '*',
          Condition: { StringLike: { 'kms:ViaService': 'secretsmanager.*.amazonaws.com' } },
        },
      ]
    : [];

/** What Lambda needs to attach the function to the VPC (instead of AWSLambdaVPCAccessExecutionRole, which also grants logs:* on *). */
const vpc = (p) =>
  p.subnetIds.length
    ? [
        {
          Effect: 'Allow',
          Action: [
            'ec2:CreateNetworkInterface',
            'ec2:DescribeNetworkInterfaces',
            'ec2:DeleteNetworkInterface',
            'ec2:AssignPrivateIpAddresses',
            'ec2:UnassignPrivateIpAddresses',
          ],
          Resource: '*',
        },
      ]
    : [];

/** dispatch: accounts, regions, instance lists; the scan record and inventories; the units; its async-invocation DLQ. */
async function dispatch({ resolveVariable }) {
  const p = await params(resolveVariable);
  return [
    logs(p, 'dispatch'),
    identity,
    ...assumeMemberRole(p),
    ...organizations(p),
    listInstances,
    {
      Effect: 'Allow',
      Action: ['sqs:SendMessage'],
      Resource: [{ 'Fn::GetAtt': ['UnitsQueue', 'Arn'] }, { 'Fn::GetAtt': ['DispatchFailuresQueue', 'Arn'] }],
    },
    dataKey,
    table(['dynamodb:PutItem', 'dynamodb:UpdateItem']),
  ];
}

/**
 * With host evidence: the S3 bucket an InfluxDB 3 host names as its object store (storage.object-store-public, read
 * by lib/evidence/object-store.ts). Any bucket a host may name, so every bucket; the account's Block Public Access
 * has no resource-level permission.
 */
const readObjectStores = [
  {
    Effect: 'Allow',
    Action: ['s3:GetBucketPublicAccessBlock', 's3:GetBucketPolicyStatus', 's3:GetBucketAcl'],
    Resource: sub('arn:${AWS::Partition}:s3:::*'),
  },
  { Effect: 'Allow', Action: ['s3:GetAccountPublicAccessBlock'], Resource: '*' },
];

/** worker: scans a unit (host evidence through SSM), publishes to Security Hub, records it, sends the summary. */
async function worker({ resolveVariable }) {
  const p = await params(resolveVariable);
  return [
    logs(p, 'worker'),
    ...vpc(p),
    identity,
    ...assumeMemberRole(p),
    ...scanKinds,
    {
      Effect: 'Allow',
      Action: ['ssm:DescribeInstanceInformation', 'ssm:ListCommandInvocations', 'ssm:GetCommandInvocation'],
      Resource: '*',
    },
    {
      Effect: 'Allow',
      Action: ['ssm:SendCommand'],
      Resource: sub('arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:document/${CollectorDocument}'),
    },
    ...sendCommandInstances(p.tags),
    ...readObjectStores,
    ...readAuditSecrets(p.auditSecrets),
    {
      Effect: 'Allow',
      Action: ['securityhub:BatchImportFindings'],
      Resource: sub('arn:${AWS::Partition}:securityhub:*:${AWS::AccountId}:product/${AWS::AccountId}/default'),
    },
    {
      Effect: 'Allow',
      Action: ['securityhub:GetFindings'],
      Resource: sub('arn:${AWS::Partition}:securityhub:*:${AWS::AccountId}:hub/default'),
    },
    // Accepted risks: SUPPRESSED / reopened workflows on its own findings (lib/publish/suppressions.ts).
    {
      Effect: 'Allow',
      Action: ['securityhub:BatchUpdateFindings'],
      Resource: sub('arn:${AWS::Partition}:securityhub:*:${AWS::AccountId}:hub/default'),
    },
    { Effect: 'Allow', Action: ['sns:Publish'], Resource: { Ref: 'FindingsTopic' } },
    // DeleteItem: the record of what the scanner suppressed, once nothing is (lib/app/store.ts writeSuppressed).
    table(['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:DeleteItem']),
    {
      Effect: 'Allow',
      Action: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'],
      Resource: { 'Fn::GetAtt': ['UnitsQueue', 'Arn'] },
    },
    dataKey,
  ];
}

/** api: dispatches like `dispatch`, answers status, runs small read-only wait=true scans (no SSM command, no publishing), idempotency keys. */
async function api({ resolveVariable }) {
  const p = await params(resolveVariable);
  return [
    logs(p, 'api'),
    identity,
    ...assumeMemberRole(p),
    ...organizations(p),
    ...scanKinds,
    sendUnits,
    dataKey,
    table(['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:DeleteItem']),
  ];
}

/**
 * events: maps change events to instances and databases (listing them, in member accounts through the member role), notes them in
 * the table, schedules and runs the delayed checks (events queue), and dispatches the rescans like `dispatch`.
 */
async function events({ resolveVariable }) {
  const p = await params(resolveVariable);
  const eventsQueue = { 'Fn::GetAtt': ['EventsQueue', 'Arn'] };
  return [
    logs(p, 'events'),
    identity,
    ...assumeMemberRole(p),
    ...organizations(p),
    listInstances,
    // A route or network ACL event's VPC; the load balancers carrying a changed group and their targets; the
    // Timestream for InfluxDB databases using it (the describes have no resource-level permissions).
    { Effect: 'Allow', Action: ['ec2:DescribeRouteTables', 'ec2:DescribeNetworkAcls'], Resource: '*' },
    {
      Effect: 'Allow',
      Action: [
        'elasticloadbalancing:DescribeLoadBalancers',
        'elasticloadbalancing:DescribeTargetGroups',
        'elasticloadbalancing:DescribeTargetHealth',
      ],
      Resource: '*',
    },
    ...rescanKinds,
    { Effect: 'Allow', Action: ['sqs:SendMessage'], Resource: [{ 'Fn::GetAtt': ['UnitsQueue', 'Arn'] }, eventsQueue] },
    { Effect: 'Allow', Action: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'], Resource: eventsQueue },
    dataKey,
    table(['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:GetItem', 'dynamodb:DeleteItem']),
  ];
}

/**
 * remediate: reads the group, the prefix list or the EBS setting it acts on, and the interfaces that share the group;
 * revokes ingress only on this account's security groups (optionally only those tagged remediationGroupTag); turns
 * EBS encryption by default on (no resource-level permission exists); claims the finding and records the outcome in
 * the table; writes the finding's note; asks for the rescan on the events queue.
 */
async function remediate({ resolveVariable }) {
  const p = await params(resolveVariable);
  const eq = p.remediationGroupTag.indexOf('=');
  const tag = eq > 0 ? { [`aws:ResourceTag/${p.remediationGroupTag.slice(0, eq)}`]: p.remediationGroupTag.slice(eq + 1) } : {};
  return [
    logs(p, 'remediate'),
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
      Resource: sub('arn:${AWS::Partition}:ec2:*:${AWS::AccountId}:security-group/*'),
      Condition: { StringEquals: { 'aws:ResourceAccount': sub('${AWS::AccountId}'), ...tag } },
    },
    {
      Effect: 'Allow',
      Action: ['securityhub:BatchUpdateFindings'],
      Resource: sub('arn:${AWS::Partition}:securityhub:*:${AWS::AccountId}:hub/default'),
    },
    table(['dynamodb:PutItem', 'dynamodb:GetItem', 'dynamodb:DeleteItem', 'dynamodb:Query']),
    { Effect: 'Allow', Action: ['sqs:SendMessage'], Resource: { 'Fn::GetAtt': ['EventsQueue', 'Arn'] } },
    dataKey,
  ];
}

module.exports = {
  readObjectStores,
  lambdaTrust,
  dispatch,
  worker,
  api,
  events,
  remediate,
  sendCommandInstances,
  scanKinds,
  readAuditSecrets,
};
