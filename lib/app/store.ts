/**
 * The scan record in DynamoDB (one table, TTL): the scan's META item, one
 * item per finished work unit, idempotency keys. Conditional writes make a
 * retried unit count once and the SNS summary go out once.
 */
import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  UpdateItemCommand,
  type AttributeValue,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { z } from 'zod';
import type { UserDataCache } from '../discover/instance-data.js';
import type { PendingIds } from '../kinds/events.js';
import { KINDS } from '../kinds/index.js';
import { chunk } from '../util/concurrency.js';
import type { Summary, UserDataVerdict } from '../model.js';
import type { SummaryFinding } from '../publish/sns.js';
import { lazy } from '../util/lazy.js';

export interface ScanMeta {
  scanId: string;
  createdAt: string;
  request: unknown;
  unitsTotal: number;
  unitsDone: number;
  /** `failed`: the scan could not be dispatched (see `error`); it never completes. */
  status: 'running' | 'completed' | 'failed';
  finishedAt?: string;
  /** Who asked: the IAM caller's ARN (API), or `schedule`. */
  requestedBy?: string;
  error?: string;
}

/** An idempotency key's record: the scan it names, the hash of the request it was first used with, and whether that scan was enqueued. */
export interface IdempotencyRecord {
  scanId: string;
  requestHash: string;
  state: 'pending' | 'dispatched';
}

/** A pending idempotency claim older than this (well over the API's 29 s timeout) was abandoned. */
const STALE_CLAIM_MS = 120_000;
/** Each kind's ids in a pending-changes item: its key and its attribute (the deployed version's `ids` and `dbs`). */
const PENDING = KINDS.map((k) => k.events.pending);

/** Instance ids per inventory item (DynamoDB items are limited to 400 KB). */
const INVENTORY_IDS_PER_ITEM = 5000;

/** What a finished unit leaves for the scan's summary (no secrets, bounded). */
export interface UnitResult {
  accountId: string;
  region: string;
  summary: Summary;
  instances: number;
  publish?: { imported: number; resolved: number; archived: number; newFailures: number; failed: number };
  /** Why the unit's slice of the scan is incomplete (a region that could not be listed). */
  incomplete?: string[];
  /**
   * For the summary message, compact: the unit's 25 worst failing findings and, when it published, its 25 worst new
   * failures (marked `new`).
   */
  worst: SummaryFinding[];
}

const pk = (scanId: string) => ({ S: `SCAN#${scanId}` });
const unitKey = (i: number) => ({ S: `UNIT#${String(i).padStart(6, '0')}` });
const inventoryPrefix = (accountId: string, region: string) => `INVENTORY#${accountId}#${region}#`;
const idemKey = (key: string) => ({ pk: { S: `IDEMPOTENCY#${key}` }, sk: { S: 'META' } });
const changesKey = (accountId: string, region: string, part: 'PENDING' | 'REGION' = 'PENDING') => ({
  pk: { S: `CHANGES#${accountId}#${region}` },
  sk: { S: part },
});
const remediationPk = (findingId: string) => ({ S: `REMEDIATION#${findingId}` });
const suppressedKey = (accountId: string, region: string) => ({ pk: { S: `SUPPRESSED#${accountId}#${region}` }, sk: { S: 'IDS' } });

/** A remediation claim older than this (well over the function's 60 s timeout) was abandoned: it may be taken over. */
const STALE_REMEDIATION_CLAIM_MS = 10 * 60_000;

/** One remediation run of a finding, as recorded (bounded: ids and short texts). */
export interface RemediationRecord {
  at: string;
  runId: string;
  action: string;
  /** `done` changed what `changes` says; `partial` changed it but `failed` lists what could not follow. */
  status: 'done' | 'partial' | 'refused' | 'planned';
  requestedBy: string;
  changes: string[];
  failed?: string[];
  refused?: string;
}

/** Changes noted for an account × region and not yet scanned (event-driven rescans, debounced). */
export interface PendingChanges extends PendingIds {
  /** Only in an item written before region-wide changes had their own (rate-limited) item: scanned as one. */
  wholeRegion: boolean;
  /** Epoch ms of the first and the latest change noted since the last scan. */
  firstAt: number;
  lastAt: number;
}

