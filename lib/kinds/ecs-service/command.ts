/**
 * What an InfluxDB 3 container runs, from its task definition's `entryPoint` and `command` (CHECKS.md "InfluxDB on
 * Amazon ECS": the task definition is host evidence); of a 1.x or 2.x container's, what tells its API's port
 * (`influxdOf`). Pure. Two halves:
 *
 * - discovery keeps the arguments (`keptArgs`): bounded, control characters stripped, and the value of every flag or
 *   variable whose name says it holds a credential replaced by `***` before anything else sees it (an empty one stays
 *   empty, so that set/empty can still be told);
 * - the evidence reads them (`serveOf`) as the official images run them (Docker Hub `influxdb:3-*` and InfluxData's
 *   `influxdb3-*`: ENTRYPOINT `/usr/bin/entrypoint.sh`, CMD `influxdb3 serve`; the entrypoint runs `serve …` and
 *   `--flag …` as `influxdb3 serve …` and expands `$VAR` in the arguments with envsubst), and `influxdb3 serve` reads
 *   its flags as clap does: the same rules as the EC2 collector (collector/collect.sh `flags3`, `secret_flags`, BOOL3).
 *
 * Hand-written rather than a shell-words library: only one plain command is read (`sh -c` with a script that is a
 * single `influxdb3 serve …` without operators or substitutions); anything else is "not read", never guessed.
 */
import { V3_OPTIONS, type V3Option } from '../../host-evidence.js';
import { fail, ok, type EcsContainer, type Result } from '../../model.js';
import { isCredentialName } from '../../util/credentials.js';
import { printable } from '../../util/text.js';

/**
 * What discovery keeps of an `entryPoint` or a `command`: at most `count` arguments of `length` characters each, `total`
 * characters in all (AWS caps a whole task definition at 64 KiB; a hostile answer need not be).
 */
export const ARG_LIMITS = { count: 200, length: 2000, total: 16_000 };
/** Said in place of a credential's value. */
export const MASKED = '***';

/** A flag whose name says it carries a credential: collector/collect.sh SECRET_FLAG and NOT_SECRET_FLAG. */
const SECRET_FLAG = /(token|secret|passw|access-key|storage-key|private-key)/i;
const NOT_SECRET_FLAG = /(-file|-path|-dir|-id|-recovery-http-bind|^tls-key|-key-id)$/i;
const isSecretFlag = (name: string) => SECRET_FLAG.test(name) && !NOT_SECRET_FLAG.test(name);
/**
 * A variable whose name says it holds a credential: InfluxDB's (lib/util/credentials.ts) and any other (an object store's
 * `AWS_SESSION_TOKEN`, `AZURE_STORAGE_ACCESS_KEY`, a `*_PASSWORD`): discovery drops its value, it is never shown.
 */
export const isSecretVariable = (name: string) =>
  isCredentialName(name, 'environment') ||
  (/(TOKEN|SECRET|PASSW|ACCESS_KEY|PRIVATE_KEY|ACCOUNT_KEY|API_KEY|CREDENTIAL)/i.test(name) && !/_(FILE|PATH|DIR|ID)$/i.test(name));

/** influxdb3 3.6 boolean flags (`serve --help-all`): collector/collect.sh BOOL3, the same list. */
export const BOOL3 = new Set([
  'without-auth',
  'disable-telemetry-upload',
  'aws-allow-http',
  'aws-skip-signature',
  'azure-allow-http',
  'object-store-http2-only',
  'object-store-tls-allow-insecure',
  'disable-parquet-mem-cache',
  'help',
  'help-all',
  'verbose',
]);
/** A flag whose value is optional: given without one, the server uses its default address (collector OPTIONAL3). */
const OPTIONAL3: Partial<Record<V3Option, string>> = { 'admin-token-recovery-http-bind': '' };

