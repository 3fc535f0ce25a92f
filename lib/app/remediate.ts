/**
 * Remediation of influxguard findings (Security Hub custom actions and
 * `influxguard remediate`): refuse what influxguard did not produce, re-read
 * the resource, plan exactly the change the finding calls for, apply it only
 * when asked (dry run otherwise), record who asked and what changed in the
 * finding's note, and ask for a rescan so the finding resolves through the
 * normal lifecycle (never by editing its status here).
 */
import {
  DescribeInstancesCommand,
  DescribeSecurityGroupsCommand,
  EnableEbsEncryptionByDefaultCommand,
  GetEbsEncryptionByDefaultCommand,
  RevokeSecurityGroupIngressCommand,
  paginateGetManagedPrefixListEntries,
  type EC2Client,
  type Instance,
  type IpPermission,
} from '@aws-sdk/client-ec2';
import { BatchUpdateFindingsCommand, type AwsSecurityFinding, type SecurityHubClient } from '@aws-sdk/client-securityhub';
import type { TagSelector } from '../config.js';
import { errorCode, toAwsCallError } from '../errors.js';
import { normaliseProtocol } from '../discover/ec2.js';
import { matchesSelectors } from '../discover/timestream.js';
import { generatorId, productArn, RULES_FIELD } from '../publish/asff.js';
import { parseFindingId } from '../publish/lifecycle.js';
import { coversInternet } from '../reach.js';
import { parseCidr } from '../util/cidr.js';
import { printable } from '../util/text.js';

/** The custom actions: the ActionTarget Id (serverless.yml) and the command-line name. */
export const ACTIONS = {
  'revoke-world-open': { targetId: 'IgRevokeWorldOpen', name: 'Revoke world-open InfluxDB rule' },
  'enable-ebs-default-encryption': { targetId: 'IgEnableEbsDefault', name: 'Enable EBS encryption by default' },
  rescan: { targetId: 'IgRescan', name: 'Rescan now' },
} as const;
export type Action = keyof typeof ACTIONS;

/** The ports whose world-open rules "Revoke world-open InfluxDB rule" may revoke (the port checks' table). */
const INFLUX_PORTS = [8086, 8088, 8089, 8091];
const PORT_CHECKS = new Set(['net.http-port-public', 'net.rpc-port-exposed', 'net.cluster-ports-exposed']);
const EBS_DEFAULT_CHECK = 'ebs.default-encryption-disabled';

export interface Target {
  findingId: string;
  productArn: string;
  accountId: string;
  region: string;
  checkId: string;
  instanceId?: string;
  resourceId: string;
}

/** The finding as influxguard wrote it, or why it is refused (not ours, archived, inconsistent). */
export function verifyFinding(f: AwsSecurityFinding): Target | { refused: string } {
  const id = f.Id ?? '';
  const parts = parseFindingId(id);
  if (!parts) return { refused: `not an influxguard finding (Id ${printable(id).slice(0, 200)})` };
  const { accountId, region, checkId } = parts;
  if (f.ProductArn !== productArn(region, accountId))
    return { refused: `not an influxguard finding (ProductArn ${printable(f.ProductArn ?? '')})` };
  if (f.GeneratorId !== generatorId(checkId))
    return { refused: `not an influxguard finding (GeneratorId ${printable(f.GeneratorId ?? '')})` };
  if (f.AwsAccountId !== accountId || (f.Region && f.Region !== region) || f.ProductFields?.['influxguard/CheckId'] !== checkId)
    return { refused: 'the finding’s account, region or check do not match its Id' };
  if (f.RecordState === 'ARCHIVED') return { refused: 'the finding is archived' };
  return {
    findingId: id,
    productArn: f.ProductArn,
    accountId,
    region,
    checkId,
    resourceId: parts.resourceId,
    ...(parts.instanceId ? { instanceId: parts.instanceId } : {}),
  };
}

/** One ingress rule (protocol, ports, one source), as the finding's evidence names it. */
interface NamedRule {
  groupId: string;
  protocol: string;
  ports: string;
  source: string;
  viaPrefixList?: string;
  coversInternet?: boolean;
}

