/**
 * Issue 30 item 4: "Revoke world-open InfluxDB rule" on an ECS service's awsvpc group, against moto, exactly as for an
 * instance's group (test/app/remediate.test.ts): only TCP rules for exactly the finding's port, dry run by default,
 * the note, the rescan of the service (the message names the service's ARN, never an instance id), stale findings
 * refused (the service deleted); and a group shared with anything outside the service (another service's task, an
 * EC2 instance) is refused: the service's own group only.
 */
import { beforeAll, describe, expect, it } from '@jest/globals';
import { DeleteServiceCommand, ECSClient } from '@aws-sdk/client-ecs';
import { CreateQueueCommand } from '@aws-sdk/client-sqs';
import type { AwsSecurityFinding } from '@aws-sdk/client-securityhub';
import { handler as remediateHandler } from '../../handlers/remediate.js';
import { handler as events } from '../../handlers/events.js';
import { resetAppDeps } from '../../lib/app/runtime.js';
import { seedEstate, type SeededEstate } from '../../scripts/estate.js';
import { endpoint, testAccount, type TestAccount } from '../support/aws.js';
import { createAppResources, lambdaContext, type AppResources } from '../support/app.js';
import {
  hubFinding,
  ingressOf,
  customAction,
  mockNotes,
  notes,
  remediationHooks,
  restoreNotes,
  runMain,
  scanAndPublishRegion,
  takeMessages,
  useRemediationEnv,
} from '../support/remediation.js';

const R = 'eu-west-1';
/** Planted in a service's plain environment: no note, plan or output may carry it. */
const PLANTED = 'planted-Remediate-secret-5d2a';
let home: TestAccount;
let res: AppResources;
let eventsQueueUrl = '';
let estate: SeededEstate;
const savedEnv = { ...process.env };

const findingOf = (checkId: string, groupId: string) => hubFinding(home, R, checkId, groupId);
const ingress = (groupId: string) => ingressOf(home, R, groupId);

async function runAction(finding: AwsSecurityFinding, apply: boolean) {
  process.env.INFLUXGUARD_REMEDIATION_APPLY = String(apply);
  resetAppDeps();
  mockNotes();
  const event = customAction(home, R, 'IgRevokeWorldOpen', finding);
  return (await remediateHandler(event, lambdaContext('remediate'))) as { remediated: any[] };
}

/** Messages on the events queue (rescans asked for), removed; with `feed`, handed to the events function first. */
const takeEventMessages = (feed = false) =>
  takeMessages(res, eventsQueueUrl, feed ? (batch) => events(batch, lambdaContext('events')) : undefined);

beforeAll(async () => {
  home = await testAccount();
  res = await createAppResources(home, R, 'remediate-ecs');
  eventsQueueUrl = (await res.sqs.send(new CreateQueueCommand({ QueueName: 'remediate-ecs-changes' }))).QueueUrl!;
  const service = (name: string, group: string) => ({
    name,
    image: 'influxdb:1.8',
    environment: { INFLUXDB_ADMIN_PASSWORD: PLANTED },
    groups: [group],
    assignPublicIp: true,
    running: 1,
  });
  estate = await seedEstate(home.seeder(R), {
    region: R,
    ebsDefaultEncryption: true,
    groups: [
      {
        name: 'own',
        rules: [
          { ports: 8086, cidrs: ['0.0.0.0/0', '10.0.0.0/8'] },
          { ports: 22, cidrs: ['0.0.0.0/0'] },
        ],
      },
      { name: 'cli', rules: [{ ports: 8086, cidrs: ['0.0.0.0/0'] }] },
      { name: 'with-ec2', rules: [{ ports: 8086, cidrs: ['0.0.0.0/0'] }] },
      { name: 'with-task', rules: [{ ports: 8086, cidrs: ['0.0.0.0/0'] }] },
      { name: 'gone', rules: [{ ports: 8086, cidrs: ['0.0.0.0/0'] }] },
    ],
    instances: [{ name: 'web', groups: ['with-ec2'] }],
    ecs: [
      service('influx-own', 'own'),
      service('influx-cli', 'cli'),
      service('influx-ec2', 'with-ec2'),
      service('influx-task', 'with-task'),
      { name: 'grafana', image: 'grafana/grafana:11.0.0', groups: ['with-task'], running: 1 },
      service('influx-gone', 'gone'),
    ],
  });
  useRemediationEnv(home, res, eventsQueueUrl, R);
  await scanAndPublishRegion(home, R);
}, 120_000);

remediationHooks(savedEnv);

