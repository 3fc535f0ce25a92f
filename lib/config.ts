/**
 * One typed configuration, from defaults < config file < environment < CLI flags.
 * Every bad value is reported by name; nothing is silently dropped.
 */
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { configError } from './errors.js';
import type { AllowedPort } from './model.js';
import { suppressionSchema } from './suppress.js';
import { parseCidr } from './util/cidr.js';
import { lazy } from './util/lazy.js';

/**
 * Default allowed probe targets: the private ranges. Not loopback: the
 * scanner's own host is no InfluxDB instance's endpoint (demos and tests pass 127.0.0.0/8).
 */
export const DEFAULT_ALLOWED_CIDRS = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10', 'fc00::/7'];
export const LOOPBACK_CIDRS = ['127.0.0.0/8', '::1/128'];

export const REGION_RE = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;
const SG_RE = /^sg-[0-9a-f]{8,17}$/;
const PL_RE = /^pl-[0-9a-f]{8,17}$/;

// Schemas are built on first use (lib/util/lazy.ts): a Lambda cold start does not pay for them at import.
const cidrString = () => z.string().refine((s) => parseCidr(s) !== undefined, { message: 'is not a valid IPv4/IPv6 CIDR' });
const sourceString = () =>
  z.string().refine((s) => SG_RE.test(s) || PL_RE.test(s) || parseCidr(s) !== undefined, {
    message: 'is not a CIDR, a security group id (sg-…) or a prefix list id (pl-…)',
  });
/**
 * A whole number in a range, with one message in the product's words for every way it can be wrong (not a
 * number, a fraction, too small, too big): "must be a whole number from 0 to 65535".
 */
function int(min: number, max?: number) {
  const error = `must be a whole number ${max === undefined ? `of at least ${min}` : `from ${min} to ${max}`}`;
  const n = z.number({ error }).int({ error }).min(min, { error });
  return max === undefined ? n : n.max(max, { error });
}
const port = () => int(0, 65535);
/** A Secrets Manager secret ARN (what an instance's audit-secret tag must be, too: lib/evidence/index.ts). */
export const SECRET_ARN_RE = /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]{1,512}$/;
const secretArn = () => z.string().regex(SECRET_ARN_RE, { message: 'is not a Secrets Manager secret ARN' });
/** A secret ARN, or an ARN prefix ending in `*`. */
/** The PEM certificates in a text (a bundle may hold several). */
export const pemCertificates = (text: string): string[] =>
  text.match(/-----BEGIN CERTIFICATE-----[A-Za-z0-9+/=\s]+?-----END CERTIFICATE-----/g) ?? [];
const parsesAsCertificate = (pem: string) => {
  try {
    new X509Certificate(pem);
    return true;
  } catch {
    return false;
  }
};
/** The operator's CA for the audit: PEM text of one or more certificates (never a path: the stack passes it as text). */
const caPem = () =>
  z
    .string()
    .max(64 * 1024)
    .refine((s) => pemCertificates(s).length > 0 && pemCertificates(s).every(parsesAsCertificate), {
      message: 'is not PEM certificate text (-----BEGIN CERTIFICATE----- …); on the command line give a file with --audit-ca FILE',
    });
const secretPattern = () =>
  z.string().refine((s) => SECRET_ARN_RE.test(s.replace(/\*$/, s.endsWith(':secret:*') ? 'x' : '')), {
    message: 'is not a Secrets Manager secret ARN (a trailing * matches a prefix)',
  });

export const AllowedPortSchema = lazy(() =>
  z
    .strictObject({
      protocol: z.enum(['tcp', 'udp', 'all']).default('tcp'),
      fromPort: port(),
      toPort: port(),
      /** Sources the port is allowed from; absent means from anywhere the rule says. */
      sources: z.array(sourceString()).optional(),
    })
    .refine((r) => r.fromPort <= r.toPort, { message: 'fromPort is greater than toPort' }),
);
export type { AllowedPort };

