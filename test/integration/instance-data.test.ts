/**
 * The five checks the peers see (issue 31), against moto: IMDSv1 vs IMDSv2, public and unencrypted snapshots of
 * attached data volumes (and snapshot Block Public Access), user data with credentials (plain, gzip+base64, MIME
 * multipart) and without, an internet-facing ALB with an HTTP listener to 8086; and no planted secret in any output.
 * moto ignores DescribeSnapshots' OwnerIds/RestorableByUserIds and lacks snapshot Block Public Access: the project's
 * emulator patches both (scripts/moto_server.py).
 */
import { beforeAll, describe, expect, it } from '@jest/globals';
import { selectChecks } from '../../lib/cli/select.js';
import { clearUserDataCache } from '../../lib/discover/instance-data.js';
import { parseConfig } from '../../lib/config.js';
import type { Finding, ScanDocument, SubjectRef } from '../../lib/model.js';
import { buildSummary } from '../../lib/publish/sns.js';
import { FORMATS, renderDocument } from '../../lib/render/formats.js';
import { renderTable } from '../../lib/render/table.js';
import { scan } from '../../lib/scan.js';
import { seedEstate, type SeededEstate } from '../../scripts/estate.js';
import { testAccount, type TestAccount } from '../support/aws.js';

const R1 = 'eu-north-1';
const R2 = 'ca-central-1';
/** Planted credentials: none may appear in any output. */
const SECRETS = ['Planted-Admin-Pw-1', 'Planted-Setup-Pw-2', 'Planted-Token-3', 'Planted-Mime-Pw-4', 'Planted-Create-Pw-5'];

const MIME = [
  'Content-Type: multipart/mixed; boundary="==BOUNDARY=="',
  'MIME-Version: 1.0',
  '',
  '--==BOUNDARY==',
  'Content-Type: text/cloud-config; charset="us-ascii"',
  '',
  '#cloud-config',
  'packages: [influxdb]',
  '',
  '--==BOUNDARY==',
  'Content-Type: text/x-shellscript; charset="us-ascii"',
  'Content-Transfer-Encoding: base64',
  '',
  Buffer.from(`#!/bin/bash\necho start\nexport INFLUXDB_USER_PASSWORD='${SECRETS[3]}'\n`).toString('base64'),
  '--==BOUNDARY==--',
  '',
].join('\n');

let account: TestAccount;
let estate: SeededEstate;
let other: SeededEstate;
let doc: ScanDocument;
let subjects: SubjectRef[];

beforeAll(async () => {
  account = await testAccount();
  clearUserDataCache();
  estate = await seedEstate(account.seeder(R1), {
    region: R1,
    groups: [
      { name: 'private', rules: [{ ports: 8086, cidrs: ['10.0.0.0/16'] }] },
      { name: 'alb', rules: [{ ports: 80, cidrs: ['0.0.0.0/0'] }] },
      { name: 'behind-alb', rules: [{ ports: 8086, groups: ['alb'] }] },
    ],
    instances: [
      {
        name: 'v1-snapshots',
        tags: { influxdb: '' },
        groups: ['private'],
        imds: 'v1',
        volumes: [
          { device: '/dev/sdf', sizeGiB: 50, encrypted: false },
          { device: '/dev/sdg', sizeGiB: 50, encrypted: true },
        ],
        // A public snapshot of the unencrypted data volume; a private one of the encrypted one.
        snapshots: [{ device: '/dev/sdf', public: true }, { device: '/dev/sdg' }],
        userData: `#!/bin/bash\nyum install -y influxdb\nexport INFLUXDB_ADMIN_PASSWORD="${SECRETS[0]}"\n`,
      },
      {
        name: 'v2-gzip',
        tags: { influxdb: '' },
        groups: ['private'],
        imds: 'v2',
        userData: {
          gzip: true,
          text: `#!/bin/sh\ninflux setup -u admin -p ${SECRETS[1]} -o org -b metrics -f\nINFLUX_TOKEN=${SECRETS[2]} telegraf\n`,
        },
      },
      { name: 'mime', tags: { influxdb: '' }, groups: ['private'], imds: 'disabled', userData: MIME },
      {
        name: 'clean',
        tags: { influxdb: '' },
        groups: ['private'],
        userData: [
          '#!/bin/bash',
          'INFLUXDB_ADMIN_PASSWORD=',
          'INFLUXDB_ADMIN_PASSWORD_FILE=/run/secrets/admin',
          'export INFLUX_TOKEN=$TOKEN',
          // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell reference, not a template
          'DOCKER_INFLUXDB_INIT_PASSWORD="${PW}"',
          'INFLUX_PASSWORD=$(aws secretsmanager get-secret-value --secret-id influx --query SecretString --output text)',
          'influx setup -u admin -p "$PW" -f',
        ].join('\n'),
      },
      {
        name: 'behind-alb',
        tags: { influxdb: '' },
        groups: ['behind-alb'],
        userData: `influx -execute "CREATE USER a WITH PASSWORD '${SECRETS[4]}'"`,
      },
    ],
    loadBalancers: [
      { name: 'plain-alb', kind: 'application', groups: ['alb'], listeners: [{ port: 80, targetPort: 8086, targets: ['behind-alb'] }] },
    ],
  });
  other = await seedEstate(account.seeder(R2), {
    region: R2,
    snapshotBlockPublicAccess: 'block-all-sharing',
    groups: [{ name: 'private', rules: [{ ports: 8086, cidrs: ['10.0.0.0/16'] }] }],
    instances: [
      {
        name: 'blocked',
        tags: { influxdb: '' },
        groups: ['private'],
        volumes: [{ device: '/dev/sdf', sizeGiB: 10, encrypted: true }],
        snapshots: [{ device: '/dev/sdf', public: true }],
      },
    ],
  });
  const config = parseConfig({ probe: { enabled: false }, regions: [R1, R2] });
  const { clients } = account.clients(config);
  ({ document: doc, subjects } = await scan(config, { clients, homeRegion: R1 }));
});

