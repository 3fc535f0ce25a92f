/**
 * The `influxguard` command line: parse flags → config → scan → render.
 * Exit codes (CHECKS.md "CLI exit codes"): 0 everything asked for was
 * checked and nothing at or above --fail-on failed; 1 something did; 2 usage
 * or runtime error, with one line on stderr; 3 incomplete: something asked
 * for could not be checked at all, each case named in one line on stderr.
 */
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { STSClient } from '@aws-sdk/client-sts';
import { CallCounter, createClients } from '../aws/clients.js';
import { loadConfig, parseAllowedPort, parseTagSelectors, type Config, type ConfigInput } from '../config.js';
import { InfluxguardError, configError, oneLine, usageError } from '../errors.js';
import { isFailing, SEVERITIES, severityRank, type Check, type ScanDocument, type Severity } from '../model.js';
import { probeRun } from '../probe.js';
import { checkSelection, checkSources, selectChecks, selectKinds } from './select.js';
import { CredentialsError, credentialsFromText, type AuditCredentials } from '../evidence/audit/credentials.js';
import { goneInstances } from '../discover/ec2.js';
import { FORMATS, formatForFile, renderDocument, type Format } from '../render/formats.js';
import { renderTable, type TableOptions } from '../render/table.js';
import { scan, type Progress } from '../scan.js';
import { asSuppressions, entryName, suppressionState } from '../suppress.js';
import { printable } from '../util/text.js';
import { VERSION } from '../version.js';

export interface CliIO {
  /** Writes to standard output; false when the text was queued (a pipe not read as fast): wait for `drained`. */
  stdout: (text: string) => unknown;
  /** Resolves once queued output has been written (a stream's 'drain'). */
  drained?: () => Promise<void>;
  stderr: (text: string) => void;
  env: NodeJS.ProcessEnv;
  stdoutIsTTY: boolean;
  stderrIsTTY: boolean;
  /** The terminal's columns when stdout is one: the table fits them (else COLUMNS, else 120). */
  stdoutColumns?: number;
}

const EXIT_CODES = `exit codes:
  0  everything asked for was checked, and no failure at or above --fail-on
  1  at least one failure at or above --fail-on
  2  usage or runtime error (bad flag or value, missing credentials, unreachable AWS endpoint)
  3  incomplete: something asked for could not be checked at all (probe: a target unreachable,
     refused or not InfluxDB; scan: a region whose instances could not be listed, or no instance
     matched the selectors in any scanned region); failures, when there are any, still give 1`;

const USAGE = `usage: influxguard <command> [options]

commands:
  scan                 scan InfluxDB instances in an AWS account (EC2 instances selected by tag)
  probe URL...         check InfluxDB endpoints directly, without AWS (URL, or host[:port])
  remediate FINDING_ID show the change an influxguard finding calls for; --apply makes it
  version              print the version (also -V, --version)

influxguard <command> --help lists a command's options.

${EXIT_CODES}

Credentials and endpoints come from the standard AWS chain (profile, environment,
instance role) and AWS_ENDPOINT_URL.`;

/** Output options: the same for scan and probe. */
const OUTPUT_OPTIONS = `output:
  --format F           table (default), json (the CHECKS.md document), ocsf (OCSF Compliance Finding
                       events), csv (one row per finding), html (a report)FORMAT_MORE
  --output FILE        write to FILE instead of stdout (FILE.html, .csv, .json imply the format)
  --fail-on SEV        exit 1 when a FAILED finding is at or above SEV: INFORMATIONAL (default: any
                       failure), LOW, MEDIUM, HIGH, CRITICAL, or none
  --fail-on-unavailable
                       exit 3 when a finding is NOT_AVAILABLE or rests on incomplete evidence
  --show-passed        list passed findings in the table too
  --no-color           never colour the table (colour only on a terminal; NO_COLOR is honoured)
  --config FILE        JSON configuration file; flags override it`;