export const TagSelectorSchema = lazy(() =>
  z.strictObject({
    key: z.string().min(1).max(128),
    /** Any of these values; absent means the key is present with any value. */
    values: z.array(z.string().max(256)).min(1).optional(),
  }),
);
export type TagSelector = z.infer<ReturnType<typeof TagSelectorSchema>>;

export const DEFAULT_TAG_SELECTORS: TagSelector[] = [{ key: 'influxdb' }, { key: 'Service', values: ['influxdb', 'InfluxDB'] }];

export const ConfigSchema = lazy(() =>
  z.strictObject({
    /** Regions to scan; empty means the current region, `['all']` every enabled region. */
    regions: z.array(z.string().refine((r) => r === 'all' || REGION_RE.test(r), { message: 'is not a region name' })).default([]),
    /** An instance is selected when it matches any selector. */
    tagSelectors: z.array(TagSelectorSchema()).min(1).default(DEFAULT_TAG_SELECTORS),
    roleTagKey: z.string().min(1).default('influxdb:role'),
    clusterTagKey: z.string().min(1).default('influxdb:cluster'),
    /** Extra ports the operator expects open (e.g. 22 from a bastion group). */
    allowedPorts: z.array(AllowedPortSchema()).default([]),
    /** CIDRs that count as inside an Enterprise cluster. */
    clusterCidrs: z.array(cidrString()).default([]),
    regionConcurrency: int(1, 64).default(4),
    /** Accepted risks: one check, one subject, a reason and an expiry each (lib/suppress.ts). */
    suppressions: z.array(suppressionSchema()).default([]),
    probe: z
      .strictObject({
        /** Probe discovered instances (scan); `influxguard probe` always probes. */
        enabled: z.boolean().default(true),
        /** Which address of an instance to probe (an `influxdb:endpoint` tag overrides). */
        address: z.enum(['private', 'public']).default('private'),
        port: int(1, 65535).default(8086),
        /** Targets must resolve inside these (link-local and IMDS are refused regardless). */
        allowedCidrs: z.array(cidrString()).min(1).default(DEFAULT_ALLOWED_CIDRS),
        /**
         * An `influxdb:endpoint` tag must resolve to one of its instance's own addresses, or into
         * these (load balancers, proxies in front of instances). Still only within allowedCidrs.
         */
        endpointCidrs: z.array(cidrString()).default([]),
        concurrency: int(1, 512).default(32),
        connectTimeoutMs: int(50, 60000).default(3000),
        tlsTimeoutMs: int(50, 60000).default(3000),
        responseTimeoutMs: int(50, 120000).default(5000),
        /** Hard cap for one endpoint, all its probes included. */
        endpointTimeoutMs: int(100, 300000).default(15000),
        /** PEM files of extra CAs to trust when judging certificates. */
        caFiles: z.array(z.string()).default([]),
        certificateWarningDays: int(0, 365).default(30),
        /** Opt-in: try a short list of well-known username/password pairs (a real login attempt). */
        defaultCredentials: z.boolean().default(false),
      })
      .prefault({}),
    /** The credentialed audit (users, grants, tokens) with operator-supplied credentials from Secrets Manager. */
    audit: z
      .strictObject({
        /** The fleet's secret: used for every selected instance without its own tag (CLI `--audit-secret`). */
        secretArn: secretArn().optional(),
        /** The instance tag naming the instance's own secret (an ARN among `secrets`). */
        tagKey: z.string().min(1).max(128).default('influxdb:audit-secret'),
        /**
         * The secrets the scanner may read (ARNs; a trailing `*` matches a prefix). A tag naming any other
         * secret is refused: whoever can tag an instance must not make the scanner send another
         * instance's credentials to it. The serverless worker's IAM policy is built from this list.
         */
        secrets: z.array(secretPattern()).default([]),
        /**
         * The operator's CA (PEM text; CLI `--audit-ca FILE`, stack parameter auditCa): audit credentials go only to
         * endpoints whose certificate it issued (instead of the system store), and a secret bound to `*` (the whole
         * fleet) is accepted only with it.
         */
        ca: caPem().optional(),
        /** Laboratory only: send audit credentials over TLS without verifying the certificate (never without a binding); every audit finding says so. */
        insecureLab: z.boolean().default(false),
        /** `users.admin-privileges`: more admin users than this fail. */
        maxAdmins: int(0, 1000).default(1),
        /** `tokens.all-access-excess`: more active operator or all-access tokens than this fail. */
        maxAllAccessTokens: int(0, 1000).default(1),
      })
      .prefault({}),
    host: z
      .strictObject({
        /** Collect host evidence through SSM Run Command (runs the collector on the instances). */
        enabled: z.boolean().default(false),
        /** The stack's Command document, or AWS-RunShellScript (the script is then sent as a parameter). */
        documentName: z.string().min(1).max(128).default('AWS-RunShellScript'),
        commandTimeoutSeconds: int(10, 3600).default(60),
        deadlineMs: int(1000, 900000).default(120000),
        /**
         * Demos and tests: collect locally instead of through SSM, for instances
         * named here (instance id or Name tag) → influxd pids and a fixture root.
         */
        local: z.record(z.string(), z.strictObject({ pids: z.array(int(1)).min(1), root: z.string().optional() })).optional(),
      })
      .prefault({}),
    publish: z
      .strictObject({
        /** Import findings into Security Hub (with their lifecycle) and send the SNS summary. */
        enabled: z.boolean().default(false),
        snsTopicArn: z
          .string()
          .regex(/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$/, { message: 'is not an SNS topic ARN' })
          .optional(),
        /** always: every scan; on-change: only when something failed anew or was resolved. */
        notify: z.enum(['always', 'on-change']).default('always'),
        /** Only notify when a failing finding is at least this severe. */
        notifyMinSeverity: z.enum(['INFORMATIONAL', 'LOW', 'MEDIUM', 'HIGH', 'CRITICAL']).optional(),
        /** Unchanged findings are re-imported when older than this (well under Security Hub's 90-day retention). */
        refreshDays: int(1, 60).default(7),
      })
      .prefault({}),
    /** The serverless application (dispatch / worker / api). */
    app: z
      .strictObject({
        /** `self`, `organization` (AWS Organizations ListAccounts), or account ids. */
        accounts: z
          .array(z.string().regex(/^(self|organization|\d{12})$/, { message: 'is not an account id, "self" or "organization"' }))
          .min(1)
          .default(['self']),
        excludeAccounts: z.array(z.string().regex(/^\d{12}$/, { message: 'is not an account id' })).default([]),
        /** Read-only role the worker assumes in member accounts. */
        memberRoleName: z
          .string()
          .regex(/^[\w+=,.@-]{1,64}$/, { message: 'is not an IAM role name' })
          .default('influxguard-member'),
        /** Most instances in one work unit (one SQS message, one worker invocation). */
        unitSize: int(1, 1000).default(100),
        tableName: z.string().optional(),
        queueUrl: z.string().optional(),
        /** Event-driven rescans: the queue of change events and their delayed checks (serverless.yml EventsQueue). */
        eventsQueueUrl: z.string().optional(),
        /** A burst of changes is scanned once it has been quiet this long (or `eventMaxWaitSeconds` after its first change). */
        eventQuietSeconds: int(0, 900).default(3),
        eventMaxWaitSeconds: int(1, 900).default(60),
        /** At most one region-wide event rescan per account × region this often; region-wide changes meanwhile wait for it. */
        eventRegionIntervalSeconds: int(0, 86400).default(900),
        /** Remediation changes resources only when true (the stack's remediationApply parameter); otherwise it plans and notes. */
        remediationApply: z.boolean().default(false),
        scanTtlDays: int(1, 365).default(30),
      })
      .prefault({}),
    aws: z
      .strictObject({
        /** Upper bound on SDK attempts; lib/aws/retry.ts sets each service's own (up to 6). */
        maxAttempts: int(1, 20).default(6),
        connectTimeoutMs: int(100).default(3000),
        requestTimeoutMs: int(100).default(20000),
      })
      .default({ maxAttempts: 6, connectTimeoutMs: 3000, requestTimeoutMs: 20000 }),
  }),
);
export type Config = z.infer<ReturnType<typeof ConfigSchema>>;
export type ConfigInput = z.input<ReturnType<typeof ConfigSchema>>;

