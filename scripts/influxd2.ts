/**
 * Real InfluxDB 2.x servers (the cached 2.7.12 build) for tests and the demo,
 * on 127.0.0.1, onboarded through POST /api/v2/setup, with the small API
 * helpers tests use to plant users and tokens (fixture setup only, never the
 * scanner). The 1.x helpers are in influxd.ts.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, supervise, type RunningInfluxd } from './influxd.js';

/** Where scripts/influxdb-build.sh puts a version's binary. */
export const cachedInfluxd = (version: string): string | undefined => {
  const p = join(process.env.INFLUXGUARD_INFLUXDB_CACHE ?? join(homedir(), '.cache/influxguard/influxdb'), version, 'influxd');
  return existsSync(p) ? p : undefined;
};

export interface Onboarded {
  /** The operator token setup created. */
  token: string;
  orgID: string;
  userID: string;
  bucketID: string;
}

export interface RunningInfluxd2 extends RunningInfluxd, Onboarded {
  /** A call to the server's API as the operator (fixture setup). */
  api: (method: string, path: string, body?: unknown, token?: string) => Promise<{ status: number; body: Record<string, unknown> }>;
}

async function call(url: string, method: string, path: string, body: unknown, token?: string) {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Token ${token}` } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : {}) as Record<string, unknown> };
}

/** Start `binary`, onboard it (user `operator`, org `acme`, bucket `metrics`), and hand back the operator token. */
export async function startInfluxd2(binary: string): Promise<RunningInfluxd2> {
  const dir = mkdtempSync(join(tmpdir(), 'ig-influxd2-'));
  const port = await freePort();
  const child = spawn(
    binary,
    [
      '--http-bind-address',
      `127.0.0.1:${port}`,
      '--bolt-path',
      join(dir, 'b.bolt'),
      '--engine-path',
      join(dir, 'engine'),
      '--sqlite-path',
      join(dir, 'influxd.sqlite'),
      '--reporting-disabled',
      '--log-level',
      'error',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'], env: { PATH: process.env.PATH ?? '', HOME: dir } },
  );
  const s = await supervise(child, { url: `http://127.0.0.1:${port}`, port, dir, stopSignal: 'SIGTERM' });
  // The port listens a little before the API answers.
  let setup: Awaited<ReturnType<typeof call>> | undefined;
  for (let i = 0; i < 100 && !setup; i++) {
    try {
      setup = await call(s.url, 'POST', '/api/v2/setup', {
        username: 'operator',
        password: 'operator-password-0',
        org: 'acme',
        bucket: 'metrics',
      });
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  if (setup?.status !== 201) {
    await s.stop();
    throw new Error(`influxd 2.x setup failed: HTTP ${setup?.status} ${JSON.stringify(setup?.body)}`);
  }
  const b = setup.body as { auth: { token: string }; org: { id: string }; user: { id: string }; bucket: { id: string } };
  const onboarded = { token: b.auth.token, orgID: b.org.id, userID: b.user.id, bucketID: b.bucket.id };
  return { ...s, ...onboarded, api: (method, path, body, token) => call(s.url, method, path, body, token ?? onboarded.token) };
}

/** The organisation resource types of an all-access token. */
const ALL_ACCESS_TYPES = [
  'authorizations',
  'buckets',
  'dashboards',
  'orgs',
  'sources',
  'tasks',
  'telegrafs',
  'users',
  'variables',
  'scrapers',
  'secrets',
  'labels',
  'views',
  'documents',
  'notificationRules',
  'notificationEndpoints',
  'checks',
  'dbrp',
];

/**
 * What `influx auth create --all-access` grants: every organisation resource
 * type's read and write for one organisation, and the token's own user (users
 * have no organisation: a users permission names the user).
 */
export const allAccessPermissions = (orgID: string, userID: string) =>
  ALL_ACCESS_TYPES.flatMap((type) =>
    ['read', 'write'].map((action) => ({
      action,
      resource: type === 'orgs' ? { type, id: orgID } : type === 'users' ? { type, id: userID } : { type, orgID },
    })),
  );

/** Create a token (fixture setup); its id and value. */
export async function createToken(
  s: RunningInfluxd2,
  description: string,
  permissions: unknown[],
  userID = s.userID,
): Promise<{ id: string; token: string }> {
  const r = await s.api('POST', '/api/v2/authorizations', { orgID: s.orgID, userID, description, permissions });
  if (r.status !== 201) throw new Error(`creating token ${description}: HTTP ${r.status} ${JSON.stringify(r.body)}`);
  return { id: String(r.body.id), token: String(r.body.token) };
}
