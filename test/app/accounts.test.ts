/** Target accounts from configuration or AWS Organizations (moto), and member-role credentials through STS. */
import { beforeAll, describe, expect, it } from '@jest/globals';
import { CreateAccountCommand, CreateOrganizationCommand, OrganizationsClient } from '@aws-sdk/client-organizations';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { assumeRoleCredentials, MEMBER_DOCUMENT, memberRoleArn, targetAccounts } from '../../lib/app/accounts.js';
import { hostDocument } from '../../lib/app/service.js';
import { parseConfig } from '../../lib/config.js';
import { endpoint, testAccount, type TestAccount } from '../support/aws.js';

let account: TestAccount;
let orgs: OrganizationsClient;
beforeAll(async () => {
  account = await testAccount();
  orgs = new OrganizationsClient({ region: 'us-east-1', endpoint: endpoint(), credentials: account.credentials });
  await orgs.send(new CreateOrganizationCommand({ FeatureSet: 'ALL' }));
  for (const name of ['metrics-prod', 'metrics-dev'])
    await orgs.send(new CreateAccountCommand({ AccountName: name, Email: `${name}@example.com` }));
});

describe('target accounts', () => {
  it('expands "organization" with ListAccounts and applies exclusions', async () => {
    const all = await targetAccounts(parseConfig({ app: { accounts: ['organization'] } }), account.accountId, () => orgs);
    expect(all.length).toBeGreaterThanOrEqual(3); // the management account and the two created
    const excluded = all[1]!;
    const some = await targetAccounts(
      parseConfig({ app: { accounts: ['organization', 'self'], excludeAccounts: [excluded] } }),
      account.accountId,
      () => orgs,
    );
    expect(some).not.toContain(excluded);
    expect(some).toContain(account.accountId);
  });
  it('passes explicit ids and self through, without Organizations', async () => {
    expect(
      await targetAccounts(parseConfig({ app: { accounts: ['self', '111122223333'] } }), account.accountId, () => {
        throw new Error('not called');
      }),
    ).toEqual([account.accountId, '111122223333']);
  });
  it('assumes the member role in another account', async () => {
    const sts = new STSClient({ region: 'us-east-1', endpoint: endpoint(), credentials: account.credentials });
    const creds = assumeRoleCredentials(sts, memberRoleArn('444455556666', 'influxguard-member'));
    const member = new STSClient({ region: 'us-east-1', endpoint: endpoint(), credentials: creds });
    expect((await member.send(new GetCallerIdentityCommand({}))).Account).toBe('444455556666');
  });
  it('passes the external id when one is configured', async () => {
    const sts = new STSClient({ region: 'us-east-1', endpoint: endpoint(), credentials: account.credentials });
    const creds = assumeRoleCredentials(sts, memberRoleArn('444455556666', 'influxguard-member'), { externalId: 'ext-1234567890' });
    expect(
      (await new STSClient({ region: 'us-east-1', endpoint: endpoint(), credentials: creds }).send(new GetCallerIdentityCommand({})))
        .Account,
    ).toBe('444455556666');
  });
});

describe('host evidence in member accounts (issue 19, item 9)', () => {
  it('uses the member template’s document there, the stack’s own at home', () => {
    const config = parseConfig({ host: { enabled: true, documentName: 'influxguard-CollectorDocument-AbC123' } });
    expect(MEMBER_DOCUMENT).toBe('influxguard-collect');
    expect(hostDocument(config, false)).toBe('influxguard-collect');
    expect(hostDocument(config, true)).toBe('influxguard-CollectorDocument-AbC123');
  });
});
