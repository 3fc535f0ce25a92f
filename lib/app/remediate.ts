/**
 * Remediation of influxguard findings (Security Hub custom actions and
 * `influxguard remediate`): refuse what influxguard did not produce, claim the
 * finding (one run at a time, where the stack's table is configured), re-read
 * the resource, plan exactly the change the finding calls for (once), apply it
 * only when asked (dry run otherwise), report every change the moment it is
 * made, then record the outcome (table history and the finding's note, which
 * accumulates) and ask for a rescan so the finding resolves through the normal
 * lifecycle (never by editing its status here). A step that fails after a
 * change leaves the outcome `partial`, with the change listed (CHECKS.md "CLI
 * exit codes": 3).
 */
import { randomUUID } from 'node:crypto';
import {
  DescribeInstancesCommand,
  DescribeSecurityGroupsCommand,
  EnableEbsEncryptionByDefaultCommand,
  GetEbsEncryptionByDefaultCommand,
  RevokeSecurityGroupIngressCommand,
  paginateDescribeInstances,
  paginateDescribeNetworkInterfaces,
  paginateGetManagedPrefixListEntries,
  type EC2Client,
  type Instance,
  type IpPermission,
} from '@aws-sdk/client-ec2';
import type { ECSClient } from '@aws-sdk/client-ecs';
import {
  BatchUpdateFindingsCommand,
  type AwsSecurityFinding,
  type BatchUpdateFindingsCommandOutput,
  type SecurityHubClient,
} from '@aws-sdk/client-securityhub';
import type { TagSelector } from '../config.js';
import { errorCode, oneLine, toAwsCallError } from '../errors.js';
import { normaliseProtocol } from '../discover/ec2.js';
import { matchesSelectors } from '../discover/timestream.js';
import { generatorId, productArn, RULES_FIELD } from '../findings/asff.js';
import { readService } from '../kinds/ecs-service/discover.js';
import { kindOfSubject } from '../kinds/outputs.js';
import { parseFindingId } from '../publish/lifecycle.js';
import { isWorld, parseCidr, widePublic } from '../util/cidr.js';
import { printable } from '../util/text.js';
import type { RemediationRecord, ScanStore } from './store.js';

/** The custom actions: the ActionTarget Id (serverless.yml) and the command-line name. */
export const ACTIONS = {
  'revoke-world-open': { targetId: 'IgRevokeWorldOpen', name: 'Revoke world-open InfluxDB rule' },
  'enable-ebs-default-encryption': { targetId: 'IgEnableEbsDefault', name: 'Enable EBS encryption by default' },
  rescan: { targetId: 'IgRescan', name: 'Rescan now' },
} as const;
export type Action = keyof typeof ACTIONS;

/** The ports each port check judges (its row of the port table); a finding's named single-port rules add the port actually bound. */
const CHECK_PORTS: Readonly<Record<string, readonly number[]>> = {
  'net.http-port-public': [8086, 8181],
  'net.rpc-port-exposed': [8088],
  'net.cluster-ports-exposed': [8088, 8089, 8091],
};
const EBS_DEFAULT_CHECK = 'ebs.default-encryption-disabled';
/** How many ids a plan line names before it says "and N more". */
const LIST_MAX = 10;

export interface Target {
  findingId: string;
  productArn: string;
  accountId: string;
  region: string;
  checkId: string;
  instanceId?: string;
  resourceId: string;
}

/** The finding as influxguard wrote it, or why it is refused (not ours, archived, inconsistent, no Region). */
export function verifyFinding(f: AwsSecurityFinding): Target | { refused: string } {
  const id = f.Id ?? '';
  const parts = parseFindingId(id);
  if (!parts) return { refused: `not an influxguard finding (Id ${printable(id).slice(0, 200)})` };
  const { accountId, region, checkId } = parts;
  if (f.ProductArn !== productArn(region, accountId))
    return { refused: `not an influxguard finding (ProductArn ${printable(f.ProductArn ?? '').slice(0, 200)})` };
  if (f.GeneratorId !== generatorId(checkId))
    return { refused: `not an influxguard finding (GeneratorId ${printable(f.GeneratorId ?? '').slice(0, 200)})` };
  // The region acted in, reported and rescanned is the finding's own: never the event's or a default.
  if (!f.Region) return { refused: 'the finding has no Region: remediate by hand in its region' };
  if (f.AwsAccountId !== accountId || f.Region !== region || f.ProductFields?.['influxguard/CheckId'] !== checkId)
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
  /** What a reader must know about the changes: the other users of a shared group, prefix-list entries lost. */
  notes: string[];
  /** Why nothing will be done (stale finding, wrong action for the finding, a rule to narrow by hand). */
  refused?: string;
  revoke?: { groupId: string; permissions: IpPermission[] };
  enableEbsDefault?: boolean;
  /** What is rescanned after the change: the instance, the ECS service (`serviceArns`), or the region. */
  rescan: { instanceIds: string[]; serviceArns?: string[]; wholeRegion: boolean };
}

