/**
 * The serverless application's logic, free of Lambda specifics: dispatch a
 * scan into work units, run one unit (scan + publish + record), finish the
 * scan once (one SNS summary), answer the API. Handlers only adapt events.
 */
import { createHash, randomUUID } from 'node:crypto';
import { SendMessageBatchCommand, type SendMessageBatchRequestEntry } from '@aws-sdk/client-sqs';
import { z } from 'zod';
import { createClients, type CallCounter, type Clients } from '../aws/clients.js';
import { CHECKS } from '../checks/index.js';
import { REGION_RE, type Config } from '../config.js';
import { configError, InfluxguardError, oneLine } from '../errors.js';
import { gatheredSources, missingSources, type Source } from '../evidence/sources.js';
import { hostReach } from '../kinds/index.js';
import { goneInstances, listInstances } from '../discover/ec2.js';
import { isFailing, type Finding, type ScanDocument, type ScanResult, type Summary } from '../model.js';
import { changesOf, notify, publishSecurityHub } from '../publish/index.js';
import { byRisk, mergeSummaries, summarise } from '../summary.js';
import type { SummaryInput } from '../publish/sns.js';
import { callerAccount, resolveRegions, scan, selectorsText } from '../scan.js';
import { mapLimit } from '../util/concurrency.js';
import { assumeRoleCredentials, MEMBER_DOCUMENT, memberRoleArn, targetAccounts } from './accounts.js';
import type { ScanStore, UnitResult } from './store.js';
import { planUnits, type WorkUnit } from './units.js';
import { lazy } from '../util/lazy.js';

const checkIds = lazy(() => new Set(CHECKS.map((c) => c.id)));

/** POST /scans body (and the schedule's implicit request). Unknown fields are refused. Built on first use. */
export const ScanRequestSchema = lazy(() =>
  z
    .object({
      regions: z
        .array(z.string().refine((r) => r === 'all' || REGION_RE.test(r), { message: 'is not a region name' }))
        .min(1)
        .max(40)
        .optional(),
      accounts: z
        .array(z.string().regex(/^\d{12}$/, { message: 'is not a 12-digit account id' }))
        .min(1)
        .max(1000)
        .optional(),
      instanceIds: z
        .array(z.string().regex(/^i-[0-9a-f]{8,17}$/, { message: 'is not an instance id' }))
        .min(1)
        .max(1000)
        .optional(),
      checks: z
        .array(z.string().refine((c) => checkIds().has(c), { message: 'is not a check id (see CHECKS.md)' }))
        .min(1)
        .max(CHECKS.length)
        .optional(),
      publish: z.boolean().optional(),
      wait: z.boolean().optional(),
    })
    .strict(),
);
export type ScanRequest = z.infer<ReturnType<typeof ScanRequestSchema>>;

/** A request the API refuses: its field and why (never a stack trace). */
export class RequestError extends Error {
  constructor(
    readonly field: string,
    message: string,
    /** 400, or 409 for a conflicting Idempotency-Key. */
    readonly status = 400,
  ) {
    super(message);
    this.name = 'RequestError';
  }
}

/** A request for something the caller may not have: 403, naming the field and the value. */
export class ForbiddenError extends Error {
  constructor(
    readonly field: string,
    readonly account: string,
    message: string,
  ) {
    super(message);
    this.name = 'ForbiddenError';
  }
}

/** The scan was recorded but its units could not be enqueued: it is marked `failed`. */
export class DispatchError extends Error {
  constructor(
    readonly scanId: string,
    message: string,
  ) {
    super(message);
    this.name = 'DispatchError';
  }
}

/** Hash of a parsed request (keys sorted): what an idempotency key is bound to. */
export function requestHash(request: ScanRequest): string {
  return createHash('sha256')
    .update(JSON.stringify(request, Object.keys(request).sort()))
    .digest('hex');
}

export function parseScanRequest(body: unknown): ScanRequest {
  const r = ScanRequestSchema().safeParse(body ?? {});
  if (r.success) return r.data;
  const i = r.error.issues[0]!;
  const unknown =
    i.code === 'unrecognized_keys' ? ((i as { keys?: string[] }).keys ?? []).map((k) => (k === '' ? '""' : k)).join(', ') : '';
  const field = i.path.join('.') || unknown || '(body)';
  throw new RequestError(field, i.code === 'unrecognized_keys' ? `unknown field(s): ${field}` : `${field}: ${i.message}`);
}

