/**
 * Event-driven rescans: a change event (or a rescan asked for by remediation)
 * is noted per account × region in DynamoDB; the first change of a burst
 * schedules one delayed check on the events queue; the check scans the noted
 * resources once the burst has been quiet for `eventQuietSeconds` (at most
 * `eventMaxWaitSeconds` after its first change), through the ordinary
 * dispatch → worker path and its Security Hub lifecycle (a scan of named
 * instances changes only their findings).
 *
 * Rescans are in proportion to the change: a route or network ACL event is
 * resolved to its VPC (a subnet association to its subnet) and rescans that
 * VPC's selected instances; a security-group change rescans the selected
 * resources of every kind that use the group and the instances behind an
 * internet-facing load balancer that does, and nothing when there are none.
 * What cannot be narrowed (or resolved) is region-wide: those changes have
 * their own pending item and delayed check, and at most one region-wide rescan
 * per account × region is dispatched every `eventRegionIntervalSeconds`;
 * changes arriving meanwhile are coalesced into the next allowed one.
 */
import { DescribeNetworkAclsCommand, DescribeRouteTablesCommand } from '@aws-sdk/client-ec2';
import { paginateDescribeLoadBalancers as paginateClassic } from '@aws-sdk/client-elastic-load-balancing';
import {
  DescribeTargetHealthCommand,
  paginateDescribeLoadBalancers,
  paginateDescribeTargetGroups,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { z } from 'zod';
import type { Clients } from '../aws/clients.js';
import { configError, oneLine } from '../errors.js';
import type { PendingIds } from '../kinds/events.js';
import { KINDS, type AnyKind } from '../kinds/index.js';
import { mapLimit, unique } from '../util/concurrency.js';
import { affected, behind, changeOf, needsVpc, type Balancer, type Change, type CloudTrailDetail, type Selected } from './events.js';
import { authorizeAccounts, clientsFor, dispatch, ForbiddenError, type AppDeps } from './service.js';
import { UNIT_INSTANCES_MAX } from './units.js';
import { lazy } from '../util/lazy.js';

// The schemas are built on first use (lib/util/lazy.ts): a cold start does not pay for them at import.
const ACCOUNT = () => z.string().regex(/^\d{12}$/);
const REGION = () => z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d{1,2}$/);

/** The delayed check of an account × region's pending changes (`region`: its region-wide ones). */
export const DueMessageSchema = lazy(() =>
  z.strictObject({
    kind: z.literal('due'),
    accountId: ACCOUNT(),
    region: REGION(),
    part: z.literal('region').optional(),
  }),
);
/** A rescan asked for by remediation (or the "Rescan now" action): noted like a change. */
export const RescanMessageSchema = lazy(() =>
  z.strictObject({
    kind: z.literal('rescan'),
    accountId: ACCOUNT(),
    region: REGION(),
    instanceIds: z.array(z.string().regex(/^i-[0-9a-f]{8,17}$/)).max(UNIT_INSTANCES_MAX),
    /** ECS services (or standalone tasks) by ARN: remediation of a service's group rescans the service. */
    serviceArns: z
      .array(z.string().regex(/^arn:aws[a-z-]*:ecs:[a-z0-9-]{1,30}:\d{12}:(?:service|task)\/[A-Za-z0-9/_-]{1,600}$/))
      .max(UNIT_INSTANCES_MAX)
      .optional(),
    wholeRegion: z.boolean(),
    requestedBy: z.string().max(512),
  }),
);
export type RescanMessage = z.infer<ReturnType<typeof RescanMessageSchema>>;

/** What one invocation shares: each account's clients, each account × region's selected resources listed once, the allowed accounts read once. */
export interface RescanSession {
  deps: AppDeps;
  clients: Map<string, Promise<{ clients: Clients; own: boolean }>>;
  selected: Map<string, Promise<Selected[]>>;
  balancers: Map<string, Promise<ListedBalancer[]>>;
  allowed?: Promise<Set<string>>;
}