/** Region-wide changes of an account × region: pending ones (if any) and when the last region-wide rescan was dispatched. */
export interface RegionChanges {
  pending?: { firstAt: number; lastAt: number };
  /** Epoch ms. */
  lastScanAt?: number;
}
const isConditionFailure = (err: unknown) =>
  err instanceof ConditionalCheckFailedException || (err as { name?: string })?.name === 'ConditionalCheckFailedException';

/** A kept user-data verdict as the table holds it (bounded: it is read back into findings). */
const VerdictSchema = lazy(() =>
  z.object({
    empty: z.boolean(),
    sightings: z
      .array(z.object({ name: z.string().max(64), line: z.number().int().positive(), part: z.number().int().positive().optional() }))
      .max(200),
    truncated: z.literal(true).optional(),
  }),
);

function storedVerdict(text: string | undefined): UserDataVerdict | undefined {
  if (!text || text.length > 64 * 1024) return undefined;
  try {
    const v = VerdictSchema().safeParse(JSON.parse(text));
    return v.success ? (v.data as UserDataVerdict) : undefined;
  } catch {
    return undefined;
  }
}

export class ScanStore {
  constructor(
    private readonly db: DynamoDBClient | Promise<DynamoDBClient>,
    private readonly table: string,
    private readonly ttlDays = 30,
  ) {}

  /** Send a conditional write: true when it applied, false when its condition did not hold (any other error throws). */
  private async applied(write: (db: DynamoDBClient) => Promise<unknown>): Promise<boolean> {
    try {
      await write(await this.db);
      return true;
    } catch (err) {
      if (isConditionFailure(err)) return false;
      throw err;
    }
  }

  /**
   * What the scanner set SUPPRESSED in Security Hub for an account × region (lib/publish/suppressions.ts): it reopens
   * only these. One item, no TTL (it outlives scans); the ids as a string set (DynamoDB's 400 KB item bounds it to
   * a few thousand suppressed findings per account × region).
   */
  async readSuppressed(accountId: string, region: string): Promise<Set<string>> {
    const got = await (await this.db).send(
      new GetItemCommand({ TableName: this.table, Key: suppressedKey(accountId, region), ConsistentRead: true }),
    );
    return new Set(got.Item?.ids?.SS ?? []);
  }

  async writeSuppressed(accountId: string, region: string, ids: ReadonlySet<string>): Promise<void> {
    const db = await this.db;
    if (!ids.size) await db.send(new DeleteItemCommand({ TableName: this.table, Key: suppressedKey(accountId, region) }));
    else await db.send(new PutItemCommand({ TableName: this.table, Item: { ...suppressedKey(accountId, region), ids: { SS: [...ids] } } }));
  }

  /**
   * User-data verdicts of an account × region's running instances (lib/discover/instance-data.ts), one item each by
   * `instanceId@launchTime`, with the table's TTL: names and line numbers only, never user data. A verdict that does
   * not parse is left out (the instance is read again).
   */
  userDataCache(now: () => Date = () => new Date()): UserDataCache {
    const key = (accountId: string, region: string) => ({ S: `USERDATA#${accountId}#${region}` });
    return {
      load: async (accountId, region) => {
        const db = await this.db;
        const out = new Map<string, UserDataVerdict>();
        let start: Record<string, AttributeValue> | undefined;
        do {
          const page = await db.send(
            new QueryCommand({
              TableName: this.table,
              KeyConditionExpression: 'pk = :pk',
              ExpressionAttributeValues: { ':pk': key(accountId, region) },
              ...(start ? { ExclusiveStartKey: start } : {}),
            }),
          );
          for (const item of page.Items ?? []) {
            const verdict = storedVerdict(item.verdict?.S);
            if (item.sk?.S && verdict) out.set(item.sk.S, verdict);
          }
          start = page.LastEvaluatedKey;
        } while (start);
        return out;
      },
      save: async (accountId, region, sk, verdict) => {
        await (await this.db).send(
          new PutItemCommand({
            TableName: this.table,
            Item: { pk: key(accountId, region), sk: { S: sk }, verdict: { S: JSON.stringify(verdict) }, ttl: this.ttl(now()) },
          }),
        );
      },
    };
  }

  private ttl(now: Date): AttributeValue {
    return { N: String(Math.floor(now.getTime() / 1000) + this.ttlDays * 86400) };
  }