const isAll = (p: IpPermission) => normaliseProtocol(p.IpProtocol ?? '-1') === 'all';
const portsOf = (p: IpPermission): string => {
  if (isAll(p)) return 'all';
  const from = p.FromPort ?? 0;
  const to = p.ToPort ?? 65535;
  return from === to ? `${from}` : `${from}-${to}`;
};
const opensTcp = (p: IpPermission, port: number): boolean =>
  isAll(p) || (normaliseProtocol(p.IpProtocol ?? '-1') === 'tcp' && (p.FromPort ?? 0) <= port && port <= (p.ToPort ?? 65535));
/** A TCP rule for exactly this port: the only kind a remediation edits (CHECKS.md "CLI exit codes"). */
const exactlyTcp = (p: IpPermission, port: number): boolean =>
  normaliseProtocol(p.IpProtocol ?? '-1') === 'tcp' && p.FromPort === port && p.ToPort === port;
const describeRule = (groupId: string, p: IpPermission, source: string) =>
  printable(`${groupId}: ${normaliseProtocol(p.IpProtocol ?? '-1')} ${portsOf(p)} from ${source}`);
const listed = (items: readonly string[]) =>
  items.length > LIST_MAX ? `${items.slice(0, LIST_MAX).join(', ')} and ${items.length - LIST_MAX} more` : items.join(', ');

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

/** A world-open source as the evidence names it (a /0, or part of a set that is the world). */
const namedWorldOpen = (r: NamedRule) => r.coversInternet === true || parseCidr(r.source)?.prefixLength === 0;

/** The TCP ports the finding is about: its named single-port rules' ports, and its check's ports inside named ranges. */
function findingPorts(checkId: string, named: readonly NamedRule[]): number[] {
  const ports = new Set<number>();
  for (const r of named) {
    if (r.protocol !== 'tcp' && r.protocol !== 'all') continue;
    if (/^\d{1,5}$/.test(r.ports)) ports.add(Number(r.ports));
    else {
      const [from, to] = r.ports === 'all' ? [0, 65535] : r.ports.split('-').map(Number);
      for (const p of CHECK_PORTS[checkId] ?? []) if ((from ?? 0) <= p && p <= (to ?? -1)) ports.add(p);
    }
  }
  return [...ports].sort((a, b) => a - b);
}

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

/** The service as it is now, or why its group may not be touched (gone, no longer InfluxDB or selected, group detached). */
async function serviceStillUses(
  ecs: ECSClient,
  serviceArn: string,
  groupId: string,
  selectors: readonly TagSelector[],
): Promise<{ name: string; networkInterfaceIds: string[] } | string> {
  const s = await readService(ecs, serviceArn, selectors);
  const arn = printable(serviceArn).slice(0, 300);
  if (!s) return `stale finding: ECS service ${arn} no longer exists`;
  if (!s.selected) return `stale finding: ECS service ${arn} no longer runs InfluxDB nor carries a selector tag`;
  // Bridge or host networking: the group is its container instances' (EC2 instances serving other tasks too).
  if (!s.securityGroupIds.length)
    return `${groupId} of ECS service ${arn} is its container instances' group (bridge or host networking): remediate by hand`;
  if (!s.securityGroupIds.includes(groupId)) return `stale finding: ${groupId} is no longer a group of ECS service ${arn}`;
  return s;
}

