/**
 * The demo's small, realistic estate: deliberate misconfigurations next to one
 * instance done right. Running instances point (tag `influxdb:endpoint`) at
 * real local servers, since their emulated private IPs belong to nobody.
 */
import type { EstateSpec } from './estate.js';

export const DEMO_REGION = 'eu-west-1';

/** Loopback URLs of the servers standing in for each instance's port 8086. */
export interface DemoEndpoints {
  /** influxd, authentication off. */
  open: string;
  /** influxd, authentication on, no admin user yet. */
  noAdmin: string;
  /** influxd over HTTPS with a certificate of a private CA its clients do not trust (the audit's --audit-ca does), admin user, default TLS. */
  selfSigned: string;
  /** nginx (TLS 1.2+, security headers, versions stripped) in front of an influxd with auth on. */
  hardened: string;
  /** InfluxDB 2.7.12 (when its build is cached), with an extra all-access token. */
  v2?: string;
  /** InfluxDB 3 Core 3.6.0 (when installed in the cache): authentication on, its admin token never created. */
  v3?: string;
}

/** Secrets Manager ARNs of the audit credentials (credentialed audit), by server. */
export interface DemoAuditSecrets {
  /** The private-CA 1.x server: two admins and a user with ALL on every database. */
  selfSigned?: string;
  /** The hardened 1.x server: one admin with an unguessable name. */
  hardened?: string;
  /** The 2.x server's operator token. */
  v2?: string;
}

const AUDIT_TAG = 'influxdb:audit-secret';

/** The audit-secret tag, when the estate has that secret (`make local` seeds the estate without the audit). */
const auditTag = (arn: string | undefined): Record<string, string> => (arn ? { [AUDIT_TAG]: arn } : {});

