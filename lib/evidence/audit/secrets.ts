/**
 * Reads audit credentials from AWS Secrets Manager at scan time: each secret
 * once per scan, kept in memory only (an AuditCredentials, whose value no
 * message, log or JSON shows). A secret that cannot be read is the reason the
 * audit is NOT_AVAILABLE, never a pass.
 *
 * A secret named by an instance's own tag is read only if it is bound to that
 * instance: its tag `influxguard:instances` lists the instance's id (read with
 * DescribeSecret, before GetSecretValue). Tagging a secret takes
 * secretsmanager:TagResource on it, a privilege apart from ec2:CreateTags, so
 * whoever can tag an instance cannot have another instance's secret sent to it.
 */
import { DescribeSecretCommand, GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { toAwsCallError } from '../../errors.js';
import { fail, ok, type Result } from '../../model.js';
import { type AuditCredentials, CredentialsError, credentialsFromSecret } from './credentials.js';

/** The secret's tag listing the instances it belongs to. */
export const BINDING_TAG = 'influxguard:instances';
/** The longest tag value Secrets Manager stores: a longer one is not AWS's answer, and binds nothing. */
const TAG_VALUE_MAX = 256;
const INSTANCE_ID_RE = /^i-[0-9a-f]{8,17}$/;

/** The secret's region, from its ARN (`arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME`). */
export const secretRegion = (arn: string): string | undefined => arn.split(':')[3] || undefined;

/** Which secret holds an instance's audit credentials, and, when its tag named it, the instance it must be bound to. */
export interface AuditSecret {
  arn: string;
  /** The instance whose `audit.tagKey` tag named the secret (absent for the operator's fleet secret). */
  boundTo?: string;
}

export type CredentialsFn = (secret: AuditSecret) => Promise<Result<AuditCredentials>>;

/** The instance ids a binding tag's value lists (space- or comma-separated); any other token counts for nothing. */
export function boundInstances(value: string): Set<string> {
  if (value.length > TAG_VALUE_MAX) return new Set();
  return new Set(value.split(/[\s,]+/).filter((t) => INSTANCE_ID_RE.test(t)));
}

const unreadable = (arn: string, operation: string, err: unknown) =>
  fail(`audit secret ${arn} could not be read: ${toAwsCallError('secretsmanager', operation, err).message}`);

/** Each key's value computed at most once (concurrent askers share it). */
function once<T>(compute: (key: string) => Promise<T>): (key: string) => Promise<T> {
  const cache = new Map<string, Promise<T>>();
  return (key) => {
    let r = cache.get(key);
    if (!r) {
      r = compute(key);
      cache.set(key, r);
    }
    return r;
  };
}

/** One scan's reader: every secret described and read at most once. */
export function secretsReader(client: (region: string) => SecretsManagerClient | Promise<SecretsManagerClient>): CredentialsFn {
  const bindings = once(async (arn: string): Promise<Result<Set<string>>> => {
    try {
      const out = await (await client(secretRegion(arn)!)).send(new DescribeSecretCommand({ SecretId: arn }));
      const value = out.Tags?.find((t) => t.Key === BINDING_TAG)?.Value;
      return ok(typeof value === 'string' ? boundInstances(value) : new Set());
    } catch (err) {
      return unreadable(arn, 'DescribeSecret', err);
    }
  });
  const values = once(async (arn: string): Promise<Result<AuditCredentials>> => {
    let text: string | undefined;
    try {
      const out = await (await client(secretRegion(arn)!)).send(new GetSecretValueCommand({ SecretId: arn }));
      text = out.SecretString;
    } catch (err) {
      return unreadable(arn, 'GetSecretValue', err);
    }
    if (text === undefined) return fail(`audit secret ${arn} has no SecretString (binary secrets are not supported)`);
    try {
      return ok(credentialsFromSecret(text, `audit secret ${arn}`));
    } catch (err) {
      if (err instanceof CredentialsError) return fail(err.message);
      throw err;
    }
  });
  return async ({ arn, boundTo }) => {
    if (!secretRegion(arn)) return fail(`audit secret ${arn}: not a Secrets Manager ARN`);
    if (boundTo !== undefined) {
      const bound = await bindings(arn);
      if (!bound.ok) return bound;
      if (!bound.value.has(boundTo)) return fail(`audit secret ${arn} is not bound to ${boundTo} (tag ${BINDING_TAG})`);
    }
    return values(arn);
  };
}
