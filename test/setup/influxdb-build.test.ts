/**
 * scripts/influxdb-build.sh, the tests' version matrix, with a stand-in Go toolchain (a shell script that records
 * each step and can hang in the long one): the builds are announced with an estimate, show progress, resume after
 * an interruption instead of starting over, and can be skipped with one line (IG_TEST_MATRIX=skip).
 */
import { describe, expect, it } from '@jest/globals';
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const SCRIPT = new URL('../../scripts/influxdb-build.sh', import.meta.url).pathname;

/** A fake `go` (and `cargo`) for the flux path of the script (1.13.x, 2.x); every call is appended to calls.log. */
function toolchain(): { dir: string; env: Record<string, string>; calls: () => string[] } {
  const dir = mkdtempSync(join(tmpdir(), 'ig-build-'));
  const bin = join(dir, 'bin');
  const mod = join(dir, 'mod');
  mkdirSync(bin);
  mkdirSync(join(mod, 'libflux'), { recursive: true });
  writeFileSync(join(mod, 'libflux', 'lib.rs'), '#![deny(warnings)]\n');
  const go = `#!/bin/sh
echo "$*" >> "${dir}/calls.log"
case "$1 $2" in
  "mod download") echo '  "Dir": "${mod}",' ;;
  "list -m") echo v0.194.5 ;;
  "mod edit") ;;
  "build -o") mkdir -p "$(dirname "$3")"; printf '#!/bin/sh\\n' > "$3"; chmod +x "$3" ;;
  "build -v")
    # The long step: hangs while HANG exists (the test interrupts it), else writes an influxd.
    while [ -e "${dir}/HANG" ]; do echo "compiling github.com/influxdata/flux/x"; sleep 1; done
    for a in "$@"; do [ "$prev" = -o ] && out="$a"; prev="$a"; done
    mkdir -p "$(dirname "$out")"; printf '#!/bin/sh\\necho "InfluxDB v2.7.12 (stand-in)"\\n' > "$out"; chmod +x "$out" ;;
esac
`;
  writeFileSync(join(bin, 'go'), go);
  writeFileSync(join(bin, 'cargo'), '#!/bin/sh\n');
  chmodSync(join(bin, 'go'), 0o755);
  chmodSync(join(bin, 'cargo'), 0o755);
  const env = {
    PATH: `${bin}:/usr/bin:/bin`,
    HOME: dir,
    INFLUXGUARD_CACHE: join(dir, 'cache'),
    IG_BUILD_PROGRESS_SECONDS: '1',
    // InfluxDB 3 is installed from this folder (absent unless a test makes it): never the real 265 MB binary here.
    IG_INFLUXDB3_DIST: join(dir, 'influxdb3-dist'),
  };
  const calls = () => (existsSync(join(dir, 'calls.log')) ? readFileSync(join(dir, 'calls.log'), 'utf8').trim().split('\n') : []);
  return { dir, env, calls };
}

/** Runs the script; resolves with its output once it exits, or kills it (SIGTERM to its group) when `until` matches. */
function run(args: string[], env: Record<string, string>, until?: RegExp): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn('bash', [SCRIPT, ...args], { env, detached: true });
    let out = '';
    const take = (d: Buffer) => {
      out += d.toString();
      if (until?.test(out)) process.kill(-child.pid!, 'SIGTERM');
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    child.on('close', (code) => resolve({ code, out }));
  });
}

