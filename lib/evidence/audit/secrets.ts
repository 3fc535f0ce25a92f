/**
 * Reads audit credentials from AWS Secrets Manager at scan time: each secret
 * once per scan, kept in memory only (an AuditCredentials, whose value no
 * message, log or JSON shows). A secret that cannot be read is the reason the
 * audit is NOT_AVAILABLE, never a pass.
 *
 * Every secret, the operator's fleet secret included, is sent only to what it
 * is bound to: its own tags `influxguard:instances`, `influxguard:instances:2`,
 * `influxguard:instances:3`, … list instance ids, `cluster/service` names or
 * Timestream ids (read with DescribeSecret, before GetSecretValue: the value of
 * a secret bound to nothing the scan audits is never read). Tagging a secret
 * takes secretsmanager:TagResource on it, a privilege apart from
 * ec2:CreateTags, so whoever can tag or launch an instance cannot have a secret
 * sent to it. The value `*` binds the whole fleet, and only when the operator
 * gave a CA (`audit.ca`): the certificate it issued is then the proof of
 * identity (lib/evidence/audit/index.ts verifies it).
 */
import { DescribeSecretCommand, GetSecretValueCommand, type SecretsManagerClient, type Tag } from '@aws-sdk/client-secrets-manager';
import { toAwsCallError } from '../../errors.js';
import { fail, ok, type Result } from '../../model.js';
import { type AuditCredentials, CredentialsError, credentialsFromSecret } from './credentials.js';

/** The secret's tag listing what it is bound to; `…:2`, `…:3` continue a list too long for one tag value. */
export const BINDING_TAG = 'influxguard:instances';
const BINDING_KEY_RE = /^influxguard:instances(:[1-9][0-9]?)?$/;
/** The longest tag value Secrets Manager stores: a longer one is not AWS's answer, and binds nothing. */
const TAG_VALUE_MAX = 256;
/** An instance id, an ECS `cluster/service` name, or a Timestream for InfluxDB id: anything else counts for nothing. */
const SUBJECT_RE = /^(i-[0-9a-f]{8,17}|[A-Za-z0-9_-]{1,255}\/[A-Za-z0-9_-]{1,255}|[a-z0-9]{3,64})$/;

/** The secret's region, from its ARN (`arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME`). */
export const secretRegion = (arn: string): string | undefined => arn.split(':')[3] || undefined;

/** A secret to send to one subject (an instance id; later a `cluster/service` name or a Timestream id). */
export interface AuditSecret {
  arn: string;
  subject: string;
}

export type CredentialsFn = (secret: AuditSecret) => Promise<Result<AuditCredentials>>;

/** What a secret's binding tags list: named subjects, and whether `*` (the whole fleet) is among them. */
export interface Binding {
  subjects: Set<string>;
  fleet: boolean;
}

/** The binding a secret's tags declare (space- or comma-separated values, over any number of `influxguard:instances…` tags). */
export function bindingOf(tags: readonly Tag[]): Binding {
  const binding: Binding = { subjects: new Set(), fleet: false };
  for (const { Key, Value } of tags) {
    if (!Key || !BINDING_KEY_RE.test(Key) || typeof Value !== 'string' || Value.length > TAG_VALUE_MAX) continue;
    for (const t of Value.split(/[\s,]+/)) {
      if (t === '*') binding.fleet = true;
      else if (SUBJECT_RE.test(t)) binding.subjects.add(t);
    }
  }
  return binding;
}

/** Why a secret may not go to `subject`, or undefined when it may. */
export function bindingRefusal(arn: string, b: Binding, subject: string, operatorCa: boolean): string | undefined {
  if (b.subjects.has(subject) || (b.fleet && operatorCa)) return undefined;
  return b.fleet
    ? `audit secret ${arn} is bound to the whole fleet (${BINDING_TAG} = *), which takes an operator CA as the proof of identity (--audit-ca / audit.ca); none was given, and its tags do not list ${subject}`
    : `audit secret ${arn} is not bound to ${subject}: its ${BINDING_TAG} tags do not list it`;
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

/**
 * One scan's reader: every secret described and read at most once, its value
 * only after its binding lists the subject. `operatorCa`: the operator gave a
 * CA (`audit.ca`), which `*` requires.
 */
export function secretsReader(
  client: (region: string) => SecretsManagerClient | Promise<SecretsManagerClient>,
  operatorCa: boolean,
): CredentialsFn {
  const bindings = once(async (arn: string): Promise<Result<Binding>> => {
    try {
      const out = await (await client(secretRegion(arn)!)).send(new DescribeSecretCommand({ SecretId: arn }));
      return ok(bindingOf(out.Tags ?? []));
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
  return async ({ arn, subject }) => {
    if (!secretRegion(arn)) return fail(`audit secret ${arn}: not a Secrets Manager ARN`);
    const bound = await bindings(arn);
    if (!bound.ok) return bound;
    const refusal = bindingRefusal(arn, bound.value, subject, operatorCa);
    return refusal ? fail(refusal) : values(arn);
  };
}