export const rescanSession = (deps: AppDeps): RescanSession => ({ deps, clients: new Map(), selected: new Map(), balancers: new Map() });

/** The end of an invocation: member accounts' clients are closed. */
export async function endRescanSession(s: RescanSession): Promise<void> {
  for (const got of s.clients.values()) {
    const c = await got.catch(() => undefined);
    if (c && !c.own) c.clients.destroy();
  }
  s.clients.clear();
}

function clientsOf(s: RescanSession, accountId: string): Promise<Clients> {
  let got = s.clients.get(accountId);
  if (!got) {
    got = clientsFor(accountId, s.deps);
    s.clients.set(accountId, got);
  }
  return got.then((c) => c.clients);
}

async function inScope(s: RescanSession, accountId: string, region: string): Promise<string | undefined> {
  const regions = s.deps.config.regions.length ? s.deps.config.regions : [s.deps.homeRegion];
  if (!regions.includes('all') && !regions.includes(region)) return `region ${region} is not scanned`;
  s.allowed ??= authorizeAccounts(undefined, s.deps).then((a) => new Set(a));
  return (await s.allowed).has(accountId) ? undefined : `account ${accountId} is not in the scanner’s configured accounts`;
}

/** What could not be read to judge a change: the change is region-wide (rate-limited), never dropped. */
class CannotJudge extends Error {}

/**
 * A kind's selected resources (listed once per invocation, only for the changes that can touch it: its events'
 * `touchedBy`). A listing that throws is retried with the message (and dead-lettered); one that returns why the kind
 * could not be listed makes the change region-wide.
 */
function selectedOf(s: RescanSession, kind: AnyKind, accountId: string, region: string): Promise<Selected[]> {
  const key = `${kind.name}/${accountId}/${region}`;
  let got = s.selected.get(key);
  if (!got) {
    got = clientsOf(s, accountId).then(async (clients) => {
      const listed = await kind.discover({ clients, accountId, region, config: s.deps.config });
      if (!listed.subjects.ok) throw new CannotJudge(`${kind.events.noun} could not be listed: ${listed.subjects.reason}`);
      return listed.subjects.value.map((x) => ({ kind: kind.name, ...kind.events.selected(x) }));
    });
    s.selected.set(key, got);
  }
  return got;
}

/** No ids of any kind. */
const noIds = (): PendingIds => Object.fromEntries(KINDS.map((k) => [k.events.pending.key, []])) as unknown as PendingIds;

/** The VPCs of the route tables, route-table associations and network ACLs a change names; CannotJudge when one is not found. */
async function vpcsOf(s: RescanSession, c: Change): Promise<string[]> {
  const ec2 = (await clientsOf(s, c.accountId)).ec2(c.region);
  const found = new Map<string, string | undefined>();
  try {
    if (c.routeTableIds.length) {
      const out = await ec2.send(new DescribeRouteTablesCommand({ RouteTableIds: c.routeTableIds }));
      for (const t of out.RouteTables ?? []) if (t.RouteTableId) found.set(t.RouteTableId, t.VpcId);
    }
    if (c.routeTableAssociationIds.length) {
      const out = await ec2.send(
        new DescribeRouteTablesCommand({
          Filters: [{ Name: 'association.route-table-association-id', Values: c.routeTableAssociationIds }],
        }),
      );
      for (const t of out.RouteTables ?? [])
        for (const a of t.Associations ?? []) if (a.RouteTableAssociationId) found.set(a.RouteTableAssociationId, t.VpcId);
    }
    if (c.networkAclIds.length) {
      const out = await ec2.send(new DescribeNetworkAclsCommand({ NetworkAclIds: c.networkAclIds }));
      for (const a of out.NetworkAcls ?? []) if (a.NetworkAclId) found.set(a.NetworkAclId, a.VpcId);
    }
  } catch (err) {
    throw new CannotJudge(`its VPC could not be read: ${oneLine(err, 200)}`);
  }
  const named = [...c.routeTableIds, ...c.routeTableAssociationIds, ...c.networkAclIds];
  const missing = named.filter((id) => !found.get(id));
  if (missing.length) throw new CannotJudge(`${missing.join(', ')} not found (deleted, or not this account’s): its VPC is unknown`);
  return unique(named.map((id) => found.get(id)!));
}

