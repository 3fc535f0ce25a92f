/**
 * Remediation from Security Hub custom actions (and `influxguard remediate`)
 * against moto: each action changes exactly what it should, only with
 * remediationApply (dry run otherwise), refuses findings influxguard did not
 * produce and stale ones, notes who asked and what changed, and asks for the
 * rescan that resolves the finding through the normal lifecycle. moto has no
 * BatchUpdateFindings: the project's emulator adds it (scripts/moto_server.py);
 * aws-sdk-client-mock passes it through, and injects its failures (denied,
 * missing as in plain moto, unprocessed) where a test asks for them.
 */
import { createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { beforeAll, describe, expect, it } from '@jest/globals';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteMessageCommand } from '@aws-sdk/client-sqs';
import { CreateQueueCommand } from '@aws-sdk/client-sqs';
import {
  DeleteTagsCommand,
  EC2Client,
  DescribeInstancesCommand,
  DescribeSecurityGroupsCommand,
  GetEbsEncryptionByDefaultCommand,
  ModifyInstanceAttributeCommand,
  ModifyNetworkInterfaceAttributeCommand,
} from '@aws-sdk/client-ec2';
import type { AwsSecurityFinding } from '@aws-sdk/client-securityhub';
import { handler as remediateHandler } from '../../handlers/remediate.js';
import { handler as events } from '../../handlers/events.js';
import { handler as worker } from '../../handlers/worker.js';
import { resetAppDeps } from '../../lib/app/runtime.js';
import { ScanStore } from '../../lib/app/store.js';
import { seedEstate, type SeededEstate } from '../../scripts/estate.js';
import { endpoint, testAccount, type TestAccount } from '../support/aws.js';
import { createAppResources, lambdaContext, receiveAsEvent, type AppResources } from '../support/app.js';
import { runCli } from '../support/cli.js';
import {
  hubFinding,
  ingressOf,
  customAction as customActionOf,
  mockNotes,
  notes,
  remediationHooks,
  restoreNotes,
  runMain,
  scanAndPublishRegion,
  takeMessages,
  useRemediationEnv,
  type NoteMode,
} from '../support/remediation.js';

const R = 'eu-west-1';
/** An unaligned split whose union is 0.0.0.0/0 (issue 35: it passed the scan, and remediation refused it). */
const SPLIT = ['0.0.0.0/3', '32.0.0.0/4', '48.0.0.0/4', '64.0.0.0/2', '128.0.0.0/1'];
let home: TestAccount;
let res: AppResources;
let eventsQueueUrl = '';
let estate: SeededEstate;
const savedEnv = { ...process.env };

const findingOf = (checkId: string, resourceId: string) => hubFinding(home, R, checkId, resourceId);
const ingress = (groupId: string) => ingressOf(home, R, groupId);

const customAction = (targetId: string, finding: AwsSecurityFinding) => customActionOf(home, R, targetId, finding);

async function runAction(
  targetId: string,
  finding: AwsSecurityFinding,
  apply: boolean,
  mode: NoteMode = 'real',
  env: Record<string, string> = {},
) {
  process.env.INFLUXGUARD_REMEDIATION_APPLY = String(apply);
  Object.assign(process.env, env);
  resetAppDeps();
  mockNotes(mode);
  try {
    return (await remediateHandler(customAction(targetId, finding), lambdaContext('remediate'))) as { remediated: any[] };
  } finally {
    process.env.INFLUXGUARD_EVENTS_QUEUE_URL = eventsQueueUrl;
  }
}

/** Messages on the events queue (rescans asked for), removed. */
const takeEventMessages = () => takeMessages(res, eventsQueueUrl);