  async createScan(meta: Omit<ScanMeta, 'unitsDone' | 'status' | 'error' | 'finishedAt'>, now = new Date()): Promise<void> {
    await (await this.db)
      .send(
        new PutItemCommand({
          TableName: this.table,
          Item: {
            pk: pk(meta.scanId),
            sk: { S: 'META' },
            createdAt: { S: meta.createdAt },
            request: { S: JSON.stringify(meta.request) },
            unitsTotal: { N: String(meta.unitsTotal) },
            unitsDone: { N: '0' },
            status: { S: 'running' },
            ...(meta.requestedBy ? { requestedBy: { S: meta.requestedBy } } : {}),
            ttl: this.ttl(now),
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      )
      .catch(async (err: unknown) => {
        // A retried write whose first attempt had succeeded: the record is ours.
        if (!isConditionFailure(err)) throw err;
        const got = await (await this.db).send(
          new GetItemCommand({ TableName: this.table, Key: { pk: pk(meta.scanId), sk: { S: 'META' } }, ConsistentRead: true }),
        );
        if (got.Item?.createdAt?.S !== meta.createdAt) throw err;
      });
  }

  /** A scan that could not be dispatched: `failed` with the reason, so it is never left `running`. */
  async failScan(scanId: string, error: string, now = new Date()): Promise<void> {
    await (await this.db).send(
      new UpdateItemCommand({
        TableName: this.table,
        Key: { pk: pk(scanId), sk: { S: 'META' } },
        UpdateExpression: 'SET #s = :failed, #e = :error, finishedAt = :at',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeNames: { '#s': 'status', '#e': 'error' },
        ExpressionAttributeValues: { ':failed': { S: 'failed' }, ':error': { S: error.slice(0, 500) }, ':at': { S: now.toISOString() } },
      }),
    );
  }

  /** Keep a region's complete inventory at dispatch with the scan (work-unit messages carry only their own instances). */
  async putInventory(scanId: string, accountId: string, region: string, instanceIds: string[], now = new Date()): Promise<void> {
    const parts = instanceIds.length ? chunk(instanceIds, INVENTORY_IDS_PER_ITEM) : [[]];
    for (const [i, ids] of parts.entries()) {
      await (await this.db).send(
        new PutItemCommand({
          TableName: this.table,
          Item: {
            pk: pk(scanId),
            sk: { S: `${inventoryPrefix(accountId, region)}${String(i).padStart(4, '0')}` },
            parts: { N: String(parts.length) },
            ids: { S: JSON.stringify(ids) },
            ttl: this.ttl(now),
          },
        }),
      );
    }
  }

  /** The region's inventory at dispatch; undefined when it was not recorded completely (then nothing outside the unit is archived). */
  async getInventory(scanId: string, accountId: string, region: string): Promise<string[] | undefined> {
    const ids: string[] = [];
    let parts = -1;
    let items = 0;
    let start: Record<string, AttributeValue> | undefined;
    do {
      const page = await (await this.db).send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :inv)',
          ExpressionAttributeValues: { ':pk': pk(scanId), ':inv': { S: inventoryPrefix(accountId, region) } },
          ConsistentRead: true,
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
      for (const item of page.Items ?? []) {
        items++;
        parts = Number(item.parts?.N ?? -1);
        ids.push(...(JSON.parse(item.ids?.S ?? '[]') as string[]));
      }
      start = page.LastEvaluatedKey;
    } while (start);
    return items > 0 && items === parts ? ids : undefined;
  }

  /**
   * Claim an idempotency key for `record` (state `pending`): undefined when
   * claimed, else the record already there. The claim is confirmed after the
   * scan is enqueued, or released if that fails, so a failure never burns the key.
   */
  async claimIdempotencyKey(
    key: string,
    record: Omit<IdempotencyRecord, 'state'>,
    now = new Date(),
  ): Promise<IdempotencyRecord | undefined> {
    try {
      await (await this.db).send(
        new PutItemCommand({
          TableName: this.table,
          Item: {
            ...idemKey(key),
            scanId: { S: record.scanId },
            requestHash: { S: record.requestHash },
            state: { S: 'pending' },
            claimedAt: { N: String(now.getTime()) },
            ttl: this.ttl(now),
          },
          // A pending claim older than the API's timeout belongs to an invocation that died: it may be taken over.
          ConditionExpression: 'attribute_not_exists(pk) OR (#st = :pending AND claimedAt < :stale)',
          ExpressionAttributeNames: { '#st': 'state' },
          ExpressionAttributeValues: { ':pending': { S: 'pending' }, ':stale': { N: String(now.getTime() - STALE_CLAIM_MS) } },
        }),
      );
      return undefined;
    } catch (err) {
      if (!isConditionFailure(err)) throw err;
      return (await this.getIdempotencyKey(key)) ?? { scanId: '', requestHash: '', state: 'pending' }; // released meanwhile: the caller retries
    }
  }

  async getIdempotencyKey(key: string): Promise<IdempotencyRecord | undefined> {
    const got = await (await this.db).send(new GetItemCommand({ TableName: this.table, Key: idemKey(key), ConsistentRead: true }));
    if (!got.Item) return undefined;
    return {
      scanId: got.Item.scanId?.S ?? '',
      requestHash: got.Item.requestHash?.S ?? '',
      state: got.Item.state?.S === 'dispatched' ? 'dispatched' : 'pending',
    };
  }

  async confirmIdempotencyKey(key: string, scanId: string): Promise<void> {
    await (await this.db).send(
      new UpdateItemCommand({
        TableName: this.table,
        Key: idemKey(key),
        UpdateExpression: 'SET #st = :dispatched',
        ConditionExpression: 'scanId = :scan',
        ExpressionAttributeNames: { '#st': 'state' },
        ExpressionAttributeValues: { ':dispatched': { S: 'dispatched' }, ':scan': { S: scanId } },
      }),
    );
  }

  /** Give the key back after a failed dispatch (only if it is still this scan's). */
  async releaseIdempotencyKey(key: string, scanId: string): Promise<void> {
    try {
      await (await this.db).send(
        new DeleteItemCommand({
          TableName: this.table,
          Key: idemKey(key),
          ConditionExpression: 'scanId = :scan',
          ExpressionAttributeValues: { ':scan': { S: scanId } },
        }),
      );
    } catch (err) {
      if (!isConditionFailure(err)) throw err;
    }
  }

  /** Record a finished unit once: false when it was already recorded (a retried message). */
  async recordUnit(scanId: string, unitIndex: number, result: UnitResult, now = new Date()): Promise<boolean> {
    return this.applied((db) =>
      db.send(
        new PutItemCommand({
          TableName: this.table,
          Item: { pk: pk(scanId), sk: unitKey(unitIndex), result: { S: JSON.stringify(result) }, ttl: this.ttl(now) },
          ConditionExpression: 'attribute_not_exists(sk)',
        }),
      ),
    );
  }

  /** Count one more finished unit; returns the new count and the total. */
  async completeUnit(scanId: string): Promise<{ unitsDone: number; unitsTotal: number }> {
    const out = await (await this.db).send(
      new UpdateItemCommand({
        TableName: this.table,
        Key: { pk: pk(scanId), sk: { S: 'META' } },
        UpdateExpression: 'ADD unitsDone :one',
        ExpressionAttributeValues: { ':one': { N: '1' } },
        ConditionExpression: 'attribute_exists(pk)',
        ReturnValues: 'ALL_NEW',
      }),
    );
    return { unitsDone: Number(out.Attributes?.unitsDone?.N ?? 0), unitsTotal: Number(out.Attributes?.unitsTotal?.N ?? 0) };
  }

  /** True for exactly one caller: the one that marks the scan completed (and sends its summary). */
  async claimCompletion(scanId: string, finishedAt: string): Promise<boolean> {
    return this.applied((db) =>
      db.send(
        new UpdateItemCommand({
          TableName: this.table,
          Key: { pk: pk(scanId), sk: { S: 'META' } },
          UpdateExpression: 'SET #s = :done, finishedAt = :at',
          ConditionExpression: '#s = :running',
          ExpressionAttributeNames: { '#s': 'status' },
          ExpressionAttributeValues: { ':done': { S: 'completed' }, ':running': { S: 'running' }, ':at': { S: finishedAt } },
        }),
      ),
    );
  }

  async getScan(scanId: string): Promise<{ meta: ScanMeta; units: UnitResult[] } | undefined> {
    const meta = await (await this.db).send(
      new GetItemCommand({ TableName: this.table, Key: { pk: pk(scanId), sk: { S: 'META' } }, ConsistentRead: true }),
    );
    if (!meta.Item) return undefined;
    const units: UnitResult[] = [];
    let start: Record<string, AttributeValue> | undefined;
    do {
      const page = await (await this.db).send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :unit)',
          ExpressionAttributeValues: { ':pk': pk(scanId), ':unit': { S: 'UNIT#' } },
          ConsistentRead: true,
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
      for (const item of page.Items ?? []) units.push(JSON.parse(item.result?.S ?? '{}') as UnitResult);
      start = page.LastEvaluatedKey;
    } while (start);
    const i = meta.Item;
    return {
      meta: {
        scanId,
        createdAt: i.createdAt?.S ?? '',
        request: JSON.parse(i.request?.S ?? '{}'),
        unitsTotal: Number(i.unitsTotal?.N ?? 0),
        unitsDone: Number(i.unitsDone?.N ?? 0),
        status: (i.status?.S as ScanMeta['status']) ?? 'running',
        ...(i.finishedAt?.S ? { finishedAt: i.finishedAt.S } : {}),
        ...(i.requestedBy?.S ? { requestedBy: i.requestedBy.S } : {}),
        ...(i.error?.S ? { error: i.error.S } : {}),
      },
      units,
    };
  }

  /**
   * Note changed subjects of an account × region, each kind's ids under its key
   * (lib/kinds/<kind>/events.ts: `pending`): merged into one pending item. True when no change was pending before: the caller then
   * schedules the item's check (one delayed message per burst).
   */
  async noteChanges(accountId: string, region: string, change: Partial<PendingIds>, now = new Date()): Promise<boolean> {
    const values: Record<string, AttributeValue> = { ':now': { N: String(now.getTime()) }, ':ttl': this.ttl(now) };
    const add: string[] = [];
    for (const { key, attribute } of PENDING) {
      const ids = change[key];
      if (!ids?.length) continue;
      values[`:${attribute}`] = { SS: [...new Set(ids)] };
      add.push(`${attribute} :${attribute}`);
    }
    const out = await (await this.db).send(
      new UpdateItemCommand({
        TableName: this.table,
        Key: changesKey(accountId, region),
        UpdateExpression: `SET lastAt = :now, firstAt = if_not_exists(firstAt, :now), #ttl = :ttl${add.length ? ` ADD ${add.join(', ')}` : ''}`,
        ExpressionAttributeNames: { '#ttl': 'ttl' },
        ExpressionAttributeValues: values,
        // ALL_OLD: nothing before means no change was pending (UPDATED_OLD may leave out an attribute SET to its own value).
        ReturnValues: 'ALL_OLD',
      }),
    );
    return out.Attributes?.firstAt === undefined;
  }

  async getPendingChanges(accountId: string, region: string): Promise<PendingChanges | undefined> {
    const got = await (await this.db).send(
      new GetItemCommand({ TableName: this.table, Key: changesKey(accountId, region), ConsistentRead: true }),
    );
    const i = got.Item;
    if (!i?.firstAt?.N) return undefined;
    return {
      ...(Object.fromEntries(PENDING.map((p) => [p.key, [...(i[p.attribute]?.SS ?? [])].sort()])) as PendingIds),
      wholeRegion: i.wholeRegion?.BOOL === true,
      firstAt: Number(i.firstAt.N),
      lastAt: Number(i.lastAt?.N ?? i.firstAt.N),
    };
  }

  /**
   * The pending changes `taken` were scanned: removed when nothing was noted
   * since (true); else only the scanned part is removed and false is returned,
   * so that the caller schedules the rest.
   */
  async clearPendingChanges(accountId: string, region: string, taken: PendingChanges): Promise<boolean> {
    try {
      await (await this.db).send(
        new DeleteItemCommand({
          TableName: this.table,
          Key: changesKey(accountId, region),
          ConditionExpression: 'lastAt = :seen',
          ExpressionAttributeValues: { ':seen': { N: String(taken.lastAt) } },
        }),
      );
      return true;
    } catch (err) {
      if (!isConditionFailure(err)) throw err;
    }
    // Changed meanwhile: drop the scanned ids, keep the rest.
    const values: Record<string, AttributeValue> = {};
    const del: string[] = [];
    for (const { key, attribute } of PENDING) {
      if (!taken[key].length) continue;
      values[`:${attribute}`] = { SS: taken[key] };
      del.push(`${attribute} :${attribute}`);
    }
    await (await this.db).send(
      new UpdateItemCommand({
        TableName: this.table,
        Key: changesKey(accountId, region),
        UpdateExpression: `SET firstAt = lastAt${taken.wholeRegion ? ' REMOVE wholeRegion' : ''}${del.length ? ` DELETE ${del.join(', ')}` : ''}`,
        ...(del.length ? { ExpressionAttributeValues: values } : {}),
      }),
    );
    return false;
  }

  /**
   * Claim a finding for one remediation run (serialises concurrent runs: only the holder plans and acts): undefined
   * when claimed, else who holds it and since when. A claim abandoned longer than the stale limit may be taken over.
   */
  async claimRemediation(
    findingId: string,
    runId: string,
    requestedBy: string,
    now = new Date(),
  ): Promise<{ requestedBy: string; since: string } | undefined> {
    try {
      await (await this.db).send(
        new PutItemCommand({
          TableName: this.table,
          Item: {
            pk: remediationPk(findingId),
            sk: { S: 'CLAIM' },
            runId: { S: runId },
            requestedBy: { S: requestedBy.slice(0, 512) },
            claimedAt: { N: String(now.getTime()) },
            ttl: this.ttl(now),
          },
          ConditionExpression: 'attribute_not_exists(pk) OR claimedAt < :stale',
          ExpressionAttributeValues: { ':stale': { N: String(now.getTime() - STALE_REMEDIATION_CLAIM_MS) } },
        }),
      );
      return undefined;
    } catch (err) {
      if (!isConditionFailure(err)) throw err;
    }
    const got = await (await this.db).send(
      new GetItemCommand({ TableName: this.table, Key: { pk: remediationPk(findingId), sk: { S: 'CLAIM' } }, ConsistentRead: true }),
    );
    const at = Number(got.Item?.claimedAt?.N ?? now.getTime());
    return { requestedBy: got.Item?.requestedBy?.S ?? 'another run', since: new Date(at).toISOString() };
  }

  /** Give the claim back (only if it is still this run's). */
  async releaseRemediation(findingId: string, runId: string): Promise<void> {
    try {
      await (await this.db).send(
        new DeleteItemCommand({
          TableName: this.table,
          Key: { pk: remediationPk(findingId), sk: { S: 'CLAIM' } },
          ConditionExpression: 'runId = :run',
          ExpressionAttributeValues: { ':run': { S: runId } },
        }),
      );
    } catch (err) {
      if (!isConditionFailure(err)) throw err;
    }
  }

  /** Add a run to the finding's remediation history (never overwritten: one item per run). */
  async recordRemediation(findingId: string, record: RemediationRecord, now = new Date()): Promise<void> {
    await (await this.db).send(
      new PutItemCommand({
        TableName: this.table,
        Item: {
          pk: remediationPk(findingId),
          sk: { S: `RUN#${record.at}#${record.runId}` },
          status: { S: record.status },
          record: { S: JSON.stringify(record) },
          ttl: this.ttl(now),
        },
        ConditionExpression: 'attribute_not_exists(sk)',
      }),
    );
  }

  /** The finding's remediation history, newest first (at most `limit` runs). */
  async remediationHistory(findingId: string, limit = 50): Promise<RemediationRecord[]> {
    const page = await (await this.db).send(
      new QueryCommand({
        TableName: this.table,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :run)',
        ExpressionAttributeValues: { ':pk': remediationPk(findingId), ':run': { S: 'RUN#' } },
        ConsistentRead: true,
        ScanIndexForward: false,
        Limit: limit,
      }),
    );
    return (page.Items ?? []).map((i) => JSON.parse(i.record?.S ?? '{}') as RemediationRecord);
  }

