/**
 * The credentialed audit's checks: who can do what, read with the
 * operator's credentials (lib/evidence/audit/). 1.x: users and grants; 2.x:
 * tokens and users. Pure: each reads the recorded lists and decides. A check
 * of the other flavour says nothing; one whose audit could not be done is
 * NOT_AVAILABLE with the reason (a refused password is never a pass).
 */
import {
  INSECURE_LAB_NOTE,
  type AuditEvidence,
  type AuditToken,
  type EndpointCheck,
  type EndpointContext,
  type InfluxFlavour,
} from '../model.js';
import { DEFAULT_ACCOUNTS_CIS, fsbp, judged, type Mapping } from './compliance.js';
import { ASFF_TYPES, type Described, EvidenceUnavailable, evidenceValue, firstListed, listedNames, type SelfDescribed } from './support.js';

const USERS_V1_URL = 'https://docs.influxdata.com/influxdb/v1/administration/authentication_and_authorization/#user-management-commands';
const TOKENS_V2_URL = 'https://docs.influxdata.com/influxdb/v2/admin/tokens/';
const USERS_V2_URL = 'https://docs.influxdata.com/influxdb/v2/admin/users/';

const LEAST_PRIVILEGE: Mapping = {
  nist: [judged('nist', ['AC-6', 'AC-6(5)'], 'least privilege; privileged accounts')],
  cis: [judged('cis', ['5.4', '6.8'], 'restrict administrator privileges; role-based access control')],
  pci: [judged('pci', ['7.2.2'], 'access assigned by least privilege')],
};
const DORMANT = { nist: [fsbp('nist', 'IAM.8')], pci: [fsbp('pci', 'IAM.8')] };

/** Admin names an attacker tries first (CHECKS.md `users.default-admin-name`). */
export const WELL_KNOWN_ADMIN_NAMES = ['admin', 'root', 'influx', 'influxdb'];

type V1 = Extract<AuditEvidence, { flavour: 'influxdb-1'; users: unknown }>;
type V2 = Extract<AuditEvidence, { flavour: 'influxdb-2'; tokens: unknown }>;
type V3 = Extract<AuditEvidence, { flavour: 'influxdb-3'; tokens: unknown }>;
type Audited<F> = F extends 'influxdb-1' ? V1 : F extends 'influxdb-2' ? V2 : V3;

function audited<F extends InfluxFlavour>(ctx: EndpointContext, flavour: F): Audited<F> {
  const a = evidenceValue(ctx.evidence.audit ?? { ok: false, reason: 'no audit credentials' });
  if ('unavailable' in a) throw new EvidenceUnavailable(a.unavailable);
  if (a.flavour !== flavour) throw new EvidenceUnavailable(`the audit found ${a.flavour}, not ${flavour}`);
  return a as Audited<F>;
}

/** Which flavour the audit, else the probe, found (undefined when neither tells). */
function flavourSeen(ctx: EndpointContext): InfluxFlavour | undefined {
  const a = ctx.evidence.audit;
  if (a?.ok && !('unavailable' in a.value)) return a.value.flavour;
  return ctx.evidence.probe.ok ? ctx.evidence.probe.value.fingerprint.flavour : undefined;
}

/** An audit check: its evidence is the probe with operator-supplied credentials (key `audit`). */
function auditCheck(
  flavour: InfluxFlavour | readonly InfluxFlavour[],
  c: Omit<EndpointCheck, 'scope' | 'needs' | 'evidence' | 'asffTypes' | 'section' | 'appliesTo'> & SelfDescribed,
): Described<EndpointCheck> {
  return {
    asffTypes: ASFF_TYPES.guidance,
    section: flavour === 'influxdb-1' ? 'Manage users and permissions' : 'Manage users and permissions (2.x)',
    ...c,
    scope: 'endpoint',
    needs: ['audit'],
    evidence: ['probe'],
    // The other flavour's checks stay silent; an audit that could not start (no secret) speaks for both 1.x and 2.x.
    // InfluxDB 3 (found by the audit or the probe) takes only the checks naming it (CHECKS.md: tokens.all-access-excess).
    appliesTo: (ctx) => {
      const flavours: readonly InfluxFlavour[] = typeof flavour === 'string' ? [flavour] : flavour;
      if (flavourSeen(ctx) === 'influxdb-3') return flavours.includes('influxdb-3');
      return !ctx.evidence.audit?.ok || flavours.includes(ctx.evidence.audit.value.flavour);
    },
    // Under --audit-insecure-lab every finding says so (an unavailable one in its reason, see auditEndpoint).
    evaluate: (ctx) => {
      const outcomes = c.evaluate(ctx);
      const a = ctx.evidence.audit;
      if (!(a?.ok && 'insecureLab' in a.value && a.value.insecureLab)) return outcomes;
      return outcomes.map((o) => ({ ...o, details: { ...o.details, tlsVerification: INSECURE_LAB_NOTE } }));
    },
  };
}