/** Whether a selected InfluxDB instance (a tag selector matches it) runs in this region: EBS default encryption is changed only there. */
async function selectedInstanceRuns(ec2: EC2Client, selectors: readonly TagSelector[]): Promise<boolean> {
  try {
    const pages = paginateDescribeInstances(
      { client: ec2, pageSize: 1000 },
      { Filters: [{ Name: 'instance-state-name', Values: ['pending', 'running', 'stopping', 'stopped'] }] },
    );
    let pagesRead = 0;
    for await (const page of pages) {
      for (const inst of (page.Reservations ?? []).flatMap((r) => r.Instances ?? [])) {
        const tags = Object.fromEntries((inst.Tags ?? []).flatMap((t) => (t.Key !== undefined ? [[t.Key, t.Value ?? '']] : [])));
        if (matchesSelectors(tags, selectors)) return true;
      }
      if (++pagesRead >= 100) break; // bounded: 100,000 instances without one selected is "none" here
    }
  } catch (err) {
    throw toAwsCallError('ec2', 'DescribeInstances', err);
  }
  return false;
}

/** The other users of a group: instances (and interfaces of other services) it is attached to, besides the finding's subject (`own`: its instance id, or its tasks' interfaces). */
async function otherUsers(ec2: EC2Client, groupId: string, own: ReadonlySet<string>): Promise<string[]> {
  const users = new Set<string>();
  try {
    const pages = paginateDescribeNetworkInterfaces(
      { client: ec2, pageSize: 1000 },
      { Filters: [{ Name: 'group-id', Values: [groupId] }] },
    );
    let pagesRead = 0;
    for await (const page of pages) {
      for (const ni of page.NetworkInterfaces ?? []) {
        const user = ni.Attachment?.InstanceId ?? ni.NetworkInterfaceId;
        if (user && !own.has(user)) users.add(printable(user).slice(0, 64));
      }
      if (++pagesRead >= 10) break;
    }
  } catch (err) {
    throw toAwsCallError('ec2', 'DescribeNetworkInterfaces', err);
  }
  return [...users].sort();
}

/** One source of a rule that opens the port: a CIDR, or a prefix-list reference with its entries. */
interface Source {
  perm: IpPermission;
  /** The single-source permission to revoke. */
  revoke: IpPermission;
  label: string;
  cidrs: string[];
}

async function prefixListEntries(ec2: EC2Client, prefixListId: string, cache: Map<string, Promise<string[]>>): Promise<string[]> {
  let got = cache.get(prefixListId);
  if (!got) {
    got = (async () => {
      const entries: string[] = [];
      try {
        for await (const page of paginateGetManagedPrefixListEntries({ client: ec2 }, { PrefixListId: prefixListId }))
          for (const e of page.Entries ?? []) if (e.Cidr && parseCidr(e.Cidr)) entries.push(parseCidr(e.Cidr)!.text);
      } catch (err) {
        throw toAwsCallError('ec2', 'GetManagedPrefixListEntries', err);
      }
      return entries;
    })();
    cache.set(prefixListId, got);
  }
  return got;
}

/** The sources of the group's rules that open TCP `port` now (group references are not sources of addresses). */
async function sourcesOn(ec2: EC2Client, perms: IpPermission[], port: number, cache: Map<string, Promise<string[]>>): Promise<Source[]> {
  const out: Source[] = [];
  for (const p of perms.filter((x) => opensTcp(x, port))) {
    const base = { IpProtocol: p.IpProtocol, ...(p.FromPort !== undefined ? { FromPort: p.FromPort, ToPort: p.ToPort } : {}) };
    for (const r of p.IpRanges ?? [])
      if (r.CidrIp && parseCidr(r.CidrIp))
        out.push({ perm: p, revoke: { ...base, IpRanges: [{ CidrIp: r.CidrIp }] }, label: r.CidrIp, cidrs: [parseCidr(r.CidrIp)!.text] });
    for (const r of p.Ipv6Ranges ?? [])
      if (r.CidrIpv6 && parseCidr(r.CidrIpv6))
        out.push({
          perm: p,
          revoke: { ...base, Ipv6Ranges: [{ CidrIpv6: r.CidrIpv6 }] },
          label: r.CidrIpv6,
          cidrs: [parseCidr(r.CidrIpv6)!.text],
        });
    for (const r of p.PrefixListIds ?? [])
      if (r.PrefixListId)
        out.push({
          perm: p,
          revoke: { ...base, PrefixListIds: [{ PrefixListId: r.PrefixListId }] },
          label: r.PrefixListId,
          cidrs: await prefixListEntries(ec2, r.PrefixListId, cache),
        });
  }
  return out;
}

