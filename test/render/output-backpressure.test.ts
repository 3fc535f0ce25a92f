/**
 * The CLI writes a document piece by piece and waits when standard output is a pipe read slower than it is written
 * (`influxguard scan --format json | jq`, a parent process): without waiting, every piece queued in memory (a
 * 5,000-instance scan's JSON into a pipe peaked 120 MB higher than into a file: bench/RESULTS.md, "Peers").
 * Pure: the probe's targets are refused by the allowlist, nothing is sent.
 */
import { expect, it } from '@jest/globals';
import { main, type CliIO } from '../../lib/cli/main.js';

it('waits for the output to drain before rendering the next piece, and the pieces make the whole document', async () => {
  const written: string[] = [];
  let release: (() => void) | undefined;
  const io: CliIO = {
    // Every write is "queued": the CLI must wait for `drained` before the next one.
    stdout: (t) => {
      written.push(t);
      return false;
    },
    drained: () =>
      new Promise<void>((r) => {
        release = r;
      }),
    stderr: () => undefined,
    env: {},
    stdoutIsTTY: false,
    stderrIsTTY: false,
  };
  // 8 refused endpoints: over 100 findings, written in several pieces.
  const targets = Array.from({ length: 8 }, (_, i) => `10.20.1.${i + 1}:8086`);
  let done = false;
  const run = main(['probe', '--format', 'json', '--allow-cidr', '127.0.0.0/8', ...targets], io).then((code) => {
    done = true;
    return code;
  });
  const settle = async () => {
    for (let i = 0; i < 50; i++) await new Promise((r) => setImmediate(r));
  };
  await settle();
  expect({ done, written: written.length }).toEqual({ done: false, written: 1 });
  let pieces = 1;
  while (!done) {
    release?.();
    release = undefined;
    await settle();
    if (!done) expect(written.length).toBe(++pieces);
  }
  expect(await run).toBe(3);
  expect(written.length).toBeGreaterThan(2);
  const doc = JSON.parse(written.join('')) as { findings: unknown[] };
  expect(doc.findings.length).toBeGreaterThan(100);
});
