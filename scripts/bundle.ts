/**
 * The CLI as ES modules (dist/cli/influxguard-cli.mjs and its chunks, loaded by the package's `bin`,
 * dist/influxguard.mjs), built by esbuild after tsc (`npm run build`). Bundled, the AWS SDK is read from its
 * ES module builds instead of each client's CommonJS index: a scan
 * process is about 60 MB smaller (`--version`: 161 MB of RSS from the tsc
 * output, 102 MB bundled; client-ec2 alone: 130 MB loaded from node_modules,
 * 74 MB bundled). Minified: the same code, 8 MB less to parse and hold.
 * Split: what the code imports dynamically (publishing, remediation, host
 * evidence, the audit, the HTML report, and the AWS clients they use: see
 * lib/aws/clients.ts) is a chunk of its own, loaded only by a run that uses it
 * (a scan without them: 17 MB less RSS at start).
 * Usage: node dist/scripts/bundle.js (from the repository root).
 */
import { readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';

const root = fileURLToPath(new URL('../../', import.meta.url));
/** zod's English messages alone, as in the Lambda bundles (the file says why). */
const zodEnglish = createRequire(import.meta.url)(join(root, 'serverless', 'zod-english.cjs')) as Plugin;

/**
 * The SDK's XML parser (@aws-sdk/xml-builder's dist-es/xml-parser.js, the class `AwsXmlParser`) replaced by
 * lib/aws/xml-parser.ts, the same parser reading by slices (that file says why). A build where no SDK parser of that
 * kind was found fails: the substitution never lapses unseen when the SDK moves its files.
 */
const sdkXmlParser: Plugin = {
  name: 'influxguard-sdk-xml-parser',
  setup(b) {
    let replaced = 0;
    b.onLoad({ filter: /[\\/]@aws-sdk[\\/]xml-builder[\\/]dist-es[\\/]xml-parser\.js$/ }, (args) => {
      if (!readFileSync(args.path, 'utf8').includes('class AwsXmlParser')) return undefined;
      replaced++;
      return { contents: `export { parseXML } from ${JSON.stringify(join(root, 'lib', 'aws', 'xml-parser.ts'))};`, loader: 'js' };
    });
    b.onEnd((result) => {
      if (!replaced && !result.errors.length)
        result.errors.push({
          id: '',
          pluginName: 'influxguard-sdk-xml-parser',
          text: "the AWS SDK's XML parser (@aws-sdk/xml-builder/dist-es/xml-parser.js, class AwsXmlParser) was not found",
          location: null,
          notes: [],
          detail: undefined,
        });
    });
  },
};

/**
 * `entry` (a TypeScript file, relative to the repository root) and what it imports, as the ES module
 * `outdir/name.mjs` and the chunks it loads on demand beside it (the directory is emptied first).
 */
export async function bundle(entry: string, outdir: string, name: string): Promise<void> {
  rmSync(join(root, outdir), { recursive: true, force: true });
  await build({
    absWorkingDir: root,
    entryPoints: { [name]: entry },
    outdir,
    outExtension: { '.js': '.mjs' },
    splitting: true,
    chunkNames: 'chunk-[hash]',
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
    plugins: [zodEnglish, sdkXmlParser],
    // CommonJS dependencies inside an ES module bundle still call require().
    banner: { js: "import { createRequire as __igRequire } from 'node:module'; const require = __igRequire(import.meta.url);" },
  });
}

/**
 * The node flags of the CLI's launcher (and of the benchmarks that measure the CLI as shipped): V8's
 * memory-saving modes, neither a heap limit. `--optimize-for-size` collects sooner (on a machine with much
 * memory V8 lets the heap grow to several times what is live). `--no-opt --no-maglev` keeps V8's baseline compiler
 * (Sparkplug) and none of its optimising ones (TurboFan, Maglev): optimising compilations allocate tens of MB for
 * moments (the peak RSS a sampler every 50 ms misses) for code a scan runs a few thousand times. Measured on a
 * 5,000-instance `--no-probe` scan of the peer comparison's scope (issue 33): 147 MB peak and 6.8 CPU-s, against
 * 165 MB and 7.7 CPU-s under `--lite-mode` (the interpreter alone: the AWS SDK's XML parsing runs slower) and
 * 180 MB and 5.2 CPU-s with Maglev (`--no-opt` alone); at 10,000 instances 215 MB and 14.4 CPU-s, 221 MB and
 * 16.0 CPU-s, 235 MB and 12.1 CPU-s.
 */
export const CLI_NODE_FLAGS = ['--optimize-for-size', '--no-opt', '--no-maglev'];

/**
 * Before Node 24 (V8 before 13) lite mode is not usable: it implies `--jitless`, which turns WebAssembly off, V8 printed
 * "Warning: disabling flag --expose_wasm due to conflicting flags" on every run, and on Node 22 `--help` failed (exit 1)
 * when Node's own fetch (undici, which compiles WebAssembly there) was loaded. Those versions get lite mode's compiler
 * settings without it: no optimising compiler (TurboFan, Maglev) and no baseline compiler (Sparkplug), as under lite
 * mode, WebAssembly left on.
 */
const CLI_NODE_FLAGS_BEFORE_24 = ['--optimize-for-size', '--no-opt', '--no-maglev', '--no-sparkplug'];

/**
 * The launcher is a shell script for its first two lines, which picks the flags by the node version (`node --version`:
 * about 10 ms), and JavaScript from there on (to node, line 2 is a string and a comment).
 */
const LAUNCHER_EXEC = `":" //; case "$(node --version 2>/dev/null)" in v1[0-9].*|v2[0-3].*) f="${CLI_NODE_FLAGS_BEFORE_24.join(' ')}" ;; *) f="${CLI_NODE_FLAGS.join(' ')}" ;; esac; exec node $f "$0" "$@"`;

/** The package's `bin`: a few lines that turn Node's compile cache on, then load the bundle beside it. */
const CLI_LAUNCHER = 'dist/influxguard.mjs';
const CLI_DIR = 'dist/cli';

/**
 * Compiling the 3 MB bundle costs V8 a 56 MB peak of parser memory on every
 * run (RSS that glibc then keeps): with Node's compile cache (Node >= 22.1)
 * a second run loads the compiled code instead (`--version`: 133 -> 95 MB of
 * peak RSS, 0.46 -> 0.28 s). The cache is the user's own directory (mode
 * 0700), used only when every level of it is a real directory of this user
 * that no one else may write, in a directory others cannot write either
 * (unless sticky): compiled code read from a place someone else can change
 * would be theirs to choose. Without Node's compile cache (before 22.1) or
 * with NODE_DISABLE_COMPILE_CACHE=1, the CLI runs as before.
 */
const LAUNCHER = `#!/bin/sh
${LAUNCHER_EXEC}
// influxguard's launcher (written by scripts/bundle.ts): V8's memory-saving modes (not a heap limit; see
// CLI_NODE_FLAGS there); the compile cache spares each run the bundle's compilation.
import { lstatSync, mkdirSync } from 'node:fs';
import * as nodeModule from 'node:module';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';
try {
  const env = process.env.XDG_CACHE_HOME;
  const base = env && isAbsolute(env) ? env : join(homedir(), '.cache');
  const dir = join(base, 'influxguard', 'node-compile-cache');
  const uid = process.getuid?.();
  // Each level a real directory (not a link) of this user that no one else may write; the one above, not writable by
  // others unless sticky (as /tmp): nobody else can swap what Node reads compiled code from. Else no cache.
  const own = (d) => {
    const st = lstatSync(d);
    if (!st.isDirectory() || st.uid !== uid || (st.mode & 0o022) !== 0) throw new Error(d);
  };
  const above = lstatSync(dirname(base));
  const safeAbove = above.isDirectory() && (above.uid === uid || above.uid === 0) && ((above.mode & 0o022) === 0 || (above.mode & 0o1000) !== 0);
  if (isAbsolute(base) && safeAbove && typeof nodeModule.enableCompileCache === 'function') {
    // One level at a time: Node's recursive mkdir never returns under /proc.
    for (const d of [base, join(base, 'influxguard'), dir]) {
      try {
        mkdirSync(d, { mode: 0o700 });
      } catch (err) {
        if (err.code !== 'EEXIST') throw err;
      }
      own(d);
    }
    nodeModule.enableCompileCache(dir);
  }
} catch {
  // No cache (a read-only or missing home, or a directory someone else could change): the same CLI, compiled each run.
}
await import('./cli/influxguard-cli.mjs');
`;

// Run as a script (not when bundled into a benchmark's child, whose own file is argv[1]).
if (process.argv[1] && realpathSync(process.argv[1]).endsWith('/scripts/bundle.js')) {
  await bundle('bin/influxguard.ts', CLI_DIR, 'influxguard-cli');
  writeFileSync(join(root, CLI_LAUNCHER), LAUNCHER, { mode: 0o755 });
}