  /**
   * Note a region-wide change of an account × region (its own item, which also
   * remembers the last region-wide rescan for the rate limit). `first`: no
   * region-wide change was pending before (the caller schedules its check).
   */
  async noteRegionChange(accountId: string, region: string, now = new Date()): Promise<{ first: boolean; lastScanAt?: number }> {
    const out = await (await this.db).send(
      new UpdateItemCommand({
        TableName: this.table,
        Key: changesKey(accountId, region, 'REGION'),
        UpdateExpression: 'SET lastAt = :now, firstAt = if_not_exists(firstAt, :now), #ttl = :ttl',
        ExpressionAttributeNames: { '#ttl': 'ttl' },
        ExpressionAttributeValues: {
          ':now': { N: String(now.getTime()) },
          ':ttl': this.ttl(now),
        },
        ReturnValues: 'ALL_OLD',
      }),
    );
    const old = out.Attributes;
    return { first: old?.firstAt === undefined, ...(old?.lastScanAt?.N ? { lastScanAt: Number(old.lastScanAt.N) } : {}) };
  }

  async getRegionChanges(accountId: string, region: string): Promise<RegionChanges> {
    const got = await (await this.db).send(
      new GetItemCommand({ TableName: this.table, Key: changesKey(accountId, region, 'REGION'), ConsistentRead: true }),
    );
    const i = got.Item;
    return {
      ...(i?.firstAt?.N ? { pending: { firstAt: Number(i.firstAt.N), lastAt: Number(i.lastAt?.N ?? i.firstAt.N) } } : {}),
      ...(i?.lastScanAt?.N ? { lastScanAt: Number(i.lastScanAt.N) } : {}),
    };
  }