beforeAll(async () => {
  home = await testAccount();
  res = await createAppResources(home, R, 'remediate');
  eventsQueueUrl = (await res.sqs.send(new CreateQueueCommand({ QueueName: 'remediate-changes' }))).QueueUrl!;
  estate = await seedEstate(home.seeder(R), {
    region: R,
    groups: [
      {
        name: 'open',
        rules: [
          { ports: 8086, cidrs: ['0.0.0.0/0', '10.0.0.0/8'], ipv6: ['::/0'] },
          { ports: 22, cidrs: ['0.0.0.0/0'] },
          { ports: 8088, cidrs: ['0.0.0.0/1', '128.0.0.0/1'] },
        ],
      },
      { name: 'cli', rules: [{ ports: 8086, cidrs: ['0.0.0.0/0'] }] },
      { name: 'all', rules: [{ protocol: '-1', cidrs: ['0.0.0.0/0'] }] },
      { name: 'wide', rules: [{ ports: [0, 65535], cidrs: ['0.0.0.0/0'] }] },
      { name: 'moved', rules: [{ ports: 8086, cidrs: ['0.0.0.0/0'] }] },
      { name: 'untagged', rules: [{ ports: 8086, cidrs: ['0.0.0.0/0'] }] },
      { name: 'spare', rules: [] },
      ...['p-denied', 'p-missing', 'p-unprocessed', 'p-rescan', 'q-missing', 'q-unprocessed', 'q-denied', 'q-rescan', 'race', 'shared'].map(
        (name) => ({
          name,
          rules: [{ ports: 8086, cidrs: ['0.0.0.0/0'] }],
        }),
      ),
      {
        name: 'split',
        rules: [
          { ports: 8086, cidrs: [...SPLIT, '10.0.0.0/8', '52.94.76.0/24'] },
          { ports: 22, cidrs: ['0.0.0.0/0'] },
          { ports: 8088, cidrs: ['10.0.0.0/16'] },
        ],
      },
      {
        name: 'plsplit',
        rules: [
          { ports: 8086, prefixLists: ['half'] },
          { ports: 8086, cidrs: ['128.0.0.0/1'] },
        ],
      },
      { name: 'redundant', rules: [{ ports: 8086, cidrs: ['0.0.0.0/0', '0.0.0.0/1', '128.0.0.0/1'] }] },
    ],
    prefixLists: [{ name: 'half', cidrs: ['0.0.0.0/1', '52.94.76.0/24'] }],
    instances: [
      { name: 'a', tags: { influxdb: '' }, groups: ['open'] },
      { name: 'c', tags: { influxdb: '' }, groups: ['cli'] },
      { name: 's1', tags: { influxdb: '' }, groups: ['shared'] },
      { name: 's2', tags: { influxdb: '' }, groups: ['shared'] },
      { name: 'w', tags: { influxdb: '' }, groups: ['all'] },
      { name: 'x', tags: { influxdb: '' }, groups: ['wide'] },
      { name: 'm', tags: { influxdb: '' }, groups: ['moved', 'spare'] },
      { name: 'u', tags: { influxdb: '' }, groups: ['untagged'] },
      ...[
        'p-denied',
        'p-missing',
        'p-unprocessed',
        'p-rescan',
        'q-missing',
        'q-unprocessed',
        'q-denied',
        'q-rescan',
        'race',
        'split',
        'plsplit',
        'redundant',
      ].map((g) => ({ name: g, tags: { influxdb: '' }, groups: [g] })),
    ],
  });
  useRemediationEnv(home, res, eventsQueueUrl, R);
  await scanAndPublishRegion(home, R);
}, 120_000);

remediationHooks(savedEnv);