export interface Plan {
  action: Action;
  target: Target;
  /** What would change, for people (empty for a rescan). */
  changes: string[];
  /** Why nothing will be done (stale finding, wrong action for the finding). */
  refused?: string;
  revoke?: { groupId: string; permissions: IpPermission[] };
  enableEbsDefault?: boolean;
  rescan: { instanceIds: string[]; wholeRegion: boolean };
}

const portsOf = (p: IpPermission): string => {
  const protocol = normaliseProtocol(p.IpProtocol ?? '-1');
  if (protocol === 'all') return 'all';
  const from = p.FromPort ?? 0;
  const to = p.ToPort ?? 65535;
  return from === to ? `${from}` : `${from}-${to}`;
};
const opensInfluxPort = (p: IpPermission): boolean => {
  const protocol = normaliseProtocol(p.IpProtocol ?? '-1');
  if (protocol === 'all') return true;
  if (protocol !== 'tcp') return false;
  return INFLUX_PORTS.some((port) => (p.FromPort ?? 0) <= port && port <= (p.ToPort ?? 65535));
};
/** Whether revoking the rule would also close ports other than InfluxDB's (all traffic, 0-65535, 8086-8091…). */
const opensOtherPorts = (p: IpPermission): boolean => {
  if (normaliseProtocol(p.IpProtocol ?? '-1') !== 'tcp') return true;
  const from = p.FromPort ?? 0;
  const to = p.ToPort ?? 65535;
  return to - from + 1 > INFLUX_PORTS.filter((port) => from <= port && port <= to).length;
};
const describeRule = (groupId: string, p: IpPermission, source: string) =>
  `${groupId}: ${normaliseProtocol(p.IpProtocol ?? '-1')} ${portsOf(p)} from ${source}`;

/** A named rule's source as one IpPermission of the group as it is now (undefined: the rule is gone). */
function current(rule: NamedRule, perms: IpPermission[]): IpPermission | undefined {
  for (const p of perms) {
    if (normaliseProtocol(p.IpProtocol ?? '-1') !== rule.protocol || portsOf(p) !== rule.ports) continue;
    const base = { IpProtocol: p.IpProtocol, ...(p.FromPort !== undefined ? { FromPort: p.FromPort, ToPort: p.ToPort } : {}) };
    if (rule.viaPrefixList) {
      if (p.PrefixListIds?.some((x) => x.PrefixListId === rule.viaPrefixList))
        return { ...base, PrefixListIds: [{ PrefixListId: rule.viaPrefixList }] };
    } else if (p.IpRanges?.some((r) => r.CidrIp === rule.source)) {
      return { ...base, IpRanges: [{ CidrIp: rule.source }] };
    } else if (p.Ipv6Ranges?.some((r) => r.CidrIpv6 === rule.source)) {
      return { ...base, Ipv6Ranges: [{ CidrIpv6: rule.source }] };
    }
  }
  return undefined;
}

/** Whether a prefix list's entries (now) contain a /0 or together cover the internet. */
async function prefixListWorldOpen(ec2: EC2Client, prefixListId: string, family: 4 | 6): Promise<boolean> {
  const entries: string[] = [];
  try {
    for await (const page of paginateGetManagedPrefixListEntries({ client: ec2 }, { PrefixListId: prefixListId }))
      for (const e of page.Entries ?? []) if (e.Cidr) entries.push(e.Cidr);
  } catch (err) {
    throw toAwsCallError('ec2', 'GetManagedPrefixListEntries', err);
  }
  const same = entries.filter((c) => parseCidr(c)?.family === family);
  return same.some((c) => parseCidr(c)?.prefixLength === 0) || coversInternet(same, family);
}

