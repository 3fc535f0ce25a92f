/**
 * A second adversarial review of the collector against CHECKS.md ("Host evidence is read, never run"), with real
 * processes, users and files, as attacks.test.ts does. Each test names what it tries; those that failed on the
 * collector before its fix say so in the commit that added them.
 */
import { describe, expect, it } from '@jest/globals';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  copyFileSync,
  linkSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { COLLECTOR_PATH } from '../../lib/evidence/host/local.js';
import { parseCollectorOutput, type HostEvidence } from '../../lib/evidence/host/parse.js';
import type { Finding, Result } from '../../lib/model.js';
import { collectorPython } from '../support/collector-py.js';
import { judgeHost } from '../support/fixtures.js';
import { collect, fakeBinary, type Run, withCleanup } from './fakes.js';

const account = /^influxdb:[^:]*:(\d+):(\d+):/m.exec(readFileSync('/etc/passwd', 'utf8'));
const INFLUXDB = account ? { uid: Number(account[1]), gid: Number(account[2]) } : undefined;

const value = (r: Run | Result<HostEvidence>): HostEvidence => {
  const h = 'host' in r ? r.host : r;
  if (!h.ok) throw new Error(h.reason);
  return h.value;
};
const finding = (host: Result<HostEvidence>, id: string): Finding | undefined =>
  judgeHost(host, { instanceId: 'i-review' }).find((f) => f.checkId === id);

const { cleanup, fake } = withCleanup();
const tempDir = (prefix: string, mode = 0o755) => {
  const d = mkdtempSync(join(tmpdir(), prefix));
  chmodSync(d, mode);
  cleanup.push(() => rmSync(d, { recursive: true, force: true }));
  return d;
};
const AUTH_ON = '[http]\n  auth-enabled = true\n';

describe('what a process says about itself is read whole, or its evidence is incomplete', () => {
  it('an environment over 64 KiB whose INFLUXDB_HTTP_AUTH_ENABLED=false comes last: auth.disabled FAILED, never PASSED from the file', async () => {
    const f = await fake({
      args: ['-config', '{dir}/influxdb.conf'],
      files: { 'influxdb.conf': AUTH_ON },
      env: { PADDING: 'x'.repeat(100_000), INFLUXDB_HTTP_AUTH_ENABLED: 'false' },
    });
    const run = await collect([f.pid]);
    expect(value(run).processes[0]).toMatchObject({ pid: f.pid, env: { INFLUXDB_HTTP_AUTH_ENABLED: 'false' } });
    expect(finding(run.host, 'auth.disabled')).toMatchObject({ status: 'FAILED' });
  }, 30_000);

  it('a command line over 64 KiB whose --without-auth comes last (influxdb3 serve): auth.disabled FAILED, never PASSED', async () => {
    const f = await fake({ name: 'influxdb3', args: ['serve', '--node-id', 'n'.repeat(100_000), '--without-auth'] });
    const run = await collect([f.pid]);
    expect(value(run).processes[0]).toMatchObject({ pid: f.pid, flavour: 'influxdb-3', flags: { 'without-auth': 'true' } });
    expect(finding(run.host, 'auth.disabled')).toMatchObject({ status: 'FAILED' });
  }, 30_000);
});

/** The collector over a fixture host root (systemd units and the environment files they name). */
function collectRoot(root: string, pids: number[] = []): { stdout: string; host: Result<HostEvidence> } {
  const r = spawnSync('sh', [COLLECTOR_PATH], {
    encoding: 'utf8',
    env: { PATH: '/usr/bin:/bin', INFLUXGUARD_PIDS: pids.join(' '), INFLUXGUARD_ROOT: root },
    timeout: 30_000,
  });
  return { stdout: r.stdout, host: parseCollectorOutput(r.stdout) };
}