/** What zod's issues say, in the product's words (zod's own wording, "Too big: expected number to be <=65535", never shows). */
const TYPE_WORDS: Record<string, string> = {
  array: 'a list ([…])',
  object: 'an object ({…})',
  string: 'text (a string)',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
};
function productMessage(issue: z.core.$ZodRawIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      return issue.input === undefined ? 'is required' : `must be ${TYPE_WORDS[issue.expected] ?? issue.expected}`;
    case 'invalid_value':
      return `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'too_small':
      if (issue.origin === 'string')
        return Number(issue.minimum) <= 1 ? 'must not be empty' : `must be at least ${issue.minimum} characters`;
      if (issue.origin === 'array') return `must list at least ${issue.minimum}`;
      return `must be at least ${issue.minimum}`;
    case 'too_big':
      if (issue.origin === 'string') return `must be at most ${issue.maximum} characters`;
      if (issue.origin === 'array') return `must list at most ${issue.maximum}`;
      return `must be at most ${issue.maximum}`;
    default:
      return 'is not valid';
  }
}

/** A setting's name where it was given (a flag, an environment variable) and the value as given there, for messages. */
export type SettingName = (path: readonly PropertyKey[]) => { name: string; value?: unknown } | undefined;

/**
 * Validate a partial configuration, naming every bad field once, in the product's words: `probe.port (70000):
 * must be a whole number from 1 to 65535`; `name` says what a field is called where it was given (`--allow-cidr`).
 */
export function parseConfig(input: unknown, origin = 'configuration', name?: SettingName): Config {
  const result = ConfigSchema().safeParse(input, { error: productMessage });
  if (result.success) return result.data;
  const problems = result.error.issues.map((i) => {
    // A typo ("regoins", "enabeld") must not be silently ignored: name it.
    if (i.code === 'unrecognized_keys')
      return `unknown key${i.keys.length > 1 ? 's' : ''} ${i.keys.map((k) => JSON.stringify(k)).join(', ')}${i.path.length ? ` in ${i.path.join('.')}` : ''}`;
    if (!i.path.length) return i.code === 'invalid_type' ? 'it must be a JSON object ({…})' : `it ${i.message}`;
    // A suppression is named by its place in the list; its own check says what is wrong (`suppressions[2]: unknown check id "x"`).
    if (i.path[0] === 'suppressions' && typeof i.path[1] === 'number' && i.code !== 'invalid_type')
      return `suppressions[${i.path[1]}]${i.path.length > 2 ? ` ${i.path.slice(2).join('.')}` : ''}: ${i.message}`;
    const named = name?.(i.path);
    const value = named && 'value' in named ? named.value : valueAt(input, i.path);
    const shown = value === undefined ? '' : ` (${JSON.stringify(value)?.slice(0, 80)})`;
    return `${named?.name ?? i.path.join('.')}${shown}: ${i.message}`;
  });
  throw configError(`invalid ${origin}: ${[...new Set(problems)].join('; ')}`);
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let v: unknown = input;
  for (const p of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[p];
  }
  return typeof v === 'object' ? undefined : v;
}

// ─────────────── text forms used by flags and environment variables ───────────────

/** `KEY` or `KEY=VALUE`; repeated keys merge their values. `origin` names where they were given, for messages. */
export function parseTagSelectors(specs: string[], origin = '--tag'): TagSelector[] {
  const byKey = new Map<string, Set<string> | undefined>();
  for (const spec of specs) {
    const eq = spec.indexOf('=');
    const key = (eq < 0 ? spec : spec.slice(0, eq)).trim();
    if (!key) throw configError(`invalid tag selector ${origin} "${spec}": expected KEY or KEY=VALUE`);
    if (eq < 0) {
      byKey.set(key, undefined);
      continue;
    }
    const value = spec.slice(eq + 1);
    if (!value) throw configError(`invalid tag selector ${origin} "${spec}": empty value (use KEY alone to match any value)`);
    if (byKey.has(key) && byKey.get(key) === undefined) continue; // key-only already matches every value
    const values = byKey.get(key) ?? new Set<string>();
    values.add(value);
    byKey.set(key, values);
  }
  return [...byKey].map(([key, values]) => (values ? { key, values: [...values] } : { key }));
}

/** `PORT[-PORT][/tcp|udp|all][@SOURCE[,SOURCE…]]`, e.g. `22@sg-0abc1234` or `9100-9200/tcp@10.0.0.0/8`; `origin` names where it was given. */
export function parseAllowedPort(spec: string, origin = '--allow-port'): AllowedPort {
  const m = spec.trim().match(/^(\d{1,5})(?:-(\d{1,5}))?(?:\/(tcp|udp|all))?(?:@(.+))?$/i);
  if (!m) throw configError(`invalid allowed port ${origin} "${spec}": expected PORT[-PORT][/tcp|udp|all][@SOURCE,…]`);
  const candidate = {
    fromPort: Number(m[1]),
    toPort: Number(m[2] ?? m[1]),
    protocol: (m[3] ?? 'tcp').toLowerCase(),
    ...(m[4] ? { sources: m[4].split(',').map((s) => s.trim()) } : {}),
  };
  const parsed = AllowedPortSchema().safeParse(candidate, { error: productMessage });
  if (!parsed.success) {
    // fromPort and toPort wrong alike ("70000") is one problem: "port must be …", said once.
    const field = (path: readonly PropertyKey[]) =>
      path[0] === 'fromPort' || path[0] === 'toPort' ? 'port ' : path.length ? `${path.join('.')} ` : '';
    const problems = new Set(parsed.error.issues.map((i) => `${field(i.path)}${i.message}`));
    throw configError(`invalid allowed port ${origin} "${spec}": ${[...problems].join('; ')}`);
  }
  return parsed.data;
}

const list = (s: string | undefined, sep: RegExp) =>
  s === undefined
    ? undefined
    : s
        .split(sep)
        .map((x) => x.trim())
        .filter(Boolean);

/** `true`/`false`/`1`/`0` (any case), undefined when unset; anything else is an error naming the variable. */
function envBool(env: NodeJS.ProcessEnv, name: string): boolean | undefined {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return undefined;
  const v = raw.trim().toLowerCase();
  if (!['true', 'false', '1', '0'].includes(v)) throw configError(`${name} must be true or false, not "${raw}"`);
  return v === 'true' || v === '1';
}

/** The `INFLUXGUARD_*` environment variables, as a partial configuration. */
/** The configuration's variables (read below), and the operational ones read elsewhere (debugging, the sandbox, the collector, tests). */
const ENV_NAMES = new Set(
  [
    'REGIONS',
    'TAGS',
    'ALLOWED_PORTS',
    'CLUSTER_CIDRS',
    'PROBE_ALLOWED_CIDRS',
    'PROBE_ENDPOINT_CIDRS',
    'PROBE_ENABLED',
    'HOST_ENABLED',
    'SNS_TOPIC_ARN',
    'ACCOUNTS',
    'EXCLUDE_ACCOUNTS',
    'MEMBER_ROLE',
    'MEMBER_EXTERNAL_ID',
    'UNIT_SIZE',
    'TABLE',
    'QUEUE_URL',
    'EVENTS_QUEUE_URL',
    'EVENT_QUIET_SECONDS',
    'EVENT_REGION_INTERVAL_SECONDS',
    'REMEDIATION_APPLY',
    'SUPPRESSIONS',
    'PUBLISH_ENABLED',
    'AUDIT_SECRET',
    'AUDIT_SECRETS',
    'AUDIT_CA',
    'AUDIT_INSECURE_LAB',
    'SSM_DOCUMENT',
    'ROLE_TAG',
    'CLUSTER_TAG',
    'DEBUG',
    'NO_SANDBOX',
    'PIDS',
    'ROOT',
    'PYTHON',
    'PROPERTY_RUNS',
    'PROPERTY_SEED',
    'LOAD_KEYS',
  ].map((n) => `INFLUXGUARD_${n}`),
);

export function configFromEnv(env: NodeJS.ProcessEnv): ConfigInput {
  // A misspelt variable (INFLUXGUARD_REGION, INFLUXGUARD_PUBLISH_ENABLE) must not silently change nothing.
  const unknown = Object.keys(env).filter((k) => k.startsWith('INFLUXGUARD_') && !ENV_NAMES.has(k));
  if (unknown.length)
    throw configError(
      `unknown environment variable${unknown.length > 1 ? 's' : ''} ${unknown.sort().join(', ')} (see docs/configuration.md)`,
    );
  const out: ConfigInput = {};
  const regions = list(env.INFLUXGUARD_REGIONS, /,/);
  if (regions) out.regions = regions;
  const tags = list(env.INFLUXGUARD_TAGS, /;/);
  if (tags) out.tagSelectors = parseTagSelectors(tags, 'INFLUXGUARD_TAGS');
  const ports = list(env.INFLUXGUARD_ALLOWED_PORTS, /;/);
  if (ports) out.allowedPorts = ports.map((p) => parseAllowedPort(p, 'INFLUXGUARD_ALLOWED_PORTS'));
  const cidrs = list(env.INFLUXGUARD_CLUSTER_CIDRS, /,/);
  if (cidrs) out.clusterCidrs = cidrs;
  const probeCidrs = list(env.INFLUXGUARD_PROBE_ALLOWED_CIDRS, /,/);
  if (probeCidrs) out.probe = { ...(out.probe ?? {}), allowedCidrs: probeCidrs };
  const endpointCidrs = list(env.INFLUXGUARD_PROBE_ENDPOINT_CIDRS, /,/);
  if (endpointCidrs) out.probe = { ...(out.probe ?? {}), endpointCidrs };
  const hostEnabled = envBool(env, 'INFLUXGUARD_HOST_ENABLED');
  if (hostEnabled !== undefined) out.host = { ...(out.host ?? {}), enabled: hostEnabled };
  if (env.INFLUXGUARD_SNS_TOPIC_ARN) out.publish = { ...(out.publish ?? {}), snsTopicArn: env.INFLUXGUARD_SNS_TOPIC_ARN };
  const accounts = list(env.INFLUXGUARD_ACCOUNTS, /,/);
  const excluded = list(env.INFLUXGUARD_EXCLUDE_ACCOUNTS, /,/);
  const app: NonNullable<ConfigInput['app']> = {
    ...(accounts ? { accounts } : {}),
    ...(excluded ? { excludeAccounts: excluded } : {}),
    ...(env.INFLUXGUARD_MEMBER_ROLE ? { memberRoleName: env.INFLUXGUARD_MEMBER_ROLE } : {}),
    ...(env.INFLUXGUARD_UNIT_SIZE ? { unitSize: Number(env.INFLUXGUARD_UNIT_SIZE) } : {}),
    ...(env.INFLUXGUARD_TABLE ? { tableName: env.INFLUXGUARD_TABLE } : {}),
    ...(env.INFLUXGUARD_QUEUE_URL ? { queueUrl: env.INFLUXGUARD_QUEUE_URL } : {}),
    ...(env.INFLUXGUARD_EVENTS_QUEUE_URL ? { eventsQueueUrl: env.INFLUXGUARD_EVENTS_QUEUE_URL } : {}),
    ...(env.INFLUXGUARD_EVENT_QUIET_SECONDS ? { eventQuietSeconds: Number(env.INFLUXGUARD_EVENT_QUIET_SECONDS) } : {}),
    ...(env.INFLUXGUARD_EVENT_REGION_INTERVAL_SECONDS
      ? { eventRegionIntervalSeconds: Number(env.INFLUXGUARD_EVENT_REGION_INTERVAL_SECONDS) }
      : {}),
  };
  const apply = envBool(env, 'INFLUXGUARD_REMEDIATION_APPLY');
  if (apply !== undefined) app.remediationApply = apply;
  if (Object.keys(app).length) out.app = app;
  const publishEnabled = envBool(env, 'INFLUXGUARD_PUBLISH_ENABLED');
  if (publishEnabled !== undefined) out.publish = { ...(out.publish ?? {}), enabled: publishEnabled };
  if (env.INFLUXGUARD_SSM_DOCUMENT) out.host = { ...(out.host ?? {}), documentName: env.INFLUXGUARD_SSM_DOCUMENT };
  const probeEnabled = envBool(env, 'INFLUXGUARD_PROBE_ENABLED');
  if (probeEnabled !== undefined) out.probe = { ...(out.probe ?? {}), enabled: probeEnabled };
  const auditSecrets = list(env.INFLUXGUARD_AUDIT_SECRETS, /,/);
  const auditCa = env.INFLUXGUARD_AUDIT_CA?.trim();
  const insecureLab = envBool(env, 'INFLUXGUARD_AUDIT_INSECURE_LAB');
  const audit: NonNullable<ConfigInput['audit']> = {
    ...(env.INFLUXGUARD_AUDIT_SECRET ? { secretArn: env.INFLUXGUARD_AUDIT_SECRET } : {}),
    ...(auditSecrets ? { secrets: auditSecrets } : {}),
    ...(auditCa ? { ca: auditCa } : {}),
    ...(insecureLab !== undefined ? { insecureLab } : {}),
  };
  if (Object.keys(audit).length) out.audit = audit;
  // The stack's accepted risks: the same entries as the config file's `suppressions`, as JSON text.
  if (env.INFLUXGUARD_SUPPRESSIONS?.trim()) {
    try {
      out.suppressions = JSON.parse(env.INFLUXGUARD_SUPPRESSIONS) as ConfigInput['suppressions'];
    } catch (err) {
      throw configError(`INFLUXGUARD_SUPPRESSIONS is not valid JSON: ${(err as Error).message}`);
    }
  }
  if (env.INFLUXGUARD_ROLE_TAG) out.roleTagKey = env.INFLUXGUARD_ROLE_TAG;
  if (env.INFLUXGUARD_CLUSTER_TAG) out.clusterTagKey = env.INFLUXGUARD_CLUSTER_TAG;
  return out;
}

export function configFromFile(path: string): ConfigInput {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw configError(`cannot read config file ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  try {
    return JSON.parse(text) as ConfigInput;
  } catch (err) {
    throw configError(`config file ${path} is not valid JSON: ${(err as Error).message}`);
  }
}

