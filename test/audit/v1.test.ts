/**
 * The credentialed audit against real InfluxDB 1.x servers (Debian's 1.6.7,
 * and the cached 1.8.10 build when present): users and grants planted
 * through the HTTP API, audited by `influxguard probe`'s pipeline with
 * audit credentials over TLS (a certificate of the test CA, given as the
 * operator's); a clean server reports nothing.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { parseConfig } from '../../lib/config.js';
import { AuditCredentials } from '../../lib/evidence/audit/credentials.js';
import type { Finding, ScanDocument } from '../../lib/model.js';
import { probeRun } from '../../lib/probe.js';
import { INFLUXD, certificates, influxQuery, startInfluxd, type RunningInfluxd } from '../../scripts/influxd.js';
import { cachedInfluxd } from '../../scripts/influxd2.js';
import { runCli } from '../support/cli.js';

const ADMIN_PW = 'Adm1n-pw-5f1c0e9a7b';
const BINARIES: [string, string][] = [['1.6.7', INFLUXD]];
const v1810 = cachedInfluxd('1.8.10');
if (v1810) BINARIES.push(['1.8.10', v1810]);

const CA = join(certificates(), 'ca.pem');
const config = parseConfig({
  probe: { allowedCidrs: ['127.0.0.0/8'], connectTimeoutMs: 1000, responseTimeoutMs: 3000 },
  audit: { ca: readFileSync(CA, 'utf8') },
});
const USER_CHECKS = ['users.admin-privileges', 'users.stale-unprivileged', 'users.default-admin-name'];
const TOKEN_CHECKS = ['tokens.all-access-excess', 'tokens.write-all-buckets', 'tokens.inactive-user-active'];
const byCheck = (doc: ScanDocument, id: string): Finding[] => doc.findings.filter((f) => f.checkId === id);
const one = (doc: ScanDocument, id: string): Finding => {
  const fs = byCheck(doc, id);
  expect(fs).toHaveLength(1);
  return fs[0]!;
};

describe.each(BINARIES)('influxd %s', (version, binary) => {
  let planted: RunningInfluxd;
  let clean: RunningInfluxd;
  const docs: Record<string, ScanDocument> = {};
  const audit = (url: string, user: string, password: string) =>
    probeRun([url], config, { credentials: AuditCredentials.password(user, password) }).then((r) => r.document);

  beforeAll(async () => {
    const https = 'valid.combined.pem';
    [planted, clean] = await Promise.all([startInfluxd({ auth: true, binary, https }), startInfluxd({ auth: true, binary, https })]);
    const q = async (s: RunningInfluxd, statement: string, as?: [string, string]) =>
      expect(await influxQuery(s.url, statement, as)).toBe(200);
    // Planted: two admins (one called "admin"), a non-admin with ALL on every database, two without privileges.
    await q(planted, `CREATE USER admin WITH PASSWORD '${ADMIN_PW}' WITH ALL PRIVILEGES`);
    const asAdmin: [string, string] = ['admin', ADMIN_PW];
    for (const s of [
      "CREATE USER ops WITH PASSWORD 'ops-pw-1' WITH ALL PRIVILEGES",
      'CREATE DATABASE telemetry',
      'CREATE DATABASE billing',
      "CREATE USER everything WITH PASSWORD 'e-pw-1'",
      'GRANT ALL ON telemetry TO everything',
      'GRANT ALL ON billing TO everything',
      "CREATE USER stale WITH PASSWORD 's-pw-1'",
      "CREATE USER revoked WITH PASSWORD 'r-pw-1'",
      'GRANT READ ON telemetry TO revoked',
      'REVOKE READ ON telemetry FROM revoked',
      `CREATE USER "quote\\"d" WITH PASSWORD 'q-pw-1'`,
      'GRANT READ ON telemetry TO "quote\\"d"',
    ])
      await q(planted, s, asAdmin);
    // Clean: one admin with an unguessable name, users with only what they need.
    await q(clean, `CREATE USER guardian WITH PASSWORD '${ADMIN_PW}' WITH ALL PRIVILEGES`);
    for (const s of [
      'CREATE DATABASE telemetry',
      'CREATE DATABASE billing',
      "CREATE USER writer WITH PASSWORD 'w-pw-1'",
      'GRANT WRITE ON telemetry TO writer',
      "CREATE USER reader WITH PASSWORD 'r-pw-1'",
      'GRANT READ ON telemetry TO reader',
      'GRANT ALL ON billing TO reader',
    ])
      await q(clean, s, ['guardian', ADMIN_PW]);
    docs.planted = await audit(planted.url, 'admin', ADMIN_PW);
    docs.clean = await audit(clean.url, 'guardian', ADMIN_PW);
    docs.wrongPassword = await audit(planted.url, 'admin', 'not-the-password-7d3e');
    docs.notAdmin = await audit(planted.url, 'everything', 'e-pw-1');
  }, 60_000);

  afterAll(async () => {
    await Promise.all([planted?.stop(), clean?.stop()]);
  });

  it('users.admin-privileges: FAILED on the planted server, naming both admins and the user with ALL on every database', () => {
    const f = one(docs.planted!, 'users.admin-privileges');
    expect(f).toMatchObject({ status: 'FAILED', severity: 'MEDIUM' });
    expect(f.evidence.admins).toEqual(expect.arrayContaining(['admin', 'ops']));
    expect(f.evidence.allPrivilegesOnEveryDatabase).toEqual(['everything']);
    expect(f.endpoint).toBe(planted.url);
  });

  it('users.stale-unprivileged: FAILED naming the never-granted and the revoked user, not the admins', () => {
    const f = one(docs.planted!, 'users.stale-unprivileged');
    expect(f.status).toBe('FAILED');
    expect([...(f.evidence.unprivilegedUsers as string[])].sort()).toEqual(['revoked', 'stale']);
  });

  it('users.default-admin-name: FAILED naming "admin" (not "ops")', () => {
    const f = one(docs.planted!, 'users.default-admin-name');
    expect(f.status).toBe('FAILED');
    expect(f.evidence.wellKnownAdminNames).toEqual(['admin']);
  });

  it('a clean server: every users.* check PASSED; no tokens.* finding on 1.x', () => {
    for (const id of USER_CHECKS) expect(one(docs.clean!, id).status).toBe('PASSED');
    for (const id of TOKEN_CHECKS) expect(byCheck(docs.clean!, id)).toHaveLength(0);
    // ALL on one database of two is not ALL on every database.
    expect(one(docs.clean!, 'users.admin-privileges').evidence.allPrivilegesOnEveryDatabase).toEqual([]);
  });

  it('a wrong password: each users.* check NOT_AVAILABLE with the reason, never a pass', () => {
    for (const id of USER_CHECKS) {
      const f = one(docs.wrongPassword!, id);
      expect(f.status).toBe('NOT_AVAILABLE');
      expect(String(f.evidence.reason)).toMatch(/refused \(HTTP 401.*wrong user name or password/);
    }
  });

  it('credentials of a non-admin user: NOT_AVAILABLE naming the refused SHOW USERS', () => {
    for (const id of USER_CHECKS) {
      const f = one(docs.notAdmin!, id);
      expect(f.status).toBe('NOT_AVAILABLE');
      expect(String(f.evidence.reason)).toMatch(/SHOW USERS.*(admin|authoriz)/i);
    }
  });

  it('the probe checks still run beside the audit, and no password appears in any document', () => {
    expect(one(docs.planted!, 'auth.disabled').status).toBe('PASSED');
    for (const doc of Object.values(docs)) {
      const text = JSON.stringify(doc);
      for (const secret of [ADMIN_PW, 'not-the-password-7d3e', 'e-pw-1', Buffer.from(`admin:${ADMIN_PW}`).toString('base64')])
        expect(text.includes(secret)).toBe(false);
    }
  });

  it('the CLI: probe --credentials-env VAR reads user:password from the environment; the value appears in no output', async () => {
    const args = ['probe', planted.url, '--allow-cidr', '127.0.0.0/8', '--format', 'json', '--fail-on', 'none', '--audit-ca', CA];
    const r = await runCli([...args, '--credentials-env', 'IG_AUDIT'], { IG_AUDIT: `admin:${ADMIN_PW}` });
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as ScanDocument;
    expect(one(doc, 'users.admin-privileges').status).toBe('FAILED');
    expect(`${r.stdout}${r.stderr}`.includes(ADMIN_PW)).toBe(false);
    // A value given where the variable's name belongs is refused without being echoed.
    const wrong = await runCli([...args, '--credentials-env', `admin:${ADMIN_PW}`], {});
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(/--credentials-env takes the name of an environment variable/);
    expect(`${wrong.stdout}${wrong.stderr}`.includes(ADMIN_PW)).toBe(false);
    const unset = await runCli([...args, '--credentials-env', 'IG_UNSET'], {});
    expect(unset.stderr).toMatch(/IG_UNSET: the variable is not set/);
  });

  it('the CLI without --audit-ca: the certificate does not verify against the system store, so the audit is NOT_AVAILABLE', async () => {
    const args = ['probe', planted.url, '--allow-cidr', '127.0.0.0/8', '--format', 'json', '--fail-on', 'none'];
    const r = await runCli([...args, '--credentials-env', 'IG_AUDIT'], { IG_AUDIT: `admin:${ADMIN_PW}` });
    const f = one(JSON.parse(r.stdout) as ScanDocument, 'users.admin-privileges');
    expect(f.status).toBe('NOT_AVAILABLE');
    expect(String(f.evidence.reason)).toMatch(/credentials not sent: the certificate of 127\.0\.0\.1:\d+ does not verify: .*--audit-ca/);
  });

  it(`reports the real server version (${version})`, () => {
    const v = one(docs.planted!, 'headers.version-disclosed').evidence.headers as Record<string, string>;
    expect(v['x-influxdb-version']).toContain(version);
  });
});