  /** A conditional update of the account × region's region-wide item: false when its condition does not hold. */
  private async updateRegion(
    accountId: string,
    region: string,
    update: { UpdateExpression: string; ConditionExpression?: string; ExpressionAttributeValues?: Record<string, AttributeValue> },
  ): Promise<boolean> {
    return this.applied((db) =>
      db.send(new UpdateItemCommand({ TableName: this.table, Key: changesKey(accountId, region, 'REGION'), ...update })),
    );
  }

  /**
   * Claim the account × region's next region-wide rescan at `now`: true for
   * exactly one caller, the one that saw `seen.lastScanAt` (duplicate delayed
   * checks race here, never into two scans).
   */
  claimRegionScan(accountId: string, region: string, seen: RegionChanges, now: Date): Promise<boolean> {
    const prev: Record<string, AttributeValue> = seen.lastScanAt === undefined ? {} : { ':prev': { N: String(seen.lastScanAt) } };
    return this.updateRegion(accountId, region, {
      UpdateExpression: 'SET lastScanAt = :now',
      ConditionExpression: `attribute_exists(firstAt) AND ${seen.lastScanAt === undefined ? 'attribute_not_exists(lastScanAt)' : 'lastScanAt = :prev'}`,
      ExpressionAttributeValues: { ':now': { N: String(now.getTime()) }, ...prev },
    });
  }