/** An internet-facing load balancer as listed: its groups; a Classic one's instances, an ALB/NLB's ARN. */
interface ListedBalancer {
  name: string;
  groupIds: string[];
  arn?: string;
  instanceIds: string[];
}

async function listBalancers(c: Clients, region: string): Promise<ListedBalancer[]> {
  const out: ListedBalancer[] = [];
  // Internal load balancers are not part of the exposure model (lib/discover/network.ts reads internet-facing ones).
  for await (const p of paginateDescribeLoadBalancers({ client: c.elbv2(region), pageSize: 400 }, {}))
    for (const lb of p.LoadBalancers ?? [])
      if (lb.Scheme === 'internet-facing' && lb.LoadBalancerArn)
        out.push({
          name: lb.LoadBalancerName ?? lb.LoadBalancerArn,
          arn: lb.LoadBalancerArn,
          groupIds: lb.SecurityGroups ?? [],
          instanceIds: [],
        });
  for await (const p of paginateClassic({ client: c.elb(region), pageSize: 400 }, {}))
    for (const lb of p.LoadBalancerDescriptions ?? [])
      if (lb.Scheme === 'internet-facing' && lb.LoadBalancerName)
        out.push({
          name: lb.LoadBalancerName,
          groupIds: lb.SecurityGroups ?? [],
          instanceIds: (lb.Instances ?? []).flatMap((i) => (i.InstanceId ? [i.InstanceId] : [])),
        });
  return out;
}

/** The internet-facing load balancers carrying one of the groups, with what they forward to; CannotJudge when unreadable. */
async function balancersWith(s: RescanSession, accountId: string, region: string, groupIds: string[]): Promise<Balancer[]> {
  const c = await clientsOf(s, accountId);
  const key = `${accountId}/${region}`;
  let listed = s.balancers.get(key);
  if (!listed) {
    listed = listBalancers(c, region);
    s.balancers.set(key, listed);
  }
  const groups = new Set(groupIds);
  try {
    const carrying = (await listed).filter((b) => b.groupIds.some((g) => groups.has(g)));
    return await mapLimit(carrying, 4, async (b): Promise<Balancer> => {
      if (!b.arn) return { name: b.name, instanceIds: b.instanceIds, ips: [] };
      const targets: { Id?: string | undefined }[] = [];
      for await (const p of paginateDescribeTargetGroups({ client: c.elbv2(region), pageSize: 400 }, { LoadBalancerArn: b.arn }))
        for (const g of p.TargetGroups ?? [])
          if ((g.TargetType === 'instance' || g.TargetType === 'ip') && g.TargetGroupArn) {
            const health = await c.elbv2(region).send(new DescribeTargetHealthCommand({ TargetGroupArn: g.TargetGroupArn }));
            targets.push(...(health.TargetHealthDescriptions ?? []).map((d) => ({ Id: d.Target?.Id })));
          }
      const ids = targets.flatMap((t) => (t.Id ? [t.Id] : []));
      return { name: b.name, instanceIds: ids.filter((id) => id.startsWith('i-')), ips: ids.filter((id) => !id.startsWith('i-')) };
    });
  } catch (err) {
    throw new CannotJudge(`the load balancers could not be read: ${oneLine(err, 200)}`);
  }
}

