/**
 * The collector's output, validated. Unknown schema versions, malformed,
 * truncated or hostile output are reported as a reason, never thrown.
 */
import { parse as parseToml } from 'smol-toml';
import { parse as parseYaml } from 'yaml';
import {
  collectorOutputSchema,
  COLLECTOR_SCHEMA,
  SSM_STDOUT_LIMIT,
  V2_OPTIONS,
  type HostEvidence,
  type HostProcess,
} from '../../host-evidence.js';
import { fail, ok, type Result } from '../../result.js';
import { lazy } from '../../util/lazy.js';

export { COLLECTOR_SCHEMA, SSM_STDOUT_LIMIT, type HostEvidence };

/** Built by the first collector output parsed (lib/util/lazy.ts), not at import. */
const CollectorOutput = lazy(collectorOutputSchema);

/** Parse one collector run's stdout. */
export function parseCollectorOutput(stdout: string): Result<HostEvidence> {
  const text = stdout.trim();
  if (!text) return fail('the collector printed nothing');
  if (stdout.length >= SSM_STDOUT_LIMIT)
    return fail(`collector output reached the ${SSM_STDOUT_LIMIT}-character SSM limit and may be truncated`);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return fail(`collector output is not valid JSON (${(err as Error).message.slice(0, 120)})`);
  }
  const schema = (json as { schema?: unknown } | null)?.schema;
  if (typeof schema === 'string' && schema !== COLLECTOR_SCHEMA)
    return fail(`unsupported collector schema "${schema.slice(0, 60)}" (this scanner reads ${COLLECTOR_SCHEMA})`);
  const parsed = CollectorOutput().safeParse(json);
  if (!parsed.success) {
    const i = parsed.error.issues[0]!;
    return fail(`collector output does not match ${COLLECTOR_SCHEMA}: ${i.path.join('.') || '(root)'}: ${i.message}`.slice(0, 300));
  }
  if (parsed.data.unavailable) return fail(`host collector could not run: ${parsed.data.unavailable}`.slice(0, 300));
  if (parsed.data.truncated) return fail(`collector output truncated: ${parsed.data.errors[0] ?? 'over its size cap'}`.slice(0, 300));
  return ok({ ...parsed.data, processes: parsed.data.processes.map((p) => withConfigFile(p, parsed.data.errors)) });
}

/**
 * Where a config file failed to parse: the error's name and line/column only.
 * Never the parser's message: YAML, TOML and JSON parsers quote the offending
 * text, which may hold a secret the collector could not mask.
 */
function where(err: unknown): string {
  const e = err as { name?: unknown; code?: unknown; line?: unknown; column?: unknown; linePos?: Array<{ line?: unknown; col?: unknown }> };
  const name = [e?.name, e?.code].filter((x) => typeof x === 'string' && /^\w{1,40}$/.test(x)).join(' ');
  const pos = e?.linePos?.[0];
  const [line, col] = pos ? [pos.line, pos.col] : [e?.line, e?.column];
  const at = Number.isInteger(line) && Number.isInteger(col) ? ` at line ${line}, column ${col}` : '';
  return name || at ? ` (${name || 'error'}${at})` : '';
}

/**
 * InfluxDB 2.x reads its config file with viper: TOML, YAML or JSON, flat
 * keys, case-insensitive. Parsed here with smol-toml / yaml / JSON.parse into
 * `config` (the options the checks read, as strings); flags and INFLUXD_*
 * variables override it (see effective() in lib/checks/hostfacts.ts). A file
 * that does not parse leaves the configuration unknown (configSource none).
 */
function withConfigFile(p: HostProcess, errors: string[]): HostProcess {
  if (p.flavour !== 'influxdb-2' || !p.configFile) return p;
  let doc: unknown;
  try {
    const { format, text } = p.configFile;
    doc = format === 'toml' ? parseToml(text) : format === 'yaml' ? parseYaml(text, { maxAliasCount: 10 }) : JSON.parse(text);
  } catch (err) {
    errors.push(`${p.name}[${p.pid}]: ${p.configPath} is not valid ${p.configFile.format}${where(err)}`);
    return { ...p, configSource: 'none' };
  }
  if (doc === null || doc === undefined) return p; // an empty file
  if (typeof doc !== 'object' || Array.isArray(doc)) {
    errors.push(`${p.name}[${p.pid}]: ${p.configPath} is not a table of options`);
    return { ...p, configSource: 'none' };
  }
  const lower = new Map<string, unknown>();
  for (const [k, v] of Object.entries(doc as Record<string, unknown>)) {
    const key = k.toLowerCase();
    // viper lower-cases the file's names into one map: of two spellings, either may win (Go's map order).
    if (lower.has(key) && (V2_OPTIONS as readonly string[]).includes(key)) {
      errors.push(`${p.name}[${p.pid}]: ${p.configPath} sets ${key} twice (in different cases): influxd may use either`);
      return { ...p, configSource: 'none' };
    }
    lower.set(key, v);
  }
  const config: Record<string, string> = {};
  for (const key of V2_OPTIONS) {
    const v = lower.get(key);
    if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') continue;
    // The collector already masked it; a secret never gets further as a value.
    config[key] = /token|secret|passw/.test(key) ? (String(v) === '' || v === 'empty' ? 'empty' : 'set') : String(v).slice(0, 1000);
  }
  return { ...p, config };
}