const id = (name: string, e = estate) => e.instances[name]![0]!;
const of = (check: string, name: string, e = estate): Finding[] =>
  doc.findings.filter((f) => f.checkId === check && f.instanceId === id(name, e));

describe('ec2.imds-v1-allowed', () => {
  it('fails IMDSv1 (MEDIUM without a probe), passes IMDSv2 and a disabled endpoint', () => {
    expect(of('ec2.imds-v1-allowed', 'v1-snapshots')).toEqual([
      expect.objectContaining({ status: 'FAILED', severity: 'MEDIUM', evidence: expect.objectContaining({ httpTokens: 'optional' }) }),
    ]);
    expect(of('ec2.imds-v1-allowed', 'v2-gzip')).toEqual([expect.objectContaining({ status: 'PASSED' })]);
    expect(of('ec2.imds-v1-allowed', 'mime')).toEqual([
      expect.objectContaining({ status: 'PASSED', evidence: expect.objectContaining({ httpEndpoint: 'disabled' }) }),
    ]);
  });
});

describe('ebs.snapshot-public and ebs.snapshot-unencrypted', () => {
  it('a public snapshot of an attached data volume is CRITICAL; the unencrypted one is HIGH, one finding per snapshot', () => {
    const [pub, priv] = estate.snapshots['v1-snapshots']!;
    expect(of('ebs.snapshot-public', 'v1-snapshots')).toEqual([
      expect.objectContaining({ status: 'FAILED', severity: 'CRITICAL', resource: { type: 'Other', id: pub } }),
    ]);
    const unenc = of('ebs.snapshot-unencrypted', 'v1-snapshots');
    expect(unenc.map((f) => [f.resource.id, f.status])).toEqual(
      expect.arrayContaining([
        [pub, 'FAILED'],
        [priv, 'PASSED'],
      ]),
    );
    expect(unenc).toHaveLength(2);
    expect(of('ebs.snapshot-public', 'v2-gzip')).toEqual([expect.objectContaining({ status: 'PASSED' })]);
  });
  it('Block Public Access in block-all-sharing keeps a public snapshot private: PASSED, saying why', () => {
    const [f] = of('ebs.snapshot-public', 'blocked', other);
    expect(f).toMatchObject({ status: 'PASSED', evidence: { blockPublicAccess: 'block-all-sharing' } });
  });
});

