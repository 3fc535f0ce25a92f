/**
 * The scan record in DynamoDB (one table, TTL): the scan's META item, one
 * item per finished work unit, idempotency keys. Conditional writes make a
 * retried unit count once and the SNS summary go out once.
 */
import { ConditionalCheckFailedException, GetItemCommand, PutItemCommand, QueryCommand, UpdateItemCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';

export interface ScanMeta {
  scanId: string;
  createdAt: string;
  request: unknown;
  unitsTotal: number;
  unitsDone: number;
  status: 'running' | 'completed';
  finishedAt?: string;
}

/** What a finished unit leaves for the scan's summary (no secrets, bounded). */
export interface UnitResult {
  accountId: string;
  region: string;
  summary: { FAILED: number; PASSED: number; WARNING: number; NOT_AVAILABLE: number; bySeverity: Record<string, number> };
  instances: number;
  publish?: { imported: number; resolved: number; archived: number; newFailures: string[]; failed: number };
  /** The worst failing findings of the unit (compact), for the summary message. */
  worst: { checkId: string; severity: string; title: string; accountId: string; region: string; instanceId?: string; name?: string; resource: { type: string; id: string }; status: string }[];
}

const pk = (scanId: string) => ({ S: `SCAN#${scanId}` });
const unitKey = (i: number) => ({ S: `UNIT#${String(i).padStart(6, '0')}` });
const isConditionFailure = (err: unknown) => err instanceof ConditionalCheckFailedException || (err as { name?: string })?.name === 'ConditionalCheckFailedException';

export class ScanStore {
  constructor(
    private readonly db: DynamoDBClient,
    private readonly table: string,
    private readonly ttlDays = 30,
  ) {}

  private ttl(now: Date): AttributeValue {
    return { N: String(Math.floor(now.getTime() / 1000) + this.ttlDays * 86400) };
  }

  async createScan(meta: Omit<ScanMeta, 'unitsDone' | 'status'>, now = new Date()): Promise<void> {
    await this.db.send(
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
          ttl: this.ttl(now),
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  }

  /** The scan already created for this idempotency key, or undefined after claiming the key for `scanId`. */
  async claimIdempotencyKey(key: string, scanId: string, now = new Date()): Promise<string | undefined> {
    try {
      await this.db.send(
        new PutItemCommand({
          TableName: this.table,
          Item: { pk: { S: `IDEMPOTENCY#${key}` }, sk: { S: 'META' }, scanId: { S: scanId }, ttl: this.ttl(now) },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return undefined;
    } catch (err) {
      if (!isConditionFailure(err)) throw err;
      const got = await this.db.send(new GetItemCommand({ TableName: this.table, Key: { pk: { S: `IDEMPOTENCY#${key}` }, sk: { S: 'META' } }, ConsistentRead: true }));
      return got.Item?.scanId?.S;
    }
  }

  /** Record a finished unit once: false when it was already recorded (a retried message). */
  async recordUnit(scanId: string, unitIndex: number, result: UnitResult, now = new Date()): Promise<boolean> {
    try {
      await this.db.send(
        new PutItemCommand({
          TableName: this.table,
          Item: { pk: pk(scanId), sk: unitKey(unitIndex), result: { S: JSON.stringify(result) }, ttl: this.ttl(now) },
          ConditionExpression: 'attribute_not_exists(sk)',
        }),
      );
      return true;
    } catch (err) {
      if (isConditionFailure(err)) return false;
      throw err;
    }
  }

  /** Count one more finished unit; returns the new count and the total. */
  async completeUnit(scanId: string): Promise<{ unitsDone: number; unitsTotal: number }> {
    const out = await this.db.send(
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
    try {
      await this.db.send(
        new UpdateItemCommand({
          TableName: this.table,
          Key: { pk: pk(scanId), sk: { S: 'META' } },
          UpdateExpression: 'SET #s = :done, finishedAt = :at',
          ConditionExpression: '#s = :running',
          ExpressionAttributeNames: { '#s': 'status' },
          ExpressionAttributeValues: { ':done': { S: 'completed' }, ':running': { S: 'running' }, ':at': { S: finishedAt } },
        }),
      );
      return true;
    } catch (err) {
      if (isConditionFailure(err)) return false;
      throw err;
    }
  }

  async getScan(scanId: string): Promise<{ meta: ScanMeta; units: UnitResult[] } | undefined> {
    const meta = await this.db.send(new GetItemCommand({ TableName: this.table, Key: { pk: pk(scanId), sk: { S: 'META' } }, ConsistentRead: true }));
    if (!meta.Item) return undefined;
    const units: UnitResult[] = [];
    let start: Record<string, AttributeValue> | undefined;
    do {
      const page = await this.db.send(
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
      },
      units,
    };
  }
}
