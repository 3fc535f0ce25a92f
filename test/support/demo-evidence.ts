/**
 * Probe, host and audit evidence for the demo estate (scripts/demo-estate.ts), answered in process: loopback URLs in
 * the instances' endpoint tags that are never contacted. Shared by the golden outputs and the partial-scan tests.
 */
import type { AuditFn, HostFn, ProbeFn } from '../../lib/evidence/index.js';
import { fail, ok, type HttpObservation, type Instance, type ProbeEvidence } from '../../lib/model.js';
import { hostEvidence } from './fixtures.js';

export const SECRET = 'arn:aws:secretsmanager:eu-west-1:000000000000:secret:influx-audit-AbCdEf';

// Loopback URLs in the instances' endpoint tags: never contacted (the probe below answers for them).
export const URLS = {
  open: 'http://127.0.0.1:18001',
  noAdmin: 'http://127.0.0.1:18002',
  selfSigned: 'https://127.0.0.1:18003',
  hardened: 'https://127.0.0.1:18004',
};

const obs = (status: number, body = '', headers: Record<string, string> = { 'x-influxdb-version': '1.8.10' }): HttpObservation => ({
  status,
  headers,
  body,
  truncated: false,
});

/** What each stand-in server would answer: auth off, no admin yet, self-signed TLS, hardened behind nginx. */
function probeAnswer(url: string, address: string): ProbeEvidence {
  const authOff = url === URLS.open;
  const tls = url.startsWith('https');
  const hardened = url === URLS.hardened;
  return {
    endpoint: url,
    address,
    scheme: tls ? 'https' : 'http',
    fingerprint: { flavour: 'influxdb-1', ...(hardened ? {} : { version: '1.8.10', build: 'OSS' }) },
    ping: ok(obs(204, '', hardened ? {} : { 'x-influxdb-version': '1.8.10' })),
    query: ok(authOff ? obs(200, '{"results":[{"statement_id":0,"series":[{"name":"databases"}]}]}') : obs(401, '{"error":"unable"}')),
    jwt: ok(obs(401, '{"error":"signature is invalid"}')),
    error: ok(obs(401, '', hardened ? { 'strict-transport-security': 'max-age=31536000', 'x-content-type-options': 'nosniff' } : {})),
    diagnostics: { '/debug/vars': ok({ status: authOff ? 200 : 401 }), '/debug/pprof/': ok({ status: hardened ? 404 : 200 }) },
    setup: url === URLS.noAdmin ? ok(obs(200, '{"allowed":true}')) : ok(obs(404)),
    cors: ok({ sentOrigin: 'https://influxguard.invalid', ...(authOff ? { allowOrigin: '*' } : {}) }),
    ...(tls
      ? {
          tls: ok({
            protocol: hardened ? 'TLSv1.3' : 'TLSv1.2',
            cipher: 'TLS_AES_256_GCM_SHA384',
            certificate: {
              subject: 'CN=influx.internal',
              issuer: hardened ? 'CN=Internal CA' : 'CN=influx.internal',
              validFrom: '2026-01-01T00:00:00Z',
              validTo: hardened ? '2027-06-01T00:00:00Z' : '2026-12-01T00:00:00Z',
              selfSigned: !hardened,
              subjectAltNames: ['DNS:influx.internal'],
              fingerprint256: 'AA:BB',
            },
            trusted: hardened,
            ...(hardened ? {} : { trustError: 'self-signed certificate' }),
            nameMatches: false,
            nameError: "Host: 127.0.0.1. is not in the cert's altnames",
            legacy: hardened ? { 'TLSv1.1': 'refused', 'TLSv1.0': 'refused' } : { 'TLSv1.1': 'accepted', 'TLSv1.0': 'refused' },
          }),
        }
      : {}),
  };
}

export const probe: ProbeFn = async (t) => {
  const url = Object.values(URLS).find((u) => t.input === u || t.input.startsWith(u));
  return url ? ok(probeAnswer(url, t.host)) : fail(`${t.input} did not answer /ping: connect ECONNREFUSED (golden)`);
};

/** Host evidence for the running instances by name: auth off on the open one, a collector failure on one. */
export const host: HostFn = async (instances: Instance[]) =>
  new Map(
    instances.map((i) => [
      i.instanceId,
      i.name === 'influx-backup'
        ? fail('collector Failed (exit 1): golden')
        : ok(
            hostEvidence({
              'http.auth-enabled': String(i.name !== 'influx-prod-public'),
              'http.bind-address': ':8086',
              'http.https-enabled': String(i.tags['influxdb:endpoint']?.startsWith('https') ?? false),
              'bind-address': i.name === 'influx-data-1' ? '0.0.0.0:8088' : '127.0.0.1:8088',
            }),
          ),
    ]),
  );

/** The credentialed audit: two admins on the self-signed server. */
export const audit: AuditFn = async (t) =>
  ok({
    flavour: 'influxdb-1',
    endpoint: t.input,
    users: [
      { name: 'admin', admin: true, grants: [] },
      { name: 'ops', admin: true, grants: [] },
      { name: 'app', admin: false, grants: [{ database: 'telegraf', privilege: 'ALL PRIVILEGES' }] },
    ],
    databases: ['telegraf'],
  });

/** A demo scan's in-process evidence and frame (fixed clock and id; an emulator: Timestream endpoints not probed). */
export const demoScanDeps = (now: Date) => ({
  probe,
  host,
  audit,
  now: () => now,
  newScanId: () => '00000000-0000-4000-8000-000000000000',
  env: { AWS_ENDPOINT_URL: 'http://127.0.0.1:5000' },
});