export interface AppDeps {
  config: Config;
  /** Clients of the tooling account the functions run in. */
  clients: Clients;
  homeRegion: string;
  store: ScanStore;
  now?: () => Date;
  newId?: () => string;
  /** Where units go (default: the SQS queue, batches of 10). */
  sendUnits?: (units: WorkUnit[]) => Promise<void>;
  counter?: CallCounter;
  /** sts:ExternalId the member role's trust policy requires (INFLUXGUARD_MEMBER_EXTERNAL_ID). */
  memberExternalId?: string;
}

let selfAccount: string | undefined;
async function self(deps: AppDeps): Promise<string> {
  selfAccount ??= await callerAccount(deps.clients, deps.homeRegion);
  return selfAccount;
}

/** Clients for an account: the function's own, or the member role assumed there. */
export async function clientsFor(accountId: string, deps: AppDeps): Promise<{ clients: Clients; own: boolean }> {
  if (accountId === (await self(deps))) return { clients: deps.clients, own: true };
  const credentials = assumeRoleCredentials(
    deps.clients.sts(deps.homeRegion),
    memberRoleArn(accountId, deps.config.app.memberRoleName),
    deps.memberExternalId ? { externalId: deps.memberExternalId } : {},
  );
  return { clients: createClients({ aws: deps.config.aws, credentials, ...(deps.counter ? { counter: deps.counter } : {}) }), own: false };
}

/** The SSM document that collects host evidence: the stack's own at home, the member template's in member accounts. */
export function hostDocument(config: Config, own: boolean): string {
  return own ? config.host.documentName : MEMBER_DOCUMENT;
}

/** SQS limits a batch to 10 entries and 256 KiB in all; batches stay well under. */
const BATCH_BYTES_MAX = 200 * 1024;

/** The SendMessageBatch entries for the units: at most 10 per batch, each batch under 256 KiB. */
export function messageBatches(units: WorkUnit[]): SendMessageBatchRequestEntry[][] {
  const batches: SendMessageBatchRequestEntry[][] = [];
  let batch: SendMessageBatchRequestEntry[] = [];
  let bytes = 0;
  for (const u of units) {
    const body = JSON.stringify(u);
    const size = Buffer.byteLength(body);
    if (batch.length === 10 || (batch.length && bytes + size > BATCH_BYTES_MAX)) {
      batches.push(batch);
      batch = [];
      bytes = 0;
    }
    batch.push({ Id: String(u.unitIndex), MessageBody: body });
    bytes += size;
  }
  if (batch.length) batches.push(batch);
  return batches;
}

async function defaultSend(units: WorkUnit[], deps: AppDeps): Promise<void> {
  const queueUrl = deps.config.app.queueUrl;
  if (!queueUrl) throw configError('INFLUXGUARD_QUEUE_URL is not set');
  const sqs = await deps.clients.sqs(deps.homeRegion);
  for (const entries of messageBatches(units)) {
    const out = await sqs.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: entries }));
    if (out.Failed?.length) throw new Error(`SQS refused ${out.Failed.length} unit(s): ${out.Failed.map((f) => f.Message).join('; ')}`);
  }
}

/**
 * The accounts a request may scan: the configured ones (self, the list, or
 * the organisation's active accounts, minus exclusions). A requested account
 * outside them is a ForbiddenError naming it.
 */
export async function authorizeAccounts(requested: string[] | undefined, deps: AppDeps): Promise<string[]> {
  const allowed = await targetAccounts(deps.config, await self(deps), () => deps.clients.organizations('us-east-1'));
  if (!requested) return allowed;
  const set = new Set(allowed);
  for (const a of requested)
    if (!set.has(a)) throw new ForbiddenError('accounts', a, `account ${a} is not in the scanner’s configured accounts`);
  return [...new Set(requested)];
}

/** What turns each per-subject source on, in the stack's words. */
const HOW: Record<Source, string> = {
  probe: 'the probe: probe.enabled',
  host: 'host evidence: host.enabled (never collected by wait=true scans)',
  audit: 'the credentialed audit: audit.secretArn or audit.secrets, with the probe',
};