export const demoEstate = (e: DemoEndpoints, audit: DemoAuditSecrets = {}): EstateSpec => ({
  region: DEMO_REGION,
  vpcCidr: '10.20.0.0/16',
  ebsDefaultEncryption: false,
  prefixLists: [{ name: 'office', cidrs: ['203.0.113.0/24'] }],
  // Most instances sit in a private subnet (no route to the internet); the public subnet routes 0.0.0.0/0 to an internet gateway.
  subnets: [{ name: 'private', route: 'none' }, { name: 'public' }],
  groups: [
    { name: 'bastion', rules: [{ ports: 22, prefixLists: ['office'] }] },
    { name: 'app-servers', rules: [] },
    {
      name: 'influx-open-to-world',
      rules: [
        { ports: 8086, cidrs: ['0.0.0.0/0'] },
        { ports: 22, cidrs: ['0.0.0.0/0'] },
      ],
    },
    {
      name: 'influx-backup-wide',
      rules: [
        { ports: 8086, groups: ['app-servers'] },
        { ports: 8088, cidrs: ['10.20.0.0/16'] },
      ],
    },
    {
      name: 'influx-private',
      rules: [
        { ports: 8086, groups: ['app-servers'] },
        { ports: 22, groups: ['bastion'] },
      ],
    },
    // Enterprise: every node is in influx-cluster; meta nodes take 8089/8091 from it, data nodes 8088.
    { name: 'influx-cluster', rules: [] },
    {
      name: 'influx-meta',
      rules: [
        { ports: 8089, groups: ['influx-cluster'] },
        { ports: 8091, groups: ['influx-cluster'] },
      ],
    },
    {
      name: 'influx-data',
      rules: [
        { ports: 8088, groups: ['influx-cluster'] },
        { ports: 8086, groups: ['app-servers'] },
      ],
    },
    { name: 'meta-admin-wide', rules: [{ ports: 8091, cidrs: ['10.20.0.0/16'] }] },
    // Staging: world-open 8086 and a public address, but its subnet has no route to the internet (a latent exposure).
    { name: 'influx-staging', rules: [{ ports: 8086, cidrs: ['0.0.0.0/0'] }] },
    // An internet-facing ALB publishes the metrics UI: its group admits 443 from anywhere, the instance admits the ALB.
    { name: 'alb-public', rules: [{ ports: 443, cidrs: ['0.0.0.0/0'] }] },
    { name: 'from-alb', rules: [{ ports: 8086, groups: ['alb-public'] }] },
    // Timestream for InfluxDB (managed): one public and open to the world, one private and hardened.
    { name: 'timestream-public', rules: [{ ports: 8086, cidrs: ['0.0.0.0/0'] }] },
    { name: 'timestream-private', rules: [{ ports: 8086, groups: ['app-servers'] }] },
  ],
  parameterGroups: [{ name: 'influx-hardened', pprofDisabled: true, metricsDisabled: true }],
  timestream: [
    // Default parameter group (pprof and metrics on), no log delivery.
    { name: 'ts-analytics-public', groups: ['timestream-public'], publiclyAccessible: true },
    { name: 'ts-telemetry-private', groups: ['timestream-private'], parameterGroup: 'influx-hardened', logBucket: 'influx-demo-logs' },
  ],
  instances: [
    {
      name: 'influx-prod-public',
      tags: { influxdb: 'prod', 'influxdb:endpoint': e.open },
      groups: ['influx-open-to-world'],
      publicIp: true,
      subnet: 'public',
      // IMDSv1 on an instance whose endpoint answers unauthenticated queries: ec2.imds-v1-allowed HIGH.
      imds: 'v1',
    },
    {
      name: 'influx-staging',
      tags: { influxdb: 'staging', 'influxdb:endpoint': e.hardened },
      groups: ['influx-staging'],
      publicIp: true,
    },
    {
      name: 'influx-backup',
      tags: { Service: 'influxdb', 'influxdb:endpoint': e.noAdmin },
      groups: ['influx-backup-wide'],
      // The install script sets the admin password in clear (secrets.user-data names the variable and line, never the value).
      userData: '#!/bin/bash\napt-get install -y influxdb\nexport INFLUXDB_ADMIN_PASSWORD=demo-only-not-a-secret\n',
    },
    {
      name: 'influx-metrics',
      tags: { influxdb: 'metrics', 'influxdb:endpoint': e.selfSigned, ...auditTag(audit.selfSigned) },
      groups: ['influx-private', 'from-alb'],
      volumes: [{ device: '/dev/sdf', sizeGiB: 500, encrypted: false }],
      // A snapshot of the unencrypted data volume, shared with every AWS account (ebs.snapshot-public, ebs.snapshot-unencrypted).
      snapshots: [{ device: '/dev/sdf', public: true }],
    },
    {
      name: 'influx-meta-1',
      tags: { influxdb: 'cluster-a', 'influxdb:role': 'meta', 'influxdb:cluster': 'cluster-a' },
      groups: ['influx-cluster', 'influx-meta', 'meta-admin-wide'],
    },
    {
      name: 'influx-data-1',
      tags: { influxdb: 'cluster-a', 'influxdb:role': 'data', 'influxdb:cluster': 'cluster-a', 'influxdb:endpoint': e.hardened },
      groups: ['influx-cluster', 'influx-data'],
      volumes: [{ device: '/dev/sdf', sizeGiB: 1000, encrypted: true }],
    },
    {
      name: 'influx-well-configured',
      tags: { influxdb: 'prod', 'influxdb:endpoint': e.hardened, ...auditTag(audit.hardened) },
      groups: ['influx-private'],
      volumes: [{ device: '/dev/sdf', sizeGiB: 200, encrypted: true }],
    },
    ...(e.v2 && audit.v2
      ? [{ name: 'influx-v2', tags: { influxdb: 'v2', 'influxdb:endpoint': e.v2, ...auditTag(audit.v2) }, groups: ['influx-private'] }]
      : []),
    ...(e.v3 ? [{ name: 'influx-v3', tags: { influxdb: 'v3', 'influxdb:endpoint': e.v3 }, groups: ['influx-private'] }] : []),
    { name: 'grafana', tags: { Service: 'grafana' }, groups: ['influx-open-to-world'], publicIp: true, subnet: 'public' },
  ],
  // One container estate beside the instances (issue 30): a public Fargate 1.8 service with its admin password in
  // plain environment and its data on an unencrypted EFS, probed at the open server; a private 2.x service with its
  // credentials from Secrets Manager on an encrypted EFS.
  efs: [
    { name: 'influx-data-plain', encrypted: false },
    { name: 'influx-data-sealed', encrypted: true },
  ],
  ecs: [
    {
      name: 'influx-container-public',
      image: 'influxdb:1.8',
      environment: { INFLUXDB_ADMIN_USER: 'admin', INFLUXDB_ADMIN_PASSWORD: 'demo-not-a-real-password', INFLUXDB_DB: 'metrics' },
      groups: ['influx-open-to-world'],
      assignPublicIp: true,
      subnet: 'public',
      efs: { fileSystem: 'influx-data-plain', path: '/var/lib/influxdb' },
      running: 1,
      tags: { 'influxdb:endpoint': e.open },
    },
    {
      name: 'influx-container-v2',
      image: 'influxdb:2.7.12',
      environment: { DOCKER_INFLUXDB_INIT_MODE: 'setup', DOCKER_INFLUXDB_INIT_USERNAME: 'operator', INFLUXD_HARDENING_ENABLED: 'true' },
      secrets: ['DOCKER_INFLUXDB_INIT_PASSWORD', 'DOCKER_INFLUXDB_INIT_ADMIN_TOKEN'],
      groups: ['influx-private'],
      subnet: 'private',
      efs: { fileSystem: 'influx-data-sealed', path: '/var/lib/influxdb2', transitEncryption: true },
    },
  ],
  loadBalancers: [
    {
      name: 'influx-metrics-ui',
      kind: 'application',
      groups: ['alb-public'],
      listeners: [{ port: 443, targetPort: 8086, targets: ['influx-metrics'] }],
    },
  ],
});

/** Which local influxd stands in for each running instance's host (for host evidence). */
export const demoHosts = (pids: Record<Exclude<keyof DemoEndpoints, 'v2' | 'v3'>, number> & { v3?: number }): [string, number][] => [
  ['influx-prod-public', pids.open],
  ['influx-backup', pids.noAdmin],
  ['influx-metrics', pids.selfSigned],
  ['influx-data-1', pids.hardened],
  ['influx-well-configured', pids.hardened],
  ['influx-staging', pids.hardened],
  ...(pids.v3 ? [['influx-v3', pids.v3] as [string, number]] : []),
];
