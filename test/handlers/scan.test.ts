import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { handler, regionsFrom } from '../../handlers/scan.js';
import { seedEstate } from '../../scripts/estate.js';
import { testAccount } from '../support/aws.js';

const event = (name: string) => JSON.parse(readFileSync(new URL(`../../events/${name}`, import.meta.url), 'utf8'));

let instanceId: string;
const savedEnv = { ...process.env };
afterAll(() => {
  process.env = savedEnv;
});
beforeAll(async () => {
  const account = await testAccount();
  const estate = await seedEstate(account.seeder('eu-west-1'), {
    region: 'eu-west-1',
    groups: [{ name: 'open', rules: [{ ports: 8086, cidrs: ['0.0.0.0/0'] }] }],
    instances: [{ name: 'lambda-target', tags: { influxdb: '' }, groups: ['open'] }],
  });
  instanceId = estate.instances['lambda-target']![0]!;
  Object.assign(process.env, account.env('eu-west-1'));
});

describe('the scan handler', () => {
  it.each(['scan-scheduled.json', 'scan-direct.json'])('answers %s with the findings document', async (name) => {
    const doc = await handler(event(name));
    expect(doc.scope.regions).toEqual(['eu-west-1']);
    expect(doc.findings.find((f) => f.instanceId === instanceId && f.checkId === 'net.http-port-public')).toMatchObject({ status: 'FAILED' });
  });
  it('rejects a malformed event by naming the field', () => {
    expect(() => regionsFrom({ regions: 'eu-west-1' })).toThrow(/event.regions must be an array/);
    expect(regionsFrom(null)).toBeUndefined();
  });
});