describe('secrets.user-data', () => {
  it('names the variable or command and its line, for plain, gzip+base64 and MIME multipart user data', () => {
    const creds = (name: string) => of('secrets.user-data', name)[0]!.evidence.credentials;
    expect(of('secrets.user-data', 'v1-snapshots')[0]).toMatchObject({ status: 'FAILED', severity: 'HIGH' });
    expect(creds('v1-snapshots')).toEqual([{ name: 'INFLUXDB_ADMIN_PASSWORD', line: 3 }]);
    expect(creds('v2-gzip')).toEqual([
      { name: 'influx -p', line: 2 },
      { name: 'INFLUX_TOKEN', line: 3 },
    ]);
    expect(creds('mime')).toEqual([{ name: 'INFLUXDB_USER_PASSWORD', line: 3, part: 2 }]);
    expect(creds('behind-alb')).toEqual([{ name: 'CREATE USER … WITH PASSWORD', line: 1 }]);
  });
  it('passes user data whose credentials are empty, *_FILE paths or shell references', () => {
    expect(of('secrets.user-data', 'clean')).toEqual([expect.objectContaining({ status: 'PASSED' })]);
  });
});

describe('tls.load-balancer-plaintext', () => {
  it('an internet-facing ALB with an HTTP listener forwarding to 8086 is HIGH, on the load balancer', () => {
    expect(of('tls.load-balancer-plaintext', 'behind-alb')).toEqual([
      expect.objectContaining({
        status: 'FAILED',
        severity: 'HIGH',
        resource: { type: 'AwsElbv2LoadBalancer', id: estate.loadBalancers['plain-alb'] },
        evidence: expect.objectContaining({ listeners: ['HTTP 80 → 8086'] }),
      }),
    ]);
    expect(of('tls.load-balancer-plaintext', 'clean')).toEqual([expect.objectContaining({ status: 'PASSED' })]);
  });
});

describe('no planted secret in any output', () => {
  it('json, asff, ocsf, csv, html, table and the SNS summary', async () => {
    const outputs: Record<string, string> = {};
    for (const fmt of FORMATS)
      outputs[fmt] =
        fmt === 'table'
          ? renderTable(doc, { color: false, showPassed: true, subjects })
          : [...(await renderDocument(fmt, doc, { subjects }))].join('');
    const s = buildSummary(doc, undefined);
    outputs.sns = `${s.subject}\n${s.message}`;
    for (const [fmt, text] of Object.entries(outputs)) {
      expect([fmt, text.length > 0]).toEqual([fmt, true]);
      for (const secret of SECRETS) expect([fmt, text.includes(secret)]).toEqual([fmt, false]);
    }
    // The names do appear: the outputs say where the credential is.
    expect(outputs.json).toContain('INFLUXDB_ADMIN_PASSWORD');
    expect(outputs.table).toContain('INFLUXDB_ADMIN_PASSWORD (line 3)');
  });
});

describe('a scan of chosen checks (influxguard scan --check … --kind …)', () => {
  it('reads only what they need (no user data, snapshots, account settings, other kinds) and answers as the full scan does', async () => {
    clearUserDataCache();
    const config = parseConfig({ probe: { enabled: false }, regions: [R1, R2] });
    const { clients, counter } = account.clients(config);
    const checks = selectChecks(['net.*', 'ebs.volume-unencrypted', 'tls.load-balancer-plaintext']);
    const partial = await scan(config, { clients, homeRegion: R1, checks, kinds: ['ec2-instance'] });
    const calls = Object.keys(counter.callsByOperation());
    for (const unread of [
      'ec2:DescribeInstanceAttribute',
      'ec2:DescribeSnapshots',
      'ec2:GetSnapshotBlockPublicAccessState',
      'ec2:GetEbsEncryptionByDefault',
    ])
      expect([unread, calls.includes(unread)]).toEqual([unread, false]);
    expect(calls.filter((c) => /^(ecs|timestream|efs)/.test(c))).toEqual([]);
    expect(calls).toEqual(expect.arrayContaining(['ec2:DescribeSecurityGroups', 'ec2:DescribeVolumes', 'ec2:DescribeRouteTables']));
    // The chosen checks' findings are the full scan's, and only theirs.
    const ids = new Set(checks.map((c) => c.id));
    const key = (f: Finding) => JSON.stringify([f.checkId, f.resource.id, f.status, f.severity, f.title]);
    expect(partial.document.findings.map(key).sort()).toEqual(
      doc.findings
        .filter((f) => ids.has(f.checkId))
        .map(key)
        .sort(),
    );
    expect(partial.document.findings.length).toBeGreaterThan(0);
  });
});