  /** A claimed region-wide rescan that could not be dispatched: the claim is given back (the changes stay pending). */
  async releaseRegionScan(accountId: string, region: string, seen: RegionChanges, claimedAt: Date): Promise<void> {
    const prev: Record<string, AttributeValue> = seen.lastScanAt === undefined ? {} : { ':prev': { N: String(seen.lastScanAt) } };
    await this.updateRegion(accountId, region, {
      UpdateExpression: seen.lastScanAt === undefined ? 'REMOVE lastScanAt' : 'SET lastScanAt = :prev',
      ConditionExpression: 'lastScanAt = :claimed',
      ExpressionAttributeValues: { ':claimed': { N: String(claimedAt.getTime()) }, ...prev },
    });
  }

  /**
   * The region-wide changes up to `seen` were scanned: cleared when nothing was
   * noted since (true); else the later ones stay pending (false: the caller
   * schedules their check, which the rate limit holds until the next window).
   */
  async clearRegionChanges(accountId: string, region: string, seen: NonNullable<RegionChanges['pending']>): Promise<boolean> {
    const cleared = await this.updateRegion(accountId, region, {
      UpdateExpression: 'REMOVE firstAt, lastAt',
      ConditionExpression: 'lastAt = :seen',
      ExpressionAttributeValues: { ':seen': { N: String(seen.lastAt) } },
    });
    if (!cleared) await this.updateRegion(accountId, region, { UpdateExpression: 'SET firstAt = lastAt' });
    return cleared;
  }
}