describe('systemd environment files: read as root only when nobody but root can change them', () => {
  (INFLUXDB ? it : it.skip)(
    "an EnvironmentFile the influxdb account controls (its own file, a link to a root-only file, a FIFO, one in a world-writable directory): none read; root's own still read",
    () => {
      const root = tempDir('ig-sdroot-');
      const planted = tempDir('ig-rootonly-', 0o700);
      // A root-only file whose line the account wants to read through the collector (printed, not a secret by name).
      writeFileSync(join(planted, 'secret.env'), 'INFLUXDB_HTTP_BIND_ADDRESS=:Root-Only-7c1e\n', { mode: 0o600 });
      mkdirSync(join(root, 'etc/systemd/system'), { recursive: true });
      mkdirSync(join(root, 'etc/default'), { recursive: true });
      mkdirSync(join(root, 'var/lib/influxdb'), { recursive: true });
      mkdirSync(join(root, 'srv/open'), { recursive: true });
      chownSync(join(root, 'var/lib/influxdb'), INFLUXDB!.uid, INFLUXDB!.gid);
      chmodSync(join(root, 'srv/open'), 0o777);
      const own = join(root, 'var/lib/influxdb/own.env');
      writeFileSync(own, 'INFLUXDB_HTTP_AUTH_ENABLED=Account-Own-3a9d\n');
      chownSync(own, INFLUXDB!.uid, INFLUXDB!.gid);
      symlinkSync(join(planted, 'secret.env'), join(root, 'var/lib/influxdb/link.env'));
      execFileSync('mkfifo', [join(root, 'var/lib/influxdb/fifo.env')]);
      writeFileSync(join(root, 'srv/open/open.env'), 'INFLUXDB_HTTP_PPROF_ENABLED=World-Dir-55e2\n');
      writeFileSync(join(root, 'etc/default/influxdb'), 'INFLUXDB_HTTP_HTTPS_ENABLED=true\n');
      writeFileSync(
        join(root, 'etc/systemd/system/influxdb.service'),
        [
          '[Service]',
          'EnvironmentFile=-/var/lib/influxdb/own.env',
          'EnvironmentFile=-/var/lib/influxdb/link.env',
          'EnvironmentFile=-/var/lib/influxdb/fifo.env',
          'EnvironmentFile=-/srv/open/open.env',
          'EnvironmentFile=-/etc/default/influxdb',
          '',
        ].join('\n'),
      );
      const run = collectRoot(root);
      for (const planted of ['Root-Only-7c1e', 'Account-Own-3a9d', 'World-Dir-55e2']) expect(run.stdout).not.toContain(planted);
      const h = value(run.host);
      expect(h.systemd.env).toEqual({ INFLUXDB_HTTP_HTTPS_ENABLED: 'true' });
      expect(h.errors.join('\n')).toMatch(/own\.env.*not read/);
      expect(h.errors.join('\n')).toMatch(/link\.env.*not read/);
      expect(h.errors.join('\n')).toMatch(/open\.env.*not read/);
    },
    30_000,
  );

  it('a unit file itself in a world-writable directory is not read', () => {
    const root = tempDir('ig-sdroot-');
    mkdirSync(join(root, 'etc/systemd/system'), { recursive: true });
    mkdirSync(join(root, 'etc/default'), { recursive: true });
    chmodSync(join(root, 'etc/systemd/system'), 0o777);
    writeFileSync(join(root, 'etc/default/influxdb'), 'INFLUXDB_HTTP_HTTPS_ENABLED=true\n');
    writeFileSync(join(root, 'etc/systemd/system/influxdb.service'), '[Service]\nEnvironmentFile=/etc/default/influxdb\n');
    const h = value(collectRoot(root).host);
    expect(h.systemd).toEqual({ environmentFiles: [], env: {} });
  });
});

