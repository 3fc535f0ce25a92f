/** Audit credentials: the shapes accepted, and no way for the value to reach text by accident. */
import { describe, expect, it } from '@jest/globals';
import { inspect } from 'node:util';
import { parseConfig } from '../../lib/config.js';
import { AuditCredentials, credentialsFromSecret, credentialsFromText } from '../../lib/evidence/audit/credentials.js';
import { auditSecretOf } from '../../lib/evidence/index.js';
import type { Instance } from '../../lib/model.js';

const PW = 'pw-6b1e0f2d93';
const TOKEN = 'tok-0c8d2e7a51==';

describe('audit credentials', () => {
  it('the secret JSON: {"username","password"} is 1.x, {"token"} is 2.x; anything else is refused naming keys, never values', () => {
    expect(credentialsFromSecret(JSON.stringify({ username: 'a', password: PW }), 's').kind).toBe('password');
    expect(credentialsFromSecret(JSON.stringify({ token: TOKEN }), 's').kind).toBe('token');
    for (const bad of [{ user: 'a', pass: PW }, { username: 'a', password: PW, token: TOKEN }, { token: '' }, [PW], PW]) {
      let message = '';
      try {
        credentialsFromSecret(typeof bad === 'string' ? bad : JSON.stringify(bad), 'secret x');
      } catch (err) {
        message = (err as Error).message;
      }
      expect(message).toMatch(/^secret x /);
      expect(message.includes(PW) || message.includes(TOKEN)).toBe(false);
    }
  });

  it('--credentials-env text: user:password (the password may hold colons) or a token', () => {
    expect(credentialsFromText(`admin:${PW}:x`, 'v').authorization()).toBe(`Basic ${Buffer.from(`admin:${PW}:x`).toString('base64')}`);
    expect(credentialsFromText(TOKEN, 'v').authorization()).toBe(`Token ${TOKEN}`);
    expect(() => credentialsFromText(':x', 'v')).toThrow(/user:password or a token/);
  });

  it('JSON, inspect, String() and template strings never show the value; scrub() removes it from server text', () => {
    for (const c of [AuditCredentials.password('admin', PW), AuditCredentials.token(TOKEN)]) {
      const shown = [JSON.stringify({ c }), inspect(c, { showHidden: true, depth: 5 }), String(c), `${c}`, inspect({ nested: [c] })].join(
        ' ',
      );
      expect(shown.includes(PW) || shown.includes(TOKEN)).toBe(false);
      expect(c.scrub(`echo ${PW} ${TOKEN} ${Buffer.from(`admin:${PW}`).toString('base64')}`)).toBe(
        c.kind === 'password' ? `echo *** ${TOKEN} ***` : `echo ${PW} *** ${Buffer.from(`admin:${PW}`).toString('base64')}`,
      );
    }
  });
});

describe('which secret an instance uses', () => {
  const arn = (name: string) => `arn:aws:secretsmanager:eu-west-1:111122223333:secret:${name}`;
  const inst = (tags: Record<string, string>) => ({ instanceId: 'i-0123456789abcdef0', tags }) as unknown as Instance;
  const config = parseConfig({ audit: { secrets: [arn('influxdb/*')], secretArn: arn('fleet-AbCdEf') } });

  it('its tag, when the configuration allows that secret; else the fleet secret; none without either (each for this instance only)', () => {
    const subject = 'i-0123456789abcdef0';
    expect(auditSecretOf(inst({ 'influxdb:audit-secret': arn('influxdb/prod-AbCdEf') }), config.audit)).toEqual({
      ok: true,
      value: { arn: arn('influxdb/prod-AbCdEf'), subject },
    });
    // The fleet secret too is read and sent only if its own tags bind it to the instance (issue 27).
    expect(auditSecretOf(inst({}), config.audit)).toEqual({ ok: true, value: { arn: arn('fleet-AbCdEf'), subject } });
    expect(auditSecretOf(inst({ 'influxdb:audit-secret': arn('fleet-AbCdEf') }), config.audit)).toEqual({
      ok: true,
      value: { arn: arn('fleet-AbCdEf'), subject },
    });
    expect(auditSecretOf(inst({}), parseConfig({}).audit)).toBeUndefined();
  });

  it('a tag naming a secret outside audit.secrets is refused (whoever tags an instance must not choose whose credentials it receives)', () => {
    const r = auditSecretOf(inst({ 'influxdb:audit-secret': arn('payments/db-admin-AbCdEf') }), config.audit);
    expect(r).toEqual({ ok: false, reason: expect.stringMatching(/not among audit\.secrets.*credentials not read/) });
  });

  it('a tag value that is no secret ARN (control characters, a huge value) under an allowed prefix: refused, quoting nothing of it', () => {
    for (const hostile of [
      arn('influxdb/prod\u009b2J\u001b]0;owned\u0007'),
      arn(`influxdb/${'x'.repeat(5000)}`),
      `${arn('influxdb/a')} b`,
    ]) {
      const r = auditSecretOf(inst({ 'influxdb:audit-secret': hostile }), config.audit);
      expect(r).toEqual({ ok: false, reason: expect.stringMatching(/is not a Secrets Manager secret ARN.*credentials not read/) });
      expect(r && !r.ok && r.reason).not.toMatch(/owned|xxxx|[\u0000-\u001f\u007f-\u009f]/);
    }
  });

  it('the configuration refuses what is not a secret ARN', () => {
    expect(() => parseConfig({ audit: { secrets: ['arn:aws:s3:::bucket'] } })).toThrow(
      /audit\.secrets\.0.*not a Secrets Manager secret ARN/,
    );
    expect(() => parseConfig({ audit: { secretArn: 'my-secret' } })).toThrow(/audit\.secretArn/);
  });

  it('audit.ca is PEM certificate text (a path, or anything else, is refused); the plain-HTTP opt-in is gone', () => {
    expect(() => parseConfig({ audit: { ca: '/etc/ssl/ca.pem' } })).toThrow(/audit\.ca.*not PEM certificate text.*--audit-ca FILE/);
    expect(() => parseConfig({ audit: { ca: '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----' } })).toThrow(/audit\.ca/);
    expect(() => parseConfig({ audit: { allowPlainHttp: true } } as never)).toThrow(/allowPlainHttp/);
  });
});
