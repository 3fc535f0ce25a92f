/**
 * One place that builds AWS SDK clients: region, credentials, retry policy,
 * timeouts, and a middleware that counts every call and every attempt by
 * service and operation. Endpoints come from the SDK's own chain
 * (AWS_ENDPOINT_URL and friends), so tests point clients at the emulator
 * without code here knowing about it.
 *
 * The clients every scan needs (EC2, ELB, STS, Timestream) are imported here;
 * the others are loaded on first use (their accessors return a promise): a
 * package's module is tens of megabytes of a process once loaded (client-ec2
 * alone: 30 MB of RSS with Node's compile cache), and a CLI scan needs neither
 * Security Hub's nor SSM's unless it publishes or collects host evidence.
 */
import { EC2Client } from '@aws-sdk/client-ec2';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ElasticLoadBalancingClient } from '@aws-sdk/client-elastic-load-balancing';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { ECSClient } from '@aws-sdk/client-ecs';
import type { EFSClient } from '@aws-sdk/client-efs';
import type { OrganizationsClient } from '@aws-sdk/client-organizations';
import type { S3Client } from '@aws-sdk/client-s3';
import type { S3ControlClient } from '@aws-sdk/client-s3-control';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { SecurityHubClient } from '@aws-sdk/client-securityhub';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { SNSClient } from '@aws-sdk/client-sns';
import type { SSMClient } from '@aws-sdk/client-ssm';
import { STSClient } from '@aws-sdk/client-sts';
import { TimestreamInfluxDBClient } from '@aws-sdk/client-timestream-influxdb';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@aws-sdk/types';
import type { Config } from '../config.js';
import { sdkAttempts } from './retry.js';

export class CallCounter {
  private readonly calls = new Map<string, number>();
  private readonly attempts = new Map<string, number>();

  record(kind: 'call' | 'attempt', service: string, operation: string): void {
    const map = kind === 'call' ? this.calls : this.attempts;
    const key = `${service}:${operation}`;
    map.set(key, (map.get(key) ?? 0) + 1);
  }

  /** Logical calls (what the code asked for), by `service:Operation`. */
  callsByOperation(): Record<string, number> {
    return Object.fromEntries([...this.calls].sort(([a], [b]) => a.localeCompare(b)));
  }

  /** HTTP attempts, retries included. */
  attemptsByOperation(): Record<string, number> {
    return Object.fromEntries([...this.attempts].sort(([a], [b]) => a.localeCompare(b)));
  }

  total(service?: string, kind: 'call' | 'attempt' = 'call'): number {
    let n = 0;
    for (const [key, count] of kind === 'call' ? this.calls : this.attempts) {
      if (service === undefined || key.startsWith(`${service}:`)) n += count;
    }
    return n;
  }
}

export type Credentials = AwsCredentialIdentity | AwsCredentialIdentityProvider;

export interface ClientOptions {
  aws: Config['aws'];
  credentials?: Credentials;
  counter?: CallCounter;
}

interface MiddlewareClient {
  middlewareStack: {
    add: (middleware: never, options: never) => void;
  };
}

const serviceOf = (clientName: string | undefined) => (clientName ?? 'aws').replace(/Client$/, '').toLowerCase();

function instrument<C extends MiddlewareClient>(client: C, counter: CallCounter | undefined): C {
  if (!counter) return client;
  const count = (kind: 'call' | 'attempt') =>
    ((next: (a: unknown) => Promise<unknown>, context: { clientName?: string; commandName?: string }) => (args: unknown) => {
      counter.record(kind, serviceOf(context.clientName), (context.commandName ?? 'Unknown').replace(/Command$/, ''));
      return next(args);
    }) as never;
  client.middlewareStack.add(count('call'), { step: 'initialize', name: 'influxguardCountCalls' } as never);
  // The deserialize step runs once per HTTP attempt, after the retry middleware.
  client.middlewareStack.add(count('attempt'), { step: 'deserialize', name: 'influxguardCountAttempts', priority: 'low' } as never);
  return client;
}

function common(region: string, opts: ClientOptions, service: string) {
  return {
    region,
    maxAttempts: sdkAttempts(service, opts.aws.maxAttempts),
    retryMode: 'standard' as const,
    requestHandler: { connectionTimeout: opts.aws.connectTimeoutMs, requestTimeout: opts.aws.requestTimeoutMs },
    ...(opts.credentials ? { credentials: opts.credentials } : {}),
  };
}

