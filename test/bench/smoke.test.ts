/**
 * The fleet and fan-out benchmarks at small sizes, as CI's smoke test: they must run end to
 * end (seed, scan with probes and host evidence, publish, rescan, report)
 * without errors. Timings are printed, never asserted.
 */
import { expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';

const root = new URL('../../', import.meta.url).pathname;

it('runs the fleet benchmark at 40 instances without errors (timing is not judged)', () => {
  const r = spawnSync(process.execPath, [`${root}dist/bench/fleet.js`, '--sizes', '40', '--no-write'], {
    cwd: root,
    encoding: 'utf8',
    timeout: 240_000,
  });
  expect({ status: r.status, stderr: r.status === 0 ? '' : r.stderr.slice(-2000) }).toEqual({ status: 0, stderr: '' });
  const row = r.stdout.split('\n').find((l) => l.startsWith('| 40 |'));
  expect(row).toBeDefined();
  expect(r.stdout).toMatch(/\| re-imported \/ calls \(rescan\) \|/);
  expect(r.stdout).toMatch(/^## Cost model/m);
  console.info(`fleet smoke: ${row}`);
}, 300_000);

it('runs the fan-out scale benchmark at 200 instances (2 worker processes) without errors (timing is not judged)', () => {
  const r = spawnSync(
    process.execPath,
    [
      `${root}dist/bench/scale.js`,
      '--instances',
      '200',
      '--accounts',
      '2',
      '--regions',
      '1',
      '--workers',
      '2',
      '--calibrate',
      '100',
      '--no-write',
    ],
    { cwd: root, encoding: 'utf8', timeout: 240_000 },
  );
  expect({ status: r.status, stderr: r.status === 0 ? '' : r.stderr.slice(-2000) }).toEqual({ status: 0, stderr: '' });
  expect(r.stdout).toMatch(/\| work units \| 2 \| 2 \| 1\.00 \|/);
  expect(r.stdout).toMatch(/^## Scale model/m);
  console.info(`scale smoke: ${r.stdout.split('\n').find((l) => l.startsWith('| wall time'))}`);
}, 300_000);

it('runs the reachability calls benchmark at 50 instances without errors (calls are reported, not judged)', () => {
  const r = spawnSync(process.execPath, [`${root}dist/bench/reach.js`, '--instances', '50', '--no-write'], {
    cwd: root,
    encoding: 'utf8',
    timeout: 240_000,
  });
  expect({ status: r.status, stderr: r.status === 0 ? '' : r.stderr.slice(-2000) }).toEqual({ status: 0, stderr: '' });
  expect(r.stdout).toMatch(/\*\*all discovery calls \(EC2 \+ ELB\)\*\* \| \*\*\d+\*\*/);
  console.info(`reach smoke: ${r.stdout.split('\n').find((l) => l.includes('all discovery calls'))}`);
}, 300_000);

it('runs the snapshots/user-data benchmark at 50 instances without errors (calls are reported, not judged)', () => {
  const r = spawnSync(process.execPath, [`${root}dist/bench/instance-data.js`, '--instances', '50', '--no-write'], {
    cwd: root,
    encoding: 'utf8',
    timeout: 240_000,
  });
  expect({ status: r.status, stderr: r.status === 0 ? '' : r.stderr.slice(-2000) }).toEqual({ status: 0, stderr: '' });
  // The first scan reads every instance's user data; the rescan only the stopped ones.
  const [first, again] = ['first (empty cache)', 'rescan (same process)'].map((l) =>
    Number(
      r.stdout
        .split('\n')
        .find((x) => x.startsWith(`| ${l} |`))
        ?.split('|')[2],
    ),
  );
  expect(first).toBeGreaterThan(again!);
  console.info(`instance-data smoke: first ${first}, rescan ${again} per-instance reads`);
}, 300_000);
