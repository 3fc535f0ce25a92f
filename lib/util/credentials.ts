/**
 * Which variable names hold an InfluxDB credential, and which values are one
 * (CHECKS.md `secrets.user-data`, `secrets.plaintext-environment`). Pure: the
 * checks of user data, task-definition environments and command lines share it.
 */

/** Named in CHECKS.md `secrets.user-data`. */
const NAMED = new Set([
  'INFLUXDB_ADMIN_PASSWORD',
  'INFLUXDB_USER_PASSWORD',
  'INFLUXDB_READ_USER_PASSWORD',
  'INFLUXDB_WRITE_USER_PASSWORD',
  'INFLUXDB_HTTP_SHARED_SECRET',
  'DOCKER_INFLUXDB_INIT_PASSWORD',
  'DOCKER_INFLUXDB_INIT_ADMIN_TOKEN',
  'INFLUX_TOKEN',
  'INFLUX_PASSWORD',
  'AWS_SECRET_ACCESS_KEY',
]);

const SECRET_WORD = /TOKEN|SECRET|PASSWORD/;

/**
 * Whether a variable of this name holds a credential. `user-data`: the names of
 * `secrets.user-data` (any `INFLUXDB3_*`/`INFLUXD_*` name holding TOKEN, SECRET
 * or PASSWORD); `environment` adds `INFLUXDB_*` ones (`secrets.plaintext-environment`).
 * A `*_FILE` variable names a path, never a credential.
 */
export function isCredentialName(name: string, scope: 'user-data' | 'environment'): boolean {
  const n = name.toUpperCase();
  if (n.endsWith('_FILE')) return false;
  if (NAMED.has(n)) return true;
  if (!SECRET_WORD.test(n)) return false;
  if (n.startsWith('INFLUXDB3_') || n.startsWith('INFLUXD_')) return true;
  return scope === 'environment' && n.startsWith('INFLUXDB_');
}

/**
 * Whether a value is a credential in clear: not empty (after surrounding quotes),
 * not a shell reference (`$VAR`, `${…}`, `$(…)`, a backquoted command).
 */
export function isCredentialValue(value: string): boolean {
  const v = value
    .trim()
    .replace(/^(['"])(.*)\1$/s, '$2')
    .trim();
  if (v === '') return false;
  return !/^(\$[A-Za-z_{(]|`)/.test(v);
}

/** A credential seen in a script: the variable or command that holds it and its 1-based line. Never the value. */
export interface Sighting {
  name: string;
  line: number;
}

/** `NAME=value`, `NAME: value` (YAML), quoted or not; the name not preceded by a word character. */
const ASSIGNMENT = /(?<![\w$])([A-Za-z_][A-Za-z0-9_]*)(?:=|:[ \t]+)("(?:[^"\\]|\\.)*"|'[^']*'|[^\s;&|]*)/g;
/** The `influx` CLI (not `influxd`), as a command word. */
const INFLUX_CLI = /(?:^|[\s;&|(`])influx(?=\s)/;
/** Its options that take a credential (`-password`: the 1.x CLI's spelling). */
const CLI_OPTIONS = new Set(['--password', '-p', '--token', '-t', '-password']);
const CREATE_USER = /\bCREATE\s+USER\s+\S+\s+WITH\s+PASSWORD\s+('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|\S+)/i;

/** Credential variables assigned in this text, also inside a quoted value (`Environment="INFLUX_TOKEN=…"`). */
function assignments(text: string, scope: 'user-data' | 'environment', depth = 0): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(ASSIGNMENT)) {
    const [, name, value] = m as unknown as [string, string, string];
    if (isCredentialName(name, scope) && isCredentialValue(value)) out.push(name);
    else if (depth < 2 && /^["']/.test(value)) out.push(...assignments(value.slice(1, -1), scope, depth + 1));
  }
  return out;
}

/** Shell-like words of a line (quotes kept, so that an empty `''` stays a word). */
const words = (line: string): string[] => line.match(/"(?:[^"\\]|\\.)*"|'[^']*'|[^\s"']+/g) ?? [];

/** The `influx` options on this line that are given a credential in clear (`--password=x` or `--password x`). */
function cliSightings(line: string): string[] {
  const at = line.search(INFLUX_CLI);
  if (at < 0) return [];
  const w = words(line.slice(at));
  const out: string[] = [];
  for (let i = 0; i < w.length; i++) {
    const [flag, inline] =
      w[i]!.startsWith('-') && w[i]!.includes('=')
        ? [w[i]!.slice(0, w[i]!.indexOf('=')), w[i]!.slice(w[i]!.indexOf('=') + 1)]
        : [w[i]!, undefined];
    if (!CLI_OPTIONS.has(flag)) continue;
    const value = inline ?? w[i + 1];
    if (value !== undefined && !value.startsWith('-') && isCredentialValue(value)) out.push(`influx ${flag}`);
  }
  return out;
}

/**
 * Where a script (user data, a command line) holds an InfluxDB credential in clear (CHECKS.md `secrets.user-data`):
 * a credential variable assigned a value that is not empty and not a shell reference, an `influx` CLI option given
 * one, or `CREATE USER … WITH PASSWORD '…'`. A line ending in `\` continues on the next: the sighting is at its first.
 */
export function credentialSightings(text: string, scope: 'user-data' | 'environment' = 'user-data'): Sighting[] {
  const out: Sighting[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const first = i;
    let line = lines[i]!;
    while (line.endsWith('\\') && i + 1 < lines.length) line = `${line.slice(0, -1)} ${lines[++i]!}`;
    const names = new Set<string>();
    for (const name of assignments(line, scope)) names.add(name);
    for (const n of cliSightings(line)) names.add(n);
    const create = CREATE_USER.exec(line);
    if (create && isCredentialValue(create[1]!)) names.add('CREATE USER … WITH PASSWORD');
    for (const name of names) out.push({ name, line: first + 1 });
  }
  return out;
}