describe('attacks that already held (kept as tests)', () => {
  (INFLUXDB ? it : it.skip)(
    'a config that is a FIFO, a link loop, or a hard link to a root-only file, named by processes of the influxdb account: none blocks, none read',
    async () => {
      const dir = tempDir('ig-acct-', 0o755);
      chownSync(dir, INFLUXDB!.uid, INFLUXDB!.gid);
      execFileSync('mkfifo', [join(dir, 'fifo.conf')]);
      symlinkSync('loop-b.conf', join(dir, 'loop-a.conf'));
      symlinkSync('loop-a.conf', join(dir, 'loop-b.conf'));
      const planted = tempDir('ig-rootonly-', 0o755);
      writeFileSync(join(planted, 'root.conf'), '[http]\n  bind-address = ":Hard-Link-1b7f"\n', { mode: 0o600 });
      linkSync(join(planted, 'root.conf'), join(dir, 'hard.conf')); // same file system (both in the temp directory)
      const fakes = await Promise.all(
        ['fifo.conf', 'loop-a.conf', 'hard.conf'].map((c) => fake({ runAs: INFLUXDB!.uid, args: ['-config', join(dir, c)] })),
      );
      const run = await collect(fakes.map((f) => f.pid));
      expect(run.stdout).not.toContain('Hard-Link-1b7f');
      const h = value(run);
      expect(h.processes.map((p) => [p.configPath.split('/').pop(), p.configSource])).toEqual([
        ['fifo.conf', 'none'],
        ['loop-a.conf', 'none'],
        ['hard.conf', 'none'],
      ]);
      expect(finding(run.host, 'auth.disabled')?.status).not.toBe('PASSED');
    },
    30_000,
  );

  it('an influxd that is a shell script (its executable is the shell): ignored, never run', async () => {
    // Root's own script in a root-owned directory: only its executable (the shell) gives it away.
    const script = join(tempDir('ig-script-'), 'influxd');
    writeFileSync(script, `#!/bin/sh\n[ "$1" = serve ] || touch "$0.executed"\nwhile :; do sleep 1; done\n`, { mode: 0o755 });
    const child = spawn(script, ['serve'], { stdio: 'ignore' });
    cleanup.push(() => child.kill('SIGKILL'));
    for (let i = 0; i < 100 && !commIs(child.pid!, 'influxd'); i++) await new Promise((r) => setTimeout(r, 20));
    const run = await collect([child.pid!]);
    const h = value(run);
    expect(h.processes).toEqual([]);
    expect(h.ignored).toEqual([expect.objectContaining({ pid: child.pid, reason: 'its executable is not influxd' })]);
    expect(() => readFileSync(`${script}.executed`)).toThrow();
    expect(finding(run.host, 'auth.disabled')?.status).not.toBe('PASSED');
  }, 30_000);
});

describe('more attacks that already held', () => {
  (INFLUXDB ? it : it.skip)(
    "a setuid copy of influxd owned by the influxdb account, run by nobody (effective uid influxdb): ignored as nobody's",
    async () => {
      const exe = join(tempDir('ig-setuid-'), 'influxd');
      copyFileSync(fakeBinary(), exe);
      chownSync(exe, INFLUXDB!.uid, INFLUXDB!.gid);
      chmodSync(exe, 0o4755);
      const child = spawn('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', exe, '-config', '/nonexistent.conf'], {
        stdio: 'ignore',
      });
      cleanup.push(() => child.kill('SIGKILL'));
      for (let i = 0; i < 100 && !commIs(child.pid!, 'influxd'); i++) await new Promise((r) => setTimeout(r, 20));
      expect(readFileSync(`/proc/${child.pid}/status`, 'utf8')).toMatch(new RegExp(`^Uid:\\s+65534\\s+${INFLUXDB!.uid}\\s`, 'm'));
      const h = value(await collect([child.pid!]));
      expect(h.processes).toEqual([]);
      expect(h.ignored).toEqual([expect.objectContaining({ pid: child.pid, reason: expect.stringMatching(/^run by nobody/) })]);
    },
    30_000,
  );

  it('a configuration of 1 GiB (sparse): refused by its size before it is read, NOT_AVAILABLE', async () => {
    const f = await fake({ args: ['-config', '{dir}/huge.conf'], files: { 'huge.conf': AUTH_ON } });
    truncateSync(join(f.dir, 'huge.conf'), 1 << 30);
    const run = await collect([f.pid]);
    expect(value(run).processes[0]).toMatchObject({ configSource: 'none' });
    expect(value(run).errors.join('\n')).toMatch(/huge\.conf larger than 262144 bytes/);
    expect(finding(run.host, 'auth.disabled')?.status).toBe('NOT_AVAILABLE');
  }, 30_000);
});

function commIs(pid: number, name: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === name;
  } catch {
    return false;
  }
}