const names = (xs: { name: string }[]) => xs.map((x) => x.name);
/** `_internal` is the server's own monitoring database: "every database" means the operator's. */
const userDatabases = (a: V1) => a.databases.filter((d) => d !== '_internal');

export const adminPrivileges = auditCheck('influxdb-1', {
  id: 'users.admin-privileges',
  title: 'InfluxDB has more admin users than expected, or users holding all privileges',
  severity: 'MEDIUM',
  risk: 'Every admin (and every user with ALL on every database) can read, change and delete all data and manage users: each extra one is another password that owns the server.',
  remediation: {
    text: 'Keep one admin (audit.maxAdmins); give other users only the READ/WRITE grants they need (`REVOKE ALL PRIVILEGES FROM "user"`, `GRANT READ ON "db" TO "user"`).',
    url: USERS_V1_URL,
  },
  failedWhen:
    '1.x: more admin users than `audit.maxAdmins` (default 1), or a non-admin user holds ALL PRIVILEGES on every database (`_internal` aside)',
  compliance: LEAST_PRIVILEGE,
  evaluate: (ctx) => {
    const a = audited(ctx, 'influxdb-1');
    const max = ctx.settings.maxAdmins ?? 1;
    const admins = names(a.users.filter((u) => u.admin));
    const dbs = userDatabases(a);
    const allOnEvery = dbs.length
      ? names(a.users.filter((u) => !u.admin && dbs.every((d) => u.grants.some((g) => g.database === d && /^ALL/i.test(g.privilege)))))
      : [];
    const details = { admins, maxAdmins: max, allPrivilegesOnEveryDatabase: allOnEvery, databases: dbs.length, users: a.users.length };
    const problems = [
      ...(admins.length > max ? [`${admins.length} admin users (at most ${max} expected): ${admins.join(', ')}`] : []),
      ...(allOnEvery.length ? [`non-admin users with ALL PRIVILEGES on every database: ${allOnEvery.join(', ')}`] : []),
    ];
    if (problems.length) return [{ status: 'FAILED', summary: problems.join('; '), details }];
    return [{ status: 'PASSED', summary: `${admins.length} admin user(s), no user holds ALL on every database`, details }];
  },
});

export const staleUnprivileged = auditCheck('influxdb-1', {
  id: 'users.stale-unprivileged',
  title: 'InfluxDB has users without any privilege',
  severity: 'LOW',
  risk: 'A user with no privilege on any database is usually a forgotten account: it can still authenticate, and one GRANT away from access.',
  remediation: { text: 'Drop users who no longer need access (`DROP USER "name"`).', url: USERS_V1_URL },
  failedWhen: '1.x: a non-admin user holds no privilege on any database (never granted, or revoked: `NO PRIVILEGES`)',
  compliance: {
    ...DORMANT,
    cis: [judged('cis', ['5.3'], 'disable dormant accounts')],
  },
  evaluate: (ctx) => {
    const a = audited(ctx, 'influxdb-1');
    const stale = names(a.users.filter((u) => !u.admin && !u.grants.length));
    const details = { unprivilegedUsers: stale, users: a.users.length };
    if (stale.length) return [{ status: 'FAILED', summary: `users with no privilege on any database: ${stale.join(', ')}`, details }];
    return [{ status: 'PASSED', summary: 'every non-admin user holds a privilege on some database', details }];
  },
});

export const defaultAdminName = auditCheck('influxdb-1', {
  id: 'users.default-admin-name',
  title: 'An InfluxDB admin user has a well-known name',
  severity: 'LOW',
  risk: 'A guesser needs both the name and the password: an admin called admin, root, influx or influxdb gives away the first half.',
  remediation: {
    text: 'Create an admin with a non-obvious name (`CREATE USER … WITH ALL PRIVILEGES`), then drop the well-known one.',
    url: USERS_V1_URL,
  },
  failedWhen: '1.x: an admin user is called `admin`, `root`, `influx` or `influxdb` (any case)',
  compliance: {
    nist: [judged('nist', ['AC-2', 'CM-6'], 'account management; configuration settings')],
    cis: [DEFAULT_ACCOUNTS_CIS],
    pci: [judged('pci', ['2.2.2'], 'vendor default accounts are managed')],
  },
  evaluate: (ctx) => {
    const a = audited(ctx, 'influxdb-1');
    const wellKnown = names(a.users.filter((u) => u.admin && WELL_KNOWN_ADMIN_NAMES.includes(u.name.toLowerCase())));
    const details = { wellKnownAdminNames: wellKnown, checkedNames: WELL_KNOWN_ADMIN_NAMES };
    if (wellKnown.length) return [{ status: 'FAILED', summary: `admin user(s) with a well-known name: ${wellKnown.join(', ')}`, details }];
    return [{ status: 'PASSED', summary: 'no admin user has a well-known name', details }];
  },
});

