/** The real `influxguard` binary's report formats against the emulator: ocsf, csv, html, --output, and compliance in json/asff. */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { seedEstate } from '../../scripts/estate.js';
import { testAccount, type TestAccount } from '../support/aws.js';
import { runCli } from '../support/cli.js';

const REGION = 'ap-northeast-2';
let account: TestAccount;
let doc: any;
const dir = mkdtempSync(join(tmpdir(), 'ig-formats-'));

beforeAll(async () => {
  account = await testAccount();
  await seedEstate(account.seeder(REGION), {
    region: REGION,
    groups: [{ name: 'influx', rules: [{ ports: 8086, cidrs: ['0.0.0.0/0'] }] }],
    instances: [{ name: 'influx-public', tags: { influxdb: '' }, groups: ['influx'], publicIp: true }],
  });
  doc = JSON.parse((await scan('--format', 'json')).stdout);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const scan = (...args: string[]) => runCli(['scan', '--no-probe', '--fail-on', 'none', '--quiet', ...args], account.env(REGION));

describe('report formats of `influxguard scan`', () => {
  it('json and asff carry the compliance mappings', async () => {
    const open = doc.findings.find((f: any) => f.checkId === 'net.http-port-public');
    expect(open.compliance.relatedRequirements).toEqual(
      expect.arrayContaining(['InfluxData Manage security/Ports', 'NIST.800-53.r5 SC-7', 'PCI DSS v4.0.1/1.3.1', 'CIS Controls v8/4.4']),
    );
    const { Findings } = JSON.parse((await scan('--format', 'asff')).stdout);
    const asff = Findings.find((f: any) => f.GeneratorId === 'influxguard/net.http-port-public');
    expect(asff.Compliance.RelatedRequirements).toEqual(open.compliance.relatedRequirements);
  });

  it('--format ocsf prints one Compliance Finding per finding, and csv one row per finding', async () => {
    const events = JSON.parse((await scan('--format', 'ocsf')).stdout);
    expect(events).toHaveLength(doc.findings.length);
    expect(events[0]).toMatchObject({ class_uid: 2003, metadata: { product: { name: 'influxguard' } } });
    const csv = await scan('--format', 'csv');
    expect(csv.code).toBe(0);
    expect(csv.stdout.split('\r\n').filter(Boolean)).toHaveLength(doc.findings.length + 1);
    expect(csv.stdout.startsWith('finding_id,check_id,status,severity,')).toBe(true);
  });

  it('--output report.html writes the HTML report (format from the name), stdout stays empty', async () => {
    const file = join(dir, 'report.html');
    const r = await scan('--output', file);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`html written to ${file}`);
    const html = readFileSync(file, 'utf8');
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).toContain('influx-public');
    expect(html).not.toMatch(/<(script|link|img)[^>]+(src|href)=/i); // nothing fetched
    const bad = await scan('--output', join(dir, 'missing', 'r.html'));
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^influxguard: --output .*missing\/r\.html: /m);
  });

  it('probe refuses asff, accepts the other formats', async () => {
    const r = await runCli(['probe', 'http://127.0.0.1:9', '--format', 'asff'], {});
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/probe prints table, json, ocsf, csv or html/);
  });
});