async function sendDue(accountId: string, region: string, delaySeconds: number, deps: AppDeps, part?: 'region'): Promise<void> {
  const queueUrl = deps.config.app.eventsQueueUrl;
  if (!queueUrl) throw configError('INFLUXGUARD_EVENTS_QUEUE_URL is not set');
  await (await deps.clients.sqs(deps.homeRegion)).send(
    new SendMessageCommand({
      QueueUrl: queueUrl,
      MessageBody: JSON.stringify({ kind: 'due', accountId, region, ...(part ? { part } : {}) }),
      // SQS delays at most 15 minutes: a longer wait is checked again then.
      DelaySeconds: Math.max(0, Math.min(900, Math.ceil(delaySeconds))),
    }),
  );
}

export interface Noted extends PendingIds {
  accountId: string;
  region: string;
  cause: string;
  wholeRegion: boolean;
  /** Why the change is region-wide. */
  why?: string;
  /** Why nothing was noted (out of scope, no selected resource affected). */
  ignored?: string;
  /** A region-wide change held back by the rate limit: its rescan is dispatched then (ISO time). */
  rateLimitedUntil?: string;
}

const nowOf = (deps: AppDeps): Date => (deps.now ?? (() => new Date()))();
const iso = (ms: number) => new Date(ms).toISOString();

/** Note a region-wide change; its check is scheduled for when the burst is quiet and the rate limit allows. */
async function noteRegion(s: RescanSession, accountId: string, region: string): Promise<{ rateLimitedUntil?: string }> {
  const { deps } = s;
  const now = nowOf(deps);
  const { first, lastScanAt } = await deps.store.noteRegionChange(accountId, region, now);
  const allowedAt = lastScanAt === undefined ? 0 : lastScanAt + deps.config.app.eventRegionIntervalSeconds * 1000;
  const limited = allowedAt > now.getTime();
  if (first)
    await sendDue(accountId, region, Math.max(deps.config.app.eventQuietSeconds, (allowedAt - now.getTime()) / 1000), deps, 'region');
  return limited ? { rateLimitedUntil: iso(allowedAt) } : {};
}

async function note(s: RescanSession, n: Noted): Promise<Noted> {
  if (n.ignored) return n;
  if (n.wholeRegion) return { ...n, ...(await noteRegion(s, n.accountId, n.region)) };
  if (KINDS.every((k) => !n[k.events.pending.key].length)) return { ...n, ignored: 'no selected instance or database is affected' };
  const first = await s.deps.store.noteChanges(n.accountId, n.region, n, nowOf(s.deps));
  if (first) await sendDue(n.accountId, n.region, s.deps.config.app.eventQuietSeconds, s.deps);
  return n;
}

const ids = (found: readonly Selected[], kind: AnyKind) => unique(found.filter((r) => r.kind === kind.name).map((r) => r.id)).sort();

/** What a change touches among the selected resources: their ids, region-wide (with why), or nothing (with why). */
async function judge(s: RescanSession, change: Change): Promise<Pick<Noted, keyof PendingIds | 'wholeRegion' | 'why' | 'ignored'>> {
  const region = (why: string) => ({ ...noIds(), wholeRegion: true, why });
  if (change.wholeRegion) return region(change.why ?? 'the event names nothing narrower than its region');
  const { accountId, region: r } = change;
  try {
    const c = needsVpc(change) ? { ...change, vpcIds: await vpcsOf(s, change) } : change;
    const found: Selected[] = [];
    for (const k of KINDS)
      if (k.events.touchedBy(c.named[k.name] ?? [], c)) found.push(...affected(c, await selectedOf(s, k, accountId, r)));
    // A changed group's rules also open or close the paths through the load balancers that carry it.
    if (c.groupIds.length) {
      const balancers = await balancersWith(s, accountId, r, c.groupIds);
      if (balancers.length)
        for (const k of KINDS) if (k.events.behindBalancers) found.push(...behind(balancers, await selectedOf(s, k, accountId, r)));
    }
    const named = {
      ...(Object.fromEntries(
        KINDS.map((k) => [
          k.events.pending.key,
          unique([...ids(found, k), ...(k.events.namedIds === 'asNamed' ? (c.named[k.name] ?? []) : [])]),
        ]),
      ) as unknown as PendingIds),
      wholeRegion: false,
    };
    if (KINDS.some((k) => named[k.events.pending.key].length)) return named;
    if (c.groupIds.length)
      return {
        ...named,
        ignored: `${c.groupIds.join(', ')}: used by no selected instance or Timestream database, nor by an internet-facing load balancer in front of one`,
      };
    return { ...named, ignored: 'no selected instance or database is affected' };
  } catch (err) {
    if (!(err instanceof CannotJudge)) throw err;
    return region(err.message);
  }
}

