/**
 * The CLI's launcher (dist/influxguard.mjs, written by scripts/bundle.ts): Node's compile cache in the user's own
 * directory, never in one that someone else could write (compiled code read from there would be theirs to choose).
 */
import { execFile, execFileSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, symlinkSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { CLI, runCli } from '../support/cli.js';

const cacheOf = (base: string) => join(base, 'influxguard', 'node-compile-cache');

it('keeps the compile cache in $XDG_CACHE_HOME/influxguard, private to the user, and runs the same with it', async () => {
  const base = mkdtempSync(join(tmpdir(), 'ig-launcher-'));
  const first = await runCli(['--version'], { XDG_CACHE_HOME: base });
  const second = await runCli(['--version'], { XDG_CACHE_HOME: base });
  expect(first).toEqual(second);
  expect(first.code).toBe(0);
  expect(statSync(cacheOf(base)).mode & 0o777).toBe(0o700);
  expect(readdirSync(cacheOf(base)).length).toBeGreaterThan(0);
});

it('does not use a cache directory that others may write', async () => {
  const base = mkdtempSync(join(tmpdir(), 'ig-launcher-'));
  mkdirSync(cacheOf(base), { recursive: true });
  chmodSync(cacheOf(base), 0o777);
  const r = await runCli(['--version'], { XDG_CACHE_HOME: base });
  expect(r.code).toBe(0);
  expect(readdirSync(cacheOf(base))).toEqual([]);
});

it('runs without a cache where none can be made (and does not hang where a recursive mkdir would)', async () => {
  const r = await runCli(['--version'], { XDG_CACHE_HOME: '/proc/influxguard-no-such-place/cache' }, 10_000);
  expect(r.code).toBe(0);
  expect(r.stderr).toBe('');
});

// Review: only the last level was checked (with stat, which follows links), so whoever owned a level above could swap
// the cache under it between the check and Node's read.
it.each([
  [
    'a level above it belongs to someone else',
    (base: string) => {
      mkdirSync(join(base, 'influxguard'));
      chownSync(join(base, 'influxguard'), 65534, 65534);
    },
  ],
  [
    'a level above it is a link to elsewhere',
    (base: string) => symlinkSync(mkdtempSync(join(tmpdir(), 'ig-elsewhere-')), join(base, 'influxguard')),
  ],
])('does not use the cache when %s', async (_, plant) => {
  const base = mkdtempSync(join(tmpdir(), 'ig-launcher-'));
  plant(base);
  const r = await runCli(['--version'], { XDG_CACHE_HOME: base });
  expect(r.code).toBe(0);
  expect(existsSync(cacheOf(base)) ? readdirSync(cacheOf(base)) : []).toEqual([]);
});

// Review: a static import of enableCompileCache made the launcher fail to link on a Node without it.
const older = ['/usr/bin/node', '/usr/local/bin/node'].find((n) => {
  try {
    return (
      existsSync(n) &&
      Number(execFileSync(n, ['-p', 'typeof require("node:module").enableCompileCache === "function" ? 1 : 0']).toString()) === 0
    );
  } catch {
    return false;
  }
});
(older ? it : it.skip)(`starts on a Node without a compile cache (${older ?? 'none on this machine'})`, () => {
  expect(
    execFileSync(older!, [CLI, '--version'], { env: { PATH: process.env.PATH ?? '' } })
      .toString()
      .trim(),
  ).toMatch(/^\d+\.\d+\.\d+/);
});

it('loads at start only what every scan needs: publishing, host evidence, the audit, remediation and their AWS clients on use', () => {
  // The bundle's static import graph (scripts/bundle.ts): the entry and the chunks it imports, not those it imports dynamically.
  const dir = join(dirname(CLI), 'cli');
  const atStart = new Set<string>();
  const todo = ['influxguard-cli.mjs'];
  while (todo.length) {
    const file = todo.pop()!;
    if (atStart.has(file)) continue;
    atStart.add(file);
    for (const m of readFileSync(join(dir, file), 'utf8').matchAll(/(?:from|import)\s*"\.\/(chunk-[\w-]+\.mjs)"/g)) todo.push(m[1]!);
  }
  const text = [...atStart].map((f) => readFileSync(join(dir, f), 'utf8')).join('\n');
  const services = ['ec2', 'sts', 'securityhub', 'sns', 'ssm', 'secretsmanager', 'dynamodb', 'sqs', 'organizations'];
  expect(services.filter((s) => text.includes(`"com.amazonaws.${s}"`))).toEqual(['ec2', 'sts']);
  expect(readdirSync(dir).filter((f) => readFileSync(join(dir, f), 'utf8').includes('"com.amazonaws.securityhub"'))).toHaveLength(1);
});

// Defect (test fails on the old code): an exception outside main()'s promise (a timer, an emitter without an 'error'
// listener, an unhandled rejection) ended Node with its own exit 1 and a stack trace: exit 1 means failing findings,
// so a crash read as a completed scan with failures (the demo counted it a success).
it.each([
  ['an uncaught exception', 'setTimeout(() => { throw new Error("boom\\u001b[31m") }, 50)'],
  ['an unhandled rejection', 'setTimeout(() => { Promise.reject(new Error("boom\\u001b[31m")) }, 50)'],
])('ends %s outside the scan with exit 2 and one line, never exit 1 or a stack trace', async (_, code) => {
  // A port that accepts and never answers keeps the probe waiting while the planted fault fires.
  const server = createServer(() => {});
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  try {
    const r = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        [
          '--import',
          `data:text/javascript,${encodeURIComponent(code)}`,
          CLI,
          'probe',
          '--allow-cidr',
          '127.0.0.0/8',
          `http://127.0.0.1:${port}`,
        ],
        { env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp' }, timeout: 30_000 },
        (err, _stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? null) : 0, stderr }),
      );
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('influxguard: internal error: boom[31m\n');
  } finally {
    server.close();
  }
});
