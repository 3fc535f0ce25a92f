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