const familyOf = (c: string): 4 | 6 => (c.includes(':') ? 6 : 4);
const worldIn = (sources: readonly Source[], family: 4 | 6) =>
  isWorld(
    sources.flatMap((s) => s.cidrs.filter((c) => familyOf(c) === family)),
    family,
  );

/** Plan the action for a verified finding, from the resource as it is now (a stale finding is refused). */
export async function planRemediation(
  action: Action,
  finding: AwsSecurityFinding,
  target: Target,
  ec2: EC2Client,
  selectors: readonly TagSelector[],
  /** Amazon ECS of the finding's region (a finding on an ECS service's group). */
  ecs?: () => Promise<ECSClient>,
): Promise<Plan> {
  const kind = target.instanceId ? kindOfSubject(target.instanceId)?.lifecycle.name : undefined;
  const rescan =
    kind === 'ecs-service' && target.instanceId
      ? { instanceIds: [], serviceArns: [target.instanceId], wholeRegion: false }
      : target.instanceId
        ? { instanceIds: [target.instanceId], wholeRegion: false }
        : { instanceIds: [], wholeRegion: true };
  const plan: Plan = { action, target, changes: [], notes: [], rescan };
  if (action === 'rescan') return plan;
  const failed = finding.Compliance?.Status === 'FAILED' || finding.Compliance?.Status === 'WARNING';
  const where = `${target.accountId}/${target.region}`;
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
    if (enabled) return { ...plan, refused: `stale finding: EBS encryption by default is already on in ${where}` };
    if (!(await selectedInstanceRuns(ec2, selectors)))
      return { ...plan, refused: `no selected InfluxDB instance runs in ${where}: EBS encryption by default is left as it is there` };
    return { ...plan, enableEbsDefault: true, changes: [`enable EBS encryption by default in ${where}`] };
  }
  if (!CHECK_PORTS[target.checkId] || !/^sg-[0-9a-f]{8,17}$/.test(target.resourceId))
    return {
      ...plan,
      refused: `"${ACTIONS[action].name}" applies to security group findings of ${Object.keys(CHECK_PORTS).join(', ')} only`,
    };
  if (!failed) return { ...plan, refused: 'the finding is not failing' };
  const groupId = target.resourceId;
  const named = namedRules(finding, groupId);
  if (!named) return { ...plan, refused: 'the finding does not name its rules (evidence missing or too long): remediate by hand' };
  if (!named.some(namedWorldOpen))
    return { ...plan, refused: 'the finding names no world-open rule (its exposure is to a narrower source: remediate by hand)' };
  const ports = findingPorts(target.checkId, named);
  // The subject must still use the group: an EC2 instance (DescribeInstances) or an ECS service (DescribeServices, its
  // running tasks' interfaces). Any other subject (a standalone task, a database) is left to a person: a group the
  // finding may no longer stand for is never revoked.
  let own: Set<string>;
  let service: string | undefined;
  if (kind === 'ecs-service' && /:service\//.test(target.instanceId ?? '')) {
    if (!ecs) return { ...plan, refused: `${groupId} of ECS service ${target.instanceId}: no ECS client: remediate by hand` };
    const stale = await serviceStillUses(await ecs(), target.instanceId!, groupId, selectors);
    if (typeof stale === 'string') return { ...plan, refused: stale };
    own = new Set(stale.networkInterfaceIds);
    service = stale.name;
  } else if (kind && kind !== 'ec2-instance') {
    return { ...plan, refused: `${groupId} of ${kind} ${target.instanceId} is not remediated automatically: remediate by hand` };
  } else {
    const stale = await instanceStillUses(ec2, target.instanceId, groupId, selectors);
    if (stale) return { ...plan, refused: stale };
    own = new Set(target.instanceId ? [target.instanceId] : []);
  }
  let perms: IpPermission[];
  try {
    const got = await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [groupId] }));
    perms = got.SecurityGroups?.[0]?.IpPermissions ?? [];
  } catch (err) {
    throw toAwsCallError('ec2', 'DescribeSecurityGroups', err);
  }
  // CHECKS.md: on a port whose sources are the world (either family), revoke every source whose public part is wider
  // than a /16 or a /32 — each piece of a split, a prefix list holding such a range — and keep private ranges, group
  // references and narrower public ranges. Only TCP rules for exactly that port are edited; a wide source on a range
  // or an all-traffic rule is left to a person (revoking it would close other ports too).
  const cache = new Map<string, Promise<string[]>>();
  const revoke = new Map<string, Source>();
  const worldPorts: number[] = [];
  for (const port of ports) {
    const sources = await sourcesOn(ec2, perms, port, cache);
    if (!worldIn(sources, 4) && !worldIn(sources, 6)) continue;
    worldPorts.push(port);
    for (const s of sources.filter((x) => x.cidrs.some(widePublic))) {
      if (!exactlyTcp(s.perm, port))
        return {
          ...plan,
          refused: `${describeRule(groupId, s.perm, s.label)} spans other ports or protocols than TCP ${port}: revoking it would close them too; remediate by hand (narrow the rule to TCP ${port})`,
        };
      revoke.set(JSON.stringify(s.revoke), s);
    }
  }
  if (!worldPorts.length)
    return { ...plan, refused: `stale finding: ${groupId} no longer opens TCP ${ports.join(', ') || 'its port'} to the world` };
  for (const s of revoke.values()) {
    plan.changes.push(`revoke ${describeRule(groupId, s.perm, s.label)}`);
    const narrow = s.revoke.PrefixListIds ? s.cidrs.filter((c) => !widePublic(c)) : [];
    if (narrow.length) plan.notes.push(`${printable(s.label)}'s narrower entries go with it: ${listed(narrow)}`);
  }
  const others = await otherUsers(ec2, groupId, own);
  // A service's group is changed only when it is the service's own (issue 30: "the service's own group"): ECS shares a
  // group across services and tasks freely, and a task's interface names no service a reader could weigh.
  if (service !== undefined && others.length)
    return {
      ...plan,
      refused: `${groupId} is also used by ${listed(others)}, outside ECS service ${printable(service)}: revoking would change them too; remediate by hand`,
    };
  if (others.length) plan.notes.push(`${groupId} is also used by ${listed(others)}: the change applies to them too`);
  return { ...plan, revoke: { groupId, permissions: [...revoke.values()].map((s) => s.revoke) } };
}