const SCAN_USAGE = `usage: influxguard scan [options]

Scans the EC2 instances selected by tag (and Timestream for InfluxDB) in the account the AWS
credentials belong to: security groups, reachability, volumes, and each instance's endpoint.

selection:
  --region R           region to scan; repeat or comma-separate; "all" for every enabled region
                       (default: AWS_REGION / AWS_DEFAULT_REGION / the profile's region)
  --tag KEY[=VALUE]    select instances by tag; repeatable (default: tag "influxdb", or Service=influxdb)
  --allow-port SPEC    an expected extra port: PORT[-PORT][/tcp|udp|all][@SOURCE,...]; repeatable
                       e.g. 22@sg-0123456789abcdef0   9273/tcp@10.0.0.0/16
  --cluster-cidr CIDR  a CIDR that counts as inside an Enterprise cluster; repeatable
  --check ID           only these checks (an id, or a family: net.*) and the evidence they need;
                       repeatable; not with --publish
  --kind NAME          only these resource kinds: ec2-instance, ecs-service, timestream-db

evidence:
  --no-probe           do not probe the instances' endpoints (AWS evidence only)
  --allow-cidr CIDR    where instance endpoints may be probed; repeatable (default: private ranges)
  --endpoint-cidr CIDR an influxdb:endpoint tag may point into these (load balancers, proxies)
  --host               collect host evidence through SSM Run Command (needs ssm:SendCommand)
  --audit-secret ARN   credentialed audit (users, grants, tokens) with this Secrets Manager secret, or
                       an instance's influxdb:audit-secret tag's (allowed: audit.secrets); sent only to
                       the instances its tags influxguard:instances[:2…] list, over verified TLS
  --audit-ca FILE      the CA (PEM) that issued the endpoints' certificates: the audit trusts it alone,
                       and a secret tagged influxguard:instances=* then serves the whole fleet
  --audit-insecure-lab laboratory only: do not verify the certificate (never the binding); every
                       audit finding says so

${OUTPUT_OPTIONS.replace('FORMAT_MORE', ', asff (Security Hub)')}
  --quiet              no progress on stderr
  --publish            import findings into Security Hub and send the SNS summary to
                       publish.snsTopicArn / INFLUXGUARD_SNS_TOPIC_ARN (off by default)

exit codes: 0 clean, 1 a failure at or above --fail-on, 2 error, 3 incomplete (influxguard --help)`;

const PROBE_USAGE = `usage: influxguard probe [options] URL...

Checks InfluxDB endpoints directly, without AWS: URL (http:// or https://) or host[:port]
(port 8086 by default; TLS is tried first). Read-only requests only.

targets:
  --allow-cidr CIDR    targets must resolve inside these; repeatable (default: private ranges, not
                       loopback: 127.0.0.0/8 must be allowed explicitly); link-local and the EC2
                       metadata service are always refused
  --ca FILE            extra CA bundle (PEM) to trust when judging certificates; repeatable
  --default-credentials
                       also try a short list of well-known username/password pairs (real logins)
  --credentials-env VAR
                       credentialed audit with the credentials in environment variable VAR:
                       user:password (1.x) or a token (2.x), sent only over TLS that verifies
  --audit-ca FILE      the CA (PEM) that issued the endpoint's certificate (else the system store)
  --audit-insecure-lab laboratory only: do not verify the certificate; every audit finding says so

${OUTPUT_OPTIONS.replace('FORMAT_MORE', '')}

exit codes: 0 clean, 1 a failure at or above --fail-on, 2 error, 3 incomplete (influxguard --help)`;

const REMEDIATE_USAGE = `usage: influxguard remediate FINDING_ID [--apply] [--config FILE]

Shows the change an influxguard finding (its Security Hub id, influxguard/<account>/<region>/…)
calls for, re-read from the resource now: revoke its world-open rule(s), enable EBS encryption by
default, or rescan.

  --apply              make the change, note it on the finding, and rescan (publishing) what it
                       changed (default: show it and change nothing)
  --config FILE        JSON configuration file

exit codes: 0 planned or done, 1 refused (not influxguard's, stale, not applicable), 2 error`;

const COMMAND_USAGE: Record<string, string> = { scan: SCAN_USAGE, probe: PROBE_USAGE, remediate: REMEDIATE_USAGE };

const OPTIONS = {
  region: { type: 'string', multiple: true },
  tag: { type: 'string', multiple: true },
  'allow-port': { type: 'string', multiple: true },
  'cluster-cidr': { type: 'string', multiple: true },
  check: { type: 'string', multiple: true },
  kind: { type: 'string', multiple: true },
  config: { type: 'string' },
  format: { type: 'string' },
  output: { type: 'string' },
  'fail-on': { type: 'string' },
  'fail-on-unavailable': { type: 'boolean' },
  'show-passed': { type: 'boolean' },
  'no-color': { type: 'boolean' },
  quiet: { type: 'boolean' },
  'allow-cidr': { type: 'string', multiple: true },
  'endpoint-cidr': { type: 'string', multiple: true },
  ca: { type: 'string', multiple: true },
  'default-credentials': { type: 'boolean' },
  'no-probe': { type: 'boolean' },
  'audit-secret': { type: 'string' },
  'audit-ca': { type: 'string' },
  'audit-insecure-lab': { type: 'boolean' },
  'credentials-env': { type: 'string' },
  host: { type: 'boolean' },
  publish: { type: 'boolean' },
  apply: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'V' },
} as const;

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>['values'];

