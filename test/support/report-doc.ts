/**
 * A scan document for the report renderers: the registry's real checks evaluated over fixture
 * evidence for three instances (a world-open one with an unencrypted volume, a restricted one, an
 * Enterprise data node), the account's EBS default, one endpoint finding not evaluated, and hostile
 * text (markup, a formula, control characters) in an instance name and in evidence.
 */
import { CHECKS } from '../../lib/checks/index.js';
import { evaluateInstance, evaluateRegion } from '../../lib/evaluate.js';
import { ok, type Finding, type Instance, type ScanDocument } from '../../lib/model.js';
import { summarise } from '../../lib/summary.js';
import { ctx, instance, net, open } from './fixtures.js';

export const HOSTILE = {
  name: '<img src=x onerror=alert(1)>=cmd|calc\x1b[2J',
  summary: '=HYPERLINK("http://evil.example/","click") <script>alert(2)</script>',
};

export function reportDocument(): { doc: ScanDocument; instances: Instance[] } {
  const a = ctx({
    instance: { instanceId: 'i-0aaaaaaaaaaaaaaa1', name: HOSTILE.name, publicIps: ['203.0.113.10'] },
    net: net([open('sg-0000000000000000a', 'tcp', 8086, '0.0.0.0/0'), open('sg-0000000000000000a', 'tcp', 8088, '10.0.0.0/8')], {
      publicIpv4: ['203.0.113.10'],
    }),
    volumes: [{ volumeId: 'vol-0000000000000000a', device: '/dev/xvda', encrypted: false, sizeGiB: 50 }],
  });
  const b = ctx({
    instance: { instanceId: 'i-0bbbbbbbbbbbbbbb2', name: 'metrics-db' },
    net: net([open('sg-0000000000000000b', 'tcp', 8086, '10.0.0.0/16'), open('sg-0000000000000000b', 'tcp', 22, '0.0.0.0/0')]),
    volumes: [{ volumeId: 'vol-0000000000000000b', device: '/dev/xvda', encrypted: true }],
  });
  const c = ctx({
    instance: { instanceId: 'i-0ccccccccccccccc3', name: 'ent-data-1', role: 'data', cluster: 'c1' },
    net: net([open('sg-0000000000000000c', 'tcp', [8088, 8091], '172.16.0.0/12')], { clusterGroupIds: ['sg-0000000000000000c'] }),
  });
  const findings: Finding[] = [a, b, c].flatMap((x) => evaluateInstance(CHECKS, x));
  findings.push(
    ...evaluateRegion(CHECKS, {
      accountId: '111122223333',
      region: 'eu-west-1',
      instances: [a.instance, b.instance, c.instance],
      settings: a.settings,
      evidence: { ebsDefaultEncryption: ok(false) },
    }),
  );
  findings.push({
    checkId: 'tls.certificate-invalid',
    status: 'FAILED',
    severity: 'MEDIUM',
    title: 'TLS certificate is invalid, expiring, or does not match the host',
    accountId: '111122223333',
    region: 'eu-west-1',
    instanceId: 'i-0aaaaaaaaaaaaaaa1',
    resource: { type: 'AwsEc2Instance', id: 'i-0aaaaaaaaaaaaaaa1' },
    endpoint: 'https://10.0.1.10:8086',
    evidence: { summary: HOSTILE.summary, subject: 'CN=-2+3' },
    remediation: {
      text: '@SUM(1+1) use a certificate from a trusted CA',
      url: 'https://docs.influxdata.com/influxdb/v1/administration/https_setup/',
    },
    compliance: { relatedRequirements: ['InfluxData Manage security/Enable HTTPS', 'PCI DSS v4.0.1/4.2.1', 'NIST.800-53.r5 SC-8'] },
  });
  findings.push({
    checkId: 'auth.disabled',
    status: 'NOT_AVAILABLE',
    severity: 'INFORMATIONAL',
    title: 'InfluxDB authentication is disabled',
    accountId: '111122223333',
    region: 'eu-west-1',
    instanceId: 'i-0bbbbbbbbbbbbbbb2',
    resource: { type: 'AwsEc2Instance', id: 'i-0bbbbbbbbbbbbbbb2' },
    endpoint: 'http://10.0.2.20:8086',
    evidence: { summary: 'not evaluated', reason: 'connect timeout after 5000 ms' },
    remediation: {
      text: 'Enable authentication.',
      url: 'https://docs.influxdata.com/influxdb/v1/administration/authentication_and_authorization/',
    },
  });
  const doc: ScanDocument = {
    scanId: 'scan-report-test',
    startedAt: '2026-11-29T10:00:00.000Z',
    finishedAt: '2026-11-29T10:00:05.000Z',
    scope: { accounts: ['111122223333'], regions: ['eu-west-1'] },
    findings,
    summary: summarise(findings),
  };
  return { doc, instances: [a.instance, b.instance, c.instance].map((i) => instance(i)) };
}
