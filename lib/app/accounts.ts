/** Which accounts a scan covers, and credentials for each (a read-only member role). */
import { AssumeRoleCommand, type STSClient } from '@aws-sdk/client-sts';
import { paginateListAccounts, type OrganizationsClient } from '@aws-sdk/client-organizations';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@aws-sdk/types';
import type { Config } from '../config.js';
import { toAwsCallError } from '../errors.js';
import { unique } from '../util/concurrency.js';

/** Resolve `self`, `organization` and explicit ids into account ids, minus exclusions. */
export async function targetAccounts(
  config: Config,
  selfAccountId: string,
  orgs: () => OrganizationsClient | Promise<OrganizationsClient>,
): Promise<string[]> {
  const out: string[] = [];
  for (const a of config.app.accounts) {
    if (a === 'self') out.push(selfAccountId);
    else if (a === 'organization') {
      try {
        for await (const page of paginateListAccounts({ client: await orgs() }, {}))
          for (const acct of page.Accounts ?? []) if (acct.Id && acct.Status === 'ACTIVE') out.push(acct.Id);
      } catch (err) {
        throw toAwsCallError('organizations', 'ListAccounts', err);
      }
    } else out.push(a);
  }
  const excluded = new Set(config.app.excludeAccounts);
  return unique(out).filter((a) => !excluded.has(a));
}

export const memberRoleArn = (accountId: string, roleName: string) => `arn:aws:iam::${accountId}:role/${roleName}`;

/** The collector's SSM Command document in member accounts (cloudformation/member-role.yml creates it under this name). */
export const MEMBER_DOCUMENT = 'influxguard-collect';

/** Temporary credentials for the member role, refreshed five minutes before they expire. */
export function assumeRoleCredentials(
  sts: STSClient,
  roleArn: string,
  opts: { sessionName?: string; externalId?: string } = {},
): AwsCredentialIdentityProvider {
  const sessionName = opts.sessionName ?? 'influxguard';
  let cached: AwsCredentialIdentity | undefined;
  return async () => {
    if (cached?.expiration && cached.expiration.getTime() - Date.now() > 5 * 60_000) return cached;
    try {
      const out = await sts.send(
        new AssumeRoleCommand({
          RoleArn: roleArn,
          RoleSessionName: sessionName,
          DurationSeconds: 3600,
          ...(opts.externalId ? { ExternalId: opts.externalId } : {}),
        }),
      );
      const c = out.Credentials!;
      cached = {
        accessKeyId: c.AccessKeyId!,
        secretAccessKey: c.SecretAccessKey!,
        sessionToken: c.SessionToken!,
        ...(c.Expiration ? { expiration: c.Expiration } : {}),
      };
      return cached;
    } catch (err) {
      throw toAwsCallError('sts', 'AssumeRole', err);
    }
  };
}