/** Note what a CloudTrail event changed; undefined when it cannot change anything influxguard judges. */
export async function noteEvent(s: RescanSession, detail: CloudTrailDetail, eventAccount: string): Promise<Noted | undefined> {
  const change = changeOf(detail, eventAccount, s.deps.config);
  if (!change) return undefined;
  const base = { accountId: change.accountId, region: change.region, cause: change.cause };
  const refused = await inScope(s, change.accountId, change.region);
  if (refused) return { ...base, ...noIds(), wholeRegion: change.wholeRegion, ignored: refused };
  return note(s, { ...base, ...(await judge(s, change)) });
}

export async function noteRescan(s: RescanSession, m: RescanMessage): Promise<Noted> {
  const refused = await inScope(s, m.accountId, m.region);
  const n: Noted = {
    accountId: m.accountId,
    region: m.region,
    cause: `rescan by ${m.requestedBy}`,
    // The subjects named (instances, ECS services), each under its kind's key.
    ...(Object.fromEntries(
      KINDS.map((k) => [k.events.pending.key, [...m.instanceIds, ...(m.serviceArns ?? [])].filter((id) => k.lifecycle.owns(id))]),
    ) as unknown as PendingIds),
    wholeRegion: m.wholeRegion,
  };
  return note(s, refused ? { ...n, ignored: refused } : n);
}

/** Ask for a rescan (remediation, the "Rescan now" action): a message on the events queue. */
export async function requestRescan(
  m: Omit<RescanMessage, 'kind'>,
  deps: Pick<AppDeps, 'config' | 'clients' | 'homeRegion'>,
): Promise<void> {
  const queueUrl = deps.config.app.eventsQueueUrl;
  if (!queueUrl) throw configError('INFLUXGUARD_EVENTS_QUEUE_URL is not set');
  const body = RescanMessageSchema().parse({ kind: 'rescan', ...m });
  await (await deps.clients.sqs(deps.homeRegion)).send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: JSON.stringify(body) }));
}

export interface DueOutcome extends Partial<PendingIds> {
  /** The scan started for the pending changes. */
  scanId?: string;
  wholeRegion?: boolean;
  /** Changes still arriving (or the rate limit): checked again after this many seconds. */
  waitSeconds?: number;
  /** The region-wide rescan is held back by the rate limit until then (ISO time). */
  rateLimitedUntil?: string;
  /** The named changes were too many for a named scan: they wait for the region-wide rescan. */
  movedToRegion?: boolean;
  /** The account is no longer configured: its pending changes were dropped. */
  dropped?: string;
}