/**
 * Requested checks that could read nothing the scan gathers (`on`: the sources it runs) are refused, rather than
 * answered with no finding.
 */
function refuseSilent(checks: readonly string[] | undefined, config: Config, on: Record<Source, boolean>): void {
  const reach = hostReach(config);
  const silent = CHECKS.filter((c) => checks?.includes(c.id)).map((c) => [c.id, missingSources(c, on, reach)] as const);
  const refused = silent.filter(([, missing]) => missing !== undefined);
  if (!refused.length) return;
  const sources = [...new Set(refused.flatMap(([, missing]) => missing ?? []))].map((s) => HOW[s]).join('; ');
  const ids = refused.map(([id]) => id).join(', ');
  throw new RequestError(
    'checks',
    `checks: ${ids} ${refused.length === 1 ? 'reads' : 'read'} only evidence this scan does not gather (${sources})`,
  );
}

/** The checks a recorded request chose (a scan of chosen checks, not of every one), as its document's scope names them. */
const chosenChecks = (request: unknown): { checks?: string[] } => {
  const asked = (request as { checks?: unknown } | null)?.checks;
  const checks = Array.isArray(asked) ? CHECKS.filter((c) => asked.includes(c.id)).map((c) => c.id) : [];
  return checks.length && checks.length < CHECKS.length ? { checks } : {};
};

/** Split the request's scope into units, record the scan, enqueue the units; a scan whose units cannot be enqueued is marked failed. */
export async function dispatch(
  request: ScanRequest,
  deps: AppDeps,
  opts: { requestedBy?: string } = {},
): Promise<{ scanId: string; unitsTotal: number }> {
  // The workers run the scan: the probe and host switches are the stack's, the audit's secrets the workers' alone
  // (serverless.yml), so an audit is assumed wherever the probe runs.
  const on = gatheredSources(deps.config);
  refuseSilent(request.checks, deps.config, { ...on, audit: on.probe });
  const now = (deps.now ?? (() => new Date()))();
  const scanId = (deps.newId ?? randomUUID)();
  const accounts = await authorizeAccounts(request.accounts, deps);
  const regionConfig = { ...deps.config, regions: request.regions ?? deps.config.regions };
  const inventories = (
    await mapLimit(accounts, 4, async (accountId) => {
      const { clients, own: isOwn } = await clientsFor(accountId, deps);
      try {
        const regions = await resolveRegions(regionConfig, clients, deps.homeRegion);
        return await mapLimit(regions, 4, async (region) => {
          try {
            const instances = await listInstances(clients.ec2(region), accountId, region, deps.config, request.instanceIds);
            return { accountId, region, instanceIds: instances.map((i) => i.instanceId) };
          } catch {
            return { accountId, region }; // the unit's worker will report what fails
          }
        });
      } finally {
        if (!isOwn) clients.destroy();
      }
    })
  ).flat();
  const units = planUnits(scanId, inventories, deps.config.app.unitSize, {
    publish: request.publish ?? deps.config.publish.enabled,
    regionComplete: !request.instanceIds, // named instances: a subset, nothing else is archived
    ...(request.instanceIds ? { named: request.instanceIds } : {}),
    ...(request.checks ? { checks: request.checks } : {}),
  });
  await deps.store.createScan(
    {
      scanId,
      createdAt: now.toISOString(),
      request,
      unitsTotal: units.length,
      ...(opts.requestedBy ? { requestedBy: opts.requestedBy } : {}),
    },
    now,
  );
  try {
    // Inventories of regions split into several units (named instances: a subset, nothing else is archived, none needed).
    if (!request.instanceIds) {
      const multi = inventories.filter((inv) => inv.instanceIds && inv.instanceIds.length > deps.config.app.unitSize);
      await mapLimit(multi, 8, (inv) => deps.store.putInventory(scanId, inv.accountId, inv.region, inv.instanceIds!, now));
    }
    await (deps.sendUnits ?? ((u) => defaultSend(u, deps)))(units);
  } catch (err) {
    const reason = `could not enqueue the scan's work units: ${oneLine(err)}`;
    await deps.store.failScan(scanId, reason, now);
    throw new DispatchError(scanId, reason);
  }
  return { scanId, unitsTotal: units.length };
}