function parse(argv: string[]) {
  try {
    return parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (err) {
    // Node's messages name the flag: "Unknown option '--regon'".
    throw usageError(oneLine(err).replace(/\. To specify a positional argument.*$/, ''));
  }
}

const splitList = (xs: string[] | undefined) =>
  xs
    ?.flatMap((x) => x.split(','))
    .map((x) => x.trim())
    .filter(Boolean);

/** A PEM file's text for the configuration (which holds PEM text, as the stack passes it). */
function readPem(file: string, flag: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw usageError(`${flag} ${file}: cannot read it (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
}

function overridesFrom(values: Values): ConfigInput {
  const o: ConfigInput = {};
  const regions = splitList(values.region);
  if (regions) o.regions = regions;
  if (values.tag) o.tagSelectors = parseTagSelectors(values.tag);
  if (values['allow-port']) o.allowedPorts = values['allow-port'].map((p) => parseAllowedPort(p));
  if (values['cluster-cidr']) o.clusterCidrs = splitList(values['cluster-cidr'])!;
  const probe: NonNullable<ConfigInput['probe']> = {};
  if (values['allow-cidr']) probe.allowedCidrs = splitList(values['allow-cidr'])!;
  if (values['endpoint-cidr']) probe.endpointCidrs = splitList(values['endpoint-cidr'])!;
  if (values.ca) probe.caFiles = values.ca;
  if (values['default-credentials']) probe.defaultCredentials = true;
  if (values['no-probe']) probe.enabled = false;
  if (Object.keys(probe).length) o.probe = probe;
  const audit: NonNullable<ConfigInput['audit']> = {};
  if (values['audit-secret']) audit.secretArn = values['audit-secret'];
  if (values['audit-ca']) audit.ca = readPem(values['audit-ca'], '--audit-ca');
  if (values['audit-insecure-lab']) audit.insecureLab = true;
  if (Object.keys(audit).length) o.audit = audit;
  if (values.host) o.host = { enabled: true };
  if (values.publish) o.publish = { enabled: true };
  return o;
}

function failOn(value: string | undefined): Severity | 'none' {
  if (value === undefined) return 'INFORMATIONAL';
  const v = value.toUpperCase();
  if (v === 'NONE') return 'none';
  if ((SEVERITIES as readonly string[]).includes(v)) return v as Severity;
  throw usageError(`--fail-on must be one of ${SEVERITIES.join(', ')} or none, not "${value}"`);
}

function format(values: Pick<Values, 'format' | 'output'>): Format {
  const v = values.format ?? (values.output ? formatForFile(values.output) : undefined) ?? 'table';
  if ((FORMATS as readonly string[]).includes(v)) return v as Format;
  throw usageError(`--format must be one of ${FORMATS.join(', ')}, not "${values.format}"`);
}

/** Whether any FAILED finding is at or above the threshold. */
export function failsAt(doc: ScanDocument, threshold: Severity | 'none'): boolean {
  if (threshold === 'none') return false;
  // An accepted risk (an active suppression) never fails the run.
  return doc.findings.some((f) => f.status === 'FAILED' && !f.suppression && severityRank(f.severity) >= severityRank(threshold));
}

/** The region for account-level calls: the environment, the profile, else the first region asked for. */
async function homeRegion(env: NodeJS.ProcessEnv, regions: string[]): Promise<string> {
  const fromEnv = env.AWS_REGION || env.AWS_DEFAULT_REGION;
  if (fromEnv) return fromEnv;
  const explicit = regions.find((r) => r !== 'all');
  if (explicit) return explicit;
  const probe = new STSClient({});
  try {
    return await probe.config.region();
  } catch {
    throw usageError('no AWS region: set AWS_REGION, configure a profile region, or pass --region');
  } finally {
    probe.destroy();
  }
}

function progressReporter(io: CliIO, enabled: boolean) {
  let total = 0;
  let done = 0;
  let instances = 0;
  const draw = (text: string) => io.stderr(`\r\x1b[K${text}`);
  return {
    onProgress: (p: Progress) => {
      if (p.kind === 'start') total = p.regions.length;
      else {
        done++;
        instances += p.instances;
        if (p.error) {
          if (enabled) draw('');
          io.stderr(`influxguard: warning: region ${p.region} not scanned: ${p.error}\n`);
        }
      }
      if (enabled) draw(`scanning: ${done}/${total} regions, ${instances} instances`);
    },
    clear: () => enabled && draw(''),
  };
}

/** The columns the table is laid out for: the terminal's, else COLUMNS, else the table's default (120). */
function tableWidth(io: CliIO, values: Values): { width?: number } {
  if (!values.output && io.stdoutIsTTY && io.stdoutColumns) return { width: io.stdoutColumns };
  const columns = Number(io.env.COLUMNS);
  return Number.isInteger(columns) && columns > 0 ? { width: columns } : {};
}

/**
 * Print the document as asked; the exit code: 1 for a failure at or above
 * --fail-on, else 3 when incomplete (each reason on one stderr line), else 0.
 */
async function emit(
  document: ScanDocument,
  incomplete: readonly string[],
  values: Values,
  io: CliIO,
  subjects: Pick<TableOptions, 'command' | 'subjects'>,
): Promise<number> {
  const fmt = format(values);
  const pieces =
    fmt === 'table'
      ? [
          renderTable(document, {
            color: io.stdoutIsTTY && !values.output && !values['no-color'] && !io.env.NO_COLOR,
            showPassed: values['show-passed'] ?? false,
            ...tableWidth(io, values),
            ...subjects,
          }),
        ]
      : await renderDocument(fmt, document, subjects);
  if (values.output) {
    let fd: number | undefined;
    try {
      fd = openSync(values.output, 'w');
      for (const piece of pieces) writeSync(fd, piece);
    } catch (err) {
      throw configError(`--output ${values.output}: ${oneLine(err)}`);
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
    io.stderr(`influxguard: ${fmt} written to ${values.output}\n`);
  }
  // A document is rendered piece by piece as it is written: into a pipe read slower than it is made (`| jq`,
  // a parent process), the next piece waits, or every piece would queue in memory (at 5,000 instances, +120 MB).
  else for (const piece of pieces) if (io.stdout(piece) === false) await io.drained?.();
  const unavailable = document.summary.NOT_AVAILABLE;
  const naText = (n: number) => `${n} ${n === 1 ? 'finding' : 'findings'} NOT_AVAILABLE`;
  const notAvailable = naText(unavailable);
  if (unavailable > 0)
    io.stderr(`influxguard: warning: ${notAvailable}: evidence could not be gathered (the reasons are in the table and the JSON)\n`);
  // A failing finding on incomplete evidence (e.g. reachability undecided) may deserve a higher severity than it has.
  const undecided = document.findings.filter((f) => isFailing(f.status) && f.evidence.incomplete).length;
  const undecidedOf = (n: number) => `${n} failing ${n === 1 ? 'finding' : 'findings'} on incomplete evidence`;
  const undecidedText = undecidedOf(undecided);
  if (undecided > 0)
    io.stderr(`influxguard: warning: ${undecidedText}: the severity may be higher (see "incomplete" in the table and the JSON)\n`);
  const strict = values['fail-on-unavailable'];
  // --fail-on-unavailable counts only what no active suppression accepted.
  const open = document.findings.filter((f) => !f.suppression);
  const strictUnavailable = open.filter((f) => f.status === 'NOT_AVAILABLE').length;
  const strictUndecided = open.filter((f) => isFailing(f.status) && f.evidence.incomplete).length;
  const reasons = [
    ...incomplete,
    ...(strict && strictUnavailable > 0 ? [`${naText(strictUnavailable)} (--fail-on-unavailable)`] : []),
    ...(strict && strictUndecided > 0 ? [`${undecidedOf(strictUndecided)} (--fail-on-unavailable)`] : []),
  ];
  for (const r of reasons) io.stderr(`influxguard: incomplete: ${oneLine(r, 500)}\n`);
  if (failsAt(document, failOn(values['fail-on']))) return 1;
  return reasons.length ? 3 : 0;
}

/** `--check` and `--kind`: a partial scan, for a look or a comparison, not published from the CLI. */
function scanSelection(values: Values, config: Config): { checks?: Check[]; kinds?: string[] } {
  const checks = splitList(values.check);
  const kinds = splitList(values.kind);
  if (!checks && !kinds) return {};
  if (config.publish.enabled)
    throw usageError(
      `${checks ? '--check' : '--kind'} and --publish: a partial scan is not published from the CLI (publish whole scans; the stack's API publishes a scan of chosen checks)`,
    );
  const chosen = checks && selectChecks(checks);
  const named = kinds && selectKinds(kinds);
  if (chosen && named) checkSelection(checks, chosen, named);
  if (chosen) checkSources(checks, chosen, config, named);
  return { ...(chosen ? { checks: chosen } : {}), ...(named ? { kinds: named } : {}) };
}

const configFor = (values: Values, io: CliIO) =>
  loadConfig({ ...(values.config ? { file: values.config } : {}), env: io.env, overrides: overridesFrom(values) });

async function runScan(values: Values, io: CliIO): Promise<number> {
  format(values);
  failOn(values['fail-on']);
  const config = configFor(values, io);
  const chosen = scanSelection(values, config);
  const suppressions = asSuppressions(config.suppressions);
  const state = suppressionState(suppressions, new Date());
  for (const e of state.expired) io.stderr(`influxguard: warning: ${entryName(e.entry, e.index)} expired on ${e.entry.expires}: ignored\n`);
  for (const e of state.expiringSoon) io.stderr(`influxguard: warning: ${entryName(e.entry, e.index)} expires on ${e.entry.expires}\n`);
  const region = await homeRegion(io.env, config.regions);
  const counter = new CallCounter();
  const clients = createClients({ aws: config.aws, counter });
  const progress = progressReporter(io, io.stderrIsTTY && !values.quiet);
  try {
    const result = await scan(config, { clients, homeRegion: region, env: io.env, onProgress: progress.onProgress, ...chosen });
    progress.clear();
    for (const i of result.unmatchedSuppressions ?? [])
      io.stderr(`influxguard: warning: ${entryName(suppressions[i]!, i)} matched no finding\n`);
    const code = await emit(result.document, result.incomplete, values, io, {
      command: 'scan',
      subjects: result.subjects,
    });
    if (!config.publish.enabled) return code;
    // Publishing (Security Hub, SNS) and remediation load their modules and AWS clients only when asked for.
    const { publishScan } = await import('../publish/index.js');
    // The stack's table, when configured, records what the scanner suppressed in Security Hub (else its note alone).
    const { ScanStore } = await import('../app/store.js');
    const table = config.app.tableName;
    const report = await publishScan(result, config, {
      clients,
      ...(table ? { suppressionRecord: new ScanStore(clients.dynamodb(region), table, config.app.scanTtlDays) } : {}),
      goneInstances: (_account, region, ids) => goneInstances(clients.ec2(region), ids),
    });
    if (!config.publish.snsTopicArn)
      io.stderr('influxguard: note: no SNS topic configured (publish.snsTopicArn or INFLUXGUARD_SNS_TOPIC_ARN): no summary sent\n');
    const sh = report.securityHub;
    io.stderr(
      `influxguard: Security Hub: ${sh.imported} imported (${sh.new} new, ${sh.changed} changed, ${sh.refreshed} refreshed, ${sh.resolved} resolved, ${sh.archived} archived), ${sh.unchanged} unchanged not re-imported, ${sh.keptUnavailable} failing kept while not evaluable, ${sh.batchImportCalls} BatchImportFindings call(s)\n`,
    );
    if (sh.suppressed || sh.reopened)
      io.stderr(
        `influxguard: Security Hub: ${sh.suppressed} set SUPPRESSED (accepted risks), ${sh.reopened} reopened (suppression ended)\n`,
      );
    for (const s of sh.skippedRegions) io.stderr(`influxguard: warning: Security Hub ${s.accountId}/${s.region} skipped: ${s.reason}\n`);
    if (report.sns)
      io.stderr(
        `influxguard: SNS: ${report.sns.sent ? `sent "${report.sns.subject}"` : report.sns.error ? report.sns.error : 'not sent (notify mode)'}\n`,
      );
    if (sh.failed.length) {
      for (const f of sh.failed.slice(0, 20)) io.stderr(`influxguard: not imported: ${f.id}: ${f.reason}\n`);
      if (sh.failed.length > 20) io.stderr(`influxguard: … and ${sh.failed.length - 20} more not imported\n`);
      return 2;
    }
    return report.sns?.error ? 2 : code;
  } finally {
    progress.clear();
    clients.destroy();
  }
}

/** `--credentials-env VAR`: the audit credentials from that variable (its name on the command line, never its value). */
function credentialsFrom(values: Values, io: CliIO): { credentials?: AuditCredentials } {
  const name = values['credentials-env'];
  if (name === undefined) return {};
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name))
    throw usageError(`--credentials-env takes the name of an environment variable (letters, digits, _), not a value`);
  const value = io.env[name];
  if (value === undefined) throw usageError(`--credentials-env ${name}: the variable is not set`);
  try {
    return { credentials: credentialsFromText(value, `--credentials-env ${name}`) };
  } catch (err) {
    if (err instanceof CredentialsError) throw usageError(err.message);
    throw err;
  }
}

/** Flags that mean something only to `scan`: given to `probe` they would be silently ignored, so they are usage errors. */
const SCAN_ONLY = [
  'region',
  'tag',
  'allow-port',
  'cluster-cidr',
  'check',
  'kind',
  'endpoint-cidr',
  'no-probe',
  'host',
  'publish',
  'audit-secret',
] as const;

async function runProbe(targets: string[], values: Values, io: CliIO): Promise<number> {
  const scanOnly = SCAN_ONLY.filter((k) => values[k] !== undefined);
  if (scanOnly.length)
    throw usageError(
      `${scanOnly.map((k) => `--${k}`).join(', ')} ${scanOnly.length === 1 ? 'is a scan option' : 'are scan options'}: probe does not take ${scanOnly.length === 1 ? 'it' : 'them'}`,
    );
  // Endpoint findings have no account or region: they cannot be ASFF documents.
  if (format(values) === 'asff')
    throw usageError('--format asff needs the account and region of a scan; probe prints table, json, ocsf, csv or html');
  failOn(values['fail-on']);
  const run = await probeRun(targets, configFor(values, io), { ...credentialsFrom(values, io) });
  return await emit(run.document, run.incomplete, values, io, { command: 'probe' });
}

/**
 * stderr lines quote outside text (AWS and Security Hub errors, SNS subjects, targets): every write
 * is made printable, newlines kept, and the progress line keeps its own "\r ESC[K" prefix.
 */
function printableStderr(io: CliIO): CliIO {
  const clear = '\r\x1b[K';
  return { ...io, stderr: (t) => io.stderr(t.startsWith(clear) ? clear + printable(t.slice(clear.length), '\n') : printable(t, '\n')) };
}

export async function main(argv: string[], rawIo: CliIO): Promise<number> {
  const io = printableStderr(rawIo);
  try {
    const { values, positionals } = parse(argv);
    const [command, ...rest] = positionals;
    if (values.version || (command === 'version' && !rest.length)) {
      io.stdout(`${VERSION}\n`);
      return 0;
    }
    // `influxguard scan --help`, `influxguard help scan`: that command's own help; else the overview.
    const topic = command === 'help' ? rest[0] : command;
    if (values.help || command === 'help') {
      const usage = topic === undefined ? USAGE : COMMAND_USAGE[topic];
      if (usage === undefined) throw usageError(`unknown command "${topic}" (try --help)`);
      io.stdout(`${usage}\n`);
      return 0;
    }
    if (command === undefined) {
      io.stderr(`${USAGE}\n`);
      return 2;
    }
    if (command === 'probe') return await runProbe(rest, values, io);
    if (command === 'remediate' && rest.length <= 1)
      return await (await import('./remediate.js')).runRemediate(rest[0], values.apply ?? false, configFor(values, io), io);
    if (rest.length) throw usageError(`unexpected argument "${rest[0]}"`);
    if (command === 'scan') return await runScan(values, io);
    throw usageError(`unknown command "${command}" (try --help)`);
  } catch (err) {
    if (err instanceof InfluxguardError) {
      io.stderr(`influxguard: ${err.kind === 'usage' ? 'usage: ' : ''}${oneLine(err, 500)}\n`);
      return 2;
    }
    return internalError(err, io);
  }
}

/**
 * An error nothing expected: one printable line (the stack only with INFLUXGUARD_DEBUG), exit 2. The launcher also
 * ends with it what escapes main()'s promise (a timer's exception, an unhandled rejection), where Node would exit 1,
 * the code of failing findings.
 */
export function internalError(err: unknown, rawIo: CliIO): 2 {
  const io = printableStderr(rawIo);
  io.stderr(`influxguard: internal error: ${oneLine(err, 500)}\n`);
  if (io.env.INFLUXGUARD_DEBUG && err instanceof Error && err.stack) io.stderr(`${err.stack}\n`);
  return 2;
}
