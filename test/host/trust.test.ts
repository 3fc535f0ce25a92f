/**
 * Issue 27: host evidence that cannot be turned against the host. The real
 * collector, as root, against real processes, namespaces and users:
 *  - a pivot_root "container" whose root owns its influxd (a program that
 *    forges `influxd config` / `influxd version` answers when executed);
 *  - the influxdb account in its own user and mount namespace, running a
 *    program bind-mounted over its influxd;
 *  - a configuration path that links to a root-only file holding a planted key;
 *  - eight hostile `nobody` processes with executable paths full of control
 *    characters beside a real root influxd with authentication off.
 * Nothing from a process is executed (the fake's marker file proves it), no
 * forged setting is believed, no planted secret reaches the output, and the
 * real influxd's failing checks stay FAILED.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile, spawn } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { COLLECTOR_PATH } from '../../lib/evidence/host/local.js';
import { parseCollectorOutput, SSM_STDOUT_LIMIT, type HostEvidence } from '../../lib/evidence/host/parse.js';
import type { Finding, Result } from '../../lib/model.js';
import { startInfluxd, type RunningInfluxd } from '../../scripts/influxd.js';
import { judgeHost } from '../support/fixtures.js';
import { fakeBinary, startFake, type Fake } from './fakes.js';

const NOBODY = 65534;
const account = /^influxdb:[^:]*:(\d+):(\d+):/m.exec(readFileSync('/etc/passwd', 'utf8'));
const INFLUXDB = account ? { uid: Number(account[1]), gid: Number(account[2]) } : undefined;

interface Run {
  stdout: string;
  host: Result<HostEvidence>;
}
function collect(pids: number[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      'sh',
      [COLLECTOR_PATH],
      { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', INFLUXGUARD_PIDS: pids.join(' ') }, timeout: 30_000, maxBuffer: 4 << 20 },
      (err, stdout, stderr) =>
        resolve({
          stdout,
          host: err && !stdout ? { ok: false, reason: `collector failed: ${stderr || err.message}` } : parseCollectorOutput(stdout),
        }),
    );
  });
}
const value = (r: Run): HostEvidence => {
  if (!r.host.ok) throw new Error(r.host.reason);
  return r.host.value;
};
const judge = (host: Result<HostEvidence>): Finding[] => judgeHost(host, { instanceId: 'i-trust' });
const finding = (host: Result<HostEvidence>, id: string) => judge(host).find((f) => f.checkId === id)!;

const cleanup: Array<() => unknown> = [];
afterAll(async () => {
  for (const c of cleanup.reverse()) await c();
});
function tempDir(prefix: string, mode = 0o755): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  chmodSync(d, mode);
  cleanup.push(() => rmSync(d, { recursive: true, force: true }));
  return d;
}
/** Start a command; resolve with the pid once the process's name is `influxd` (after every exec on the way). */
async function started(cmd: string, args: string[], opts: { cwd?: string } = {}): Promise<number> {
  const child = spawn(cmd, args, { stdio: 'ignore', env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' }, ...opts });
  cleanup.push(() => child.kill('SIGKILL'));
  for (let i = 0; i < 200; i++) {
    const pids = [child.pid!, ...childrenOf(child.pid!)];
    const pid = pids.find((p) => comm(p) === 'influxd');
    if (pid) {
      cleanup.push(() => process.kill(pid, 'SIGKILL'));
      return pid;
    }
    if (child.exitCode !== null) throw new Error(`${cmd} exited ${child.exitCode}`);
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`${cmd} did not start influxd`);
}
const comm = (pid: number) => {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
};
const childrenOf = (pid: number): number[] =>
  readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .map(Number)
    .filter((p) => {
      try {
        return (
          Number(
            readFileSync(`/proc/${p}/stat`, 'utf8')
              .replace(/^.*\) /s, '')
              .split(' ')[1],
          ) === pid
        );
      } catch {
        return false;
      }
    });

/**
 * A pivot_root "container": its own mount namespace whose root is a directory holding the fake influxd (root-owned,
 * as a container's root owns its files) at /usr/bin/influxd, run with -config /etc/influxdb/influxdb.conf;
 * `config(path)` makes that file on the host side first.
 */
async function container(config: (conf: string) => void): Promise<{ root: string; pid: number }> {
  const root = tempDir('ig-ctr-');
  mkdirSync(join(root, 'usr/bin'), { recursive: true });
  mkdirSync(join(root, 'etc/influxdb'), { recursive: true });
  copyFileSync(fakeBinary(), join(root, 'usr/bin/influxd'));
  chmodSync(join(root, 'usr/bin/influxd'), 0o755);
  config(join(root, 'etc/influxdb/influxdb.conf'));
  const pid = await started('unshare', [
    '--mount',
    '--propagation',
    'private',
    '--fork',
    'sh',
    '-c',
    'mount --bind "$0" "$0" && cd "$0" && mkdir -p .old && pivot_root . .old && umount -l /.old; exec /usr/bin/influxd -config /etc/influxdb/influxdb.conf',
    root,
  ]);
  return { root, pid };
}

let real: RunningInfluxd;
beforeAll(async () => {
  real = await startInfluxd({ auth: false, pprof: false });
  cleanup.push(real.stop);
}, 30_000);

describe('issue 27.1: nothing a monitored process can name or replace is executed', () => {
  it('a pivot_root container whose root owns its influxd: not run, its forged configuration not believed, judged from its file', async () => {
    // The file influxd reads leaves authentication off; executed as `influxd config`, the program says it is on.
    const { root, pid } = await container((conf) => writeFileSync(conf, '[http]\n  pprof-enabled = false\n'));
    const run = await collect([pid]);
    expect(readdirSync(join(root, 'usr/bin'))).toEqual(['influxd']); // no influxd.executed marker: never run
    const h = value(run);
    expect(h.processes).toEqual([
      expect.objectContaining({ pid, container: true, configSource: 'file', configPath: '/etc/influxdb/influxdb.conf' }),
    ]);
    expect(finding(run.host, 'auth.disabled')).toMatchObject({ status: 'FAILED' });
  }, 30_000);

  it('a container whose configuration links to an absolute path: resolved inside its root, never to the host file it names', async () => {
    const planted = tempDir('ig-planted-', 0o700);
    writeFileSync(join(planted, 'secret.conf'), 'bind-address = "PLANTED-KEY-7c1e:8088"\n[http]\n  auth-enabled = true\n', { mode: 0o600 });
    const { root, pid } = await container((conf) => symlinkSync(join(planted, 'secret.conf'), conf));
    const run = await collect([pid]);
    expect(run.stdout).not.toContain('PLANTED-KEY');
    expect(value(run).processes[0]).toMatchObject({ configSource: 'none' });
    expect(finding(run.host, 'auth.disabled')).toMatchObject({ status: 'NOT_AVAILABLE' }); // never the planted "true"
    expect(existsSync(join(root, 'usr/bin/influxd.executed'))).toBe(false);
  }, 30_000);

  (INFLUXDB ? it : it.skip)(
    'the influxdb account in its own user and mount namespace, a program bind-mounted over its influxd: not run, not believed',
    async () => {
      const bin = tempDir('ig-userns-bin-');
      const other = tempDir('ig-userns-other-');
      copyFileSync(fakeBinary(), join(bin, 'influxd'));
      copyFileSync(fakeBinary(), join(other, 'influxd'));
      chmodSync(join(bin, 'influxd'), 0o755);
      chmodSync(join(other, 'influxd'), 0o755);
      writeFileSync(join(bin, 'influxdb.conf'), '[http]\n  pprof-enabled = false\n', { mode: 0o644 });
      const pid = await started('setpriv', [
        `--reuid=${INFLUXDB!.uid}`,
        `--regid=${INFLUXDB!.gid}`,
        '--clear-groups',
        'unshare',
        '--user',
        '--map-root-user',
        '--mount',
        'sh',
        '-c',
        'mount --bind "$1/influxd" "$0/influxd" && exec "$0/influxd" -config "$0/influxdb.conf"',
        bin,
        other,
      ]);
      const run = await collect([pid]);
      for (const d of [bin, other]) expect(existsSync(join(d, 'influxd.executed'))).toBe(false);
      expect(value(run).processes).toEqual([expect.objectContaining({ pid, user: 'influxdb', container: true, configSource: 'file' })]);
      expect(finding(run.host, 'auth.disabled')).toMatchObject({ status: 'FAILED' });
    },
    30_000,
  );
});

describe('issue 27.2: reads as the process user, never through a link out of its root', () => {
  (INFLUXDB ? it : it.skip)('a configuration that links to a root-only file holding a planted key: not read, not sent', async () => {
    const planted = tempDir('ig-planted-', 0o700);
    writeFileSync(join(planted, 'root-only.conf'), 'bind-address = "PLANTED-KEY-9f2e:8088"\n[http]\n  auth-enabled = true\n', {
      mode: 0o600,
    });
    const f: Fake = await startFake({ runAs: INFLUXDB!.uid, args: ['-config', '{dir}/link.conf'] });
    cleanup.push(f.stop);
    symlinkSync(join(planted, 'root-only.conf'), join(f.dir, 'link.conf'));
    const run = await collect([f.pid]);
    expect(run.stdout).not.toContain('PLANTED-KEY');
    expect(value(run).processes[0]).toMatchObject({ configSource: 'none' });
    expect(value(run).errors.join('\n')).toMatch(/permission denied/);
    expect(finding(run.host, 'auth.disabled')).toMatchObject({ status: 'NOT_AVAILABLE' });
    expect(f.executedBy()).toBeUndefined();
  });
});

describe('issue 27.3: output budgets nobody else can spend', () => {
  it("eight nobody processes with control-character paths beside a real root influxd: the real one's failures stay FAILED", async () => {
    const hostile = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        startFake({
          runAs: NOBODY,
          subdir: `${'\u0001'.repeat(120)}${i}/${'\u001b'.repeat(120)}/${'\u007f'.repeat(120)}`,
          args: ['-config', 'x.conf'],
        }),
      ),
    );
    for (const f of hostile) cleanup.push(f.stop);
    const run = await collect([...hostile.map((f) => f.pid), real.pid]);
    expect(run.stdout.length).toBeLessThan(SSM_STDOUT_LIMIT);
    const h = value(run);
    expect(h.processes.map((p) => p.pid)).toEqual([real.pid]);
    expect((h.ignored?.length ?? 0) + (h.ignoredOmitted?.count ?? 0)).toBe(8);
    expect(JSON.stringify(h.ignored).length).toBeLessThanOrEqual(2000);
    for (const f of hostile) expect(f.executedBy()).toBeUndefined();
    // Authentication off on the real influxd: FAILED, whatever the others did (they only keep a PASS from being given).
    expect(finding(run.host, 'auth.disabled')).toMatchObject({ status: 'FAILED' });
    expect(finding(run.host, 'auth.diagnostics-unauthenticated')).toBeDefined();
  }, 30_000);
});