/** Where environment variables land in the configuration (configFromEnv), to name them in messages. */
const ENV_SETTINGS: Record<string, string> = {
  regions: 'INFLUXGUARD_REGIONS',
  tagSelectors: 'INFLUXGUARD_TAGS',
  allowedPorts: 'INFLUXGUARD_ALLOWED_PORTS',
  clusterCidrs: 'INFLUXGUARD_CLUSTER_CIDRS',
  'probe.allowedCidrs': 'INFLUXGUARD_PROBE_ALLOWED_CIDRS',
  'probe.endpointCidrs': 'INFLUXGUARD_PROBE_ENDPOINT_CIDRS',
  'publish.snsTopicArn': 'INFLUXGUARD_SNS_TOPIC_ARN',
  'app.accounts': 'INFLUXGUARD_ACCOUNTS',
  'app.excludeAccounts': 'INFLUXGUARD_EXCLUDE_ACCOUNTS',
  'app.memberRoleName': 'INFLUXGUARD_MEMBER_ROLE',
  'app.unitSize': 'INFLUXGUARD_UNIT_SIZE',
  'app.eventQuietSeconds': 'INFLUXGUARD_EVENT_QUIET_SECONDS',
  'audit.secretArn': 'INFLUXGUARD_AUDIT_SECRET',
  'audit.secrets': 'INFLUXGUARD_AUDIT_SECRETS',
  'audit.ca': 'INFLUXGUARD_AUDIT_CA',
  'host.documentName': 'INFLUXGUARD_SSM_DOCUMENT',
  roleTagKey: 'INFLUXGUARD_ROLE_TAG',
  clusterTagKey: 'INFLUXGUARD_CLUSTER_TAG',
};
/** Where CLI flags land in the configuration (lib/cli/main.ts overridesFrom), to name them in messages. */
const FLAG_SETTINGS: Record<string, string> = {
  regions: '--region',
  tagSelectors: '--tag',
  allowedPorts: '--allow-port',
  clusterCidrs: '--cluster-cidr',
  'probe.allowedCidrs': '--allow-cidr',
  'probe.endpointCidrs': '--endpoint-cidr',
  'probe.caFiles': '--ca',
  'audit.secretArn': '--audit-secret',
  'audit.ca': '--audit-ca',
};

