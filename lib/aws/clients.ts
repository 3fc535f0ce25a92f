/**
 * One place that builds AWS SDK clients: region, credentials, retry policy,
 * timeouts, and a middleware that counts every call and every attempt by
 * service and operation. Endpoints come from the SDK's own chain
 * (AWS_ENDPOINT_URL and friends), so tests point clients at the emulator
 * without code here knowing about it.
 */
import { EC2Client } from '@aws-sdk/client-ec2';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ElasticLoadBalancingClient } from '@aws-sdk/client-elastic-load-balancing';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { OrganizationsClient } from '@aws-sdk/client-organizations';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SecurityHubClient } from '@aws-sdk/client-securityhub';
import { SQSClient } from '@aws-sdk/client-sqs';
import { SNSClient } from '@aws-sdk/client-sns';
import { SSMClient } from '@aws-sdk/client-ssm';
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
  const ec2 = new Map<string, EC2Client>();
  const sts = new Map<string, STSClient>();
  const ssm = new Map<string, SSMClient>();
  const securityHub = new Map<string, SecurityHubClient>();
  const sns = new Map<string, SNSClient>();
  const dynamodb = new Map<string, DynamoDBClient>();
  const sqs = new Map<string, SQSClient>();
  const organizations = new Map<string, OrganizationsClient>();
  const timestream = new Map<string, TimestreamInfluxDBClient>();
  const elb = new Map<string, ElasticLoadBalancingClient>();
  const elbv2 = new Map<string, ElasticLoadBalancingV2Client>();
  const secretsManager = new Map<string, SecretsManagerClient>();
  const cached = <C>(map: Map<string, C>, region: string, make: () => C): C => {
    let c = map.get(region);
    if (!c) {
      c = make();
      map.set(region, c);
    }
    return c;
  };
  return {
    ec2: (region: string) => cached(ec2, region, () => instrument(new EC2Client(common(region, opts, 'ec2')), opts.counter)),
    sts: (region: string) => cached(sts, region, () => instrument(new STSClient(common(region, opts, 'sts')), opts.counter)),
    ssm: (region: string) => cached(ssm, region, () => instrument(new SSMClient(common(region, opts, 'ssm')), opts.counter)),
    securityHub: (region: string) =>
      cached(securityHub, region, () => instrument(new SecurityHubClient(common(region, opts, 'securityhub')), opts.counter)),
    sns: (region: string) => cached(sns, region, () => instrument(new SNSClient(common(region, opts, 'sns')), opts.counter)),
    dynamodb: (region: string) =>
      cached(dynamodb, region, () => instrument(new DynamoDBClient(common(region, opts, 'dynamodb')), opts.counter)),
    sqs: (region: string) => cached(sqs, region, () => instrument(new SQSClient(common(region, opts, 'sqs')), opts.counter)),
    organizations: (region: string) =>
      cached(organizations, region, () => instrument(new OrganizationsClient(common(region, opts, 'organizations')), opts.counter)),
    timestream: (region: string) =>
      cached(timestream, region, () => instrument(new TimestreamInfluxDBClient(common(region, opts, 'timestream-influxdb')), opts.counter)),
    /** Classic Load Balancers (counted as `elasticloadbalancing:…`). */
    elb: (region: string) =>
      cached(elb, region, () => instrument(new ElasticLoadBalancingClient(common(region, opts, 'elasticloadbalancing')), opts.counter)),
    /** Application and Network Load Balancers (counted as `elasticloadbalancingv2:…`). */
    elbv2: (region: string) =>
      cached(elbv2, region, () => instrument(new ElasticLoadBalancingV2Client(common(region, opts, 'elasticloadbalancing')), opts.counter)),
    secretsManager: (region: string) =>
      cached(secretsManager, region, () => instrument(new SecretsManagerClient(common(region, opts, 'secretsmanager')), opts.counter)),
    destroy: () => {
      for (const m of [ec2, sts, ssm, securityHub, sns, dynamodb, sqs, organizations, timestream, elb, elbv2, secretsManager] as Map<
        string,
        { destroy: () => void }
      >[])
        for (const c of m.values()) c.destroy();
    },
  };
}
export type Clients = ReturnType<typeof createClients>;
