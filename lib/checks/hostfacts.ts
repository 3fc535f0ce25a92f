/**
 * Questions checks ask of host evidence (pure): the effective value of a
 * configuration key for a process, versions, processes by role.
 */
import type { HostEvidence } from '../model.js';
import type { HostProcess } from '../evidence/host/parse.js';

/** InfluxDB 1.x defaults for the keys the checks read. */
export const DEFAULTS: Record<string, string> = {
  'bind-address': '127.0.0.1:8088',
  'http.bind-address': ':8086',
  'http.auth-enabled': 'false',
  'http.https-enabled': 'false',
  'http.pprof-enabled': 'true',
  'http.pprof-auth-enabled': 'false',
  'http.shared-secret': 'empty',
  'meta.auth-enabled': 'false',
  'meta.https-enabled': 'false',
  'meta.internal-shared-secret': 'empty',
  'meta.meta-auth-enabled': 'false',
  'meta.meta-tls-enabled': 'false',
  'cluster.https-enabled': 'false',
};

/** `http.auth-enabled` → `INFLUXDB_HTTP_AUTH_ENABLED`; meta nodes use `INFLUXDB_META_…`. */
export const envName = (key: string) => `INFLUXDB_${key.replace(/[.-]/g, '_').toUpperCase()}`;

/**
 * The value the running process uses: `influxd config` output already applies
 * the process's environment; a file read falls back to applying it here.
 */
export function effective(p: HostProcess, key: string): { value: string; from: 'environment' | 'config' | 'default' } {
  const fromEnv = p.env[envName(key)];
  if (p.configSource !== 'influxd config' && fromEnv !== undefined) return { value: fromEnv, from: 'environment' };
  const v = p.config[key];
  if (v !== undefined && v !== '') return { value: v, from: fromEnv !== undefined ? 'environment' : 'config' };
  return { value: DEFAULTS[key] ?? '', from: 'default' };
}

export const isTrue = (v: string) => v.trim().toLowerCase() === 'true';

export const dataProcesses = (h: HostEvidence) => h.processes.filter((p) => p.name !== 'influxd-meta');
export const metaProcesses = (h: HostEvidence) => h.processes.filter((p) => p.name === 'influxd-meta');

/** `1.6.7~rc0` → [1, 6, 7]; undefined when unparseable. */
export function versionParts(v: string | null | undefined): number[] | undefined {
  const m = v?.match(/(\d+)\.(\d+)\.(\d+)/);
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : undefined;
}

export function versionBelow(v: number[], limit: number[]): boolean {
  for (let i = 0; i < 3; i++) if (v[i] !== limit[i]) return (v[i] ?? 0) < (limit[i] ?? 0);
  return false;
}

/** Host address part of `host:port` listens on every interface. */
export function bindsAll(bind: string): boolean {
  const host = bind.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
  return host === '' || host === '0.0.0.0' || host === '::';
}

export const isLoopback = (address: string) => /^127\./.test(address) || address === '::1' || address === 'localhost';
