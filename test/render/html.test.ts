/**
 * The HTML report in a real browser: Debian's Chromium (make setup) opens the file with the network
 * off, and the test reads what a person sees: the counts, the charts, a filter that works, hostile
 * text shown as text, passed findings only when asked for, the table's order, a probe's report that
 * names endpoints. It leaves screenshots in .test-artifacts/ (report.png, report-failed.png, report-probe.png).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { SEVERITIES, STATUSES, isFailing, type Finding, type ScanDocument } from '../../lib/model.js';
import { renderHtml } from '../../lib/render/html.js';
import { renderTable } from '../../lib/render/table.js';
import { printable } from '../../lib/util/text.js';
import { summarise } from '../../lib/summary.js';
import { HOSTILE, reportDocument } from '../support/report-doc.js';
import { ec2InstanceSubject } from '../../lib/kinds/ec2-instance/subject.js';

const CHROMIUM = ['/usr/lib/chromium/chromium', '/usr/bin/chromium'].find(existsSync);
const ARTIFACTS = new URL('../../.test-artifacts/', import.meta.url).pathname;
const file = join(ARTIFACTS, 'report.html');
const report = reportDocument();
const { doc } = report;
/** A name longer than a chart label's old limit (260 px): it must show whole. */
const LONG_NAME = 'metrics-db primary for the eu-west-1 production fleet (a long Name tag, shown whole)';
const instances = report.instances.map((i) => (i.instanceId === 'i-0bbbbbbbbbbbbbbb2' ? { ...i, name: LONG_NAME } : i));
const notPassed = doc.findings.filter((f) => f.status !== 'PASSED').length;

let browser: Browser;
let page: Page;
const requests: string[] = [];
const dialogs: string[] = [];
const consoleErrors: string[] = [];

beforeAll(async () => {
  if (!CHROMIUM) throw new Error('Chromium missing: run make setup (apt-get install chromium)');
  mkdirSync(ARTIFACTS, { recursive: true });
  writeFileSync(file, await renderHtml(doc, { subjects: instances.map(ec2InstanceSubject) }));
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] });
  page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  page.on('request', (r) => requests.push(r.url()));
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  page.on('console', (m) => m.type() === 'error' && consoleErrors.push(m.text()));
  await page.goto(`file://${file}`);
}, 60_000);

afterAll(async () => {
  await browser?.close();
});

const text = (sel: string) =>
  page
    .locator(sel)
    .textContent()
    .then((t) => (t ?? '').trim());
const visibleFindings = () => page.locator('details.finding:visible').count();

