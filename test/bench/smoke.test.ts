/**
 * The fleet benchmark at a small size, as CI's smoke test: it must run end to
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
  expect(r.stdout).toMatch(/### Cost model/);
  console.info(`fleet smoke: ${row}`);
}, 300_000);
