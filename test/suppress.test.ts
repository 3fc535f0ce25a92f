/** lib/suppress.ts: which entries are active, and which findings they match (pure). */
import { describe, expect, it } from '@jest/globals';
import { appDeps, resetAppDeps } from '../lib/app/runtime.js';
import { configFromEnv, loadConfig } from '../lib/config.js';
import { InfluxguardError } from '../lib/errors.js';
import type { Finding } from '../lib/model.js';
import { acceptedText, applySuppressions, NOTE_PREFIX, suppressionNote, suppressionState, type Suppression } from '../lib/suppress.js';

const finding = (over: Partial<Finding>): Finding => ({
  checkId: 'net.http-port-public',
  status: 'FAILED',
  severity: 'HIGH',
  title: 't',
  accountId: '111122223333',
  region: 'eu-west-1',
  instanceId: 'i-1',
  resource: { type: 'AwsEc2SecurityGroup', id: 'sg-1' },
  evidence: {},
  remediation: { text: '', url: '' },
  ...over,
});
const entry = (over: Partial<Suppression>): Suppression => ({
  checkId: 'net.http-port-public',
  reason: 'r',
  expires: '2027-01-31',
  ...over,
});

describe('suppression matching', () => {
  it('an entry is active through the end of its expires day, UTC', () => {
    const e = [entry({ instanceId: 'i-1' })];
    expect(suppressionState(e, new Date('2027-01-31T23:59:59.999Z')).active).toHaveLength(1);
    expect(suppressionState(e, new Date('2027-02-01T00:00:00Z')).expired).toHaveLength(1);
    expect(suppressionState(e, new Date('2027-01-17T00:00:00Z')).expiringSoon).toHaveLength(1);
    expect(suppressionState(e, new Date('2027-01-16T00:00:00Z')).expiringSoon).toHaveLength(0);
  });
  it('matches by check and subject (instance, resource, tag of a database), account and region when given', () => {
    const db = finding({ instanceId: 'db-1', checkId: 'timestream.publicly-accessible', resource: { type: 'Other', id: 'arn:db-1' } });
    const findings = [finding({}), finding({ checkId: 'net.unexpected-ports-open', severity: 'LOW' }), db, finding({ instanceId: 'i-2' })];
    const entries = [
      entry({ instanceId: 'i-1' }),
      entry({ checkId: 'timestream.publicly-accessible', tag: 'env=prod' }),
      entry({ resourceId: 'sg-1', region: 'us-east-1' }),
      entry({ resourceId: 'sg-1', accountId: '999999999999' }),
    ];
    const tags: Record<string, Record<string, string>> = { 'db-1': { env: 'prod' }, 'i-2': { env: 'prod' } };
    const { active } = suppressionState(entries, new Date('2027-01-01T00:00:00Z'));
    const { unmatched } = applySuppressions(findings, active, (id) => tags[id]);
    expect(findings.map((f) => f.suppression?.reason ?? null)).toEqual(['r', null, 'r', null]);
    expect(findings[0]!.status).toBe('FAILED');
    expect(findings[0]!.suppression).toEqual({ reason: 'r', expires: '2027-01-31', source: 'config' });
    expect(unmatched).toEqual([2, 3]);
  });
  it('no wildcard: `*`, a prefix or a pattern in a subject matches only itself, never every subject', () => {
    const findings = [finding({}), finding({ instanceId: 'i-10', resource: { type: 'AwsEc2SecurityGroup', id: 'sg-10' } })];
    const entries = [
      entry({ instanceId: '*' }),
      entry({ instanceId: 'i-1*' }),
      entry({ resourceId: '*' }),
      entry({ resourceId: 'sg-.*' }),
      entry({ tag: '*=*' }),
      entry({ tag: 'env=*' }),
    ];
    const { active } = suppressionState(entries, new Date('2027-01-01T00:00:00Z'));
    const { unmatched } = applySuppressions(findings, active, () => ({ env: 'prod' }));
    expect(findings.map((f) => f.suppression)).toEqual([undefined, undefined]);
    expect(unmatched).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('hostile tag values: a key holding "=", inherited names, control characters and case match only the exact KEY=VALUE', () => {
    const tags: Record<string, Record<string, string>> = {
      'i-1': { 'a=b': 'c', env: 'prod\u0000', Owner: 'team-a' },
      'i-2': { a: 'b=c' },
    };
    const findings = [finding({}), finding({ instanceId: 'i-2' })];
    const entries = [
      entry({ tag: 'env=prod' }),
      entry({ tag: 'owner=team-a' }),
      entry({ tag: 'constructor=function Object() { [native code] }' }),
      entry({ tag: '__proto__=[object Object]' }),
      entry({ tag: 'a=b=c' }), // key a, value b=c: i-2's, not i-1's key "a=b"
    ];
    const { active } = suppressionState(entries, new Date('2027-01-01T00:00:00Z'));
    const { unmatched } = applySuppressions(findings, active, (id) => tags[id]);
    expect(findings.map((f) => f.suppression !== undefined)).toEqual([false, true]);
    expect(unmatched).toEqual([0, 1, 2, 3]);
  });

  it('a reason of spaces only is no reason: a configuration error', () => {
    const expires = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
    expect(() =>
      loadConfig({
        env: {
          INFLUXGUARD_SUPPRESSIONS: JSON.stringify([{ checkId: 'net.http-port-public', instanceId: 'i-1', reason: ' \t\n ', expires }]),
        },
      }),
    ).toThrow(/suppressions\[0\]: has no reason/);
  });

  it('a reason with control characters (a multi-line YAML value, an escape sequence): the note and the text beside a finding carry none', () => {
    const s = { reason: 'bastion SSH\nticket \u001b[2JSEC-1\u009b31m \u202eevil', expires: '2027-01-31' };
    for (const text of [suppressionNote(s), acceptedText(s)]) {
      expect(text).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u202e]/);
      expect(text).toContain('bastion SSH ticket');
    }
    expect(suppressionNote(s).startsWith(NOTE_PREFIX)).toBe(true);
  });

  it('the stack takes the same entries as JSON in INFLUXGUARD_SUPPRESSIONS, validated alike', () => {
    const expires = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
    const good = [{ checkId: 'net.http-port-public', instanceId: 'i-1', reason: 'r', expires }];
    expect(loadConfig({ env: { INFLUXGUARD_SUPPRESSIONS: JSON.stringify(good) } }).suppressions).toEqual(good);
    expect(() => loadConfig({ env: { INFLUXGUARD_SUPPRESSIONS: JSON.stringify([{ ...good[0], checkId: 'nope' }]) } })).toThrow(
      /suppressions\[0\]: unknown check id "nope"/,
    );
    expect(() => configFromEnv({ INFLUXGUARD_SUPPRESSIONS: '[' })).toThrow(InfluxguardError);
  });
  it('the stack at run time ignores an invalid entry (an error log and a metric) and keeps the valid ones', () => {
    const expires = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
    const good = { checkId: 'net.http-port-public', instanceId: 'i-1', reason: 'r', expires };
    const env = {
      AWS_REGION: 'eu-west-1',
      INFLUXGUARD_TABLE: 'scans',
      INFLUXGUARD_SUPPRESSIONS: JSON.stringify([{ ...good, reason: '' }, good]),
    };
    resetAppDeps();
    try {
      expect(appDeps(env).config.suppressions).toEqual([good]);
    } finally {
      resetAppDeps();
    }
  });
});