/**
 * Run inside a pid namespace of its own (so that the next pid can be chosen): a slow root influxd A (a 512 MiB sparse
 * executable: the collector hashes it) and a root influxd B, both trusted; the collector started on them. While it
 * reads A, B ends and an unprivileged process takes B's pid, naming a root-only file as its configuration. Prints
 * "reused" when the pid was taken while the collector still ran.
 */
const PID_REUSE = `
import os, subprocess, sys, time
d, collector = sys.argv[1:3]
a = subprocess.Popen([d + '/a/influxd', '-config', '/nonexistent.conf'])
time.sleep(0.05)
b = subprocess.Popen([d + '/b/influxd', '-config', '/nonexistent.conf'])
time.sleep(0.1)
out = open(d + '/out.json', 'w')
c = subprocess.Popen(['sh', collector], stdout=out, env={'PATH': '/usr/bin:/bin', 'INFLUXGUARD_PIDS': '%d %d' % (a.pid, b.pid)})
def reading():
    for p in os.listdir('/proc'):
        try:
            st = open('/proc/%s/stat' % p).read()
            if st[st.index('(') + 1:st.rindex(')')] .startswith('python3') and int(st[st.rindex(')') + 2:].split()[1]) == c.pid:
                return True
        except (OSError, ValueError):
            pass
    return False
end = time.time() + 20
while not reading() and c.poll() is None and time.time() < end:
    time.sleep(0.001)
b.kill()
b.wait()
with open('/proc/sys/kernel/ns_last_pid', 'w') as f:
    f.write(str(b.pid - 1))
e = subprocess.Popen(['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', d + '/e/influxd', '-config', d + '/secret/root.conf'])
print('reused' if e.pid == b.pid and c.poll() is None else 'not reused')
c.wait()
a.kill()
e.kill()
print(b.pid)
`;

describe('a pid that changes hands while the collector runs', () => {
  it("a trusted root influxd that ends, its pid taken by nobody's process naming a root-only file: not read as root, not judged", () => {
    const d = tempDir('ig-pidreuse-');
    for (const x of ['a', 'b', 'e']) {
      mkdirSync(join(d, x), { mode: 0o755 });
      copyFileSync(fakeBinary(), join(d, x, 'influxd'));
      chmodSync(join(d, x, 'influxd'), 0o755);
    }
    truncateSync(join(d, 'a/influxd'), 512 << 20);
    mkdirSync(join(d, 'secret'), { mode: 0o700 });
    writeFileSync(join(d, 'secret/root.conf'), '[http]\n  bind-address = ":Pid-Reuse-5d2c"\n', { mode: 0o600 });
    const r = spawnSync(
      'unshare',
      ['--pid', '--fork', '--mount-proc', '/usr/bin/python3', '-I', '-S', '-c', PID_REUSE, d, COLLECTOR_PATH],
      {
        encoding: 'utf8',
        timeout: 60_000,
      },
    );
    const [said, pid] = r.stdout.trim().split('\n');
    expect(said).toBe('reused'); // the attack took place while the collector ran
    const out = readFileSync(join(d, 'out.json'), 'utf8');
    expect(out).not.toContain('Pid-Reuse-5d2c');
    const h = value(parseCollectorOutput(out));
    expect(h.processes.map((p) => p.pid)).not.toContain(Number(pid));
    expect(h.errors.join('\n')).toMatch(new RegExp(`pid ${pid}: .*ended`));
  }, 60_000);
});

