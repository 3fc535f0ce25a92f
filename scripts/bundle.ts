/**
 * The CLI as one ES module (dist/influxguard-cli.mjs, loaded by the package's `bin`, dist/influxguard.mjs), built
 * by esbuild after tsc (`npm run build`). Bundled, the AWS SDK is read from its
 * ES module builds in one file instead of each client's CommonJS index: a scan
 * process is about 60 MB smaller (`--version`: 161 MB of RSS from the tsc
 * output, 102 MB bundled; client-ec2 alone: 130 MB loaded from node_modules,
 * 74 MB bundled). Minified: the same code, 8 MB less to parse and hold.
 * Usage: node dist/scripts/bundle.js (from the repository root).
 */
import { realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('../../', import.meta.url));

/** `entry` (a TypeScript file, relative to the repository root) and what it imports, as one ES module at `outfile`. */
export async function bundle(entry: string, outfile: string): Promise<void> {
  await build({
    absWorkingDir: root,
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    // The SDK's ES module builds (smaller to load than its CommonJS ones, and tree-shaken).
    mainFields: ['module', 'main'],
    minify: true,
    legalComments: 'none',
    logLevel: 'warning',
    // esbuild drives a native binary of its own: never bundled (the benchmarks that bundle themselves import it).
    external: ['esbuild'],
    // CommonJS dependencies inside an ES module bundle still call require().
    banner: { js: "import { createRequire as __igRequire } from 'node:module'; const require = __igRequire(import.meta.url);" },
  });
}

/** The package's `bin`: a few lines that turn Node's compile cache on, then load the bundle beside it. */
const CLI_LAUNCHER = 'dist/influxguard.mjs';
const CLI_BUNDLE = 'dist/influxguard-cli.mjs';

/**
 * Compiling the 3 MB bundle costs V8 a 56 MB peak of parser memory on every
 * run (RSS that glibc then keeps): with Node's compile cache (Node >= 22.1)
 * a second run loads the compiled code instead (`--version`: 133 -> 95 MB of
 * peak RSS, 0.46 -> 0.28 s). The cache is the user's own directory (mode
 * 0700, and used only when owned by this user and writable by no one else:
 * compiled code read from a directory others can write would be theirs to
 * choose); NODE_DISABLE_COMPILE_CACHE=1 turns it off, as for any Node program.
 */
const LAUNCHER = `#!/usr/bin/env -S node --optimize-for-size
// influxguard's launcher (written by scripts/bundle.ts): --optimize-for-size is V8's memory-saving GC mode (not a heap
// limit); the compile cache spares each run the bundle's compilation (see scripts/bundle.ts).
import { mkdirSync, statSync } from 'node:fs';
import { enableCompileCache } from 'node:module';
import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';
try {
  const base = process.env.XDG_CACHE_HOME && isAbsolute(process.env.XDG_CACHE_HOME) ? process.env.XDG_CACHE_HOME : join(homedir(), '.cache');
  const dir = join(base, 'influxguard', 'node-compile-cache');
  // One level at a time: Node's recursive mkdir never returns under /proc.
  for (const d of [base, join(base, 'influxguard'), dir]) {
    try {
      mkdirSync(d, { mode: 0o700 });
    } catch (err) {
      if (err.code !== 'EEXIST') throw err;
    }
  }
  const st = statSync(dir);
  if (enableCompileCache && st.uid === process.getuid?.() && (st.mode & 0o022) === 0) enableCompileCache(dir);
} catch {
  // No cache (a read-only or missing home): the same CLI, compiled on each run.
}
await import('./influxguard-cli.mjs');
`;

// Run as a script (not when bundled into a benchmark's child, whose own file is argv[1]).
if (process.argv[1] && realpathSync(process.argv[1]).endsWith('/scripts/bundle.js')) {
  await bundle('bin/influxguard.ts', CLI_BUNDLE);
  writeFileSync(join(root, CLI_LAUNCHER), LAUNCHER, { mode: 0o755 });
}