/** The one source of a planned (single-source) permission. */
const sourceOf = (p: IpPermission) => p.IpRanges?.[0]?.CidrIp ?? p.Ipv6Ranges?.[0]?.CidrIpv6 ?? p.PrefixListIds?.[0]?.PrefixListId;

/**
 * Which planned permissions (their indexes) AWS answered as unknown: in a default VPC a revocation of a rule that is
 * already gone succeeds, naming it in `UnknownIpPermissions` ("in some cases … in a different format from the request":
 * matched by source, and by ports when given). `unmatched`: unknown rules named in a form matched to none.
 */
function unknownOf(requested: readonly IpPermission[], unknown: readonly IpPermission[]): { gone: Set<number>; unmatched: number } {
  const gone = new Set<number>();
  let unmatched = 0;
  for (const u of unknown) {
    const sources = [
      ...(u.IpRanges ?? []).map((r) => r.CidrIp),
      ...(u.Ipv6Ranges ?? []).map((r) => r.CidrIpv6),
      ...(u.PrefixListIds ?? []).map((r) => r.PrefixListId),
    ];
    const hits = requested.flatMap((p, i) =>
      sources.includes(sourceOf(p)) &&
      (u.FromPort === undefined || u.FromPort === p.FromPort) &&
      (u.ToPort === undefined || u.ToPort === p.ToPort)
        ? [i]
        : [],
    );
    for (const i of hits) gone.add(i);
    if (!hits.length) unmatched++;
  }
  return { gone, unmatched };
}

/**
 * Make the planned change (the caller decides whether to: dry run by default). Returns the indexes of the plan's
 * changes that were not made because AWS no longer knew the rule (a default VPC answers so, without an error), and
 * how many rules it named in a form matched to none of them (what they stand for is then not known).
 */