/** Clients for one account (one set of credentials), cached per region. */
export function createClients(opts: ClientOptions) {
  const made = new Map<string, { destroy: () => void }>();
  const cached = <C extends MiddlewareClient & { destroy: () => void }>(
    service: string,
    region: string,
    make: (config: ReturnType<typeof common>) => C,
    policy = service,
  ): C => {
    const key = `${service}/${region}`;
    let c = made.get(key) as C | undefined;
    if (!c) {
      c = instrument(make(common(region, opts, policy)), opts.counter);
      made.set(key, c);
    }
    return c;
  };
  /** A client whose package is imported on first use (concurrent first uses share one client). */
  const pending = new Map<string, Promise<unknown>>();
  const later = <C extends MiddlewareClient & { destroy: () => void }>(
    service: string,
    region: string,
    load: () => Promise<(config: ReturnType<typeof common>) => C>,
  ): Promise<C> => {
    const key = `${service}/${region}`;
    let p = pending.get(key) as Promise<C> | undefined;
    if (!p) {
      p = load().then((make) => cached(service, region, make));
      pending.set(key, p);
    }
    return p;
  };
  return {
    ec2: (region: string) => cached('ec2', region, (c) => new EC2Client(c)),
    sts: (region: string) => cached('sts', region, (c) => new STSClient(c)),
    timestream: (region: string) => cached('timestream-influxdb', region, (c) => new TimestreamInfluxDBClient(c)),
    /** Classic Load Balancers (counted as `elasticloadbalancing:…`). */
    elb: (region: string) => cached('elasticloadbalancing', region, (c) => new ElasticLoadBalancingClient(c)),
    /** Application and Network Load Balancers (counted as `elasticloadbalancingv2:…`). */
    elbv2: (region: string) => cached('elasticloadbalancingv2', region, (c) => new ElasticLoadBalancingV2Client(c), 'elasticloadbalancing'),
    ssm: (region: string): Promise<SSMClient> =>
      later('ssm', region, () => import('@aws-sdk/client-ssm').then((m) => (c) => new m.SSMClient(c))),
    securityHub: (region: string): Promise<SecurityHubClient> =>
      later('securityhub', region, () => import('@aws-sdk/client-securityhub').then((m) => (c) => new m.SecurityHubClient(c))),
    sns: (region: string): Promise<SNSClient> =>
      later('sns', region, () => import('@aws-sdk/client-sns').then((m) => (c) => new m.SNSClient(c))),
    dynamodb: (region: string): Promise<DynamoDBClient> =>
      later('dynamodb', region, () => import('@aws-sdk/client-dynamodb').then((m) => (c) => new m.DynamoDBClient(c))),
    sqs: (region: string): Promise<SQSClient> =>
      later('sqs', region, () => import('@aws-sdk/client-sqs').then((m) => (c) => new m.SQSClient(c))),
    organizations: (region: string): Promise<OrganizationsClient> =>
      later('organizations', region, () => import('@aws-sdk/client-organizations').then((m) => (c) => new m.OrganizationsClient(c))),
    /** S3 (an InfluxDB 3 object store's bucket; path-style, which S3 and every emulator answer; redirected to the bucket's region). */
    s3: (region: string): Promise<S3Client> =>
      later('s3', region, () =>
        import('@aws-sdk/client-s3').then((m) => (c) => new m.S3Client({ ...c, forcePathStyle: true, followRegionRedirects: true })),
      ),
    /**
     * S3 Control (the account's Block Public Access). Its endpoint is `{AccountId}.s3-control…`: under an emulator
     * (AWS_ENDPOINT_URL) the account would prefix a loopback address, so the emulator's URL is used as it is.
     */
    s3control: (region: string): Promise<S3ControlClient> =>
      later('s3control', region, () =>
        import('@aws-sdk/client-s3-control').then((m) => (c) => {
          const emulator = process.env.AWS_ENDPOINT_URL;
          return new m.S3ControlClient({ ...c, ...(emulator ? { endpointProvider: () => ({ url: new URL(emulator) }) } : {}) });
        }),
      ),
    secretsManager: (region: string): Promise<SecretsManagerClient> =>
      later('secretsmanager', region, () => import('@aws-sdk/client-secrets-manager').then((m) => (c) => new m.SecretsManagerClient(c))),
    /** Amazon ECS and EFS (the `ecs-service` kind), loaded when a region lists containers. */
    ecs: (region: string): Promise<ECSClient> =>
      later('ecs', region, () => import('@aws-sdk/client-ecs').then((m) => (c) => new m.ECSClient(c))),
    efs: (region: string): Promise<EFSClient> =>
      later('elasticfilesystem', region, () => import('@aws-sdk/client-efs').then((m) => (c) => new m.EFSClient(c))),
    destroy: () => {
      for (const c of made.values()) c.destroy();
      made.clear();
      pending.clear();
    },
  };
}
export type Clients = ReturnType<typeof createClients>;
