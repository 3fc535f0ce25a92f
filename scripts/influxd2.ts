/**
 * Real InfluxDB 2.x servers (the cached 2.7.12 build) for tests and the demo,
 * on 127.0.0.1, onboarded through POST /api/v2/setup, with the small API
 * helpers tests use to plant users and tokens (fixture setup only, never the
 * scanner). The 1.x helpers are in influxd.ts.
 */
import { request } from 'node:https';
import { influxdBuilds, startInfluxd, type RunningInfluxd } from './influxd.js';

/** The cached build of a matrix version (scripts/influxdb-build.sh), if this machine has it. */
export const cachedInfluxd = (version: string): string | undefined => influxdBuilds().available.find((b) => b.version === version)?.binary;

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
  const init = {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Token ${token}` } : {}) },
  };
  const sent = body === undefined ? undefined : JSON.stringify(body);
  const { status, text } = url.startsWith('https:')
    ? await httpsCall(`${url}${path}`, init, sent)
    : await fetch(`${url}${path}`, { ...init, ...(sent !== undefined ? { body: sent } : {}) }).then(async (r) => ({
        status: r.status,
        text: await r.text(),
      }));
  return { status, body: (text ? JSON.parse(text) : {}) as Record<string, unknown> };
}

/** Fixture setup over HTTPS: the test certificates' CA is no one's, so the certificate is not checked here (fetch would). */
function httpsCall(url: string, init: { method: string; headers: Record<string, string> }, body?: string) {
  return new Promise<{ status: number; text: string }>((resolve, reject) => {
    const req = request(url, { ...init, rejectUnauthorized: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * Start `binary` (a 2.x build, as influxd.ts starts the matrix's), onboard it (user `operator`, org `acme`, bucket
 * `metrics`), and hand back the operator token. `https`: a combined PEM under certificates() (e.g. `valid.combined.pem`).
 */
export async function startInfluxd2(binary: string, https?: string): Promise<RunningInfluxd2> {
  const s = await startInfluxd({ build: { version: '2.x', binary, major: 2 }, ...(https ? { https } : {}) });
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
