// IAM statements shared by the per-function roles in serverless.yml: each
// names only the actions a function uses, on the narrowest resources the
// service supports. Actions that support no resource-level permissions
// (EC2 Describe*, ssm:DescribeInstanceInformation, sts:GetCallerIdentity,
// organizations:ListAccounts) are the only ones on "*".
const sub = (s) => ({ 'Fn::Sub': s });

module.exports = {
  lambdaTrust: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }] },
  logs: {
    Effect: 'Allow',
    Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
    Resource: sub('arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:/aws/lambda/influxguard-*:*'),
  },
  identity: { Effect: 'Allow', Action: ['sts:GetCallerIdentity'], Resource: '*' },
  assumeMemberRole: async ({ resolveVariable }) => ({
    Effect: 'Allow',
    Action: ['sts:AssumeRole'],
    Resource: sub(`arn:\${AWS::Partition}:iam::*:role/${await resolveVariable('param:memberRoleName')}`),
  }),
  discover: {
    Effect: 'Allow',
    Action: ['ec2:DescribeInstances', 'ec2:DescribeSecurityGroups', 'ec2:DescribeVolumes', 'ec2:DescribeRegions', 'ec2:GetEbsEncryptionByDefault', 'ec2:GetManagedPrefixListEntries'],
    Resource: '*',
  },
  organizations: { Effect: 'Allow', Action: ['organizations:ListAccounts'], Resource: '*' },
  sendUnits: { Effect: 'Allow', Action: ['sqs:SendMessage'], Resource: { 'Fn::GetAtt': ['UnitsQueue', 'Arn'] } },
  ssmRead: { Effect: 'Allow', Action: ['ssm:DescribeInstanceInformation', 'ssm:ListCommandInvocations', 'ssm:GetCommandInvocation'], Resource: '*' },
  ssmSendDocument: {
    Effect: 'Allow',
    Action: ['ssm:SendCommand'],
    Resource: sub('arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:document/${CollectorDocument}'),
  },
  // SendCommand also needs the target instances: only those tagged influxdb.
  ssmSendInstances: {
    Effect: 'Allow',
    Action: ['ssm:SendCommand'],
    Resource: sub('arn:${AWS::Partition}:ec2:*:${AWS::AccountId}:instance/*'),
    Condition: { StringLike: { 'ssm:resourceTag/influxdb': '*' } },
  },
  securityHub: [
    { Effect: 'Allow', Action: ['securityhub:BatchImportFindings'], Resource: sub('arn:${AWS::Partition}:securityhub:*:${AWS::AccountId}:product/${AWS::AccountId}/default') },
    { Effect: 'Allow', Action: ['securityhub:GetFindings'], Resource: sub('arn:${AWS::Partition}:securityhub:*:${AWS::AccountId}:hub/default') },
  ],
  publishSummary: { Effect: 'Allow', Action: ['sns:Publish'], Resource: { Ref: 'FindingsTopic' } },
};