describe('scripts/influxdb-build.sh', () => {
  it('announces the builds with an estimate, shows progress, and resumes an interrupted build', async () => {
    const tc = toolchain();
    writeFileSync(join(tc.dir, 'HANG'), '');
    const first = await run(['2.7.12'], tc.env, /2\.7\.12: 0 min of about 6: building libflux.*\(compiling/);
    expect(first.out).toContain('building InfluxDB 2.7.12 from source for the test matrix: about 6 min');
    expect(first.out).toContain('To skip: make test MATRIX=skip');
    expect(first.out).toMatch(
      /2\.7\.12: 0 min of about 6: building libflux \(Rust\) and influxd \(Go\) \(compiling github\.com\/influxdata\/flux\/x\)/,
    );
    const work = join(tc.env.INFLUXGUARD_CACHE, 'influxdb', '.work-2.7.12');
    // What the interrupted run did stays: the patched sources and the pkg-config tool.
    expect(readFileSync(join(work, 'flux@v0.194.5', 'libflux', 'lib.rs'), 'utf8')).toBe('#![allow(warnings)]\n');
    expect(existsSync(join(work, 'bin', 'pkg-config'))).toBe(true);
    const before = tc.calls().length;

    spawnSync('rm', [join(tc.dir, 'HANG')]);
    const second = await run(['2.7.12'], tc.env);
    expect(second.code).toBe(0);
    expect(second.out).toContain(`resuming the interrupted build in ${work}`);
    expect(second.out).toMatch(/2\.7\.12 built in \d+ s/);
    // Resumed: no download, no copy, no pkg-config build again; only the last step.
    expect(
      tc
        .calls()
        .slice(before)
        .map((c) => c.split(' ').slice(0, 2).join(' ')),
    ).toEqual(['build -v']);
    expect(existsSync(join(tc.env.INFLUXGUARD_CACHE, 'influxdb', '2.7.12', 'influxd'))).toBe(true);
    expect(existsSync(work)).toBe(false);
    // Cached now: nothing to announce or build.
    expect((await run(['--if-toolchains', '2.7.12'], tc.env)).out).toBe('');
  });

  it('skips the matrix with one line when told to (make test MATRIX=skip), and names the cached versions for the demo', async () => {
    const tc = toolchain();
    const skipped = await run(['--if-toolchains'], { ...tc.env, IG_TEST_MATRIX: 'skip' });
    expect(skipped).toEqual({
      code: 0,
      out: "influxdb-build: version matrix skipped (IG_TEST_MATRIX=skip, make test MATRIX=skip): the tests use Debian's influxd 1.6.7\n",
    });
    expect(tc.calls()).toEqual([]);
    const status = await run(['--status'], { ...tc.env, IG_TEST_MATRIX: 'skip' });
    expect(status.out).toBe(skipped.out);
    mkdirSync(join(tc.env.INFLUXGUARD_CACHE, 'influxdb', '1.8.10'), { recursive: true });
    writeFileSync(join(tc.env.INFLUXGUARD_CACHE, 'influxdb', '1.8.10', 'influxd'), '', { mode: 0o755 });
    expect((await run(['--cached'], tc.env)).out).toBe(
      `InfluxDB builds in the cache: 1.8.10 (${join(tc.env.INFLUXGUARD_CACHE, 'influxdb')})\n`,
    );
    expect((await run(['--status'], { ...tc.env, IG_TEST_MATRIX: 'skip' })).out).toContain('1.6.7 and the cached 1.8.10\n');
  });

  it('says in one line which versions a machine without the toolchains cannot build', async () => {
    const tc = toolchain();
    const env = { ...tc.env, PATH: '/usr/bin:/bin' };
    if (spawnSync('sh', ['-c', 'command -v go || command -v cargo'], { env }).status === 0) return; // a system-wide Go: not this case
    expect(await run(['--if-toolchains'], env)).toEqual({ code: 0, out: '' });
    expect((await run(['--status'], env)).out).toBe(
      `InfluxDB versions not tested: 1.8.10: no Go toolchain; 1.13.2: no Go+Rust toolchain; 2.7.12: no Go+Rust toolchain; 3.6.0: installed from ${tc.env.IG_INFLUXDB3_DIST}, not built: needs ${tc.env.IG_INFLUXDB3_DIST}\n`,
    );
  });

  it('InfluxDB 3.6.0 is installed, not built, and only a verified binary: the archive against SHA256SUMS, the binary against its SHA-256', async () => {
    const tc = toolchain();
    const dist = tc.env.IG_INFLUXDB3_DIST;
    mkdirSync(dist);
    const archive = join(dist, 'influxdb3-3.6.0-linux-x86_64.xz');
    // An archive whose SHA256SUMS line is right but whose content is not the 3.6.0 binary.
    spawnSync('sh', ['-c', `printf '#!/bin/sh\\necho not influxdb3\\n' | xz > "${archive}"`]);
    const sum = createHash('sha256').update(readFileSync(archive)).digest('hex');
    writeFileSync(join(dist, 'SHA256SUMS'), `${sum}  influxdb3-3.6.0-linux-x86_64.xz\n`);
    const cache = join(tc.env.INFLUXGUARD_CACHE, 'influxdb');
    const wrongBinary = await run(['3.6.0'], tc.env);
    expect(wrongBinary.code).not.toBe(0);
    expect(wrongBinary.out).toContain('installing InfluxDB 3.6.0 (built elsewhere) from');
    expect(readFileSync(join(cache, 'build-3.6.0.log'), 'utf8')).toContain("the unpacked binary's SHA-256 is not b1bbc393");
    expect(existsSync(join(cache, '3.6.0', 'influxdb3'))).toBe(false);
    // An archive that does not match SHA256SUMS is not even unpacked.
    writeFileSync(join(dist, 'SHA256SUMS'), `${'0'.repeat(64)}  influxdb3-3.6.0-linux-x86_64.xz\n`);
    expect((await run(['3.6.0'], tc.env)).code).not.toBe(0);
    expect(readFileSync(join(cache, 'build-3.6.0.log'), 'utf8')).toMatch(/FAILED|did NOT match/);
    expect(existsSync(join(cache, '3.6.0', 'influxdb3'))).toBe(false);
    expect(tc.calls()).toEqual([]);
  });
});