const unquote = (v: string) => v.replace(/^(['"])(.*)\1$/s, '$2');
const mask = (v: string) => (unquote(v).trim() === '' ? v : MASKED);

/** `--flag=value` or `--flag value` (in a script) and `NAME=value`, where the name says credential; URL user-info. */
const INLINE_FLAG = /(^|[\s"'])(--?([A-Za-z0-9][\w-]*))(=|[ \t]+)("[^"]*"|'[^']*'|[^\s"';&|]*)/g;
const ASSIGNMENT = /(^|[\s;&|(])([A-Za-z_]\w*)=("[^"]*"|'[^']*'|[^\s;&|]*)/g;

function maskText(arg: string): string {
  return arg
    .replace(INLINE_FLAG, (m, pre: string, flag: string, name: string, sep: string, value: string) =>
      isSecretFlag(name) && !(sep !== '=' && value.startsWith('-')) ? `${pre}${flag}${sep}${mask(value)}` : m,
    )
    .replace(ASSIGNMENT, (m, pre: string, name: string, value: string) => (isSecretVariable(name) ? `${pre}${name}=${mask(value)}` : m))
    .replace(/:\/\/\S*@/g, '://***@'); // to the last `@` of the word: a password may hold `@` or `/`
}

/** A whole argument `--credential-flag=…` or `CREDENTIAL_VARIABLE=…`: all after `=` is the value (spaces, quotes, `;` included). */
function maskWhole(arg: string): string | undefined {
  const flag = /^(--?([A-Za-z0-9][\w-]*)=)(.*)$/s.exec(arg);
  if (flag && isSecretFlag(flag[2]!)) return `${flag[1]}${mask(flag[3]!)}`;
  const variable = /^(([A-Za-z_]\w*)=)(.*)$/s.exec(arg);
  return variable && isSecretVariable(variable[2]!) ? `${variable[1]}${mask(variable[3]!)}` : undefined;
}
/** The next flag (never masked after a credential flag that was given no value): influxdb3's shape, `--lower-case-words`. */
const LONG_FLAG = /^--[a-z0-9]+(-[a-z0-9]+)*(=.*)?$/s;

/**
 * An `entryPoint` or `command` as discovery keeps it (undefined when the task definition has none): credential values
 * masked (a credential flag's next argument too), control characters stripped (newlines kept: they separate a
 * script's commands), within ARG_LIMITS; `clipped` when there was more. `before`: the argument that comes before
 * the first (a `command` follows its `entryPoint`'s last).
 */
export function keptArgs(xs: readonly unknown[] | undefined, before?: string): { args: string[]; clipped: boolean } | undefined {
  if (!Array.isArray(xs) || xs.length === 0) return undefined;
  const raw = xs.slice(0, ARG_LIMITS.count).map((x) => (typeof x === 'string' ? x : ''));
  let clipped = xs.length > ARG_LIMITS.count;
  let budget = ARG_LIMITS.total;
  const args: string[] = [];
  for (const [i, a] of raw.entries()) {
    const prev = i ? raw[i - 1] : before;
    const flag = prev?.match(/^--?([A-Za-z0-9][\w-]*)$/);
    // A `-c` script is masked word by word (it stays readable); any other argument is one word, its whole value masked.
    const value = flag && isSecretFlag(flag[1]!) && !LONG_FLAG.test(a) ? mask(a) : (prev !== '-c' && maskWhole(a)) || maskText(a);
    const whole = printable(value, '\n');
    const kept = whole.slice(0, Math.min(ARG_LIMITS.length, budget));
    if (kept.length < whole.length) clipped = true;
    budget -= kept.length;
    args.push(kept);
    if (budget <= 0 && i < raw.length - 1) {
      clipped = true;
      break;
    }
  }
  return { args, clipped };
}

/** The options of one `influxdb3 serve`: the wanted ones (V3_OPTIONS) and the credential flags as set/empty. */
export interface ServeOptions {
  flags: Partial<Record<V3Option, string>>;
  secretFlags: Record<string, 'set' | 'empty'>;
}

/** The official images' entrypoint and default command. */
const IMAGE_ENTRYPOINT = '/usr/bin/entrypoint.sh';
const IMAGE_COMMAND = ['influxdb3', 'serve'];
const SHELLS = new Set(['sh', 'bash', 'dash', 'ash']);
const base = (path: string | undefined) => (path ?? '').split('/').pop() ?? '';
const shown = (a: string | undefined) => printable(a ?? '').slice(0, 60);
/** An argument shown in a reason only when it is a plain word (a subcommand, a flag): any other may be a token. */
const word = (a: string) => (/^-{0,2}[a-z][a-z0-9-]{0,29}$/.test(a) ? a : '…');

/** Why a command is not `program`: a shell script (never read but as argv allows), or another program or subcommand. */
const runsOther = (args: readonly string[], program: string) =>
  SHELLS.has(base(args[0])) && args[1] === '-c'
    ? `it runs a shell script (${shown(args[0])} -c) the scanner does not read`
    : `it runs ${shown(args[0]) || '(nothing)'}${args[1] !== undefined ? ` ${word(args[1])}` : ''}, not ${program}`;
const CLIPPED = `its entryPoint/command is longer than the scanner reads (${ARG_LIMITS.count} arguments of ${ARG_LIMITS.length} characters)`;

/** The image's own entrypoint runs (the task definition does not replace it, or names it). */
export const viaImageEntrypoint = (c: Pick<EcsContainer, 'entryPoint'>) => !c.entryPoint || c.entryPoint[0] === IMAGE_ENTRYPOINT;

/**
 * The words of a plain script as the shell splits them: quotes removed and joined to the rest of their word (`--with'out'-auth`
 * is one word), a `#` starting a word ends the command. Undefined where the shell would do more than split: an unterminated
 * quote, a `$` outside double quotes (split and globbed) or not before a name (`"$@"`, `"$1"`), a glob, a `~` (a script with
 * operators, substitutions or backslashes is refused before).
 */
function scriptWords(s: string): string[] | undefined {
  const out: string[] = [];
  let word: string | undefined;
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]!;
    if (/\s/.test(ch)) {
      if (word !== undefined) out.push(word);
      word = undefined;
    } else if (ch === '#' && word === undefined) break;
    else if (ch === "'" || ch === '"') {
      const end = s.indexOf(ch, i + 1);
      const part = s.slice(i + 1, end);
      if (end < 0 || (part.includes('$') && (ch === "'" || /\$(?![A-Za-z_])/.test(part)))) return undefined;
      word = (word ?? '') + part;
      i = end;
    } else if (/[$*?[~]/.test(ch)) return undefined;
    else word = (word ?? '') + ch;
  }
  if (word !== undefined) out.push(word);
  return out;
}

/** The process a container starts, as its argv (`expand`: the official entrypoint expands `$VAR`); or why it is not read. */
function argv(c: Pick<EcsContainer, 'entryPoint' | 'command' | 'argsClipped'>): Result<{ args: string[]; expand: boolean }> {
  if (c.argsClipped) return fail(CLIPPED);
  let args = [...(c.entryPoint ?? [IMAGE_ENTRYPOINT]), ...(c.command ?? (c.entryPoint ? [] : IMAGE_COMMAND))];
  let expand = false;
  if (args[0] === IMAGE_ENTRYPOINT) {
    args = args.slice(1);
    if (args[0] === 'serve') args = ['influxdb3', ...args];
    else if (args[0]?.startsWith('-')) args = ['influxdb3', 'serve', ...args];
    expand = true;
  }
  if (SHELLS.has(base(args[0])) && args[1] === '-c' && args[2] !== undefined) {
    const script = args[2];
    const split = /[;&|<>`\n\\(){}]/.test(script) || !/^\s*(exec\s+)?\S*influxdb3\s/.test(script) ? undefined : scriptWords(script);
    if (!split) return fail(runsOther(args, 'influxdb3 serve'));
    args = split;
    if (args[0] === 'exec') args = args.slice(1);
    expand = true;
  }
  if (base(args[0]) !== 'influxdb3' || args[1] !== 'serve') return fail(runsOther(args, 'influxdb3 serve'));
  return ok({ args, expand });
}

/**
 * `$VAR` and `${VAR}` in a value, from the container's known variables (envsubst); undefined when one is not known
 * (a secret, a credential whose value discovery dropped, or a variable the task definition does not set).
 */
function expanded(value: string, known: Readonly<Record<string, string>>): string | undefined {
  let unknown = false;
  const out = value.replace(/\$(?:\{(\w+)\}|(\w+))/g, (_, a: string | undefined, b: string | undefined) => {
    const v = known[(a ?? b)!];
    if (v === undefined) unknown = true;
    return v ?? '';
  });
  return unknown ? undefined : out;
}

/** A credential's value: the argument after a credential flag, or `--credential-flag=…` (a value from `secrets` is not read). */
function credentialValue(prev: string | undefined, arg: string): boolean {
  const inline = /^--?([A-Za-z0-9][\w-]*)=/.exec(arg);
  const flag = inline ?? /^--?([A-Za-z0-9][\w-]*)$/.exec(prev ?? '');
  return !!flag && isSecretFlag(flag[1]!);
}

/**
 * The options of the `influxdb3 serve` a container runs, as clap reads them: `--flag=value` or `--flag value` (a value
 * never starts with `-`), a boolean flag takes none; credential flags by name only. `known`: the variables whose values
 * the task definition gives (for the entrypoint's `$VAR` expansion). A container that runs something else, or whose
 * options cannot be told, is the reason.
 */
export function serveOf(
  c: Pick<EcsContainer, 'entryPoint' | 'command' | 'argsClipped'>,
  known: Readonly<Record<string, string>>,
): Result<ServeOptions> {
  const a = argv(c);
  if (!a.ok) return a;
  const { args: given, expand } = a.value;
  // The entrypoint expands each argument on its own (never split), before `serve` reads any: `$F` may be a flag.
  const args = [...given];
  for (let i = 2; expand && i < args.length; i++) {
    const arg = args[i]!;
    const v = arg.includes('$') ? expanded(arg, known) : arg;
    if (v !== undefined) args[i] = v;
    else if (credentialValue(given[i - 1], arg)) args[i] = arg.startsWith('-') ? arg.replace(/=.*/s, `=${MASKED}`) : MASKED;
    else {
      const flag = /^--?[A-Za-z0-9][\w-]*$/.test(given[i - 1] ?? '') ? `${shown(given[i - 1])} ` : '';
      return fail(`${flag}${shown(arg)}: a variable the task definition does not give a value`);
    }
  }
  const flags: ServeOptions['flags'] = {};
  const secretFlags: ServeOptions['secretFlags'] = {};
  for (let i = 2; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--') break;
    if (!arg.startsWith('-') || arg === '-') continue;
    const eq = arg.indexOf('=');
    const name = (eq >= 0 ? arg.slice(0, eq) : arg).replace(/^-+/, '');
    const next = args[i + 1];
    let value: string;
    if (eq >= 0) value = arg.slice(eq + 1);
    else if (arg.startsWith('--') && BOOL3.has(name)) value = 'true';
    else if (next !== undefined && !next.startsWith('-')) value = args[++i]!;
    else value = OPTIONAL3[name as V3Option] ?? '';
    if (isSecretFlag(name) && Object.keys(secretFlags).length < 16) secretFlags[name.slice(0, 60)] = value.trim() ? 'set' : 'empty';
    if (!arg.startsWith('--') || !(name in V3_OPTIONS)) continue;
    flags[name as V3Option] = printable(value).slice(0, 1000);
  }
  return ok({ flags, secretFlags });
}

/** The official 1.x and 2.x images' entrypoint (CMD `influxd`): it runs arguments starting with `-` as `influxd …`, expanding nothing. */
const V12_ENTRYPOINT = '/entrypoint.sh';
/** influxd 1.x `run` options that take a value and move no port (`-config` names a file the scanner does not read). */
const V1_FLAGS = new Set(['pidfile', 'cpuprofile', 'memprofile']);
/** influxd 2.x boolean flags: collector/collect.sh BOOL2, the same list (they take no separate value). */
const BOOL2 = new Set([
  'flux-log-enabled',
  'e2e-testing',
  'testing-always-allow-setup',
  'reporting-disabled',
  'overwrite-pid-file',
  'session-renew-disabled',
  'tls-strict-ciphers',
  'no-tasks',
  'pprof-disabled',
  'metrics-disabled',
  'ui-disabled',
  'hardening-enabled',
  'template-file-urls-disabled',
  'strong-passwords',
  'vault-skip-verify',
  'storage-wal-flush-on-shutdown',
  'storage-validate-keys',
  'storage-no-validate-field-size',
  'storage-tsm-use-madv-willneed',
]);

/**
 * What the `influxd` a 1.x or 2.x container runs tells of its API's port, as the official images run it (ENTRYPOINT
 * `/entrypoint.sh`, CMD `influxd`, optionally `influxd run`): 2.x `--http-bind-address` (pflag: `=value` or the next
 * argument, the last one wins), as the collector reads it (collector/collect.sh `flags2`). A command that could move
 * the port and is not read is the reason, never the default: another program or a script, another subcommand, an
 * argument where a flag is expected, a configuration file flag (1.x `-config`, any 2.x flag naming a config), a 1.x
 * flag influxd does not have, a bind address holding a `$` (nothing expands it).
 */
export function influxdOf(
  c: Pick<EcsContainer, 'entryPoint' | 'command' | 'argsClipped'>,
  major: 1 | 2,
): Result<{ flags: Record<string, string> }> {
  if (c.argsClipped) return fail(CLIPPED);
  let args = [...(c.entryPoint ?? [V12_ENTRYPOINT]), ...(c.command ?? (c.entryPoint ? [] : ['influxd']))];
  if (args[0] === V12_ENTRYPOINT) {
    args = args.slice(1);
    if (args[0]?.startsWith('-')) args = ['influxd', ...args];
  }
  if (base(args[0]) !== 'influxd') return fail(runsOther(args, 'influxd'));
  const flags: Record<string, string> = {};
  for (let i = args[1] === 'run' ? 2 : 1; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--') break;
    if (!arg.startsWith('-') || arg === '-') return fail(`influxd ${word(arg)}: an argument the scanner does not read`);
    const eq = arg.indexOf('=');
    const name = (eq >= 0 ? arg.slice(0, eq) : arg).replace(/^-{1,2}/, '');
    if (/config/i.test(name))
      return fail(`influxd ${word(arg.slice(0, eq >= 0 ? eq : undefined))} names a configuration the scanner does not read`);
    if (major === 1 && !V1_FLAGS.has(name))
      return fail(`influxd ${word(arg.slice(0, eq >= 0 ? eq : undefined))}: a 1.x option the scanner does not read`);
    const value = eq >= 0 ? arg.slice(eq + 1) : major === 2 && BOOL2.has(name) ? 'true' : args[++i];
    if (value === undefined) return fail(`influxd ${word(arg)} without its value`);
    if (major === 2 && name === 'http-bind-address') {
      if (value.includes('$')) return fail(`--http-bind-address ${shown(value)}: nothing expands it`);
      flags[name] = printable(value).slice(0, 1000);
    }
  }
  return ok({ flags });
}
