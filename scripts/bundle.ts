/**
 * The CLI as one ES module (dist/influxguard.mjs, the package's `bin`), built
 * by esbuild after tsc (`npm run build`). Bundled, the AWS SDK is read from its
 * ES module builds in one file instead of each client's CommonJS index: a scan
 * process is about 60 MB smaller (`--version`: 161 MB of RSS from the tsc
 * output, 102 MB bundled; client-ec2 alone: 130 MB loaded from node_modules,
 * 74 MB bundled). Minified: the same code, 8 MB less to parse and hold.
 * Usage: node dist/scripts/bundle.js (from the repository root).
 */
import { realpathSync } from 'node:fs';
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

const CLI_BUNDLE = 'dist/influxguard.mjs';

// Run as a script (not when bundled into a benchmark's child, whose own file is argv[1]).
if (process.argv[1] && realpathSync(process.argv[1]).endsWith('/scripts/bundle.js')) await bundle('bin/influxguard.ts', CLI_BUNDLE);
