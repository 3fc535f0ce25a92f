#!/usr/bin/env -S node --optimize-for-size --no-opt --no-maglev
// V8's memory-saving modes (not a heap limit), as the shipped launcher sets them: CLI_NODE_FLAGS in
// scripts/bundle.ts. Measured in bench/RESULTS.md ("Fleet scans", "A peer").
import { main } from '../lib/cli/main.js';

const code = await main(process.argv.slice(2), {
  stdout: (t) => process.stdout.write(t),
  drained: () => new Promise((resolve) => process.stdout.once('drain', resolve)),
  stderr: (t) => process.stderr.write(t),
  env: process.env,
  stdoutIsTTY: process.stdout.isTTY === true,
  stderrIsTTY: process.stderr.isTTY === true,
  ...(process.stdout.columns ? { stdoutColumns: process.stdout.columns } : {}),
});
process.exitCode = code;
