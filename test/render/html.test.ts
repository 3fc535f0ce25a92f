/**
 * The HTML report in a real browser: Debian's Chromium (make setup) opens the file with the network
 * off, and the test reads what a person sees: the counts, the charts, a filter that works, hostile
 * text shown as text. It leaves a screenshot in .test-artifacts/report.png (and report-failed.png).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { SEVERITIES, STATUSES, isFailing } from '../../lib/model.js';
import { renderHtml } from '../../lib/render/html.js';
import { HOSTILE, reportDocument } from '../support/report-doc.js';

const CHROMIUM = ['/usr/lib/chromium/chromium', '/usr/bin/chromium'].find(existsSync);
const ARTIFACTS = new URL('../../.test-artifacts/', import.meta.url).pathname;
const file = join(ARTIFACTS, 'report.html');
const { doc, instances } = reportDocument();

let browser: Browser;
let page: Page;
const requests: string[] = [];
const dialogs: string[] = [];
const consoleErrors: string[] = [];

beforeAll(async () => {
  if (!CHROMIUM) throw new Error('Chromium missing: run make setup (apt-get install chromium)');
  mkdirSync(ARTIFACTS, { recursive: true });
  writeFileSync(file, await renderHtml(doc, { instances }));
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
    expect(await text('#shown-count')).toBe(String(doc.findings.length));
    expect(await visibleFindings()).toBe(doc.findings.length);
    const failing = doc.summary.FAILED + doc.summary.WARNING;
    expect(await text('#headline')).toContain(`${failing} failing finding(s)`);
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

  it('groups the findings by instance, worst first', async () => {
    const groups = await page.locator('section.group').evaluateAll((els) => els.map((e) => e.getAttribute('data-group')));
    expect(groups[0]).toBe('i-0aaaaaaaaaaaaaaa1');
    expect(groups).toEqual(expect.arrayContaining(['i-0bbbbbbbbbbbbbbb2', 'i-0ccccccccccccccc3', '111122223333/eu-west-1 (account)']));
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
    expect(await visibleFindings()).toBe(doc.findings.filter((f) => f.checkId === 'ebs.volume-unencrypted').length);
    await page.selectOption('#filter-check', 'all');
    await page.selectOption('#filter-status', 'failing');
    expect(await visibleFindings()).toBe(doc.findings.filter((f) => isFailing(f.status)).length);
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

afterAll(() => rmSync(file, { force: true }));