describe("Revoke world-open InfluxDB rule on an ECS service's group", () => {
  it('the scan fails the service on its own group (the finding names the service)', async () => {
    const f = await findingOf('net.http-port-public', estate.groups.own!);
    expect(f.Compliance?.Status).toBe('FAILED');
    expect(f.Id).toContain(estate.ecs['influx-own']);
  });

  it('dry run by default: nothing changes, the note says what would', async () => {
    const before = await ingress(estate.groups.own!);
    const out = await runAction(await findingOf('net.http-port-public', estate.groups.own!), false);
    expect(out.remediated).toEqual([expect.objectContaining({ status: 'planned', applied: false, rescanRequested: false })]);
    expect(await ingress(estate.groups.own!)).toEqual(before);
    expect(notes()[0]!.Note.Text).toMatch(/DRY RUN.*would: revoke sg-\w+: tcp 8086 from 0\.0\.0\.0\/0$/);
    expect(await takeEventMessages()).toEqual([]);
  });

  it("with remediationApply: revokes the world-open 8086 rule only; the rescan message names the service's ARN", async () => {
    const out = await runAction(await findingOf('net.http-port-public', estate.groups.own!), true);
    expect(out.remediated).toEqual([expect.objectContaining({ status: 'done', applied: true, rescanRequested: true })]);
    expect(await ingress(estate.groups.own!)).toEqual(['tcp 22-22 0.0.0.0/0', 'tcp 8086-8086 10.0.0.0/8']);
    expect(notes()[0]!.Note.Text).toMatch(/done: revoke sg-\w+: tcp 8086 from 0\.0\.0\.0\/0/);
    expect(JSON.stringify(out).includes(PLANTED) || JSON.stringify(notes()).includes(PLANTED)).toBe(false);
    // The events function accepts the message and notes the service: its delayed check ("due") follows.
    const messages = await takeEventMessages(true);
    expect(messages).toEqual([
      {
        kind: 'rescan',
        accountId: home.accountId,
        region: R,
        instanceIds: [],
        serviceArns: [estate.ecs['influx-own']],
        wholeRegion: false,
        requestedBy: expect.stringMatching(/^Security Hub custom action/),
      },
      expect.objectContaining({ kind: 'due', accountId: home.accountId, region: R }),
    ]);
  });

  it("refuses a group shared with an EC2 instance or another service's task: the service's own group only", async () => {
    for (const [group, other] of [
      ['with-ec2', /also used by i-\w+, outside ECS service influx-ec2/],
      ['with-task', /also used by eni-\w+, outside ECS service influx-task/],
    ] as const) {
      const out = await runAction(await findingOf('net.http-port-public', estate.groups[group]!), true);
      expect(out.remediated[0]).toMatchObject({ status: 'refused', applied: false });
      expect(out.remediated[0].refused).toMatch(other);
      expect(await ingress(estate.groups[group]!)).toEqual(['tcp 8086-8086 0.0.0.0/0']);
      restoreNotes();
    }
    expect(await takeEventMessages()).toEqual([]);
  });

  it('refuses a stale finding: the service was deleted', async () => {
    const f = await findingOf('net.http-port-public', estate.groups.gone!);
    const ecs = new ECSClient({ region: R, endpoint: endpoint(), credentials: home.credentials });
    await ecs.send(new DeleteServiceCommand({ cluster: 'influxguard-estate', service: 'influx-gone', force: true }));
    ecs.destroy();
    const out = await runAction(f, true);
    expect(out.remediated[0].refused).toMatch(/^stale finding: ECS service arn:aws:ecs:\S+influx-gone no longer exists/);
    expect(await ingress(estate.groups.gone!)).toEqual(['tcp 8086-8086 0.0.0.0/0']);
    expect(await takeEventMessages()).toEqual([]);
  });
});

describe('influxguard remediate FINDING_ID on an ECS service', () => {
  const run = (args: string[]) => runMain(home, R, args);

  it('plans the revocation and the rescan of the service; --apply revokes, rescans the service and resolves the finding', async () => {
    const id = (await findingOf('net.http-port-public', estate.groups.cli!)).Id!;
    const plan = await run(['remediate', id]);
    expect(plan).toMatchObject({ code: 0, stderr: '' });
    expect(plan.stdout).toContain(`revoke ${estate.groups.cli}: tcp 8086 from 0.0.0.0/0`);
    expect(plan.stdout).toContain(`rescan ${estate.ecs['influx-cli']} and publish`);
    mockNotes();
    const done = await run(['remediate', id, '--apply']);
    expect(done).toMatchObject({ code: 0, stderr: '' });
    expect(await ingress(estate.groups.cli!)).toEqual([]);
    expect(done.stdout).toMatch(/rescanned: \d+ finding\(s\) imported, [1-9]\d* resolved/);
    expect(done.stdout.includes(PLANTED)).toBe(false);
    restoreNotes();
    expect((await findingOf('net.http-port-public', estate.groups.cli!)).Compliance?.Status).toBe('PASSED');
  }, 60_000);
});