/** The CIDRs of the group's rules (now) that open TCP `port`, of one family. */
function cidrsOpening(perms: IpPermission[], port: number, family: 4 | 6): string[] {
  return perms
    .filter((p) => {
      const protocol = normaliseProtocol(p.IpProtocol ?? '-1');
      return protocol === 'all' || (protocol === 'tcp' && (p.FromPort ?? 0) <= port && port <= (p.ToPort ?? 65535));
    })
    .flatMap((p) => [...(p.IpRanges ?? []).map((r) => r.CidrIp), ...(p.Ipv6Ranges ?? []).map((r) => r.CidrIpv6)])
    .filter((c): c is string => !!c && parseCidr(c)?.family === family);
}

function namedRules(f: AwsSecurityFinding, groupId: string): NamedRule[] | undefined {
  const text = f.ProductFields?.[RULES_FIELD];
  if (!text) return undefined;
  try {
    const rules = JSON.parse(text) as unknown;
    if (!Array.isArray(rules)) return undefined;
    return rules.filter(
      (r): r is NamedRule =>
        typeof r === 'object' &&
        r !== null &&
        (r as NamedRule).groupId === groupId &&
        typeof (r as NamedRule).protocol === 'string' &&
        typeof (r as NamedRule).ports === 'string' &&
        typeof (r as NamedRule).source === 'string',
    );
  } catch {
    return undefined;
  }
}

/** A world-open-looking source as the evidence names it (a /0, part of a set covering the internet, or a prefix list's entry). */
const namedWorldOpen = (r: NamedRule) => r.coversInternet === true || parseCidr(r.source)?.prefixLength === 0;

/**
 * Why the group may not be touched for this finding (undefined: it may): the
 * finding must name an instance that still exists, is still selected (a
 * selector tag) and still has the group attached. Otherwise the group may now
 * serve something else, and the finding is stale.
 */
async function instanceStillUses(
  ec2: EC2Client,
  instanceId: string | undefined,
  groupId: string,
  selectors: readonly TagSelector[],
): Promise<string | undefined> {
  if (!instanceId) return 'the finding names no instance: remediate by hand';
  let inst: Instance | undefined;
  try {
    inst = (await ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }))).Reservations?.[0]?.Instances?.[0];
  } catch (err) {
    if (errorCode(err) !== 'InvalidInstanceID.NotFound') throw toAwsCallError('ec2', 'DescribeInstances', err);
  }
  if (!inst || inst.InstanceId !== instanceId || inst.State?.Name === 'terminated' || inst.State?.Name === 'shutting-down')
    return `stale finding: ${instanceId} no longer exists`;
  const tags = Object.fromEntries((inst.Tags ?? []).flatMap((t) => (t.Key !== undefined ? [[t.Key, t.Value ?? '']] : [])));
  if (!matchesSelectors(tags, selectors)) return `stale finding: ${instanceId} is no longer selected (no tag selector matches it)`;
  const groups = [...(inst.SecurityGroups ?? []), ...(inst.NetworkInterfaces ?? []).flatMap((n) => n.Groups ?? [])];
  if (!groups.some((g) => g.GroupId === groupId)) return `stale finding: ${groupId} is no longer attached to ${instanceId}`;
  return undefined;
}

