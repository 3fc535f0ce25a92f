/**
 * The table on a 120-column terminal: the RESOURCE column no longer pads every row to the longest
 * load-balancer ARN (a new user's table was 177-508 characters wide); long ids are shortened with an
 * ellipsis in the middle and long details wrap under their column. The JSON and ASFF keep the whole id.
 */
import { describe, expect, it } from '@jest/globals';
import type { Finding, ScanDocument } from '../../lib/model.js';
import { toAsff } from '../../lib/findings/asff.js';
import { renderDocument } from '../../lib/render/formats.js';
import { renderTable } from '../../lib/render/table.js';
import { summarise } from '../../lib/summary.js';
import { reportDocument } from '../support/report-doc.js';
import { ec2InstanceSubject } from '../../lib/kinds/ec2-instance/subject.js';

const ALB = 'arn:aws:elasticloadbalancing:eu-west-1:111122223333:loadbalancer/app/influx-production-public-alb/50dc6c495c0c9188';
const LONG_DETAIL =
  'reachable from the internet: 203.0.113.10 (eni-0000000000000000a) via igw-0000000000000000a, through the load balancer ' +
  'influx-production-public-alb on 443/tcp from 0.0.0.0/0 to 8086/tcp of its healthy targets, a path nothing in front of it closes';

function documentWithAlb(): { doc: ScanDocument; instances: ReturnType<typeof reportDocument>['instances'] } {
  const { doc, instances } = reportDocument();
  const alb: Finding = {
    checkId: 'net.http-port-public',
    status: 'FAILED',
    severity: 'CRITICAL',
    title: 'An internet-facing load balancer forwards to InfluxDB',
    accountId: '111122223333',
    region: 'eu-west-1',
    instanceId: 'i-0aaaaaaaaaaaaaaa1',
    resource: { type: 'AwsElbv2LoadBalancer', id: ALB },
    evidence: { summary: LONG_DETAIL },
    remediation: { text: 'Make the load balancer internal.', url: 'https://docs.aws.amazon.com/elasticloadbalancing/' },
  };
  const findings = [...doc.findings, alb];
  return { doc: { ...doc, findings, summary: summarise(findings) }, instances };
}

const COLOUR = /\x1b\[[0-9;]*m/g;
const widest = (text: string) => Math.max(...text.split('\n').map((l) => [...l.replace(COLOUR, '')].length));

describe('the table fits the terminal', () => {
  const { doc, instances } = documentWithAlb();

  it('at 120 columns every line fits, coloured or not, with a long ALB ARN and a long detail', () => {
    for (const color of [false, true]) {
      const table = renderTable(doc, { color, showPassed: true, subjects: instances.map(ec2InstanceSubject), width: 120 });
      expect(widest(table)).toBeLessThanOrEqual(120);
    }
    // Without a width (a pipe, a file) the table is laid out for 120 columns too.
    expect(widest(renderTable(doc, { color: false, subjects: instances.map(ec2InstanceSubject) }))).toBeLessThanOrEqual(120);
  });

  it('shortens the ARN with an ellipsis in the middle, keeping its start and the name and id at its end', () => {
    const table = renderTable(doc, { color: false, subjects: instances.map(ec2InstanceSubject), width: 120 });
    const row = table.split('\n').find((l) => l.includes('arn:'))!;
    expect(row).not.toContain(ALB);
    const shown = /(arn:…\S+)/.exec(row)![1]!;
    expect(ALB.endsWith(shown.slice('arn:…'.length))).toBe(true);
    expect(shown).toContain('alb/50dc6c495c0c9188');
    // Instance and security-group ids stay whole.
    expect(table).toMatch(/ i-0aaaaaaaaaaaaaaa1( |$)/m);
  });

  it('wraps a long detail: it starts in the DETAIL column and goes on under the CHECK column, every word kept', () => {
    const lines = renderTable(doc, { color: false, subjects: instances.map(ec2InstanceSubject), width: 120 }).split('\n');
    const at = lines.findIndex((l) => l.includes('arn:'));
    const column = lines[2]!.indexOf('DETAIL');
    const under = lines[2]!.indexOf('CHECK') + 2;
    expect(lines[at]!.slice(column)).toMatch(/^reachable from the/);
    const continued: string[] = [];
    for (const l of lines.slice(at + 1)) {
      if (!l.startsWith(' '.repeat(under)) || l[under] === ' ') break;
      continued.push(l.slice(under));
    }
    expect(continued.length).toBeGreaterThan(1);
    expect([lines[at]!.slice(column), ...continued].join(' ')).toBe(LONG_DETAIL);
  });

  it('a wider terminal shows the whole ARN; the header names the same columns', () => {
    const table = renderTable(doc, { color: false, subjects: instances.map(ec2InstanceSubject), width: 260 });
    expect(table).toContain(` ${ALB} `);
    expect(table.split('\n')[2]).toMatch(/^ {2}STATUS +SEVERITY +CHECK +RESOURCE +DETAIL$/);
  });

  it('JSON and ASFF keep the whole id', async () => {
    const json = [...(await renderDocument('json', doc))].join('');
    expect(json).toContain(`"id": "${ALB}"`);
    const alb = doc.findings.find((f) => f.resource.id === ALB)!;
    expect(JSON.stringify(toAsff(alb, { now: doc.finishedAt }))).toContain(ALB);
  });
});

describe('the table orders subjects as the HTML report does', () => {
  it('the worst failing severity first, then the most failing findings, then by id', () => {
    const base = reportDocument().doc.findings.find((f) => f.checkId === 'tls.certificate-invalid')!;
    const at = (instanceId: string, checkId: string): Finding => ({
      ...base,
      instanceId,
      checkId,
      severity: 'HIGH',
      resource: { type: 'AwsEc2Instance', id: instanceId },
    });
    // i-0a… sorts first by id; i-0z… has more HIGH failures, so it comes first.
    const findings = [at('i-0aaaaaaaaaaaaaaa1', 'a.one'), at('i-0zzzzzzzzzzzzzzz9', 'a.one'), at('i-0zzzzzzzzzzzzzzz9', 'a.two')];
    const doc: ScanDocument = { ...reportDocument().doc, findings, summary: summarise(findings) };
    const table = renderTable(doc, { color: false });
    expect(table.indexOf('\ni-0zzzzzzzzzzzzzzz9')).toBeLessThan(table.indexOf('\ni-0aaaaaaaaaaaaaaa1'));
  });
});
