/**
 * Questions checks ask of host evidence (pure): the effective value of a
 * configuration key for a process, versions, processes by role.
 */
import { V3_OPTIONS, V3_RENAMED, type V3Option } from '../host-evidence.js';
import type { HostEvidence, HostProcess } from '../model.js';
import { EvidenceUnavailable } from './support.js';

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
 * The value the running process uses, as influxd computes it: its
 * INFLUXDB_<SECTION>_<KEY> variable, else the config file, else the default.
 * A configuration the collector could not read has no value:
 * EvidenceUnavailable, never a default.
 */
export function effective(p: HostProcess, key: string): { value: string; from: 'environment' | 'config' | 'default' } {
  if (p.configSource === 'none') throw new EvidenceUnavailable(unreadable(p));
  const fromEnv = p.env[envName(key)];
  if (fromEnv !== undefined) return { value: fromEnv, from: 'environment' };
  const v = p.config[key];
  if (v !== undefined && v !== '') return { value: v, from: 'config' };
  return { value: DEFAULTS[key] ?? '', from: 'default' };
}

export const isTrue = (v: string) => v.trim().toLowerCase() === 'true';

const unreadable = (p: HostProcess) => `${p.name}[${p.pid}]: its configuration${p.configPath ? ` ${p.configPath}` : ''} could not be read`;

/** InfluxDB 2.x defaults (cmd/influxd/launcher/cmd.go, v2.7) for the options the checks read. */
const V2_DEFAULTS: Record<string, string> = {
  'http-bind-address': ':8086',
  'tls-cert': '',
  'tls-key': '',
  'tls-min-version': '1.2',
  'tls-strict-ciphers': 'false',
  'pprof-disabled': 'false',
  'metrics-disabled': 'false',
  'session-length': '60',
  'session-renew-disabled': 'false',
  'hardening-enabled': 'false',
};

/**
 * The value a 2.x process uses, in influxd's order (kit/cli/viper.go): its
 * command-line flag, else its INFLUXD_<OPTION> variable, else the config file,
 * else the default.
 */
export function effective2(p: HostProcess, key: string): { value: string; from: 'flag' | 'environment' | 'config' | 'default' } {
  if (p.configSource === 'none') throw new EvidenceUnavailable(unreadable(p));
  const flag = p.flags?.[key];
  if (flag !== undefined) return { value: flag, from: 'flag' };
  const env = p.env[`INFLUXD_${key.replace(/-/g, '_').toUpperCase()}`];
  if (env !== undefined) return { value: env, from: 'environment' };
  const v = p.config[key];
  if (v !== undefined) return { value: v, from: 'config' };
  return { value: V2_DEFAULTS[key] ?? '', from: 'default' };
}

/** Go's strconv.ParseBool truths (pflag and viper's cast read booleans with it). */
export const isTrue2 = (v: string) => ['1', 't', 'T', 'TRUE', 'true', 'True'].includes(v.trim());

const isV2 = (p: HostProcess) => p.flavour === 'influxdb-2';
const isV3 = (p: HostProcess) => p.flavour === 'influxdb-3';
/** 1.x data processes whose configuration is known (a process whose configuration could not be read makes the evidence incomplete). */
export const dataProcesses = (h: HostEvidence) =>
  h.processes.filter((p) => p.name !== 'influxd-meta' && !isV2(p) && !isV3(p) && p.configSource !== 'none');
/** InfluxDB 3 (`influxdb3 serve`) processes whose options are known. */
export const v3Processes = (h: HostEvidence) => h.processes.filter((p) => isV3(p) && p.configSource !== 'none');
/** InfluxDB 2.x processes whose configuration is known. */
export const v2Processes = (h: HostEvidence) => h.processes.filter((p) => isV2(p) && p.configSource !== 'none');
export const metaProcesses = (h: HostEvidence) => h.processes.filter((p) => p.name === 'influxd-meta' && p.configSource !== 'none');

/**
 * Why this evidence cannot support a PASS (undefined when it can): a process
 * the collector ignored (it may be the InfluxDB that serves) or one whose
 * configuration it could not read. A FAILED from what was read still stands.
 */
export function incompleteReason(h: HostEvidence): string | undefined {
  const reasons = [
    ...(h.ignored ?? []).map((i) => `${i.name}[${i.pid}] ignored: ${i.reason}`),
    ...(h.ignoredOmitted ? [`${h.ignoredOmitted.count} more ignored processes`] : []),
    ...h.processes.filter((p) => p.configSource === 'none').map(unreadable),
  ];
  return reasons.length ? `host evidence incomplete: ${reasons.join('; ')}`.slice(0, 600) : undefined;
}

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

/** A loopback address (lib/util/cidr.ts): a listener or bind there is nobody's from the network. */
export { isLoopbackHost as isLoopback } from '../util/cidr.js';

/** InfluxDB 3 Core 3.6 defaults (`influxdb3 serve --help-all`) for the options the checks read; absent: off / unset. */
const V3_DEFAULTS: Partial<Record<V3Option, string>> = {
  'http-bind': '0.0.0.0:8181',
  'tls-minimum-version': 'tls-1.2',
  'without-auth': 'false',
  'disable-telemetry-upload': 'false',
};
/** `--admin-token-recovery-http-bind` given without an address listens here (CHECKS.md). */
export const V3_RECOVERY_DEFAULT = '127.0.0.1:8182';

/**
 * The value an InfluxDB 3 process uses, as clap computes it: its flag, else its INFLUXDB3_* variable (an empty one
 * counts as unset), else the default. The recovery listener's flag given without a value is its default address.
 */
export function effective3(p: HostProcess, key: V3Option): { value: string; from: 'flag' | 'environment' | 'default' } {
  if (p.configSource === 'none') throw new EvidenceUnavailable(unreadable(p));
  const flag = p.flags?.[key];
  if (flag !== undefined)
    return { value: flag === '' && key === 'admin-token-recovery-http-bind' ? V3_RECOVERY_DEFAULT : flag, from: 'flag' };
  const set = (name: string | undefined) => (name !== undefined && p.env[name] !== '' ? p.env[name] : undefined);
  const env = set(V3_OPTIONS[key]);
  const renamed = V3_RENAMED[key];
  // A newer release reads the newer name first, 3.6.0 the older only: where they differ, the release decides.
  if (set(renamed) !== undefined && set(renamed) !== env)
    throw new EvidenceUnavailable(
      `${p.name}[${p.pid}]: ${renamed}=${set(renamed)!.slice(0, 40)} is read only by releases that renamed ${V3_OPTIONS[key]} (${env === undefined ? 'not set' : `=${env.slice(0, 40)}`}), and which one this server reads is not told`,
    );
  if (env !== undefined) return { value: env, from: 'environment' };
  return { value: V3_DEFAULTS[key] ?? '', from: 'default' };
}

/**
 * A boolean option of InfluxDB 3: clap's bool parser takes `true` or `false` (a flag given on the command line is
 * true); any other value stops the server at start, so it is not something a running server has: unknown.
 */
export function v3Flag(p: HostProcess, key: V3Option): { on: boolean; from: string } {
  const e = effective3(p, key);
  if (e.value === 'true' || e.value === 'false') return { on: e.value === 'true', from: e.from };
  throw new EvidenceUnavailable(`${p.name}[${p.pid}]: ${V3_OPTIONS[key]}=${e.value.slice(0, 40)} is neither true nor false`);
}
