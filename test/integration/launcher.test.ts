/**
 * The CLI's launcher (dist/influxguard.mjs, written by scripts/bundle.ts): Node's compile cache in the user's own
 * directory, never in one that someone else could write (compiled code read from there would be theirs to choose).
 */
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../support/cli.js';

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