// ───────────────────────────── 2.x tokens ─────────────────────────────

/**
 * `operator`: may write every token of the instance (global authorizations
 * permission); `all-access`: may write every token and every bucket of an
 * organisation; else `scoped`.
 */
export function tokenKind(t: AuditToken): 'operator' | 'all-access' | 'scoped' {
  const orgWide = (type: string) => t.permissions.some((p) => p.action === 'write' && p.type === type && !p.id);
  if (t.permissions.some((p) => p.action === 'write' && p.type === 'authorizations' && !p.id && !p.orgID)) return 'operator';
  if (orgWide('authorizations') && orgWide('buckets')) return 'all-access';
  return 'scoped';
}

const active = (t: AuditToken) => t.status === 'active';
const tokenFacts = (t: AuditToken) => ({
  id: t.id,
  description: t.description,
  ...(t.user ? { user: t.user } : {}),
  ...(t.org ? { org: t.org } : {}),
});
/** Tokens for a summary, at most LISTED_MAX of them (a server's list may hold tens of thousands). */
const described = (ts: AuditToken[]) => listedNames(ts.map((t) => (t.description ? `${t.id} ("${t.description}")` : t.id)));
/** A list from the server for a finding's evidence: at most LISTED_MAX, and `<key>NotListed` how many more there were. */
function listed<K extends string, T>(key: K, items: readonly T[]): Record<K, T[]> & Partial<Record<`${K}NotListed`, number>> {
  const { shown, omitted } = firstListed(items);
  return { [key]: shown, ...(omitted ? { [`${key}NotListed`]: omitted } : {}) } as Record<K, T[]> &
    Partial<Record<`${K}NotListed`, number>>;
}

/** 3.x: an admin token (`*:*:*`) that has not expired by `now`. */
const liveAdmin = (now: number) => (t: V3['tokens'][number]) => t.admin && !(t.expires && Date.parse(t.expires) <= now);

/** 3.x: more admin tokens than expected (CHECKS.md: on 3.x tokens.all-access-excess counts admin tokens). */
function adminTokensExcess(ctx: EndpointContext, a: V3) {
  const max = ctx.settings.maxAllAccessTokens ?? 1;
  const admins = a.tokens.filter(liveAdmin(ctx.now));
  const { shown, omitted } = firstListed(admins);
  const details = {
    maxAllAccessTokens: max,
    adminTokens: shown.map((t) => ({ name: t.name, ...(t.expires ? { expires: t.expires } : {}) })),
    ...(omitted ? { adminTokensNotListed: omitted } : {}),
    tokens: a.tokens.length,
  };
  const listed = listedNames(admins.map((t) => t.name));
  if (admins.length > max)
    return [{ status: 'FAILED' as const, summary: `${admins.length} admin tokens (*:*:*, at most ${max} expected): ${listed}`, details }];
  return [{ status: 'PASSED' as const, summary: `${admins.length} admin token(s) (*:*:*, at most ${max} expected)`, details }];
}