const compact = (f: Finding, names: Map<string, string | undefined>, isNew: boolean): UnitResult['worst'][number] => ({
  checkId: f.checkId,
  severity: f.severity,
  title: f.title,
  status: f.status,
  accountId: f.accountId ?? '',
  region: f.region ?? '',
  resource: f.resource,
  ...(f.instanceId ? { instanceId: f.instanceId } : {}),
  ...(f.instanceId && names.get(f.instanceId) ? { name: names.get(f.instanceId)! } : {}),
  ...(isNew ? { new: true as const } : {}),
});

/** Scan one unit and publish it; record it once; the unit that completes the scan sends the summary. */
/**
 * A unit whose account could not be scanned at all (its member role cannot be
 * assumed, STS refuses): recorded as incomplete with the reason, publishing
 * nothing there, so the scan still completes instead of retrying into the DLQ.
 */
function unscannable(unit: WorkUnit, at: Date, err: unknown): ScanResult {
  if (!(err instanceof InfluxguardError) || (err.kind !== 'aws' && err.kind !== 'credentials')) throw err;
  const reason = `${unit.accountId}/${unit.region} could not be scanned: ${oneLine(err, 300)}`;
  const document: ScanDocument = {
    scanId: unit.scanId,
    startedAt: at.toISOString(),
    finishedAt: at.toISOString(),
    scope: { accounts: [unit.accountId], regions: [unit.region] },
    findings: [],
    summary: summarise([]),
  };
  const coverage = {
    accountId: unit.accountId,
    region: unit.region,
    failed: reason,
    complete: false,
    instanceIds: [],
    goneInstanceIds: [],
    assessed: new Set<string>(),
  };
  return { document, instances: [], databases: [], subjects: [], coverage: [coverage], incomplete: [reason] };
}

export async function runUnit(
  unit: WorkUnit,
  deps: AppDeps,
  opts: { deadline?: number } = {},
): Promise<{ recorded: boolean; completedScan: boolean; document: ScanDocument; unitResult: UnitResult }> {
  const { clients, own } = await clientsFor(unit.accountId, deps);
  try {
    const config: Config = {
      ...deps.config,
      regions: [unit.region],
      host: { ...deps.config.host, documentName: hostDocument(deps.config, own) },
    };
    // The region's inventory at dispatch: this unit's instances when it is the region's only unit, else kept in the
    // scan record (not in the message); undefined → archive nothing outside this unit.
    const known =
      !unit.instanceIds || !unit.regionComplete
        ? undefined
        : unit.regionUnits === 1
          ? unit.instanceIds
          : await deps.store.getInventory(unit.scanId, unit.accountId, unit.region);
    const checks = unit.checks ? CHECKS.filter((c) => unit.checks!.includes(c.id)) : CHECKS;
    const result = await scan(config, {
      clients,
      homeRegion: unit.region,
      checks,
      // User data of running instances: a verdict per launch, kept in the table across scans and workers.
      userDataCache: deps.store.userDataCache(deps.now),
      ...(opts.deadline !== undefined ? { deadline: opts.deadline } : {}),
      ...(deps.now ? { now: deps.now } : {}),
      ...(unit.instanceIds
        ? {
            unit: {
              instanceIds: unit.instanceIds,
              knownInstanceIds: known ?? unit.instanceIds,
              regionChecks: unit.regionChecks,
              regionComplete: known !== undefined,
            },
          }
        : {}),
    }).catch((err: unknown) => unscannable(unit, (deps.now ?? (() => new Date()))(), err));
    // Security Hub only: the scan's one SNS summary is sent by the unit that completes it (finish).
    const report = unit.publish
      ? await publishSecurityHub(result, config, {
          clients,
          goneInstances: (_account, region, ids) => goneInstances(clients.ec2(region), ids),
          suppressionRecord: deps.store,
          ...(deps.now ? { now: deps.now } : {}),
        })
      : undefined;
    const names = new Map<string, string | undefined>(result.subjects.map((s) => [s.id, s.name] as const));
    // The summary's worst severity reads the worst failures, its list the worst new ones (when published, else the
    // worst failures): a unit keeps 25 of each.
    const failing = result.document.findings.filter((f) => isFailing(f.status)).sort(byRisk);
    const isNew = (f: Finding) => report?.newFailures.has(f) === true;
    const kept = new Set([...failing.slice(0, 25), ...(report ? failing.filter(isNew).slice(0, 25) : [])]);
    const unitResult: UnitResult = {
      accountId: unit.accountId,
      region: unit.region,
      summary: result.document.summary,
      instances: result.subjects.length,
      ...(result.incomplete.length ? { incomplete: result.incomplete.map((r) => r.slice(0, 500)).slice(0, 10) } : {}),
      ...(report
        ? {
            publish: {
              imported: report.securityHub.imported,
              resolved: report.securityHub.resolved,
              archived: report.securityHub.archived,
              // A count, not the ids: a unit of 1,000 instances may have thousands (DynamoDB items hold 400 KB).
              newFailures: report.newFailures.count,
              failed: report.securityHub.failed.length,
            },
          }
        : {}),
      worst: [...kept].map((f) => compact(f, names, isNew(f))),
    };
    const recorded = await deps.store.recordUnit(unit.scanId, unit.unitIndex, unitResult);
    if (!recorded) return { recorded, completedScan: false, document: result.document, unitResult }; // a retry of a unit already counted
    const { unitsDone, unitsTotal } = await deps.store.completeUnit(unit.scanId);
    const completedScan = unitsDone >= unitsTotal && (await finish(unit.scanId, deps));
    return { recorded, completedScan, document: result.document, unitResult };
  } finally {
    if (!own) clients.destroy();
  }
}

