#!/usr/bin/env node
// Writes cloudformation/member-role.yml: the member-account template (the
// role the scanner assumes, and the collector's SSM Command document built
// from collector/collect.sh exactly as the scanner stack's own, see
// collector.cjs). Re-run after changing the collector or the selectors:
//
//   node serverless/member-role.cjs [--tags 'influxdb;Service=influxdb']
//
// test/app/template.test.ts fails while the file differs from what this writes.
// The output is JSON, which is YAML: CloudFormation and cfn-lint read it as is.
const { writeFileSync } = require('node:fs');
const { join } = require('node:path');
const { document } = require('./collector.cjs');
const { readAuditSecrets, readObjectStores, scanKinds, sendCommandInstances } = require('./iam.cjs');

const DEFAULT_TAGS = 'influxdb;Service=influxdb';
/** The name the worker uses in member accounts (lib/app/accounts.ts MEMBER_DOCUMENT). */
const DOCUMENT_NAME = 'influxguard-collect';
const FILE = join(__dirname, '..', 'cloudformation', 'member-role.yml');

function template(tags = DEFAULT_TAGS) {
  const selectors = tags
    .split(';')
    .map((s) => s.trim())
    .filter(Boolean);
  return {
    AWSTemplateFormatVersion: '2010-09-09',
    Description:
      "influxguard member-account role: read-only access for the scanner deployed in the security-tooling account, and the collector's SSM document. Deploy in every member account (for example as a CloudFormation StackSet).",
    Parameters: {
      ScannerAccountId: {
        Type: 'String',
        AllowedPattern: '^\\d{12}$',
        Description: 'The security-tooling account where influxguard runs.',
      },
      ScannerRoleArns: {
        Type: 'CommaDelimitedList',
        Description:
          "The scanner stack's MemberTrustRoleArns output: the exact ARNs of its dispatch, worker and api roles, the only principals trusted.",
      },
      OrganizationId: {
        Type: 'String',
        Default: '',
        AllowedPattern: '^(o-[a-z0-9]{10,32})?$',
        Description: 'Organisation mode: the AWS Organizations id (o-...) the scanner must belong to (aws:PrincipalOrgID).',
      },
      ExternalId: {
        Type: 'String',
        Default: '',
        AllowedPattern: '^([\\w+=,.@:/-]{2,1224})?$',
        Description:
          'Otherwise: the sts:ExternalId the scanner sends (its memberExternalId parameter). One of OrganizationId and ExternalId is required.',
      },
      RoleName: { Type: 'String', Default: 'influxguard-member' },
      AuditSecretArns: {
        Type: 'CommaDelimitedList',
        Default: '',
        Description:
          "Credentialed audit: this account's Secrets Manager secrets holding InfluxDB audit credentials (ARNs; a trailing * matches a prefix), the only ones the scanner may read. Empty: none.",
      },
    },
    Rules: {
      OrganizationIdOrExternalId: {
        Assertions: [
          {
            Assert: {
              'Fn::Or': [
                { 'Fn::Not': [{ 'Fn::Equals': [{ Ref: 'OrganizationId' }, ''] }] },
                { 'Fn::Not': [{ 'Fn::Equals': [{ Ref: 'ExternalId' }, ''] }] },
              ],
            },
            AssertDescription:
              'Set OrganizationId (organisation mode) or ExternalId: the role trusts the scanner roles only with one of them.',
          },
        ],
      },
    },
    Conditions: {
      HasOrganizationId: { 'Fn::Not': [{ 'Fn::Equals': [{ Ref: 'OrganizationId' }, ''] }] },
      HasExternalId: { 'Fn::Not': [{ 'Fn::Equals': [{ Ref: 'ExternalId' }, ''] }] },
      HasAuditSecrets: { 'Fn::Not': [{ 'Fn::Equals': [{ 'Fn::Join': ['', { Ref: 'AuditSecretArns' }] }, ''] }] },
    },
    Resources: {
      MemberRole: {
        Type: 'AWS::IAM::Role',
        Properties: {
          RoleName: { Ref: 'RoleName' },
          AssumeRolePolicyDocument: {
            Version: '2012-10-17',
            Statement: [
              {
                Effect: 'Allow',
                Principal: { AWS: { 'Fn::Sub': 'arn:${AWS::Partition}:iam::${ScannerAccountId}:root' } },
                Action: 'sts:AssumeRole',
                Condition: {
                  StringEquals: {
                    'aws:PrincipalArn': { Ref: 'ScannerRoleArns' },
                    'aws:PrincipalOrgID': { 'Fn::If': ['HasOrganizationId', { Ref: 'OrganizationId' }, { Ref: 'AWS::NoValue' }] },
                    'sts:ExternalId': { 'Fn::If': ['HasExternalId', { Ref: 'ExternalId' }, { Ref: 'AWS::NoValue' }] },
                  },
                },
              },
            ],
          },
          Policies: [
            {
              PolicyName: 'influxguard-read',
              PolicyDocument: {
                Version: '2012-10-17',
                // The same reads as the scanner's own roles (serverless/iam.cjs), plus identity and the SSM result reads.
                Statement: [
                  { Effect: 'Allow', Action: ['sts:GetCallerIdentity'], Resource: '*' },
                  ...scanKinds,
                  {
                    Effect: 'Allow',
                    Action: ['ssm:DescribeInstanceInformation', 'ssm:ListCommandInvocations', 'ssm:GetCommandInvocation'],
                    Resource: '*',
                  },
                  {
                    Effect: 'Allow',
                    Action: 'ssm:SendCommand',
                    Resource: { 'Fn::Sub': `arn:\${AWS::Partition}:ssm:*:\${AWS::AccountId}:document/${DOCUMENT_NAME}` },
                  },
                  ...sendCommandInstances(selectors),
                  ...readObjectStores,
                  // The audit secrets (DescribeSecret, GetSecretValue on the listed ones only; their KMS key only through Secrets Manager).
                  ...readAuditSecrets({ Ref: 'AuditSecretArns' }).map((st) => ({
                    'Fn::If': ['HasAuditSecrets', st, { Ref: 'AWS::NoValue' }],
                  })),
                  {
                    Effect: 'Allow',
                    Action: 'securityhub:BatchImportFindings',
                    Resource: { 'Fn::Sub': 'arn:${AWS::Partition}:securityhub:*:${AWS::AccountId}:product/${AWS::AccountId}/default' },
                  },
                  {
                    Effect: 'Allow',
                    Action: 'securityhub:GetFindings',
                    Resource: { 'Fn::Sub': 'arn:${AWS::Partition}:securityhub:*:${AWS::AccountId}:hub/default' },
                  },
                  // Accepted risks: the scanner's SUPPRESSED and reopened workflows on its own findings.
                  {
                    Effect: 'Allow',
                    Action: 'securityhub:BatchUpdateFindings',
                    Resource: { 'Fn::Sub': 'arn:${AWS::Partition}:securityhub:*:${AWS::AccountId}:hub/default' },
                  },
                ],
              },
            },
          ],
        },
      },
      CollectorDocument: {
        Type: 'AWS::SSM::Document',
        Properties: { Name: DOCUMENT_NAME, DocumentType: 'Command', DocumentFormat: 'JSON', Content: document() },
      },
    },
    Outputs: {
      RoleArn: { Value: { 'Fn::GetAtt': ['MemberRole', 'Arn'] } },
      CollectorDocumentName: { Value: { Ref: 'CollectorDocument' } },
    },
  };
}

/** The file's text: a header, then the template as JSON. */
function render(tags = DEFAULT_TAGS) {
  return (
    '# GENERATED by serverless/member-role.cjs from collector/collect.sh: do not edit, re-run\n' +
    `#   node serverless/member-role.cjs${tags === DEFAULT_TAGS ? '' : ` --tags '${tags}'`}\n` +
    '# (JSON is YAML: deploy it as is, e.g. as a CloudFormation StackSet.)\n' +
    `${JSON.stringify(template(tags), null, 2)}\n`
  );
}

module.exports = { template, render, DOCUMENT_NAME, FILE };

if (require.main === module) {
  const i = process.argv.indexOf('--tags');
  writeFileSync(FILE, render(i > 0 ? process.argv[i + 1] : DEFAULT_TAGS));
  console.log(`wrote ${FILE}`);
}