export const allAccessExcess = auditCheck(['influxdb-2', 'influxdb-3'], {
  id: 'tokens.all-access-excess',
  title: 'InfluxDB has more operator, all-access or admin tokens than expected',
  severity: 'MEDIUM',
  risk: 'An operator or all-access token can read and write everything and mint new tokens: each extra one is another key to the whole instance or organisation.',
  remediation: {
    text: 'Keep one operator token in a vault (audit.maxAllAccessTokens); replace the others with tokens scoped to the buckets they need, and delete them (`influx auth delete --id …`).',
    url: TOKENS_V2_URL,
  },
  failedWhen:
    '2.x: more active operator or all-access tokens than `audit.maxAllAccessTokens` (default 1). Operator: may write every token of the instance (a global `authorizations` write); all-access: may write every token and every bucket of an organisation. 3.x: more unexpired admin tokens (`*:*:*` in `system.tokens`) than that maximum',
  compliance: LEAST_PRIVILEGE,
  evaluate: (ctx) => {
    if (flavourSeen(ctx) === 'influxdb-3') return adminTokensExcess(ctx, audited(ctx, 'influxdb-3'));
    const a = audited(ctx, 'influxdb-2');
    const max = ctx.settings.maxAllAccessTokens ?? 1;
    const broad = a.tokens.filter((t) => active(t) && tokenKind(t) !== 'scoped');
    const details = {
      scope: a.scope,
      maxAllAccessTokens: max,
      ...listed(
        'tokens',
        broad.map((t) => ({ ...tokenFacts(t), kind: tokenKind(t) })),
      ),
      activeTokens: a.tokens.filter(active).length,
    };
    if (broad.length > max)
      return [
        {
          status: 'FAILED',
          summary: `${broad.length} active operator/all-access tokens (at most ${max} expected): ${described(broad)}`,
          details,
        },
      ];
    return [{ status: 'PASSED', summary: `${broad.length} active operator/all-access token(s) (at most ${max} expected)`, details }];
  },
});

export const writeAllBuckets = auditCheck('influxdb-2', {
  id: 'tokens.write-all-buckets',
  title: 'An InfluxDB 2.x token may write to every bucket of its organisation',
  severity: 'MEDIUM',
  risk: "A token meant for one writer that may write every bucket lets whoever holds it overwrite or pollute all of the organisation's data.",
  remediation: {
    text: 'Replace it with a token that may write only the buckets it needs (`influx auth create --write-bucket ID`), then delete it.',
    url: TOKENS_V2_URL,
  },
  failedWhen: '2.x: an active token that is neither may write every bucket of its organisation (a `buckets` write without a bucket id)',
  compliance: {
    ...LEAST_PRIVILEGE,
    cis: [judged('cis', ['3.3', '6.8'], 'data access control lists; role-based access control')],
  },
  evaluate: (ctx) => {
    const a = audited(ctx, 'influxdb-2');
    const wide = a.tokens.filter(
      (t) => active(t) && tokenKind(t) === 'scoped' && t.permissions.some((p) => p.action === 'write' && p.type === 'buckets' && !p.id),
    );
    const details = { scope: a.scope, ...listed('tokens', wide.map(tokenFacts)) };
    if (wide.length)
      return [{ status: 'FAILED', summary: `${wide.length} tokens that may write every bucket: ${described(wide)}`, details }];
    return [{ status: 'PASSED', summary: 'no scoped token may write every bucket', details }];
  },
});

export const inactiveUserActive = auditCheck('influxdb-2', {
  id: 'tokens.inactive-user-active',
  title: 'An InfluxDB 2.x user who is inactive still has an active token',
  severity: 'MEDIUM',
  risk: 'Deactivating a user is how access is withdrawn; a token of theirs that stays active keeps the access they were meant to lose.',
  remediation: { text: "Deactivate or delete the user's tokens (`influx auth inactive --id …`).", url: USERS_V2_URL },
  failedWhen: '2.x: an active token belongs to a user whose status is `inactive`',
  compliance: {
    ...DORMANT,
    cis: [judged('cis', ['5.3', '6.2'], 'disable dormant accounts; access revoking process')],
  },
  evaluate: (ctx) => {
    const a = audited(ctx, 'influxdb-2');
    const inactive = new Map(a.users.filter((u) => u.status === 'inactive').map((u) => [u.id, u.name]));
    const kept = a.tokens.filter((t) => active(t) && t.userID !== undefined && inactive.has(t.userID));
    const details = {
      scope: a.scope,
      ...listed('inactiveUsers', [...inactive.values()]),
      ...listed(
        'tokens',
        kept.map((t) => ({ ...tokenFacts(t), user: inactive.get(t.userID!) })),
      ),
    };
    if (kept.length)
      return [
        {
          status: 'FAILED',
          summary: `${kept.length} active tokens of inactive users: ${listedNames(kept.map((t) => `${t.id} (${inactive.get(t.userID!)})`))}`,
          details,
        },
      ];
    return [{ status: 'PASSED', summary: `no active token belongs to an inactive user (${inactive.size} inactive)`, details }];
  },
});

export const AUDIT_CHECKS: readonly Described<EndpointCheck>[] = [
  adminPrivileges,
  staleUnprivileged,
  defaultAdminName,
  allAccessExcess,
  writeAllBuckets,
  inactiveUserActive,
];