/** The setting a path falls under (`probe.allowedCidrs.2` → `probe.allowedCidrs`), looked up in `names`. */
function settingAt(names: Record<string, string>, path: readonly PropertyKey[]): string | undefined {
  for (let n = path.length; n > 0; n--) {
    const hit = names[path.slice(0, n).join('.')];
    if (hit) return hit;
  }
  return undefined;
}

/**
 * The stack at run time (CHECKS.md): an invalid suppression is ignored, not fatal. The valid entries of
 * `INFLUXGUARD_SUPPRESSIONS` (the others' problems, each as the configuration would name it), and the
 * environment with only the valid ones.
 */
export function usableSuppressions(env: NodeJS.ProcessEnv): { env: NodeJS.ProcessEnv; invalid: string[] } {
  const entries = configFromEnv({ INFLUXGUARD_SUPPRESSIONS: env.INFLUXGUARD_SUPPRESSIONS }).suppressions;
  if (!Array.isArray(entries)) return { env, invalid: [] };
  const invalid: string[] = [];
  const valid = entries.filter((entry, i) => {
    const checked = ConfigSchema().shape.suppressions.safeParse([entry], { error: productMessage });
    if (!checked.success) {
      // The entry's own problems, named by its place in the whole list.
      invalid.push(checked.error.issues.map((x) => `suppressions[${i}]: ${x.message}`).join('; '));
      return false;
    }
    return true;
  });
  return { env: { ...env, INFLUXGUARD_SUPPRESSIONS: JSON.stringify(valid) }, invalid };
}