describe("the collector's own environment, as SSM starts it", () => {
  it('LD_PRELOAD and a PATH of planted programs: no program the collector starts loads the library or is a planted one', () => {
    const d = tempDir('ig-ldpreload-', 0o777);
    writeFileSync(
      join(d, 'mark.c'),
      `#include <stdio.h>
__attribute__((constructor)) static void mark(void) {
  char comm[64] = {0}; FILE *c = fopen("/proc/self/comm", "r"); if (c) { if (!fgets(comm, sizeof comm, c)) comm[0] = 0; fclose(c); }
  FILE *f = fopen("${d}/loaded", "a"); if (f) { fputs(comm, f); fclose(f); }
}
`,
    );
    execFileSync('cc', ['-shared', '-fPIC', '-o', join(d, 'mark.so'), join(d, 'mark.c')]);
    const planted = join(d, 'bin');
    mkdirSync(planted, { mode: 0o777 });
    for (const tool of ['readlink', 'ls', 'dirname', 'env', 'python3', 'ss', 'openssl', 'rpm', 'dpkg'])
      writeFileSync(join(planted, tool), `#!/bin/sh\necho ${tool} >> ${d}/ran\n`, { mode: 0o777 });
    const r = spawnSync('sh', [COLLECTOR_PATH], {
      encoding: 'utf8',
      env: { PATH: `${planted}:/usr/bin:/bin`, LD_PRELOAD: join(d, 'mark.so'), INFLUXGUARD_PIDS: '' },
      timeout: 30_000,
    });
    expect(value(parseCollectorOutput(r.stdout)).tools).toMatchObject({ python3: true, ss: true });
    expect(() => readFileSync(join(d, 'ran'))).toThrow(); // no planted program ran
    // The shell SSM starts loads what its own environment says; nothing the collector starts does.
    expect(readFileSync(join(d, 'loaded'), 'utf8').trim().split('\n')).toEqual(['sh']);
  });
});

/**
 * The race between the check and the open, made certain: os.open is wrapped so that the attacker's rename (a FIFO
 * over the config file, as a container's root may make a device node and swap it in) lands right before the
 * reader opens the file it has checked. Run as root, as a root process's reader runs. Prints what was opened.
 */
const CHECK_THEN_OPEN = `
import json, os, stat, sys
ns = {'__name__': 'collector'}
exec(compile(sys.stdin.read(), 'collect', 'exec'), ns)
d, O_PATH, real_open, kinds = sys.argv[1], ns['O_PATH'], os.open, []
def racing_open(path, flags, mode=0o777, *, dir_fd=None):
    if not flags & O_PATH and str(path).endswith('influxdb.conf'):
        os.rename(d + '/fifo', d + '/influxdb.conf')
    fd = real_open(path, flags, mode, dir_fd=dir_fd)
    if not flags & O_PATH:
        kinds.append('regular' if stat.S_ISREG(os.fstat(fd).st_mode) else 'not regular')
    return fd
os.open = racing_open
root = real_open('/', O_PATH | os.O_DIRECTORY)
try:
    result = ns['in_root_read'](root, root, d + '/influxdb.conf', 65536).decode()
except (OSError, ValueError) as e:
    result = 'refused: %s' % e
print(json.dumps({'opened': kinds, 'result': result}))
`;

describe('the race between checking a file and opening it', () => {
  it("a root process's reader: a FIFO (or a device node) swapped in after the check is never opened; the file checked is what is read", () => {
    const d = tempDir('ig-race-');
    writeFileSync(join(d, 'influxdb.conf'), AUTH_ON);
    execFileSync('mkfifo', [join(d, 'fifo')]);
    const out = JSON.parse(
      execFileSync('/usr/bin/python3', ['-I', '-S', '-c', CHECK_THEN_OPEN, d], { input: collectorPython(), encoding: 'utf8' }),
    ) as { opened: string[]; result: string };
    expect(out.opened).not.toContain('not regular');
    expect(out.result).toBe(AUTH_ON);
  });
});

describe('listeners: what ss prints is checked against the kernel', () => {
  it('a process whose name holds a newline and a forged "LISTEN" line: no listener that does not exist is reported', () => {
    // A pid namespace of its own: the collector sees only this process (and no other test's influxd).
    const r = spawnSync(
      'unshare',
      [
        '--pid',
        '--fork',
        '--mount-proc',
        'sh',
        '-c',
        '"$1" listen 45917 "$2" & sleep 0.3; exec sh "$3"',
        'sh',
        fakeBinary(),
        '\nLISTEN 0 0 :9 ',
        COLLECTOR_PATH,
      ],
      { encoding: 'utf8', env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' }, timeout: 30_000 },
    );
    const h = value(parseCollectorOutput(r.stdout));
    expect(h.listenerSource).toBe('ss');
    const seen = h.listeners.map((l) => `${l.address}:${l.port}`);
    expect(seen).toContain('127.0.0.1:45917'); // the real one (others of the sandbox's network may be there too)
    expect(h.listeners.filter((l) => l.port === 9)).toEqual([]);
  });
});
