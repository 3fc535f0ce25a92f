/**
 * The host evidence the collector (collector/collect.sh) reports, as data: its
 * schema (zod) and types. Part of the data model: it imports nothing of the
 * engine. lib/evidence/host/parse.ts validates collector output against it.
 */
import { z } from 'zod';

export const COLLECTOR_SCHEMA = 'influxguard.collector/2';
/** SSM keeps the first 24,000 characters of stdout. */
export const SSM_STDOUT_LIMIT = 24_000;

// Functions that build the schemas: lib/evidence/host/parse.ts builds them on first use (a Lambda cold start does not).
const str = (max: number) => z.string().max(max);
const Process = () =>
  z.object({
    pid: z.number().int().nonnegative(),
    name: str(64),
    user: str(64),
    cmdline: str(1000),
    configPath: str(1000),
    env: z.record(str(128), str(1000)),
    /**
     * Where `config` comes from: the file influxd reads (the scanner applies `env`
     * and the defaults, as influxd does), influxd's built-in defaults (it reads no
     * file), or none: the configuration could not be read (nothing may pass).
     * The collector never runs influxd to ask it (issue 27).
     */
    configSource: z.enum(['file', 'defaults', 'none']),
    config: z.record(str(128), str(1000)),
    headers: z.record(str(128), str(1000)),
    /**
     * InfluxDB 2.x (absent: 1.x, and every collector before issue 14). Its options: `flags`, `env` (INFLUXD_*), `configFile`.
     * InfluxDB 3 (`influxdb3 serve`, issue 32): `flags` and `env` (INFLUXDB3_*) of V3_OPTIONS; it reads no file.
     */
    flavour: z.enum(['influxdb-1', 'influxdb-2', 'influxdb-3']).optional(),
    /** 2.x and 3.x: the command-line flags the checks read (2.x secrets as set/empty; none of the 3.x ones is a secret). */
    flags: z.record(str(128), str(1000)).optional(),
    /** Flags on the command line whose name says they carry a credential (`--aws-secret-access-key`): set/empty, never the value. */
    secretFlags: z.record(str(64), z.enum(['set', 'empty'])).optional(),
    /**
     * 3.x with a local-file object store: whether its catalog (read as data, the format of 3.6.0 `idb3.004`) holds an
     * admin token; null with the reason when it could not be told.
     */
    catalog: z
      .object({
        path: str(1000).optional(),
        format: str(20).nullable(),
        adminToken: z.boolean().nullable(),
        files: z.number().int().nonnegative().optional(),
        reason: str(300).optional(),
      })
      .optional(),
    /** 2.x: the config file's text, secret values replaced by set/empty; the scanner parses it into `config`. */
    configFile: z.object({ format: z.enum(['toml', 'yaml', 'json']), text: str(8000) }).optional(),
    /** It runs in another mount or user namespace (a container): judged from what could be read, never from ownership. */
    container: z.boolean().optional(),
    /** Its version, read from data (the package database, or the executable's Go build information / symbols), and from where. */
    version: str(64).nullable().optional(),
    versionSource: str(100).nullable().optional(),
  });
/** A process named influxd that the collector did not trust, so read nothing of. */
const Ignored = () => z.object({ pid: z.number().int().nonnegative(), name: str(64), user: str(64), exe: str(1000), reason: str(1000) });
const Listener = () =>
  z.object({
    address: str(100),
    port: z.number().int().min(0).max(65535),
    process: str(64),
    pid: z.number().int().nullable(),
  });
const File = () =>
  z.object({
    role: str(100),
    path: str(1000),
    exists: z.boolean(),
    owner: str(64).optional(),
    group: str(64).optional(),
    mode: str(8).optional(),
    containsPrivateKey: z.boolean().optional(),
    notAfter: str(100).optional(),
    subject: str(1000).optional(),
  });
