/**
 * Event-driven rescans: a change event (or a rescan asked for by remediation)
 * is noted per account × region in DynamoDB; the first change of a burst
 * schedules one delayed check on the events queue; the check scans the noted
 * instances once the burst has been quiet for `eventQuietSeconds` (at most
 * `eventMaxWaitSeconds` after its first change), through the ordinary
 * dispatch → worker path and its Security Hub lifecycle (a scan of named
 * instances changes only their findings).
 */
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { z } from 'zod';
import { configError, oneLine } from '../errors.js';
import { listInstances } from '../discover/ec2.js';
import type { Instance } from '../model.js';
import { affectedInstances, changeOf, type CloudTrailDetail } from './events.js';
import { authorizeAccounts, clientsFor, dispatch, ForbiddenError, type AppDeps } from './service.js';
import { UNIT_INSTANCES_MAX } from './units.js';

const ACCOUNT = z.string().regex(/^\d{12}$/);
const REGION = z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d{1,2}$/);

/** The delayed check of an account × region's pending changes. */
export const DueMessageSchema = z.strictObject({ kind: z.literal('due'), accountId: ACCOUNT, region: REGION });
/** A rescan asked for by remediation (or the "Rescan now" action): noted like a change. */
export const RescanMessageSchema = z.strictObject({
  kind: z.literal('rescan'),
  accountId: ACCOUNT,
  region: REGION,
  instanceIds: z.array(z.string().regex(/^i-[0-9a-f]{8,17}$/)).max(UNIT_INSTANCES_MAX),
  wholeRegion: z.boolean(),
  requestedBy: z.string().max(512),
});
export type RescanMessage = z.infer<typeof RescanMessageSchema>;

/** What one invocation shares: each account × region's inventory listed once, the allowed accounts read once. */
export interface RescanSession {
  deps: AppDeps;
  inventories: Map<string, Promise<Instance[]>>;
  allowed?: Promise<Set<string>>;
}

export const rescanSession = (deps: AppDeps): RescanSession => ({ deps, inventories: new Map() });

async function inScope(s: RescanSession, accountId: string, region: string): Promise<string | undefined> {
  const regions = s.deps.config.regions.length ? s.deps.config.regions : [s.deps.homeRegion];
  if (!regions.includes('all') && !regions.includes(region)) return `region ${region} is not scanned`;
  s.allowed ??= authorizeAccounts(undefined, s.deps).then((a) => new Set(a));
  return (await s.allowed).has(accountId) ? undefined : `account ${accountId} is not in the scanner’s configured accounts`;
}

function inventory(s: RescanSession, accountId: string, region: string): Promise<Instance[]> {
  const key = `${accountId}/${region}`;
  let got = s.inventories.get(key);
  if (!got) {
    got = (async () => {
      const { clients, own } = await clientsFor(accountId, s.deps);
      try {
        return await listInstances(clients.ec2(region), accountId, region, s.deps.config);
      } finally {
        if (!own) clients.destroy();
      }
    })();
    s.inventories.set(key, got);
  }
  return got;
}

async function sendDue(accountId: string, region: string, delaySeconds: number, deps: AppDeps): Promise<void> {
  const queueUrl = deps.config.app.eventsQueueUrl;
  if (!queueUrl) throw configError('INFLUXGUARD_EVENTS_QUEUE_URL is not set');
  await (await deps.clients.sqs(deps.homeRegion)).send(
    new SendMessageCommand({
      QueueUrl: queueUrl,
      MessageBody: JSON.stringify({ kind: 'due', accountId, region }),
      DelaySeconds: Math.max(0, Math.min(900, Math.ceil(delaySeconds))),
    }),
  );
}

export interface Noted {
  accountId: string;
  region: string;
  cause: string;
  instanceIds: string[];
  wholeRegion: boolean;
  /** Why nothing was noted (out of scope, no selected instance affected). */
  ignored?: string;
}