/**
 * Why a scan is incomplete, over all its recorded units: each unit's own
 * reasons, and "no instance matched" when no unit found any (regions without
 * InfluxDB in a multi-region scan are normal). Empty while units are missing.
 */
export function incompleteOf(units: UnitResult[], unitsTotal: number, config: Config): string[] {
  const reasons = [...new Set(units.flatMap((u) => u.incomplete ?? []))];
  const listed = units.filter((u) => !u.incomplete?.length);
  if (units.length === unitsTotal && listed.length && units.every((u) => u.instances === 0)) {
    reasons.push(`no instance matched ${selectorsText(config)} in ${[...new Set(listed.map((u) => u.region))].sort().join(', ')}`);
  }
  return reasons;
}

/** Aggregate the units of a scan: status counts and the worst findings. */
export function aggregate(units: UnitResult[]): {
  summary: Summary;
  accounts: string[];
  regions: string[];
  instances: number;
  worst: UnitResult['worst'];
  publish?: NonNullable<UnitResult['publish']>;
} {
  const summary = mergeSummaries(units.map((u) => u.summary));
  let publish: NonNullable<UnitResult['publish']> | undefined;
  for (const u of units) {
    if (u.publish) {
      publish ??= { imported: 0, resolved: 0, archived: 0, newFailures: 0, failed: 0 };
      publish.imported += u.publish.imported;
      publish.resolved += u.publish.resolved;
      publish.archived += u.publish.archived;
      publish.failed += u.publish.failed;
      // A record written before the count was one held the ids.
      const n = u.publish.newFailures as number | string[];
      publish.newFailures += Array.isArray(n) ? n.length : n;
    }
  }
  const worst = units.flatMap((u) => u.worst).sort(byRisk);
  return {
    summary,
    accounts: [...new Set(units.map((u) => u.accountId))].sort(),
    regions: [...new Set(units.map((u) => u.region))].sort(),
    instances: units.reduce((n, u) => n + u.instances, 0),
    worst,
    ...(publish ? { publish } : {}),
  };
}

