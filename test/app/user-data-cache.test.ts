/**
 * The stack keeps user-data verdicts in its table (issue 31): a second scan in a fresh process (its own cache
 * emptied) reads no user data of the same running instances; a stopped one is read every time; a damaged item is
 * read again from EC2, never trusted. Against moto (EC2 and DynamoDB).
 */
import { beforeAll, describe, expect, it } from '@jest/globals';
import { DynamoDBClient, PutItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { ScanStore } from '../../lib/app/store.js';
import { parseConfig } from '../../lib/config.js';
import { clearUserDataCache } from '../../lib/discover/instance-data.js';
import { scan } from '../../lib/scan.js';
import { seedEstate, type SeededEstate } from '../../scripts/estate.js';
import { createScanTable } from '../../scripts/scan-table.js';
import { endpoint, testAccount, type TestAccount } from '../support/aws.js';

const REGION = 'ap-south-1';
const SECRET = 'Planted-Table-Pw-7';
let account: TestAccount;
let estate: SeededEstate;
let db: DynamoDBClient;
let store: ScanStore;
const TABLE = 'udcache-scans';

const run = async () => {
  clearUserDataCache(); // a fresh process: only the table remembers
  const config = parseConfig({ probe: { enabled: false }, regions: [REGION] });
  const { clients, counter } = account.clients(config);
  const { document } = await scan(config, { clients, homeRegion: REGION, userDataCache: store.userDataCache() });
  return { reads: counter.callsByOperation()['ec2:DescribeInstanceAttribute'] ?? 0, document };
};

/** The table's user-data items of this account and region. */
const keptItems = () =>
  db.send(
    new QueryCommand({
      TableName: TABLE,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': { S: `USERDATA#${account.accountId}#${REGION}` } },
    }),
  );

beforeAll(async () => {
  account = await testAccount();
  estate = await seedEstate(account.seeder(REGION), {
    region: REGION,
    groups: [{ name: 'private', rules: [{ ports: 8086, cidrs: ['10.0.0.0/16'] }] }],
    instances: [
      { name: 'running', tags: { influxdb: '' }, groups: ['private'], userData: `#!/bin/sh\nINFLUX_TOKEN=${SECRET}\n` },
      { name: 'clean', tags: { influxdb: '' }, groups: ['private'], userData: '#!/bin/sh\necho hi\n' },
      { name: 'stopped', tags: { influxdb: '' }, groups: ['private'], stopped: true },
    ],
  });
  db = new DynamoDBClient({ region: REGION, endpoint: endpoint(), credentials: account.credentials });
  await createScanTable(db, TABLE);
  store = new ScanStore(db, TABLE);
});

describe('user-data verdicts in the stack table', () => {
  it('the first scan reads every instance; the next, in a fresh process, only the stopped one', async () => {
    const first = await run();
    expect(first.reads).toBe(3);
    const again = await run();
    expect(again.reads).toBe(1);
    const f = again.document.findings.find((x) => x.checkId === 'secrets.user-data' && x.instanceId === estate.instances.running![0]);
    expect(f).toMatchObject({ status: 'FAILED', evidence: { cachedVerdict: true, credentials: [{ name: 'INFLUX_TOKEN', line: 2 }] } });
  });
  it('holds names and lines only, never the user data', async () => {
    const items = await keptItems();
    expect(items.Items).toHaveLength(2); // the running instances
    expect(JSON.stringify(items.Items)).not.toContain(SECRET);
    expect(items.Items!.every((i) => i.ttl?.N)).toBe(true);
  });
  it('a damaged or forged item is not trusted: that instance is read again', async () => {
    const items = await keptItems();
    const running = items.Items!.find((i) => i.sk!.S!.startsWith(estate.instances.running![0]!))!;
    await db.send(new PutItemCommand({ TableName: TABLE, Item: { ...running, verdict: { S: '{"empty":false,"sightings":"x"}' } } }));
    const again = await run();
    expect(again.reads).toBe(2);
    const f = again.document.findings.find((x) => x.checkId === 'secrets.user-data' && x.instanceId === estate.instances.running![0]);
    expect(f).toMatchObject({ status: 'FAILED' });
    expect(f!.evidence.cachedVerdict).toBeUndefined();
  });
});