async function note(s: RescanSession, n: Noted): Promise<Noted> {
  if (n.ignored || (!n.wholeRegion && !n.instanceIds.length)) return { ...n, ignored: n.ignored ?? 'no selected instance is affected' };
  const first = await s.deps.store.noteChanges(n.accountId, n.region, n, (s.deps.now ?? (() => new Date()))());
  if (first) await sendDue(n.accountId, n.region, s.deps.config.app.eventQuietSeconds, s.deps);
  return n;
}

/** Note what a CloudTrail event changed; undefined when it cannot change anything influxguard judges. */
export async function noteEvent(s: RescanSession, detail: CloudTrailDetail, eventAccount: string): Promise<Noted | undefined> {
  const change = changeOf(detail, eventAccount, s.deps.config);
  if (!change) return undefined;
  const base = { accountId: change.accountId, region: change.region, cause: change.cause, wholeRegion: change.wholeRegion };
  const refused = await inScope(s, change.accountId, change.region);
  if (refused) return { ...base, instanceIds: [], ignored: refused };
  const ids = change.wholeRegion ? [] : affectedInstances(change, await inventory(s, change.accountId, change.region));
  // A group on no selected instance may be a load balancer's: its rules open or close the paths to the instances
  // behind it, which only a region scan (it reads the load balancers) can tell.
  if (!ids.length && change.groupIds.length) return note(s, { ...base, instanceIds: [], wholeRegion: true });
  return note(s, { ...base, instanceIds: ids });
}

export async function noteRescan(s: RescanSession, m: RescanMessage): Promise<Noted> {
  const refused = await inScope(s, m.accountId, m.region);
  const n = {
    accountId: m.accountId,
    region: m.region,
    cause: `rescan by ${m.requestedBy}`,
    instanceIds: m.instanceIds,
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
  const body = RescanMessageSchema.parse({ kind: 'rescan', ...m });
  await (await deps.clients.sqs(deps.homeRegion)).send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: JSON.stringify(body) }));
}

export interface DueOutcome {
  /** The scan started for the pending changes. */
  scanId?: string;
  instanceIds?: string[];
  wholeRegion?: boolean;
  /** Changes still arriving: checked again after this many seconds. */
  waitSeconds?: number;
  /** The account is no longer configured: its pending changes were dropped. */
  dropped?: string;
}

/** The delayed check: scan the pending changes once the burst is quiet (or has waited long enough), else look again later. */
export async function runDue(s: RescanSession, accountId: string, region: string): Promise<DueOutcome> {
  const { deps } = s;
  const pending = await deps.store.getPendingChanges(accountId, region);
  if (!pending) return {}; // already scanned
  const now = (deps.now ?? (() => new Date()))().getTime();
  const ready = Math.min(
    pending.lastAt + deps.config.app.eventQuietSeconds * 1000,
    pending.firstAt + deps.config.app.eventMaxWaitSeconds * 1000,
  );
  if (now < ready) {
    const waitSeconds = Math.ceil((ready - now) / 1000);
    await sendDue(accountId, region, waitSeconds, deps);
    return { waitSeconds };
  }
  const wholeRegion = pending.wholeRegion || pending.instanceIds.length > UNIT_INSTANCES_MAX;
  let scanId: string | undefined;
  try {
    ({ scanId } = await dispatch(
      { accounts: [accountId], regions: [region], ...(wholeRegion ? {} : { instanceIds: pending.instanceIds }) },
      deps,
      { requestedBy: 'event' },
    ));
  } catch (err) {
    // An account no longer configured: its pending changes are dropped, not retried forever.
    if (!(err instanceof ForbiddenError)) throw err;
    await deps.store.clearPendingChanges(accountId, region, pending);
    return { dropped: oneLine(err) };
  }
  if (!(await deps.store.clearPendingChanges(accountId, region, pending)))
    await sendDue(accountId, region, deps.config.app.eventQuietSeconds, deps);
  return { scanId, ...(wholeRegion ? { wholeRegion } : { instanceIds: pending.instanceIds }) };
}