/** Mark the scan completed (exactly once) and send its single SNS summary, from the units' aggregate. */
async function finish(scanId: string, deps: AppDeps): Promise<boolean> {
  const finishedAt = (deps.now ?? (() => new Date()))().toISOString();
  if (!(await deps.store.claimCompletion(scanId, finishedAt))) return false;
  if (!deps.config.publish.snsTopicArn) return true;
  const got = await deps.store.getScan(scanId);
  if (!got) return true;
  const agg = aggregate(got.units);
  const changes = agg.publish
    ? changesOf(
        agg.summary.FAILED + agg.summary.WARNING,
        // The units' worst carry the mark; the count is all of them.
        { count: agg.publish.newFailures, has: (f) => f.new === true },
        agg.publish.resolved,
        agg.publish.failed,
      )
    : undefined;
  const input: SummaryInput = {
    scanId,
    startedAt: got.meta.createdAt,
    finishedAt,
    scope: { accounts: agg.accounts, regions: agg.regions, ...chosenChecks(got.meta.request) },
    summary: agg.summary,
    findings: agg.worst,
    incomplete: incompleteOf(got.units, got.meta.unitsTotal, deps.config),
  };
  const sent = await notify(input, changes, deps.config, deps);
  if (sent?.error) throw new Error(sent.error);
  return true;
}

/** GET /scans/{id}: status, progress, summary and why it is incomplete; undefined when unknown. */
export async function scanStatus(scanId: string, deps: Pick<AppDeps, 'store' | 'config'>) {
  const got = await deps.store.getScan(scanId);
  if (!got) return undefined;
  const agg = aggregate(got.units);
  return {
    scanId,
    status: got.meta.status,
    createdAt: got.meta.createdAt,
    ...(got.meta.requestedBy ? { requestedBy: got.meta.requestedBy } : {}),
    ...(got.meta.error ? { error: got.meta.error } : {}),
    ...(got.meta.finishedAt ? { finishedAt: got.meta.finishedAt } : {}),
    progress: { unitsDone: got.meta.unitsDone, unitsTotal: got.meta.unitsTotal },
    scope: { accounts: agg.accounts, regions: agg.regions, instances: agg.instances, ...chosenChecks(got.meta.request) },
    summary: agg.summary,
    incomplete: incompleteOf(got.units, got.meta.unitsTotal, deps.config),
    ...(agg.publish
      ? {
          securityHub: {
            imported: agg.publish.imported,
            resolved: agg.publish.resolved,
            archived: agg.publish.archived,
            notImported: agg.publish.failed,
          },
        }
      : {}),
  };
}

/**
 * POST /scans with wait=true: a small scan run in the request, its document
 * returned. Read-only: the API's role can neither send SSM commands nor
 * publish, so no host evidence, no Security Hub, no SNS summary.
 */
export async function scanNow(
  request: ScanRequest,
  deps: AppDeps,
  opts: { requestedBy?: string } = {},
): Promise<ScanDocument & { incomplete: string[] }> {
  if (request.publish) throw new RequestError('publish', 'publish: wait=true scans are never published (drop wait to publish)');
  const readOnly: Config = {
    ...deps.config,
    host: { ...deps.config.host, enabled: false },
    publish: { ...deps.config.publish, enabled: false, snsTopicArn: undefined },
  };
  refuseSilent(request.checks, readOnly, gatheredSources(readOnly));
  const accounts = request.accounts ? await authorizeAccounts(request.accounts, deps) : [await self(deps)];
  const regions = request.regions ?? (deps.config.regions.length ? deps.config.regions : [deps.homeRegion]);
  if (accounts.length !== 1 || regions.length !== 1 || regions[0] === 'all' || (request.instanceIds?.length ?? 0) > 50) {
    throw new RequestError('wait', 'wait=true needs a small scope: one account, one region, at most 50 instanceIds');
  }
  const scanId = (deps.newId ?? randomUUID)();
  const unit: WorkUnit = {
    scanId,
    unitIndex: 0,
    unitsTotal: 1,
    accountId: accounts[0]!,
    region: regions[0]!,
    instanceIds: request.instanceIds ?? null,
    regionChecks: !request.instanceIds,
    regionComplete: false, // a named subset, or the whole region scanned by this one unit: nothing to look up
    publish: false,
    ...(request.checks ? { checks: request.checks } : {}),
  };
  const now = (deps.now ?? (() => new Date()))();
  await deps.store.createScan(
    { scanId, createdAt: now.toISOString(), request, unitsTotal: 1, ...(opts.requestedBy ? { requestedBy: opts.requestedBy } : {}) },
    now,
  );
  const { document, unitResult } = await runUnit(unit, { ...deps, config: readOnly, newId: () => scanId });
  return { ...document, scanId, incomplete: incompleteOf([unitResult], 1, deps.config) };
}