/** Merge layers (later wins per top-level key) and validate the result; each layer's errors name the setting as it was given. */
export function loadConfig(layers: { file?: string; env?: NodeJS.ProcessEnv; overrides?: ConfigInput }): Config {
  const fromFile = layers.file ? configFromFile(layers.file) : {};
  if (layers.file) parseConfig(fromFile, `config file ${layers.file}`);
  const env = layers.env ?? {};
  const fromEnv = configFromEnv(env);
  parseConfig(fromEnv, 'environment', (path) => {
    const name = settingAt(ENV_SETTINGS, path);
    // The item of a list as parsed ("bad" of "10.0.0.0/8,bad"); a number that did not parse as written.
    const value = valueAt(fromEnv, path);
    return name ? { name, value: typeof value === 'number' && Number.isNaN(value) ? env[name] : value } : undefined;
  });
  const overrides = layers.overrides ?? {};
  parseConfig(overrides, 'option', (path) => {
    const name = settingAt(FLAG_SETTINGS, path);
    return name ? { name } : undefined;
  });
  // Later layers win per key; nested sections (probe, aws) merge one level deep.
  const merged: Record<string, unknown> = {};
  for (const layer of [fromFile, fromEnv, overrides] as Record<string, unknown>[]) {
    for (const [k, v] of Object.entries(layer)) {
      const prev = merged[k];
      const isSection = (x: unknown) => x !== null && typeof x === 'object' && !Array.isArray(x);
      merged[k] = isSection(prev) && isSection(v) ? { ...(prev as object), ...(v as object) } : v;
    }
  }
  return parseConfig(merged);
}