describe('Revoke world-open InfluxDB rule', () => {
  const untouched = ['tcp 22-22 0.0.0.0/0', 'tcp 8086-8086 10.0.0.0/8'];

  it('dry run by default: nothing changes, the note says what would', async () => {
    const before = await ingress(estate.groups.open!);
    const out = await runAction('IgRevokeWorldOpen', await findingOf('net.http-port-public', estate.groups.open!), false);
    expect(out.remediated).toEqual([expect.objectContaining({ applied: false, rescanRequested: false })]);
    expect(await ingress(estate.groups.open!)).toEqual(before);
    expect(notes()).toHaveLength(1);
    expect(notes()[0]!.Note.Text).toMatch(/DRY RUN.*revoke .*tcp 8086 from 0\.0\.0\.0\/0; revoke .*tcp 8086 from ::\/0/);
    expect(notes()[0]!.Note.UpdatedBy).toMatch(/^Security Hub custom action \(EventBridge event ev-\w+, account \d{12}\)$/);
    expect(await takeEventMessages()).toEqual([]);
  });

  it('with remediationApply: revokes exactly the world-open 8086 rules the finding names; the others stay; a rescan is asked for', async () => {
    const out = await runAction('IgRevokeWorldOpen', await findingOf('net.http-port-public', estate.groups.open!), true);
    expect(out.remediated).toEqual([expect.objectContaining({ applied: true, rescanRequested: true })]);
    expect(await ingress(estate.groups.open!)).toEqual([...untouched, 'tcp 8088-8088 0.0.0.0/1', 'tcp 8088-8088 128.0.0.0/1'].sort());
    expect(notes()[0]!.Note.Text).toMatch(/done: revoke .*8086 from 0\.0\.0\.0\/0; revoke .*8086 from ::\/0/);
    // The emulator's BatchUpdateFindings (moto lacks it) stored the note on the finding.
    expect((await findingOf('net.http-port-public', estate.groups.open!)).Note?.Text).toMatch(/done: revoke .*8086 from 0\.0\.0\.0\/0/);
    expect(await takeEventMessages()).toEqual([
      expect.objectContaining({
        kind: 'rescan',
        accountId: home.accountId,
        region: R,
        instanceIds: estate.instances.a,
        wholeRegion: false,
      }),
    ]);
  });

  it('a split that covers the internet (0.0.0.0/1 + 128.0.0.0/1 on 8088) is revoked as a whole', async () => {
    await runAction('IgRevokeWorldOpen', await findingOf('net.rpc-port-exposed', estate.groups.open!), true);
    expect(await ingress(estate.groups.open!)).toEqual(untouched);
    await takeEventMessages();
  });

  it('refuses a stale finding (the rule is already gone): nothing changes, the note says why', async () => {
    const out = await runAction('IgRevokeWorldOpen', await findingOf('net.http-port-public', estate.groups.open!), true);
    expect(out.remediated[0].refused).toMatch(/^stale finding: sg-\w+ no longer opens TCP 8086 to the world/);
    // Issue 35: the refusal does not hide the earlier change (the table's record, and the note's earlier entry).
    expect(out.remediated[0].refused).toMatch(
      /remediated at \S+ by Security Hub custom action .*\): revoke sg-\w+: tcp 8086 from 0\.0\.0\.0\/0/,
    );
    expect(await ingress(estate.groups.open!)).toEqual(untouched);
    expect(notes()[0]!.Note.Text).toMatch(
      /^influxguard .*refused: stale finding.* \|\| influxguard .*: done: revoke .*tcp 8086 from 0\.0\.0\.0\/0/,
    );
    expect(await takeEventMessages()).toEqual([]);
  });

  it('refuses findings influxguard did not produce (ProductArn, GeneratorId, Id), without writing on them', async () => {
    const ours = await findingOf('net.http-port-public', estate.groups.cli!);
    const forged: AwsSecurityFinding[] = [
      { ...ours, ProductArn: `arn:aws:securityhub:${R}::product/aws/guardduty` },
      { ...ours, GeneratorId: 'someone-else/net.http-port-public' },
      { ...ours, Id: ours.Id!.replace(/^influxguard\//, 'elsewhere/') },
      { ...ours, AwsAccountId: '111122223333' },
    ];
    for (const f of forged) {
      const out = await runAction('IgRevokeWorldOpen', f, true);
      expect(out.remediated[0].refused).toMatch(/not an influxguard finding|do not match its Id|account 111122223333/);
      expect(notes()).toEqual([]);
      restoreNotes();
    }
    expect(await ingress(estate.groups.cli!)).toEqual(['tcp 8086-8086 0.0.0.0/0']);
  });

  it('refuses a finding that does not name its rules (its list did not fit the product field): never guesses', async () => {
    const ours = await findingOf('net.http-port-public', estate.groups.cli!);
    const { 'influxguard/Rules': _rules, ...fields } = ours.ProductFields!;
    const out = await runAction('IgRevokeWorldOpen', { ...ours, ProductFields: fields }, true);
    expect(out.remediated[0].refused).toMatch(/does not name its rules/);
    expect(await ingress(estate.groups.cli!)).toEqual(['tcp 8086-8086 0.0.0.0/0']);
  });

  it('review 7: refuses to revoke an all-traffic or 0-65535 world rule whole (it would close every other port too)', async () => {
    for (const g of [estate.groups.all!, estate.groups.wide!]) {
      const before = await ingress(g);
      expect(before).toHaveLength(1);
      const out = await runAction('IgRevokeWorldOpen', await findingOf('net.http-port-public', g), true);
      expect(out.remediated[0].refused).toMatch(/spans other ports or protocols than TCP 8086: .*remediate by hand/);
      expect(notes()[0]!.Note.Text).toMatch(/refused: .*spans other ports or protocols/);
      expect(await ingress(g)).toEqual(before);
      restoreNotes();
    }
    expect(await takeEventMessages()).toEqual([]);
  });

  it('review 6: refuses when the group is no longer attached to the instance the finding names', async () => {
    const f = await findingOf('net.http-port-public', estate.groups.moved!);
    // AWS moves the primary interface to the new groups; moto updates only the instance's list: both are set here.
    const ec2 = home.seeder(R);
    const id = estate.instances.m![0]!;
    await ec2.send(new ModifyInstanceAttributeCommand({ InstanceId: id, Groups: [estate.groups.spare!] }));
    const inst = (await ec2.send(new DescribeInstancesCommand({ InstanceIds: [id] }))).Reservations![0]!.Instances![0]!;
    for (const ni of inst.NetworkInterfaces ?? [])
      await ec2.send(
        new ModifyNetworkInterfaceAttributeCommand({ NetworkInterfaceId: ni.NetworkInterfaceId!, Groups: [estate.groups.spare!] }),
      );
    const out = await runAction('IgRevokeWorldOpen', f, true);
    expect(out.remediated[0].refused).toMatch(/^stale finding: sg-\w+ is no longer attached to i-\w+/);
    expect(await ingress(estate.groups.moved!)).toEqual(['tcp 8086-8086 0.0.0.0/0']);
    expect(await takeEventMessages()).toEqual([]);
  });

  it('review 6: refuses when the instance the finding names is no longer selected (its selector tag removed)', async () => {
    const f = await findingOf('net.http-port-public', estate.groups.untagged!);
    await home.seeder(R).send(new DeleteTagsCommand({ Resources: [estate.instances.u![0]!], Tags: [{ Key: 'influxdb' }] }));
    const out = await runAction('IgRevokeWorldOpen', f, true);
    expect(out.remediated[0].refused).toMatch(/^stale finding: i-\w+ is no longer selected/);
    expect(await ingress(estate.groups.untagged!)).toEqual(['tcp 8086-8086 0.0.0.0/0']);
    expect(await takeEventMessages()).toEqual([]);
  });

  it('refuses the action on a finding it does not apply to', async () => {
    const out = await runAction('IgRevokeWorldOpen', await findingOf('ebs.default-encryption-disabled', home.accountId), true);
    expect(out.remediated[0].refused).toMatch(/applies to security group findings/);
  });
});

describe('Enable EBS encryption by default', () => {
  const enabled = async () => (await home.seeder(R).send(new GetEbsEncryptionByDefaultCommand({}))).EbsEncryptionByDefault;

  it('dry run, then apply, then stale', async () => {
    const finding = await findingOf('ebs.default-encryption-disabled', home.accountId);
    await runAction('IgEnableEbsDefault', finding, false);
    expect(await enabled()).toBe(false);
    restoreNotes();
    const out = await runAction('IgEnableEbsDefault', finding, true);
    expect(out.remediated[0]).toMatchObject({ applied: true, changes: [`enable EBS encryption by default in ${home.accountId}/${R}`] });
    expect(await enabled()).toBe(true);
    expect(await takeEventMessages()).toEqual([expect.objectContaining({ kind: 'rescan', wholeRegion: true })]);
    restoreNotes();
    expect((await runAction('IgEnableEbsDefault', finding, true)).remediated[0].refused).toMatch(/stale finding/);
  });
});

describe('the rescan resolves the finding through the normal lifecycle', () => {
  it('Rescan now → events → worker → the revoked finding is PASSED in Security Hub', async () => {
    const finding = await findingOf('net.http-port-public', estate.groups.open!);
    expect(finding.Compliance?.Status).toBe('FAILED');
    const out = await runAction('IgRescan', finding, false); // a rescan changes nothing: allowed in a dry run
    expect(out.remediated[0]).toMatchObject({ rescanRequested: true, changes: [] });
    restoreNotes();
    // The events function notes the rescan and (quiet 0) dispatches it; the worker scans and publishes.
    for (let round = 0; round < 5; round++) {
      const batch = await receiveAsEvent(res.sqs, eventsQueueUrl);
      if (batch.Records.length) {
        await events(batch, lambdaContext('events'));
        for (const r of batch.Records)
          await res.sqs.send(new DeleteMessageCommand({ QueueUrl: eventsQueueUrl, ReceiptHandle: r.receiptHandle }));
      }
      const units = await receiveAsEvent(res.sqs, res.queueUrl);
      if (units.Records.length) {
        await worker(units, lambdaContext('worker'));
        for (const r of units.Records)
          await res.sqs.send(new DeleteMessageCommand({ QueueUrl: res.queueUrl, ReceiptHandle: r.receiptHandle }));
      }
    }
    expect((await findingOf('net.http-port-public', estate.groups.open!)).Compliance?.Status).toBe('PASSED');
    expect((await findingOf('net.http-port-public', estate.groups.cli!)).Compliance?.Status).toBe('FAILED'); // another instance: untouched
  }, 60_000);
});

describe('influxguard remediate FINDING_ID [--apply]', () => {
  const run = (args: string[]) => runMain(home, R, args);

  it('shows the planned change and changes nothing without --apply; with --apply revokes, notes who asked, rescans and resolves', async () => {
    const id = (await findingOf('net.http-port-public', estate.groups.cli!)).Id!;
    const plan = await run(['remediate', id]);
    expect(plan).toMatchObject({ code: 0, stderr: '' });
    expect(plan.stdout).toContain(`revoke ${estate.groups.cli}: tcp 8086 from 0.0.0.0/0`);
    expect(plan.stdout).toContain('dry run: nothing changed');
    expect(await ingress(estate.groups.cli!)).toEqual(['tcp 8086-8086 0.0.0.0/0']);

    mockNotes();
    const done = await run(['remediate', id, '--apply']);
    expect(done).toMatchObject({ code: 0, stderr: '' });
    expect(await ingress(estate.groups.cli!)).toEqual([]);
    expect(notes()[0]!.Note.UpdatedBy).toMatch(new RegExp(`^arn:aws:sts::${home.accountId}:`));
    expect(done.stdout).toMatch(/rescanned: \d+ finding\(s\) imported, 1 resolved/);
    restoreNotes();
    expect((await findingOf('net.http-port-public', estate.groups.cli!)).Compliance?.Status).toBe('PASSED');

    const again = await run(['remediate', id, '--apply']);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/refused: the finding is not failing|refused: stale/);
  }, 60_000);
});