/** Plan the action for a verified finding, from the resource as it is now (a stale finding is refused). */
export async function planRemediation(
  action: Action,
  finding: AwsSecurityFinding,
  target: Target,
  ec2: EC2Client,
  selectors: readonly TagSelector[],
): Promise<Plan> {
  const rescan = target.instanceId ? { instanceIds: [target.instanceId], wholeRegion: false } : { instanceIds: [], wholeRegion: true };
  const plan: Plan = { action, target, changes: [], rescan };
  if (action === 'rescan') return plan;
  const failed = finding.Compliance?.Status === 'FAILED' || finding.Compliance?.Status === 'WARNING';
  if (action === 'enable-ebs-default-encryption') {
    if (target.checkId !== EBS_DEFAULT_CHECK)
      return { ...plan, refused: `"${ACTIONS[action].name}" applies to ${EBS_DEFAULT_CHECK} findings only` };
    if (!failed) return { ...plan, refused: 'the finding is not failing' };
    let enabled: boolean;
    try {
      enabled = (await ec2.send(new GetEbsEncryptionByDefaultCommand({}))).EbsEncryptionByDefault === true;
    } catch (err) {
      throw toAwsCallError('ec2', 'GetEbsEncryptionByDefault', err);
    }
    if (enabled)
      return { ...plan, refused: `stale finding: EBS encryption by default is already on in ${target.accountId}/${target.region}` };
    return { ...plan, enableEbsDefault: true, changes: [`enable EBS encryption by default in ${target.accountId}/${target.region}`] };
  }
  if (!PORT_CHECKS.has(target.checkId) || !/^sg-[0-9a-f]{8,17}$/.test(target.resourceId))
    return { ...plan, refused: `"${ACTIONS[action].name}" applies to security group findings of ${[...PORT_CHECKS].join(', ')} only` };
  if (!failed) return { ...plan, refused: 'the finding is not failing' };
  const groupId = target.resourceId;
  const named = namedRules(finding, groupId);
  if (!named) return { ...plan, refused: 'the finding does not name its rules (evidence missing or too long): remediate by hand' };
  const world = named.filter(namedWorldOpen);
  if (!world.length)
    return { ...plan, refused: 'the finding names no world-open rule (its exposure is to a narrower source: remediate by hand)' };
  const stale = await instanceStillUses(ec2, target.instanceId, groupId, selectors);
  if (stale) return { ...plan, refused: stale };
  let perms: IpPermission[];
  try {
    const got = await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [groupId] }));
    perms = got.SecurityGroups?.[0]?.IpPermissions ?? [];
  } catch (err) {
    throw toAwsCallError('ec2', 'DescribeSecurityGroups', err);
  }
  // The named rules as they are now (gone ones dropped: the finding is stale for them).
  const present = world.flatMap((rule) => {
    const perm = current(rule, perms);
    return perm && opensInfluxPort(perm) ? [{ rule, perm, cidr: parseCidr(rule.source) }] : [];
  });
  const revoke: typeof present = [];
  const take = (c: (typeof present)[number]) => {
    if (!revoke.some((r) => JSON.stringify(r.perm) === JSON.stringify(c.perm))) revoke.push(c);
  };
  // A /0, or a prefix list whose entries still cover the internet: offending by itself.
  for (const c of present) {
    if (c.rule.viaPrefixList ? await prefixListWorldOpen(ec2, c.rule.viaPrefixList, c.cidr?.family ?? 4) : c.cidr?.prefixLength === 0)
      take(c);
  }
  // Splits (0.0.0.0/1 + 128.0.0.0/1): once the above are gone, the named CIDRs without which the group's sources for an
  // InfluxDB port would no longer cover the internet. A narrower source that merely sat beside a /0 (10.0.0.0/8) stays.
  const gone = (c: string) => revoke.some((r) => r.cidr && !r.rule.viaPrefixList && r.rule.source === c);
  for (const port of INFLUX_PORTS) {
    for (const family of [4, 6] as const) {
      const remaining = cidrsOpening(perms, port, family).filter((c) => !gone(c));
      if (!coversInternet(remaining, family)) continue;
      for (const c of present) {
        if (c.rule.viaPrefixList || c.cidr?.family !== family || !remaining.includes(c.rule.source)) continue;
        const without = remaining.filter((x) => x !== c.rule.source);
        if (!coversInternet(without, family)) take(c);
      }
    }
  }
  for (const c of revoke) plan.changes.push(`revoke ${describeRule(groupId, c.perm, c.rule.viaPrefixList ?? c.rule.source)}`);
  // Never revoke a broader rule whole: it would close other services' ports (443, 22…) too.
  const broad = revoke.find((c) => opensOtherPorts(c.perm));
  if (broad)
    return {
      ...plan,
      changes: [],
      refused: `${describeRule(groupId, broad.perm, broad.rule.viaPrefixList ?? broad.rule.source)} also opens ports other than InfluxDB's (${INFLUX_PORTS.join(', ')}): revoking it would close them too; remediate by hand (narrow the rule)`,
    };
  if (!revoke.length) return { ...plan, refused: `stale finding: ${groupId} no longer has the world-open rule(s) it names` };
  return { ...plan, revoke: { groupId, permissions: revoke.map((c) => c.perm) } };
}

