/**
 * Reads audit credentials from AWS Secrets Manager at scan time: each secret
 * once per scan, kept in memory only (an AuditCredentials, whose value no
 * message, log or JSON shows). A secret that cannot be read is the reason the
 * audit is NOT_AVAILABLE, never a pass.
 */
import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { toAwsCallError } from '../../errors.js';
import { fail, ok, type Result } from '../../model.js';
import { type AuditCredentials, CredentialsError, credentialsFromSecret } from './credentials.js';

/** The secret's region, from its ARN (`arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME`). */
export const secretRegion = (arn: string): string | undefined => arn.split(':')[3] || undefined;

export type CredentialsFn = (secretArn: string) => Promise<Result<AuditCredentials>>;

/** One scan's reader: every secret read at most once (concurrent askers share the read). */
export function secretsReader(client: (region: string) => SecretsManagerClient): CredentialsFn {
  const cache = new Map<string, Promise<Result<AuditCredentials>>>();
  const read = async (arn: string): Promise<Result<AuditCredentials>> => {
    const region = secretRegion(arn);
    if (!region) return fail(`audit secret ${arn}: not a Secrets Manager ARN`);
    let text: string | undefined;
    try {
      const out = await client(region).send(new GetSecretValueCommand({ SecretId: arn }));
      text = out.SecretString;
    } catch (err) {
      return fail(`audit secret ${arn} could not be read: ${toAwsCallError('secretsmanager', 'GetSecretValue', err).message}`);
    }
    if (text === undefined) return fail(`audit secret ${arn} has no SecretString (binary secrets are not supported)`);
    try {
      return ok(credentialsFromSecret(text, `audit secret ${arn}`));
    } catch (err) {
      if (err instanceof CredentialsError) return fail(err.message);
      throw err;
    }
  };
  return (arn) => {
    let r = cache.get(arn);
    if (!r) {
      r = read(arn);
      cache.set(arn, r);
    }
    return r;
  };
}