/** The delayed check: scan the pending changes once the burst is quiet (or has waited long enough), else look again later. */
export async function runDue(s: RescanSession, accountId: string, region: string, part?: 'region'): Promise<DueOutcome> {
  if (part === 'region') return runRegionDue(s, accountId, region);
  const { deps } = s;
  const pending = await deps.store.getPendingChanges(accountId, region);
  if (!pending) return {}; // already scanned
  const now = nowOf(deps).getTime();
  const ready = Math.min(
    pending.lastAt + deps.config.app.eventQuietSeconds * 1000,
    pending.firstAt + deps.config.app.eventMaxWaitSeconds * 1000,
  );
  if (now < ready) {
    const waitSeconds = Math.ceil((ready - now) / 1000);
    await sendDue(accountId, region, waitSeconds, deps);
    return { waitSeconds };
  }
  // The subjects a scan names (kinds listed per unit by id); a kind listed region-whole is scanned by the region unit.
  const byId = unique(KINDS.filter((k) => k.listedBy === 'unit').flatMap((k) => pending[k.events.pending.key]));
  // An item written before region-wide changes had their own, or more subjects than a named scan takes: the region.
  if (pending.wholeRegion || byId.length > UNIT_INSTANCES_MAX) {
    const limited = await noteRegion(s, accountId, region);
    if (!(await deps.store.clearPendingChanges(accountId, region, pending)))
      await sendDue(accountId, region, deps.config.app.eventQuietSeconds, deps);
    return { movedToRegion: true, ...limited };
  }
  let scanId: string | undefined;
  try {
    // No subject named by id (only a kind listed region-whole): a scan of no instance, whose region unit lists it.
    ({ scanId } = await dispatch({ accounts: [accountId], regions: [region], instanceIds: byId }, deps, {
      requestedBy: 'event',
    }));
  } catch (err) {
    // An account no longer configured: its pending changes are dropped, not retried forever.
    if (!(err instanceof ForbiddenError)) throw err;
    await deps.store.clearPendingChanges(accountId, region, pending);
    return { dropped: oneLine(err) };
  }
  if (!(await deps.store.clearPendingChanges(accountId, region, pending)))
    await sendDue(accountId, region, deps.config.app.eventQuietSeconds, deps);
  return { scanId, ...Object.fromEntries(KINDS.map((k) => [k.events.pending.key, pending[k.events.pending.key]])) };
}

/** The region-wide check: one rescan once the burst is quiet and the rate limit allows; claimed so that it is only one. */
async function runRegionDue(s: RescanSession, accountId: string, region: string): Promise<DueOutcome> {
  const { deps } = s;
  const seen = await deps.store.getRegionChanges(accountId, region);
  if (!seen.pending) return {}; // already scanned
  const now = nowOf(deps);
  const { eventQuietSeconds, eventMaxWaitSeconds, eventRegionIntervalSeconds } = deps.config.app;
  const quiet = Math.min(seen.pending.lastAt + eventQuietSeconds * 1000, seen.pending.firstAt + eventMaxWaitSeconds * 1000);
  const allowedAt = seen.lastScanAt === undefined ? 0 : seen.lastScanAt + eventRegionIntervalSeconds * 1000;
  const ready = Math.max(quiet, allowedAt);
  if (now.getTime() < ready) {
    const waitSeconds = Math.ceil((ready - now.getTime()) / 1000);
    await sendDue(accountId, region, waitSeconds, deps, 'region');
    return { waitSeconds, ...(allowedAt > quiet ? { rateLimitedUntil: iso(allowedAt) } : {}) };
  }
  if (!(await deps.store.claimRegionScan(accountId, region, seen, now))) return {}; // another check dispatched it
  let scanId: string;
  try {
    ({ scanId } = await dispatch({ accounts: [accountId], regions: [region] }, deps, { requestedBy: 'event' }));
  } catch (err) {
    if (err instanceof ForbiddenError) {
      await deps.store.clearRegionChanges(accountId, region, seen.pending);
      return { dropped: oneLine(err) };
    }
    await deps.store.releaseRegionScan(accountId, region, seen, now); // retried with the message: nothing is lost
    throw err;
  }
  // Changes noted since were perhaps not seen by this scan: the next window scans them.
  if (!(await deps.store.clearRegionChanges(accountId, region, seen.pending)))
    await sendDue(accountId, region, eventRegionIntervalSeconds, deps, 'region');
  return { scanId, wholeRegion: true };
}