describe('issue 35: a change made is always reported, and recorded where it can be', () => {
  const remediationTable = () =>
    new ScanStore(new DynamoDBClient({ region: R, endpoint: endpoint(), credentials: home.credentials }), res.table);

  it.each([
    ['denied', 'p-denied', /noting it on the finding: .*AccessDenied/],
    ['missing', 'p-missing', /noting it on the finding: .*UnknownOperation/],
    ['unprocessed', 'p-unprocessed', /noting it on the finding: .*did not process the finding \(FindingNotFound/],
  ] as const)(
    'the note step failing (%s) after the revocation: status partial, the change listed and logged, the rescan still asked for',
    async (mode, group, why) => {
      const out = await runAction('IgRevokeWorldOpen', await findingOf('net.http-port-public', estate.groups[group]!), true, mode);
      expect(out.remediated).toEqual([
        expect.objectContaining({
          status: 'partial',
          applied: true,
          changes: [`revoke ${estate.groups[group]}: tcp 8086 from 0.0.0.0/0`],
          failed: [expect.stringMatching(why)],
          rescanRequested: true,
        }),
      ]);
      expect(await ingress(estate.groups[group]!)).toEqual([]);
      expect(await takeEventMessages()).toEqual([expect.objectContaining({ kind: 'rescan', instanceIds: estate.instances[group] })]);
      // The table keeps the run (with what failed), whatever the note did.
      const history = await remediationTable().remediationHistory((await findingOf('net.http-port-public', estate.groups[group]!)).Id!);
      expect(history).toEqual([
        expect.objectContaining({ status: 'partial', changes: [`revoke ${estate.groups[group]}: tcp 8086 from 0.0.0.0/0`] }),
      ]);
    },
  );

  it('the rescan step failing after the revocation: status partial, the change listed, the note says done', async () => {
    const group = estate.groups['p-rescan']!;
    const missingQueue = eventsQueueUrl.replace(/[^/]+$/, 'no-such-queue');
    const out = await runAction('IgRevokeWorldOpen', await findingOf('net.http-port-public', group), true, 'real', {
      INFLUXGUARD_EVENTS_QUEUE_URL: missingQueue,
    });
    expect(out.remediated).toEqual([
      expect.objectContaining({
        status: 'partial',
        changes: [`revoke ${group}: tcp 8086 from 0.0.0.0/0`],
        failed: [expect.stringMatching(/^queuing the rescan: /)],
        rescanRequested: false,
      }),
    ]);
    expect(notes()[0]!.Note.Text).toMatch(/done: revoke .*tcp 8086 from 0\.0\.0\.0\/0/);
    expect(await ingress(group)).toEqual([]);
  });

  it('8 concurrent applies on one finding: one change, one success record, seven honest refusals', async () => {
    const group = estate.groups.race!;
    const finding = await findingOf('net.http-port-public', group);
    process.env.INFLUXGUARD_REMEDIATION_APPLY = 'true';
    resetAppDeps();
    mockNotes();
    const results = await Promise.all(
      Array.from({ length: 8 }, async () => {
        const out = (await remediateHandler(customAction('IgRevokeWorldOpen', finding), lambdaContext('remediate'))) as {
          remediated: any[];
        };
        return out.remediated[0];
      }),
    );
    const done = results.filter((r) => r.status === 'done');
    const refused = results.filter((r) => r.status === 'refused');
    expect(done).toEqual([expect.objectContaining({ changes: [`revoke ${group}: tcp 8086 from 0.0.0.0/0`] })]);
    expect(refused).toHaveLength(7);
    for (const r of refused)
      expect(r.refused).toMatch(/another remediation of this finding is in progress|stale finding: .*\(remediated at .*: revoke /);
    const history = await remediationTable().remediationHistory(finding.Id!);
    expect(history.filter((h) => h.status === 'done')).toHaveLength(1);
    expect(history.every((h) => h.status === 'done' || h.status === 'refused')).toBe(true);
    expect(await ingress(group)).toEqual([]);
    expect(await takeEventMessages()).toHaveLength(1);
  });

  it('the unaligned split fails the scan and is revoked piece by piece; the private and the narrow public range stay, other ports untouched', async () => {
    const group = estate.groups.split!;
    const finding = await findingOf('net.http-port-public', group);
    expect(finding.Compliance?.Status).toBe('FAILED');
    const out = await runAction('IgRevokeWorldOpen', finding, true);
    expect(out.remediated[0]).toMatchObject({ status: 'done', changes: SPLIT.map((c) => `revoke ${group}: tcp 8086 from ${c}`) });
    expect(await ingress(group)).toEqual([
      'tcp 22-22 0.0.0.0/0',
      'tcp 8086-8086 10.0.0.0/8',
      'tcp 8086-8086 52.94.76.0/24',
      'tcp 8088-8088 10.0.0.0/16',
    ]);
    await takeEventMessages();
  });

  it('a split across a prefix list and a CIDR, and a redundant split, are revoked (not refused as stale); the list’s narrow entry is named', async () => {
    const pl = estate.groups.plsplit!;
    const out = await runAction('IgRevokeWorldOpen', await findingOf('net.http-port-public', pl), true);
    expect(out.remediated[0]).toMatchObject({
      status: 'done',
      changes: [`revoke ${pl}: tcp 8086 from 128.0.0.0/1`, `revoke ${pl}: tcp 8086 from ${estate.prefixLists.half}`],
      notes: [`${estate.prefixLists.half}'s narrower entries go with it: 52.94.76.0/24`],
    });
    const got = await home.seeder(R).send(new DescribeSecurityGroupsCommand({ GroupIds: [pl] }));
    expect(got.SecurityGroups![0]!.IpPermissions ?? []).toEqual([]);
    restoreNotes();
    const red = estate.groups.redundant!;
    const again = await runAction('IgRevokeWorldOpen', await findingOf('net.http-port-public', red), true);
    expect(again.remediated[0]).toMatchObject({ status: 'done' });
    expect(again.remediated[0].changes).toHaveLength(3);
    expect(await ingress(red)).toEqual([]);
    await takeEventMessages();
  });

  it('a finding without Region is refused (never acted on in the event’s region); EBS default encryption only where a selected InfluxDB runs', async () => {
    const f = await findingOf('net.http-port-public', estate.groups.moved!);
    const { Region: _r, ...noRegion } = f;
    const out = await runAction('IgRevokeWorldOpen', noRegion as AwsSecurityFinding, true);
    expect(out.remediated[0]).toMatchObject({ status: 'refused', refused: expect.stringMatching(/no Region/) });
    restoreNotes();
    const other = 'eu-central-1';
    const ebs = await findingOf('ebs.default-encryption-disabled', home.accountId);
    const forged = {
      ...ebs,
      Id: ebs.Id!.replace(`/${R}/`, `/${other}/`),
      ProductArn: ebs.ProductArn!.replace(`:${R}:`, `:${other}:`),
      Region: other,
      Compliance: { Status: 'FAILED' as const },
    };
    const got = await runAction('IgEnableEbsDefault', forged, true);
    expect(got.remediated[0]).toMatchObject({
      status: 'refused',
      refused: expect.stringMatching(/no selected InfluxDB instance runs in \d+\/eu-central-1/),
    });
    const otherEc2 = new EC2Client({ region: other, endpoint: endpoint(), credentials: home.credentials });
    expect((await otherEc2.send(new GetEbsEncryptionByDefaultCommand({}))).EbsEncryptionByDefault).toBe(false);
  });
});

describe('issue 35 / issue 28 item 7: the real CLI (the bundle) reports a partial success as such, exit 3', () => {
  /** A loopback proxy to moto that answers some Security Hub calls itself: the faults a subprocess cannot be mocked into. */
  async function faultyEndpoint(fault: (method: string, path: string) => { status: number; body: string; type?: string } | undefined) {
    const upstream = new URL(endpoint());
    const server = createServer((req, resp) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const f = fault(req.method ?? '', req.url ?? '');
        if (f) {
          resp.writeHead(f.status, { 'content-type': 'application/json', ...(f.type ? { 'x-amzn-errortype': f.type } : {}) });
          resp.end(f.body);
          return;
        }
        const up = httpRequest(
          { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers },
          (u) => {
            resp.writeHead(u.statusCode ?? 502, u.headers);
            u.pipe(resp);
          },
        );
        up.on('error', () => resp.destroy());
        up.end(Buffer.concat(chunks));
      });
    });
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise((ok) => server.close(ok)) };
  }
  const noteCall = (m: string, p: string) => m === 'PATCH' && p.startsWith('/findings/batchupdate');

  it.each([
    [
      'missing as in plain moto',
      'q-missing',
      (m: string, p: string) => (noteCall(m, p) ? { status: 404, body: '<!doctype html><title>404 Not Found</title>' } : undefined),
    ],
    [
      'denied',
      'q-denied',
      (m: string, p: string) =>
        noteCall(m, p)
          ? { status: 403, type: 'AccessDeniedException', body: '{"message":"not authorized to perform: securityhub:BatchUpdateFindings"}' }
          : undefined,
    ],
    [
      'unprocessed',
      'q-unprocessed',
      (m: string, p: string) =>
        noteCall(m, p)
          ? {
              status: 200,
              body: '{"ProcessedFindings":[],"UnprocessedFindings":[{"FindingIdentifier":{"Id":"x","ProductArn":"y"},"ErrorCode":"FindingNotFound","ErrorMessage":"gone"}]}',
            }
          : undefined,
    ],
    [
      'rescan failing (its publication denied)',
      'q-rescan',
      (m: string, p: string) =>
        m === 'POST' && p.startsWith('/findings/import')
          ? { status: 403, type: 'AccessDeniedException', body: '{"message":"denied"}' }
          : undefined,
    ],
  ])(
    '%s: the revocation is printed as made, and the exit code is 3',
    async (_name, group, fault) => {
      const groupId = estate.groups[group]!;
      const id = (await findingOf('net.http-port-public', groupId)).Id!;
      const proxy = await faultyEndpoint(fault);
      try {
        const run = await runCli(['remediate', id, '--apply'], { ...home.env(R), AWS_ENDPOINT_URL: proxy.url });
        expect(run.code).toBe(3);
        expect(run.stdout).toContain(`changed: revoke ${groupId}: tcp 8086 from 0.0.0.0/0`);
        expect(run.stdout).toMatch(/PARTIAL: changed:\n {2}- revoke .*\nbut:\n {2}- (noting it on the finding|queuing the rescan): /);
        expect(run.stderr).toMatch(/^influxguard: changed 1 /m);
        expect(await ingress(groupId)).toEqual([]);
      } finally {
        await proxy.close();
      }
    },
    60_000,
  );

  it('a shared group is named in the plan ("also used by i-…"), and ids are printed through printable()', async () => {
    const id = (await findingOf('net.http-port-public', estate.groups.shared!)).Id!;
    const other = [...estate.instances.s1!, ...estate.instances.s2!].find((i) => !id.includes(`/${i}/`));
    const run = await runCli(['remediate', id], home.env(R));
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`${estate.groups.shared} is also used by ${other}: the change applies to them too`);
    expect(run.stdout).toContain('dry run: nothing changed');
  }, 60_000);
});
