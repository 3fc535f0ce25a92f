/**
 * The collector's output, validated. Unknown schema versions, malformed,
 * truncated or hostile output are reported as a reason, never thrown.
 */
import { z } from 'zod';
import { fail, ok, type Result } from '../../model.js';

export const COLLECTOR_SCHEMA = 'influxguard.collector/1';
/** SSM keeps the first 24,000 characters of stdout. */
export const SSM_STDOUT_LIMIT = 24_000;

const str = (max: number) => z.string().max(max);
const Process = z.object({
  pid: z.number().int().nonnegative(),
  name: str(64),
  user: str(64),
  cmdline: str(1000),
  configPath: str(1000),
  env: z.record(str(128), str(1000)),
  configSource: z.enum(['influxd config', 'file', 'none']),
  config: z.record(str(128), str(1000)),
  headers: z.record(str(128), str(1000)),
});
const Listener = z.object({
  address: str(100),
  port: z.number().int().min(0).max(65535),
  process: str(64),
  pid: z.number().int().nullable(),
});
const File = z.object({
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
export const CollectorOutput = z.object({
  schema: z.literal(COLLECTOR_SCHEMA),
  collectedAt: str(40),
  hostname: str(256),
  tools: z.object({ ss: z.boolean(), openssl: z.boolean(), influxd: z.boolean() }),
  version: str(64).nullable(),
  processes: z.array(Process).max(16),
  listeners: z.array(Listener).max(200),
  listenerSource: str(40),
  files: z.array(File).max(32),
  systemd: z.object({ environmentFiles: z.array(str(1000)).max(32), env: z.record(str(128), str(1000)) }),
  errors: z.array(str(1000)).max(64),
});
export type HostEvidence = z.infer<typeof CollectorOutput>;
export type HostProcess = z.infer<typeof Process>;

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
  const parsed = CollectorOutput.safeParse(json);
  if (!parsed.success) {
    const i = parsed.error.issues[0]!;
    return fail(`collector output does not match ${COLLECTOR_SCHEMA}: ${i.path.join('.') || '(root)'}: ${i.message}`.slice(0, 300));
  }
  return ok(parsed.data);
}
