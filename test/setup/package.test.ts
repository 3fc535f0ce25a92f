/**
 * The npm package: what `npm pack` ships (the CLI's bundle and launcher, the collector, the member-account
 * templates; no tests, benchmarks, scripts, sources or source maps), nothing that runs at install, nothing to
 * download (the bundle is self-contained), and a tarball that installs and runs outside the repository, without
 * the network (the test runs in the sandbox) and without a warning.
 */
import { describe, expect, it } from '@jest/globals';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const root = new URL('../../', import.meta.url).pathname;
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const npm = (args: string[], cwd: string) =>
  spawnSync('npm', [...args, '--no-audit', '--no-fund', '--no-update-notifier'], {
    cwd,
    encoding: 'utf8',
    // Node 24 (the test's) first on PATH, so `npm` and the launcher's `env node` are the supported one.
    env: { ...process.env, PATH: `${dirname(process.execPath)}:${process.env.PATH}`, npm_config_update_notifier: 'false' },
  });

describe('npm package', () => {
  it('ships the CLI, the collector and the member-account templates, and nothing else', () => {
    // --ignore-scripts: dist/ is built by the test run's global setup (`npm pack` builds it first through prepack).
    const r = npm(['pack', '--dry-run', '--json', '--ignore-scripts'], root);
    expect(r.status).toBe(0);
    const files: string[] = JSON.parse(r.stdout)[0].files.map((f: { path: string }) => f.path);
    const chunks = readdirSync(join(root, 'dist', 'cli')).filter((f) => f.endsWith('.mjs'));
    expect(files.sort()).toEqual(
      [
        'README.md',
        'package.json',
        'dist/influxguard.mjs',
        ...chunks.map((c) => `dist/cli/${c}`),
        'collector/collect.sh',
        'cloudformation/member-role.yml',
        'cloudformation/member-events.yml',
      ].sort(),
    );
    expect(files.filter((f) => /\.(map|ts)$|^(test|bench|scripts|lib|handlers|serverless)\//.test(f))).toEqual([]);
  });

  it('runs nothing at install and downloads nothing: the bundle imports only Node built-ins and its own chunks', () => {
    const installScripts = ['preinstall', 'install', 'postinstall', 'prepare'].filter((s) => pkg.scripts?.[s]);
    expect({ installScripts, dependencies: pkg.dependencies }).toEqual({ installScripts: [], dependencies: undefined });
    const builtins = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);
    // Loaded inside try/catch by the SDK (CRT signing; v4a is named in its error message) and vega (node canvas), all
    // optional and unused here.
    const optional = new Set(['@aws-sdk/signature-v4-crt', '@aws-sdk/signature-v4a', 'canvas']);
    const outside = new Set<string>();
    for (const f of ['influxguard.mjs', ...readdirSync(join(root, 'dist', 'cli')).map((c) => `cli/${c}`)]) {
      const code = readFileSync(join(root, 'dist', f), 'utf8');
      for (const m of code.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*)["']([^"']+)["']/g)) {
        const spec = m[1]!;
        // Module names only (minified code has `from"` in other places too).
        if (spec.startsWith('./') || !/^(@[\w.-]+\/)?[\w.-]+(\/[\w./-]+)?$/.test(spec)) continue;
        if (!builtins.has(spec) && !optional.has(spec)) outside.add(spec);
      }
    }
    expect([...outside]).toEqual([]);
  });

  it('installs from its tarball into an empty directory and runs there without a warning', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ig-pack-'));
    const packed = npm(['pack', '--ignore-scripts', '--pack-destination', dir, '--json'], root);
    expect(packed.status).toBe(0);
    const tarball = join(dir, JSON.parse(packed.stdout)[0].filename);
    const prefix = join(dir, 'prefix');
    // The README's install line, offline: there is nothing to download.
    const installed = npm(['install', '--global', '--prefix', prefix, '--offline', tarball], dir);
    expect({ status: installed.status, warnings: installed.stderr.split('\n').filter((l) => /warn|ERR/i.test(l)) }).toEqual({
      status: 0,
      warnings: [],
    });
    // Through the installed bin (the launcher's shebang and its node flags), from a directory outside the repository.
    const bin = (...args: string[]) =>
      spawnSync(join(prefix, 'bin', 'influxguard'), args, {
        cwd: dir,
        encoding: 'utf8',
        env: { PATH: `${dirname(process.execPath)}:/usr/bin:/bin`, HOME: dir },
      });
    const version = bin('--version');
    expect({ status: version.status, stdout: version.stdout.trim(), stderr: version.stderr }).toEqual({
      status: 0,
      stdout: pkg.version,
      stderr: '',
    });
    const help = bin('scan', '--help');
    expect({ status: help.status, stderr: help.stderr }).toEqual({ status: 0, stderr: '' });
    // The collector beside the bundle (host evidence reads it from the package).
    expect(execFileSync('ls', [join(prefix, 'lib', 'node_modules', 'influxguard', 'collector')], { encoding: 'utf8' }).trim()).toBe(
      'collect.sh',
    );
  });
});
