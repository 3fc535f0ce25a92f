/**
 * The credentialed audit against a real InfluxDB 2.7.12 (the cached build,
 * scripts/influxdb-build.sh): tokens and users planted through its API,
 * audited by `influxguard probe`'s pipeline with a token; a clean server
 * reports nothing. Skipped, and said so, when the build is not cached.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseConfig } from '../../lib/config.js';
import { AuditCredentials } from '../../lib/evidence/audit/credentials.js';
import type { Finding, ScanDocument } from '../../lib/model.js';
import { probeRun } from '../../lib/probe.js';
import { certificates } from '../../scripts/influxd.js';
import { allAccessPermissions, cachedInfluxd, createToken, startInfluxd2, type RunningInfluxd2 } from '../../scripts/influxd2.js';

const binary = cachedInfluxd('2.7.12');
// Over TLS with a certificate of the test CA, given as the operator's (credentials go only where a certificate verifies).
const config = parseConfig({
  probe: { allowedCidrs: ['127.0.0.0/8'], connectTimeoutMs: 1000, responseTimeoutMs: 5000 },
  audit: { ca: readFileSync(join(certificates(), 'ca.pem'), 'utf8') },
});
const TOKEN_CHECKS = ['tokens.all-access-excess', 'tokens.write-all-buckets', 'tokens.inactive-user-active'];
const USER_CHECKS = ['users.admin-privileges', 'users.stale-unprivileged', 'users.default-admin-name'];
const one = (doc: ScanDocument, id: string): Finding => {
  const fs = doc.findings.filter((f) => f.checkId === id);
  expect(fs).toHaveLength(1);
  return fs[0]!;
};
const audit = (url: string, token: string) =>
  probeRun([url], config, { credentials: AuditCredentials.token(token) }).then((r) => r.document);

// Skipped where InfluxDB 2.7.12 is not built (~/.cache/influxguard/influxdb/2.7.12/influxd); CI requires it.
(binary ? describe : describe.skip)('influxd 2.7.12', () => {
  let planted: RunningInfluxd2;
  let clean: RunningInfluxd2;
  const docs: Record<string, ScanDocument> = {};
  const planted_ = { allAccess: '', wide: '', leaver: '' };
  const used: string[] = [];

  beforeAll(async () => {
    [planted, clean] = await Promise.all([startInfluxd2(binary!, 'valid.combined.pem'), startInfluxd2(binary!, 'valid.combined.pem')]);
    // Planted: an extra all-access token, a token that may write every bucket, an inactive user's active token.
    planted_.allAccess = (await createToken(planted, 'ci pipeline', allAccessPermissions(planted.orgID, planted.userID))).id;
    planted_.wide = (await createToken(planted, 'telegraf', [{ action: 'write', resource: { type: 'buckets', orgID: planted.orgID } }])).id;
    const leaver = await planted.api('POST', '/api/v2/users', { name: 'leaver' });
    expect(leaver.status).toBe(201);
    const leaverID = String(leaver.body.id);
    expect((await planted.api('POST', `/api/v2/orgs/${planted.orgID}/members`, { id: leaverID })).status).toBe(201);
    planted_.leaver = (
      await createToken(
        planted,
        'leaver laptop',
        [{ action: 'read', resource: { type: 'buckets', orgID: planted.orgID, id: planted.bucketID } }],
        leaverID,
      )
    ).id;
    expect((await planted.api('PATCH', `/api/v2/users/${leaverID}`, { name: 'leaver', status: 'inactive' })).status).toBe(200);
    // Clean: the operator token, and one writer scoped to its bucket.
    await createToken(clean, 'telegraf', [{ action: 'write', resource: { type: 'buckets', orgID: clean.orgID, id: clean.bucketID } }]);
    // Tokens that must not pass: revoked (deleted), inactive, narrow.
    const revoked = await createToken(planted, 'revoked', allAccessPermissions(planted.orgID, planted.userID));
    expect((await planted.api('DELETE', `/api/v2/authorizations/${revoked.id}`)).status).toBe(204);
    const inactive = await createToken(planted, 'inactive', allAccessPermissions(planted.orgID, planted.userID));
    expect((await planted.api('PATCH', `/api/v2/authorizations/${inactive.id}`, { status: 'inactive' })).status).toBe(200);
    const narrow = await createToken(planted, 'narrow', [{ action: 'read', resource: { type: 'buckets', orgID: planted.orgID } }]);

    docs.planted = await audit(planted.url, planted.token);
    docs.clean = await audit(clean.url, clean.token);
    // After the clean audit: an all-access token of the organisation, as the audit's credential.
    const orgAllAccess = await createToken(clean, 'org all-access', allAccessPermissions(clean.orgID, clean.userID));
    used.push(planted.token, clean.token, revoked.token, inactive.token, narrow.token, orgAllAccess.token);
    docs.invalid = await audit(planted.url, 'not-a-token-3c9a71be');
    docs.revoked = await audit(planted.url, revoked.token);
    docs.inactive = await audit(planted.url, inactive.token);
    docs.narrow = await audit(planted.url, narrow.token);
    docs.orgAllAccess = await audit(clean.url, orgAllAccess.token);
  }, 90_000);

  afterAll(async () => {
    await Promise.all([planted?.stop(), clean?.stop()]);
  });

  it('tokens.all-access-excess: FAILED on the planted server, naming the operator and the extra all-access token', () => {
    const f = one(docs.planted!, 'tokens.all-access-excess');
    expect(f).toMatchObject({ status: 'FAILED', severity: 'MEDIUM' });
    const tokens = f.evidence.tokens as { id: string; kind: string }[];
    expect(tokens.map((t) => t.kind).sort()).toEqual(['all-access', 'operator']);
    expect(tokens.map((t) => t.id)).toContain(planted_.allAccess);
    expect(f.evidence.scope).toBe('every organisation');
  });

  it('tokens.write-all-buckets: FAILED naming the token that may write every bucket (not the all-access ones)', () => {
    const f = one(docs.planted!, 'tokens.write-all-buckets');
    expect(f.status).toBe('FAILED');
    expect((f.evidence.tokens as { id: string }[]).map((t) => t.id)).toEqual([planted_.wide]);
  });

  it("tokens.inactive-user-active: FAILED naming the inactive user's active token", () => {
    const f = one(docs.planted!, 'tokens.inactive-user-active');
    expect(f.status).toBe('FAILED');
    expect(f.evidence.tokens).toEqual([expect.objectContaining({ id: planted_.leaver, user: 'leaver' })]);
  });

  it('a clean server: every tokens.* check PASSED; no users.* finding on 2.x', () => {
    for (const id of TOKEN_CHECKS) expect(one(docs.clean!, id).status).toBe('PASSED');
    for (const id of USER_CHECKS) expect(docs.clean!.findings.filter((f) => f.checkId === id)).toHaveLength(0);
  });

  it('an all-access token of one organisation cannot list every token (2.7 shows it only those of its own user): NOT_AVAILABLE, an operator token is needed', () => {
    for (const id of TOKEN_CHECKS) {
      const f = one(docs.orgAllAccess!, id);
      expect(f.status).toBe('NOT_AVAILABLE');
      expect(String(f.evidence.reason)).toMatch(/cannot read every token and user/);
    }
  });

  it.each([
    ['invalid', /refused \(HTTP 401.*invalid, expired or revoked/],
    ['revoked', /refused \(HTTP 401.*invalid, expired or revoked/],
    // 2.7.12 accepts an inactive token and lists nothing for it: the audit token must find itself in the list.
    ['inactive', /refused \(HTTP 401|not among the tokens it can list/],
    ['narrow', /cannot read every token/],
  ])('a %s token: each tokens.* check NOT_AVAILABLE with the reason, never a pass', (name, reason) => {
    for (const id of TOKEN_CHECKS) {
      const f = one(docs[name]!, id);
      expect(f.status).toBe('NOT_AVAILABLE');
      expect(String(f.evidence.reason)).toMatch(reason);
    }
  });

  it('no token value appears in any document', () => {
    for (const doc of Object.values(docs)) {
      const text = JSON.stringify(doc);
      for (const t of [...used, 'not-a-token-3c9a71be']) expect(text.includes(t)).toBe(false);
    }
  });
});
