/** A scan deadline: nothing new starts after it, what was gathered is kept, the rest says why. */
import { beforeAll, describe, expect, it } from '@jest/globals';
import { parseConfig } from '../../lib/config.js';
import { fail, type ProbeEvidence, type Result } from '../../lib/model.js';
import { publishScan } from '../../lib/publish/index.js';
import { DEADLINE_REASON, scan } from '../../lib/scan.js';
import { seedEstate } from '../../scripts/estate.js';
import { testAccount, type TestAccount } from '../support/aws.js';

let account: TestAccount;
beforeAll(async () => {
  account = await testAccount();
  for (const region of ['eu-west-3', 'us-west-2']) {
    await seedEstate(account.seeder(region), {
      region,
      groups: [{ name: 'open', rules: [{ ports: 8086, cidrs: ['0.0.0.0/0'] }] }],
      instances: [{ name: 'db', tags: { influxdb: '', 'influxdb:endpoint': 'http://127.0.0.1:9' }, groups: ['open'], count: 2 }],
    });
  }
});

describe('the scan deadline', () => {
  it('probes started before it finish; later ones are NOT_AVAILABLE; AWS evidence is kept', async () => {
    const config = parseConfig({ regions: ['eu-west-3'], probe: { concurrency: 1, allowedCidrs: ['127.0.0.0/8'] } });
    const { clients } = account.clients(config);
    let probed = 0;
    const slowProbe = async (): Promise<Result<ProbeEvidence>> => {
      probed++;
      await new Promise((r) => setTimeout(r, 3000));
      return fail('connect ECONNREFUSED (stand-in)');
    };
    const { document } = await scan(config, { clients, homeRegion: 'eu-west-3', probe: slowProbe, deadline: Date.now() + 2000 });
    const auth = document.findings.filter((f) => f.checkId === 'auth.disabled');
    expect(probed).toBeGreaterThanOrEqual(1);
    const reasons = auth.map((f) => String(f.evidence.reason));
    expect(reasons.filter((r) => r.includes(DEADLINE_REASON))).toHaveLength(1);
    expect(reasons.filter((r) => r.includes('stand-in'))).toHaveLength(1);
    expect(document.findings.filter((f) => f.checkId === 'net.http-port-public').every((f) => f.status === 'FAILED')).toBe(true);
  });

  it('regions not started before it are NOT_AVAILABLE, and publishing leaves them untouched', async () => {
    const config = parseConfig({
      regions: ['eu-west-3', 'us-west-2'],
      probe: { enabled: false, allowedCidrs: ['127.0.0.0/8'] },
      publish: { enabled: true },
    });
    const { clients } = account.clients(config);
    const result = await scan(config, { clients, homeRegion: 'eu-west-3', deadline: Date.now() - 1 });
    expect(result.document.findings.every((f) => f.status === 'NOT_AVAILABLE' && f.evidence.reason === DEADLINE_REASON)).toBe(true);
    expect(result.coverage.every((c) => !c.complete)).toBe(true);
    const report = await publishScan(result, config, { clients });
    expect(report.securityHub).toMatchObject({ imported: 0, archived: 0, resolved: 0 });
    expect(report.securityHub.skippedRegions).toHaveLength(2);
  });
});
