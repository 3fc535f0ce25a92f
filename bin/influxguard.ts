#!/usr/bin/env -S node --optimize-for-size
// --optimize-for-size: V8's memory-saving GC mode (not a heap limit). On a machine with much memory V8 lets
// the heap grow to several times what is live (a 1,000-instance scan holds ~45 MB live, its heap reached
// 125 MB); this mode collects sooner. Measured in bench/RESULTS.md ("Fleet scans", "A peer").
import { main } from '../lib/cli.js';

const code = await main(process.argv.slice(2), {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
  env: process.env,
  stdoutIsTTY: process.stdout.isTTY === true,
  stderrIsTTY: process.stderr.isTTY === true,
});
process.exitCode = code;