export const collectorOutputSchema = () =>
  z.object({
    schema: z.literal(COLLECTOR_SCHEMA),
    collectedAt: str(40),
    hostname: str(256),
    tools: z.object({ ss: z.boolean(), openssl: z.boolean(), influxd: z.boolean(), python3: z.boolean().optional() }),
    version: str(64).nullable(),
    processes: z.array(Process()).max(16),
    /** Absent from collectors before issue 19. */
    ignored: z.array(Ignored()).max(64).optional(),
    /** Ignored processes beyond their 2,000-character share of the output: how many, and why (reason → count). */
    ignoredOmitted: z.object({ count: z.number().int().nonnegative(), reasons: z.record(str(100), z.number().int()) }).optional(),
    /** The collector could not run at all on this host (e.g. no python3): the reason. */
    unavailable: str(300).optional(),
    /** The collector dropped its details to stay under the SSM limit: the document is not evidence. */
    truncated: z.boolean().optional(),
    listeners: z.array(Listener()).max(200),
    listenerSource: str(40),
    /** Non-loopback listeners beyond the collector's cap of 80, not listed (absent before issue 19). */
    listenersOmitted: z.number().int().nonnegative().optional(),
    files: z.array(File()).max(32),
    /** Certificate and key files beyond the collector's section budget, not listed (absent before this count): no key check passes then. */
    filesOmitted: z.number().int().nonnegative().optional(),
    systemd: z.object({ environmentFiles: z.array(str(1000)).max(32), env: z.record(str(128), str(1000)) }),
    errors: z.array(str(1000)).max(64),
  });
export type HostEvidence = z.infer<ReturnType<typeof collectorOutputSchema>>;

/** InfluxDB 2.x options the checks read (collector/collect.sh WANTED2 lists the same). */
export const V2_OPTIONS = [
  'http-bind-address',
  'tls-cert',
  'tls-key',
  'tls-min-version',
  'tls-strict-ciphers',
  'pprof-disabled',
  'metrics-disabled',
  'session-length',
  'session-renew-disabled',
  'hardening-enabled',
  'vault-token',
] as const;
export type HostProcess = z.infer<ReturnType<typeof Process>>;

/**
 * InfluxDB 3 options the checks read, with the variable each falls back to (clap: flag, else variable, else
 * default). collector/collect.sh WANTED3 lists the same.
 */
export const V3_OPTIONS = {
  'node-id': 'INFLUXDB3_NODE_IDENTIFIER_PREFIX',
  'object-store': 'INFLUXDB3_OBJECT_STORE',
  'data-dir': 'INFLUXDB3_DB_DIR',
  bucket: 'INFLUXDB3_BUCKET',
  'http-bind': 'INFLUXDB3_HTTP_BIND_ADDR',
  'tls-key': 'INFLUXDB3_TLS_KEY',
  'tls-cert': 'INFLUXDB3_TLS_CERT',
  'tls-minimum-version': 'INFLUXDB3_TLS_MINIMUM_VERSION',
  'without-auth': 'INFLUXDB3_START_WITHOUT_AUTH',
  'disable-authz': 'INFLUXDB3_DISABLE_AUTHZ',
  'admin-token-recovery-http-bind': 'INFLUXDB3_ADMIN_TOKEN_RECOVERY_HTTP_BIND_ADDR',
  'admin-token-file': 'INFLUXDB3_ADMIN_TOKEN_FILE',
  'plugin-dir': 'INFLUXDB3_PLUGIN_DIR',
  'disable-telemetry-upload': 'INFLUXDB3_TELEMETRY_DISABLE_UPLOAD',
  'telemetry-endpoint': 'INFLUXDB3_TELEMETRY_ENDPOINT',
  'package-manager': 'INFLUXDB3_PACKAGE_MANAGER',
} as const;
/**
 * Newer names of two options' variables (influxdb's env_compat ENV_ALIASES, #4237): a release that knows them reads
 * the newer name when both are set, else the older; 3.6.0 reads the older only. Which one a server reads depends on
 * its release, so where they disagree the option is not told (lib/checks/hostfacts.ts effective3).
 */
export const V3_RENAMED: Partial<Record<V3Option, string>> = {
  'without-auth': 'INFLUXDB3_WITHOUT_AUTH',
  'disable-telemetry-upload': 'INFLUXDB3_DISABLE_TELEMETRY_UPLOAD',
};
/** Every variable an InfluxDB 3 option the checks read may come from. */
export const V3_VARIABLES: readonly string[] = [...Object.values(V3_OPTIONS), ...Object.values(V3_RENAMED)];
export type V3Option = keyof typeof V3_OPTIONS;