export async function applyPlan(plan: Plan, ec2: EC2Client): Promise<{ gone: Set<number>; unmatched: number }> {
  if (plan.refused) return { gone: new Set(), unmatched: 0 };
  let unknown: { gone: Set<number>; unmatched: number } = { gone: new Set(), unmatched: 0 };
  if (plan.revoke) {
    try {
      const out = await ec2.send(
        new RevokeSecurityGroupIngressCommand({ GroupId: plan.revoke.groupId, IpPermissions: plan.revoke.permissions }),
      );
      unknown = unknownOf(plan.revoke.permissions, out?.UnknownIpPermissions ?? []);
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
  return unknown;
}

/** Security Hub keeps one note of at most 512 characters: the runs are entries in it, newest first. */
const NOTE_MAX = 512;
const ENTRY_SEPARATOR = ' || ';

/**
 * The note's text: this run's entry first, then the entries already there, an earlier `done:` one before any other
 * (a later refusal must not push the record of a change out of the note); whole entries only.
 */
export function accumulateNote(entry: string, previous: readonly string[]): string {
  const earlier = previous
    .flatMap((p) => p.split(ENTRY_SEPARATOR))
    .map((e) => printable(e.trim()))
    .filter((e, i, all) => e.startsWith('influxguard ') && e !== entry && all.indexOf(e) === i);
  const changed = (e: string) => /: (done|PARTIAL): /.test(e);
  const ordered = [...earlier.filter(changed), ...earlier.filter((e) => !changed(e))];
  // The latest change keeps its place: this entry is shortened for it when both do not fit.
  const keep = ordered.find(changed);
  const room = keep ? Math.max(200, NOTE_MAX - keep.length - ENTRY_SEPARATOR.length) : NOTE_MAX;
  const own = printable(entry);
  let text = own.length > room ? `${own.slice(0, room - 1)}…` : own;
  for (const e of ordered) {
    const next = `${text}${ENTRY_SEPARATOR}${e}`;
    if (next.length <= NOTE_MAX) text = next;
  }
  return text.slice(0, NOTE_MAX);
}

/** One run's entry in the note. */
export function noteEntry(
  plan: Plan | undefined,
  action: Action,
  opts: {
    status: RemediationRecord['status'] | 'rescan';
    refused?: string;
    changes: readonly string[];
    /** Planned changes AWS found already made (the rule was gone): not this run's. */
    gone?: readonly string[];
    requestedBy: string;
    at: string;
  },
): string {
  const what =
    opts.status === 'refused'
      ? `refused: ${opts.refused ?? ''}`
      : opts.status === 'rescan'
        ? 'rescan requested'
        : opts.status === 'planned'
          ? `DRY RUN, nothing changed (the stack’s remediationApply parameter enables changes); would: ${(plan?.changes ?? []).join('; ')}`
          : `${opts.status === 'partial' ? 'PARTIAL' : 'done'}: ${opts.changes.join('; ')}${opts.gone?.length ? `; already gone (not by this run): ${opts.gone.join('; ')}` : ''}`;
  return printable(`influxguard ${ACTIONS[action].name} at ${opts.at} by ${opts.requestedBy}: ${what}`).slice(0, NOTE_MAX);
}

/** Write the note; a 200 answer that lists the finding as unprocessed is a failure too. */
export async function recordNote(securityhub: SecurityHubClient, target: Target, text: string, updatedBy: string): Promise<void> {
  let out: BatchUpdateFindingsCommandOutput;
  try {
    out = await securityhub.send(
      new BatchUpdateFindingsCommand({
        FindingIdentifiers: [{ Id: target.findingId, ProductArn: target.productArn }],
        Note: { Text: text, UpdatedBy: printable(updatedBy).slice(0, NOTE_MAX) },
      }),
    );
  } catch (err) {
    throw toAwsCallError('securityhub', 'BatchUpdateFindings', err);
  }
  const unprocessed = out.UnprocessedFindings?.[0];
  if (unprocessed)
    throw new Error(
      `securityhub:BatchUpdateFindings did not process the finding (${printable(`${unprocessed.ErrorCode ?? 'no code'}: ${unprocessed.ErrorMessage ?? ''}`).slice(0, 200)})`,
    );
}

/** The table's side of a remediation: the claim that serialises runs and the history that survives them. */
export type RemediationStore = Pick<ScanStore, 'claimRemediation' | 'releaseRemediation' | 'recordRemediation' | 'remediationHistory'>;

export interface RemediationOutcome {
  plan?: Plan;
  /**
   * `done`: changed (or a rescan asked for) and recorded; `partial`: changed, but `failed` lists what could not
   * follow (the note, the record, the rescan); `planned`: dry run; `refused`: nothing changed, `refused` says why.
   */
  status: RemediationRecord['status'];
  refused?: string;
  applied: boolean;
  /** Every change made, in the order made. */
  changed: string[];
  /** Planned changes not made because the rule was already gone when revoked (AWS answered it as unknown). */
  gone: string[];
  failed: string[];
  note?: string;
  rescanRequested: boolean;
}

/** The last run that changed something, as a refusal's context ("remediated at … by …: …"). */
function lastChange(history: readonly RemediationRecord[]): string | undefined {
  const r = history.find((h) => h.changes.length > 0);
  return r ? printable(`remediated at ${r.at} by ${r.requestedBy}: ${r.changes.join('; ')}`).slice(0, 300) : undefined;
}

/**
 * The whole remediation of one finding: verify, claim (with a store), plan once on the resource as it is now, apply
 * when `apply` and report each change at once (`onChange`), then record, note and ask for the rescan — each of these
 * may fail without hiding the change (`partial`). A finding not produced by influxguard is refused without a note (it
 * is not ours to write on); a run that finds the finding claimed by another writes nothing and says so.
 */
export async function remediate(
  action: Action,
  finding: AwsSecurityFinding,
  opts: {
    ec2: EC2Client;
    /** Amazon ECS of the finding's region: a finding on an ECS service's group re-reads the service. */
    ecs?: () => Promise<ECSClient>;
    securityhub: SecurityHubClient;
    apply: boolean;
    requestedBy: string;
    now?: () => Date;
    /** The tag selectors: the instance the finding names must still match one. */
    selectors: readonly TagSelector[];
    rescan: (r: Plan['rescan'] & { accountId: string; region: string; requestedBy: string }) => Promise<void>;
    /** The stack's table: claim and history. Without it (a CLI without INFLUXGUARD_TABLE) only the note accumulates. */
    store?: RemediationStore;
    /** A dry run only shows the plan: no note, no rescan (the CLI); otherwise it notes what it would do (the custom action). */
    showOnly?: boolean;
    onPlan?: (plan: Plan) => void;
    /** Called once per change, the moment it has been made (before any later step can fail). */
    onChange?: (change: string) => void;
  },
): Promise<RemediationOutcome> {
  const target = verifyFinding(finding);
  if ('refused' in target)
    return { status: 'refused', refused: target.refused, applied: false, changed: [], gone: [], failed: [], rescanRequested: false };
  const now = opts.now ?? (() => new Date());
  const runId = randomUUID();
  const changes = action !== 'rescan';
  const claimed = opts.store && opts.apply && changes;
  if (claimed) {
    const holder = await opts.store!.claimRemediation(target.findingId, runId, opts.requestedBy, now());
    if (holder) {
      const refused = printable(
        `another remediation of this finding is in progress (since ${holder.since}, by ${holder.requestedBy}): nothing done; look at the finding's note when it ends`,
      ).slice(0, 500);
      return { status: 'refused', refused, applied: false, changed: [], gone: [], failed: [], rescanRequested: false };
    }
  }
  const changed: string[] = [];
  const gone: string[] = [];
  const failed: string[] = [];
  try {
    const plan = await planRemediation(action, finding, target, opts.ec2, opts.selectors, opts.ecs);
    opts.onPlan?.(plan);
    // A rescan changes nothing: the custom action asks for it in a dry run too; a shown-only dry run asks for nothing.
    const writes = opts.apply || !opts.showOnly;
    const acts = opts.apply || (!changes && writes);
    let status: RemediationRecord['status'] = plan.refused ? 'refused' : acts ? 'done' : 'planned';
    let refused = plan.refused;
    if (status === 'done' && changes) {
      let unknown = { gone: new Set<number>(), unmatched: 0 };
      try {
        unknown = await applyPlan(plan, opts.ec2);
      } catch (err) {
        // The rule went between the plan and the revocation (another run without a table, a person): nothing changed.
        if (errorCode(err) !== 'InvalidPermission.NotFound') throw err;
        status = 'refused';
        refused = `stale finding: a rule in the plan was revoked meanwhile (${oneLine(err, 200)}); nothing changed`;
      }
      // A default VPC answers a rule already gone without an error: only what was revoked is reported as changed.
      if (status === 'done' && unknown.gone.size === plan.changes.length) {
        status = 'refused';
        refused = 'stale finding: every rule in the plan was revoked meanwhile (AWS no longer knew them); nothing changed';
        gone.push(...plan.changes);
      }
      if (status === 'done')
        plan.changes.forEach((c, i) => {
          if (unknown.gone.has(i)) gone.push(c);
          else {
            changed.push(c);
            opts.onChange?.(c);
          }
        });
      // Rules AWS named in a form matched to none of the plan's: which of the changes above were made is not certain.
      if (unknown.unmatched)
        failed.push(
          `AWS answered ${unknown.unmatched} rule(s) of the revocation as unknown in a form not matched to the plan: check the group (${plan.revoke?.groupId ?? '?'}) by hand`,
        );
    }
    const at = now().toISOString();
    // A refusal as context: the last change the table (or the note already there) records for this finding.
    let history: RemediationRecord[] = [];
    if (opts.store && (status === 'refused' || status === 'done')) {
      try {
        history = await opts.store.remediationHistory(target.findingId);
      } catch (err) {
        if (changed.length) failed.push(`reading the remediation history: ${oneLine(err, 200)}`);
      }
    }
    // Said with the refusal (result, output, record); the note keeps the earlier change as an entry of its own.
    const earlier = status === 'refused' && refused?.startsWith('stale finding') ? lastChange(history) : undefined;
    const refusedWhy = refused && earlier ? `${refused} (${earlier})` : refused;
    let note: string | undefined;
    if (writes) {
      const entry = noteEntry(plan, action, {
        status: action === 'rescan' && status === 'done' ? 'rescan' : changed.length && failed.length ? 'partial' : status,
        ...(refused ? { refused } : {}),
        changes: changed,
        gone,
        requestedBy: opts.requestedBy,
        at,
      });
      const fromTable = history.flatMap((h) =>
        h.changes.length && h.action in ACTIONS
          ? [noteEntry(undefined, h.action as Action, { status: h.status, changes: h.changes, requestedBy: h.requestedBy, at: h.at })]
          : [],
      );
      note = accumulateNote(entry, [...fromTable, ...(finding.Note?.Text ? [finding.Note.Text] : [])]);
      try {
        await recordNote(opts.securityhub, target, note, opts.requestedBy);
      } catch (err) {
        // Never hides the outcome: a change stays listed (partial), a refusal stays a refusal (nothing changed).
        failed.push(`noting it on the finding: ${oneLine(err, 300)}`);
      }
    }
    const rescanRequested = status === 'done';
    if (rescanRequested) {
      try {
        await opts.rescan({ ...plan.rescan, accountId: target.accountId, region: target.region, requestedBy: opts.requestedBy });
      } catch (err) {
        if (!changed.length) throw err;
        failed.push(`queuing the rescan: ${oneLine(err, 300)}`);
      }
    }
    if (opts.store && writes && (claimed || status !== 'planned')) {
      // Last, so that it holds every step's outcome; a change is never undone by a failure here (it is reported).
      const record: RemediationRecord = {
        at,
        runId,
        action,
        status: changed.length && failed.length ? 'partial' : status,
        requestedBy: printable(opts.requestedBy).slice(0, 512),
        changes: changed,
        ...(failed.length ? { failed } : {}),
        ...(refusedWhy ? { refused: refusedWhy.slice(0, 500) } : {}),
      };
      try {
        await opts.store.recordRemediation(target.findingId, record, now());
      } catch (err) {
        if (!changed.length) throw err;
        failed.push(`recording the outcome in the table: ${oneLine(err, 200)}`);
      }
    }
    return {
      plan,
      status: changed.length && failed.length ? 'partial' : status,
      ...(refusedWhy ? { refused: refusedWhy } : {}),
      applied: changed.length > 0,
      changed,
      gone,
      failed,
      ...(note ? { note } : {}),
      rescanRequested: rescanRequested && !failed.some((f) => f.startsWith('queuing the rescan')),
    };
  } finally {
    if (claimed) await opts.store!.releaseRemediation(target.findingId, runId).catch(() => undefined); // an unreleased claim expires
  }
}
