/**
 * Per-test-file isolation in the shared moto server: each file works in its
 * own AWS account, reached through STS AssumeRole as a real deployment would.
 */
import { randomInt } from 'node:crypto';
import { EC2Client } from '@aws-sdk/client-ec2';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentity } from '@aws-sdk/types';
import { CallCounter, createClients, type Clients } from '../../lib/aws/clients.js';
import { parseConfig, type Config } from '../../lib/config.js';

export const endpoint = (): string => {
  const e = process.env.AWS_ENDPOINT_URL;
  if (!e) throw new Error('AWS_ENDPOINT_URL is not set: the Jest global setup starts moto');
  return e;
};

export interface TestAccount {
  accountId: string;
  credentials: AwsCredentialIdentity;
  /** A plain client for seeding (explicit loopback endpoint). */
  seeder: (region: string) => EC2Client;
  /** The scanner's clients, counting calls. */
  clients: (config?: Config) => { clients: Clients; counter: CallCounter };
  /** Environment for a CLI subprocess acting as this account. */
  env: (region: string) => Record<string, string>;
}

export async function testAccount(): Promise<TestAccount> {
  const accountId = String(randomInt(100000000000, 999999999999));
  const sts = new STSClient({
    region: 'us-east-1',
    endpoint: endpoint(),
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
  });
  const out = await sts.send(
    new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${accountId}:role/influxguard-test`, RoleSessionName: 'influxguard-test' }),
  );
  sts.destroy();
  const c = out.Credentials!;
  const credentials = { accessKeyId: c.AccessKeyId!, secretAccessKey: c.SecretAccessKey!, sessionToken: c.SessionToken! };
  return {
    accountId,
    credentials,
    seeder: (region) => new EC2Client({ region, endpoint: endpoint(), credentials }),
    clients: (config = parseConfig({})) => {
      const counter = new CallCounter();
      return { clients: createClients({ aws: config.aws, credentials, counter }), counter };
    },
    env: (region) => ({
      AWS_ENDPOINT_URL: endpoint(),
      AWS_ACCESS_KEY_ID: credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
      AWS_SESSION_TOKEN: credentials.sessionToken,
      AWS_REGION: region,
      AWS_EC2_METADATA_DISABLED: 'true',
      // Never probe the emulated instances' private IPs; tests that probe map instances to loopback.
      INFLUXGUARD_PROBE_ALLOWED_CIDRS: '127.0.0.0/8',
      // Their influxdb:endpoint tags point at loopback servers, not at the instances' (made-up) addresses.
      INFLUXGUARD_PROBE_ENDPOINT_CIDRS: '127.0.0.0/8',
      INFLUXGUARD_PROBE_ENABLED: 'false',
    }),
  };
}

/** Makes every call of one operation of an SDK client fail as a denied call would (AccessDeniedException). */
export function denyOperation(client: { middlewareStack: { add: (m: never, o: never) => void } }, operation: string): void {
  client.middlewareStack.add(
    ((next: (a: unknown) => Promise<unknown>, ctx: { commandName?: string }) => async (args: unknown) => {
      if (ctx.commandName === `${operation}Command`)
        throw Object.assign(new Error('User is not authorized to perform this action'), { name: 'AccessDeniedException' });
      return next(args);
    }) as never,
    { step: 'initialize', name: 'testFault' } as never,
  );
}
