#!/usr/bin/env -S node --optimize-for-size --no-opt --no-maglev
// V8's memory-saving modes (not a heap limit), as the shipped launcher sets them: CLI_NODE_FLAGS in
// scripts/bundle.ts. Measured in bench/RESULTS.md ("Fleet scans", "A peer").
import { type CliIO, internalError, main } from '../lib/cli/main.js';

const io: CliIO = {
  stdout: (t) => process.stdout.write(t),
  drained: () => new Promise((resolve) => process.stdout.once('drain', resolve)),
  stderr: (t) => process.stderr.write(t),
  env: process.env,
  stdoutIsTTY: process.stdout.isTTY === true,
  stderrIsTTY: process.stderr.isTTY === true,
  ...(process.stdout.columns ? { stdoutColumns: process.stdout.columns } : {}),
};
// Node ends on these with exit 1, which says "failing findings": a crash must never read as a finished scan.
const crash = (err: unknown) => process.exit(internalError(err, io));
process.on('uncaughtException', crash);
process.on('unhandledRejection', crash);
process.exitCode = await main(process.argv.slice(2), io);
