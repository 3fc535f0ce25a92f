/**
 * Remediation's report when AWS does not revoke what it was asked to (issue 35: a change is reported only when
 * made). In a default VPC, RevokeSecurityGroupIngress of a rule that is no longer there succeeds and names it in
 * `UnknownIpPermissions` (EC2 API reference: "no error is returned, and the output describes the security group
 * rules that were not revoked"); moto raises InvalidPermission.NotFound as a non-default VPC does, so the EC2 client
 * here answers as the default VPC does, rule by rule against moto. A person revokes a rule between the plan and
 * the revocation.
 */
import { beforeAll, describe, expect, it } from '@jest/globals';
import { type EC2Client, type IpPermission, RevokeSecurityGroupIngressCommand } from '@aws-sdk/client-ec2';
import { SecurityHubClient } from '@aws-sdk/client-securityhub';
import { remediate } from '../../lib/app/remediate.js';
import { parseConfig } from '../../lib/config.js';
import { errorCode } from '../../lib/errors.js';
import { seedEstate, type SeededEstate } from '../../scripts/estate.js';
import { endpoint, testAccount, type TestAccount } from '../support/aws.js';
import { hubFinding, ingressOf, mockNotes, notes, remediationHooks, scanAndPublishRegion } from '../support/remediation.js';

const R = 'eu-west-2';
let home: TestAccount;
let estate: SeededEstate;
remediationHooks({ ...process.env });

beforeAll(async () => {
  home = await testAccount();
  estate = await seedEstate(home.seeder(R), {
    region: R,
    groups: [
      { name: 'half', rules: [{ ports: 8086, cidrs: ['0.0.0.0/0'], ipv6: ['::/0'] }] },
      { name: 'gone', rules: [{ ports: 8086, cidrs: ['0.0.0.0/0'] }] },
    ],
    instances: [
      { name: 'half', tags: { influxdb: '' }, groups: ['half'] },
      { name: 'gone', tags: { influxdb: '' }, groups: ['gone'] },
    ],
  });
  await scanAndPublishRegion(home, R);
}, 120_000);

const tcp8086 = (source: Partial<IpPermission>): IpPermission => ({ IpProtocol: 'tcp', FromPort: 8086, ToPort: 8086, ...source });

/** moto's EC2, but revoking as a default VPC does; `person` runs first (a rule revoked meanwhile). */
function defaultVpc(person: () => Promise<unknown>): EC2Client {
  const client = home.seeder(R);
  const real = home.seeder(R);
  const revoke = async (command: RevokeSecurityGroupIngressCommand) => {
    await person();
    const unknown: IpPermission[] = [];
    for (const p of command.input.IpPermissions ?? []) {
      try {
        await real.send(new RevokeSecurityGroupIngressCommand({ GroupId: command.input.GroupId, IpPermissions: [p] }));
      } catch (err) {
        if (errorCode(err) !== 'InvalidPermission.NotFound') throw err;
        unknown.push(p);
      }
    }
    return { Return: true, UnknownIpPermissions: unknown };
  };
  const send = client.send.bind(client) as (c: unknown) => Promise<unknown>;
  (client as unknown as { send: (c: unknown) => Promise<unknown> }).send = (command) =>
    command instanceof RevokeSecurityGroupIngressCommand ? revoke(command) : send(command);
  return client;
}

async function run(group: string, person: () => Promise<unknown>) {
  mockNotes();
  const reported: string[] = [];
  const rescans: unknown[] = [];
  const securityhub = new SecurityHubClient({ region: R, endpoint: endpoint(), credentials: home.credentials });
  const out = await remediate('revoke-world-open', await hubFinding(home, R, 'net.http-port-public', group), {
    ec2: defaultVpc(person),
    securityhub,
    apply: true,
    requestedBy: 'tester',
    selectors: parseConfig({}).tagSelectors,
    rescan: async (r) => void rescans.push(r),
    onChange: (c) => reported.push(c),
  });
  return { out, reported, rescans, note: notes()[0]?.Note.Text as string | undefined };
}

describe('a default VPC answers a rule already gone with success: only what was revoked is reported', () => {
  it('one of the two planned rules revoked meanwhile by a person: the other is the only change reported and noted', async () => {
    const group = estate.groups.half!;
    const { out, reported, note } = await run(group, () =>
      home
        .seeder(R)
        .send(new RevokeSecurityGroupIngressCommand({ GroupId: group, IpPermissions: [tcp8086({ Ipv6Ranges: [{ CidrIpv6: '::/0' }] })] })),
    );
    const v4 = `revoke ${group}: tcp 8086 from 0.0.0.0/0`;
    const v6 = `revoke ${group}: tcp 8086 from ::/0`;
    expect(out).toMatchObject({ status: 'done', applied: true, changed: [v4], gone: [v6] });
    expect(reported).toEqual([v4]);
    expect(note).toMatch(
      new RegExp(`done: ${v4.replace(/[./]/g, '\\$&')}; already gone \\(not by this run\\): ${v6.replace(/[./]/g, '\\$&')}`),
    );
    expect(await ingressOf(home, R, group)).toEqual([]);
  });

  it('the only planned rule revoked meanwhile: a refusal, nothing reported as changed, no rescan', async () => {
    const group = estate.groups.gone!;
    const { out, reported, rescans, note } = await run(group, () =>
      home
        .seeder(R)
        .send(new RevokeSecurityGroupIngressCommand({ GroupId: group, IpPermissions: [tcp8086({ IpRanges: [{ CidrIp: '0.0.0.0/0' }] })] })),
    );
    expect(out).toMatchObject({
      status: 'refused',
      applied: false,
      changed: [],
      refused: expect.stringMatching(/^stale finding: .*nothing changed/),
    });
    expect(reported).toEqual([]);
    expect(rescans).toEqual([]);
    expect(note).toMatch(/refused: stale finding/);
    expect(note).not.toMatch(/done:/);
  });
});