/** Make the planned change (the caller decides whether to: dry run by default). */
export async function applyPlan(plan: Plan, ec2: EC2Client): Promise<void> {
  if (plan.refused) return;
  if (plan.revoke) {
    try {
      await ec2.send(new RevokeSecurityGroupIngressCommand({ GroupId: plan.revoke.groupId, IpPermissions: plan.revoke.permissions }));
    } catch (err) {
      throw toAwsCallError('ec2', 'RevokeSecurityGroupIngress', err);
    }
  }
  if (plan.enableEbsDefault) {
    try {
      await ec2.send(new EnableEbsEncryptionByDefaultCommand({}));
    } catch (err) {
      throw toAwsCallError('ec2', 'EnableEbsEncryptionByDefault', err);
    }
  }
}

/** The note recorded on the finding (Security Hub keeps one note, at most 512 characters). */
export function noteText(plan: Plan, opts: { applied: boolean; requestedBy: string; at: string }): string {
  const what = plan.refused
    ? `refused: ${plan.refused}`
    : plan.action === 'rescan'
      ? 'rescan requested'
      : `${opts.applied ? 'done' : 'DRY RUN, nothing changed (the stack’s remediationApply parameter enables changes); would'}: ${plan.changes.join('; ')}`;
  return printable(`influxguard ${ACTIONS[plan.action].name} at ${opts.at} by ${opts.requestedBy}: ${what}`).slice(0, 512);
}

export async function recordNote(securityhub: SecurityHubClient, target: Target, text: string, updatedBy: string): Promise<void> {
  try {
    await securityhub.send(
      new BatchUpdateFindingsCommand({
        FindingIdentifiers: [{ Id: target.findingId, ProductArn: target.productArn }],
        Note: { Text: text, UpdatedBy: printable(updatedBy).slice(0, 512) },
      }),
    );
  } catch (err) {
    throw toAwsCallError('securityhub', 'BatchUpdateFindings', err);
  }
}

export interface RemediationOutcome {
  plan?: Plan;
  refused?: string;
  applied: boolean;
  note?: string;
  rescanRequested: boolean;
}

/**
 * The whole remediation of one finding: verify, plan on the resource as it is
 * now, apply when `apply`, note it on the finding, ask for the rescan. A
 * finding not produced by influxguard is refused without a note (it is not ours to write on).
 */
export async function remediate(
  action: Action,
  finding: AwsSecurityFinding,
  opts: {
    ec2: EC2Client;
    securityhub: SecurityHubClient;
    apply: boolean;
    requestedBy: string;
    now?: () => Date;
    /** The tag selectors: the instance the finding names must still match one. */
    selectors: readonly TagSelector[];
    rescan: (r: Plan['rescan'] & { accountId: string; region: string; requestedBy: string }) => Promise<void>;
  },
): Promise<RemediationOutcome> {
  const target = verifyFinding(finding);
  if ('refused' in target) return { refused: target.refused, applied: false, rescanRequested: false };
  const plan = await planRemediation(action, finding, target, opts.ec2, opts.selectors);
  const changes = !plan.refused && plan.action !== 'rescan';
  const applied = changes && opts.apply;
  if (applied) await applyPlan(plan, opts.ec2);
  const note = noteText(plan, { applied, requestedBy: opts.requestedBy, at: (opts.now ?? (() => new Date()))().toISOString() });
  await recordNote(opts.securityhub, target, note, opts.requestedBy);
  const rescanRequested = applied || plan.action === 'rescan';
  if (rescanRequested)
    await opts.rescan({ ...plan.rescan, accountId: target.accountId, region: target.region, requestedBy: opts.requestedBy });
  return { plan, ...(plan.refused ? { refused: plan.refused } : {}), applied, note, rescanRequested };
}