describe('the HTML report in Chromium', () => {
  it('is one file: no request but itself, no script error, no injected markup run', async () => {
    expect(requests).toEqual([`file://${file}`]);
    expect(consoleErrors).toEqual([]);
    expect(dialogs).toEqual([]);
    expect(await page.locator('img').count()).toBe(0);
    expect(await page.locator('section.group h3').first().textContent()).toContain('<img src=x onerror=alert(1)>=cmd|calc[2J');
    expect(await page.locator('body').textContent()).toContain(HOSTILE.summary);
  });

  it('shows the counts: statuses, failing by severity, findings', async () => {
    for (const st of STATUSES) expect(await text(`.card[data-status="${st}"] .n`)).toBe(String(doc.summary[st]));
    expect(await text('.card[data-status="findings"] .n')).toBe(String(doc.findings.length));
    expect(await text('#shown-count')).toBe(String(notPassed));
    expect(await visibleFindings()).toBe(notPassed);
    const failing = doc.summary.FAILED + doc.summary.WARNING;
    expect(await text('#headline')).toContain(`${failing} failing findings:`);
    expect(await text('#headline')).toContain('3 of 3 instances and 1 of 1 account region with failures.');
    expect(await text('.meta')).toContain('accounts 111122223333 · regions eu-west-1');
    for (const sev of SEVERITIES.filter((x) => doc.summary.bySeverity[x] > 0))
      expect(await text('#headline')).toContain(`${doc.summary.bySeverity[sev]} ${sev}`);
  });

  it('draws both charts as inline SVG, with the instances that fail', async () => {
    expect(await page.locator('#chart-severity svg').count()).toBe(1);
    expect(await page.locator('#chart-instances svg').count()).toBe(1);
    const labels = await page.locator('#chart-instances svg text').allTextContents();
    expect(labels.join(' ')).toContain('i-0aaaaaaaaaaaaaaa1');
    expect(labels.join(' ')).toContain('Failing findings by instance');
    expect(labels.join(' ')).not.toMatch(/[\u0000-\u001f]/); // the hostile name's ESC is gone from the chart too
    await page.screenshot({ path: join(ARTIFACTS, 'report.png'), fullPage: true });
  });

  it('the by-instance chart shows names whole, each label inside the picture', async () => {
    // A label is a <text> of one <tspan> a line: the id, then the name.
    const lines = await page
      .locator('#chart-instances svg text')
      .evaluateAll((els) => els.map((e) => [...e.querySelectorAll('tspan')].map((t) => t.textContent ?? '')).filter((l) => l.length));
    const label = (id: string) =>
      lines
        .find((l) => l[0] === id)
        ?.slice(1)
        .join(' ');
    expect(label('i-0aaaaaaaaaaaaaaa1')).toBe(printable(HOSTILE.name));
    expect(label('i-0bbbbbbbbbbbbbbb2')).toBe(LONG_NAME);
    expect(label('i-0ccccccccccccccc3')).toBe('ent-data-1');
    expect(lines.flat().join(' ')).not.toContain('…');
    const outside = await page.locator('#chart-instances svg').evaluate((svg) => {
      const box = svg.getBoundingClientRect();
      return [...svg.querySelectorAll('text')].filter((t) => t.getBoundingClientRect().left < box.left - 0.5).length;
    });
    expect(outside).toBe(0);
  });

  it("stacks each instance's bar by severity, most severe first, as the legend lists them", async () => {
    const bars = await page
      .locator('#chart-instances svg path[aria-roledescription="bar"]')
      .evaluateAll((els) => els.map((e) => ({ label: e.getAttribute('aria-label') ?? '', x: e.getBoundingClientRect().left })));
    const a = bars.filter((b) => b.label.includes('i-0aaaaaaaaaaaaaaa1'));
    const order = [...a].sort((p, q) => p.x - q.x).map((b) => /severity: (\w+)/.exec(b.label)![1]);
    const expected = [...SEVERITIES]
      .reverse()
      .filter((sev) => doc.findings.some((f) => f.instanceId === 'i-0aaaaaaaaaaaaaaa1' && isFailing(f.status) && f.severity === sev));
    expect(expected.length).toBeGreaterThan(1);
    expect(order).toEqual(expected);
  });

  it('groups the findings by instance, worst first, in the order of the table', async () => {
    const groups = await page.locator('section.group').evaluateAll((els) => els.map((e) => e.getAttribute('data-group')!));
    expect(groups[0]).toBe('i-0aaaaaaaaaaaaaaa1');
    expect(groups).toEqual(expect.arrayContaining(['i-0bbbbbbbbbbbbbbb2', 'i-0ccccccccccccccc3', '111122223333/eu-west-1']));
    const table = renderTable(doc, { color: false, subjects: instances.map(ec2InstanceSubject) });
    const headingAt = (key: string) => table.indexOf(key.includes('/') ? `\naccount ${key.replace('/', ' / ')}\n` : `\n${key} `);
    const positions = groups.map(headingAt);
    expect(positions.every((p) => p > 0)).toBe(true);
    expect(positions).toEqual([...positions].sort((a, b) => a - b));
  });

  it('passed findings are hidden until asked for, and read as what was seen, not as the failure looked for', async () => {
    expect(await page.locator('details.finding[data-status="PASSED"]:visible').count()).toBe(0);
    const firsts = await page
      .locator('section.group:visible')
      .evaluateAll((els) => els.map((e) => e.querySelector('details.finding:not([hidden])')!.getAttribute('data-status')));
    expect(firsts.every((st) => st === 'FAILED' || st === 'WARNING')).toBe(true); // failing findings first
    await page.check('#show-passed');
    expect(await visibleFindings()).toBe(doc.findings.length);
    expect(await text('#shown-count')).toBe(String(doc.findings.length));
    const passedLines = await page.locator('details.finding[data-status="PASSED"] > summary').allTextContents();
    expect(passedLines).toHaveLength(doc.summary.PASSED);
    for (const f of doc.findings.filter((x) => x.status === 'PASSED')) {
      const line = passedLines.find((l) => l.includes(` ${f.checkId} `) && l.includes(f.resource.id))!;
      expect(line).toContain(String(f.evidence.summary));
      expect(line).not.toContain(f.title);
    }
    await page.uncheck('#show-passed');
    expect(await visibleFindings()).toBe(notPassed);
  });

  it('filters by status, severity and check', async () => {
    await page.selectOption('#filter-status', 'FAILED');
    expect(await text('#shown-count')).toBe(String(doc.summary.FAILED));
    expect(await visibleFindings()).toBe(doc.summary.FAILED);
    await page.screenshot({ path: join(ARTIFACTS, 'report-failed.png'), fullPage: false });
    await page.selectOption('#filter-severity', 'CRITICAL');
    const critical = doc.findings.filter((f) => f.status === 'FAILED' && f.severity === 'CRITICAL').length;
    expect(critical).toBeGreaterThan(0);
    expect(await visibleFindings()).toBe(critical);
    expect(await page.locator('section.group:visible').count()).toBe(1);
    await page.selectOption('#filter-status', 'all');
    await page.selectOption('#filter-severity', 'all');
    await page.selectOption('#filter-check', 'ebs.volume-unencrypted');
    const ebs = doc.findings.filter((f) => f.checkId === 'ebs.volume-unencrypted');
    expect(await visibleFindings()).toBe(ebs.filter((f) => f.status !== 'PASSED').length); // passed ones stay hidden
    await page.check('#show-passed');
    expect(await visibleFindings()).toBe(ebs.length);
    await page.uncheck('#show-passed');
    await page.selectOption('#filter-check', 'all');
    await page.selectOption('#filter-status', 'failing');
    expect(await visibleFindings()).toBe(doc.findings.filter((f) => isFailing(f.status)).length);
    // Asking for PASSED shows them (and ticks "show passed").
    await page.selectOption('#filter-status', 'PASSED');
    expect(await visibleFindings()).toBe(doc.summary.PASSED);
    expect(await page.isChecked('#show-passed')).toBe(true);
    await page.uncheck('#show-passed');
    expect(await page.locator('#filter-status').inputValue()).toBe('all');
    expect(await visibleFindings()).toBe(notPassed);
  });

  it('opens evidence and remediation on demand, and all of it for printing', async () => {
    const first = page.locator('details.finding:visible').first();
    expect(await first.locator('.body').isVisible()).toBe(false);
    await first.locator('summary').first().click();
    expect(await first.locator('.body').textContent()).toContain('Remediation');
    await first.locator('details.evidence > summary').click();
    expect(await first.locator('details.evidence pre').textContent()).toMatch(/^\{\n {2}"summary": /); // indented JSON, one key a line
    await first.screenshot({ path: join(ARTIFACTS, 'report-open.png') });
    await page.emulateMedia({ media: 'print' });
    await page.evaluate("window.dispatchEvent(new Event('beforeprint'))");
    expect(await page.locator('details:not([open])').count()).toBe(0);
    expect(await page.locator('.filters').isVisible()).toBe(false);
    const pdf = await page.pdf({ format: 'A4', path: join(ARTIFACTS, 'report.pdf') });
    expect(pdf.subarray(0, 4).toString()).toBe('%PDF');
  });
});

/** What `influxguard probe --format html` renders: endpoints, no account or region. */
function probeDocument(): ScanDocument {
  const endpoint = 'https://10.0.1.10:8086';
  const base = doc.findings.find((f) => f.checkId === 'tls.certificate-invalid')!;
  const strip = (f: Finding): Finding => {
    const { accountId: _a, region: _r, instanceId: _i, ...rest } = f;
    return { ...rest, endpoint, resource: { type: 'Other', id: endpoint } };
  };
  const findings = [
    strip(base),
    strip({
      ...base,
      checkId: 'auth.disabled',
      status: 'PASSED',
      severity: 'HIGH',
      title: 'InfluxDB answers queries without authentication',
      evidence: { summary: 'unauthenticated SHOW DATABASES refused (401)' },
    }),
  ];
  return { ...doc, scanId: 'probe-report-test', scope: { accounts: [], regions: [] }, findings, summary: summarise(findings) };
}

describe("a probe's HTML report", () => {
  it('names endpoints, never empty account or region fields', async () => {
    const probeFile = join(ARTIFACTS, 'report-probe.html');
    writeFileSync(probeFile, await renderHtml(probeDocument(), { command: 'probe' }));
    const p = await browser.newPage({ viewport: { width: 1200, height: 700 } });
    try {
      await p.goto(`file://${probeFile}`);
      const meta = ((await p.locator('.meta').textContent()) ?? '').trim();
      expect(meta).toMatch(/^probe probe-report-test · .* · 1 endpoint$/);
      expect(meta).not.toMatch(/accounts|regions/);
      const headline = ((await p.locator('#headline').textContent()) ?? '').trim();
      expect(headline).toBe('1 failing finding: 1 MEDIUM. 1 of 1 endpoint with failures.');
      expect((await p.locator('#chart-instances svg text').allTextContents()).join(' ')).toContain('Failing findings by endpoint');
      expect(await p.locator('details.finding:visible').count()).toBe(1);
      await p.screenshot({ path: join(ARTIFACTS, 'report-probe.png'), fullPage: true });
    } finally {
      await p.close();
      rmSync(probeFile, { force: true });
    }
  });
});

describe('accepted risks in the HTML report', () => {
  it('a filter shows only the suppressed findings, or none of them (CHECKS.md "Accepted risks")', async () => {
    const suppression = { reason: 'bastion SSH, SEC-1234', expires: '2027-03-31', source: 'config' as const };
    const marked = new Set(doc.findings.flatMap((f, i) => (f.status === 'FAILED' ? [i] : [])).slice(0, 2));
    const findings = doc.findings.map((f, i) => (marked.has(i) ? { ...f, suppression } : f));
    const acceptedFile = join(ARTIFACTS, 'report-accepted.html');
    writeFileSync(acceptedFile, await renderHtml({ ...doc, findings, summary: summarise(findings) }));
    const p = await browser.newPage({ viewport: { width: 1200, height: 700 } });
    try {
      await p.goto(`file://${acceptedFile}`);
      const shown = () => p.locator('details.finding:visible').count();
      expect(await shown()).toBe(notPassed);
      await p.selectOption('#filter-suppressed', 'only');
      expect(await shown()).toBe(2);
      expect(await p.locator('details.finding:visible[data-suppressed="true"]').count()).toBe(2);
      expect(await p.locator('section.group:visible').count()).toBe(0);
      await p.selectOption('#filter-suppressed', 'none');
      expect(await shown()).toBe(notPassed - 2);
      expect(await p.locator('section#accepted').isVisible()).toBe(false);
      await p.selectOption('#filter-suppressed', 'all');
      expect(await p.locator('section#accepted').isVisible()).toBe(true);
    } finally {
      await p.close();
      rmSync(acceptedFile, { force: true });
    }
  });
});

afterAll(() => rmSync(file, { force: true }));
