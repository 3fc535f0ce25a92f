/**
 * Review of the issue-27 collector as an attacker on the host would try it:
 * the influxdb service account, a container's root, a local user. Each test
 * runs the real collector as root against real processes and failed on the
 * collector before its fix (see the commit that added it).
 */
import { beforeAll, describe, expect, it } from '@jest/globals';
import { spawn, spawnSync } from 'node:child_process';
import {
  appendFileSync,
  chmodSync,
  chownSync,
  copyFileSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { COLLECTOR_PATH } from '../../lib/evidence/host/local.js';
import { parseCollectorOutput, SSM_STDOUT_LIMIT, type HostEvidence } from '../../lib/evidence/host/parse.js';
import type { Finding, Result } from '../../lib/model.js';
import { startInfluxd, type RunningInfluxd } from '../../scripts/influxd.js';
import { collectorPython } from '../support/collector-py.js';
import { judgeHost } from '../support/fixtures.js';
import { collect, fakeBinary, type Run, withCleanup } from './fakes.js';

const account = /^influxdb:[^:]*:(\d+):(\d+):/m.exec(readFileSync('/etc/passwd', 'utf8'));
const INFLUXDB = account ? { uid: Number(account[1]), gid: Number(account[2]) } : undefined;

const value = (r: Run): HostEvidence => {
  if (!r.host.ok) throw new Error(r.host.reason);
  return r.host.value;
};
const pidsOf = (h: HostEvidence) => h.processes.map((p) => p.pid).sort();
const byPid = (h: HostEvidence, pid: number) => h.processes.find((p) => p.pid === pid);
const finding = (host: Result<HostEvidence>, id: string): Finding =>
  judgeHost(host, { instanceId: 'i-attacks' }).find((f) => f.checkId === id)!;

const { cleanup, fake } = withCleanup();
/** A directory the influxdb account may write. */
function accountDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'ig-account-'));
  chownSync(d, INFLUXDB!.uid, INFLUXDB!.gid);
  cleanup.push(() => rmSync(d, { recursive: true, force: true }));
  return d;
}
/** Run a Python program as the influxdb account (uid and gid as startFake's runAs gives them). */
function asAccount(program: string, args: string[]): { exited: Promise<void>; stop: () => void } {
  const child = spawn(
    'setpriv',
    [`--reuid=${INFLUXDB!.uid}`, `--regid=${INFLUXDB!.uid}`, '--clear-groups', '/usr/bin/python3', '-I', '-S', '-c', program, ...args],
    { stdio: 'ignore', env: { PATH: '/usr/bin:/bin' } },
  );
  const stop = () => child.kill('SIGKILL');
  cleanup.push(stop);
  return { exited: new Promise((resolve) => child.on('exit', () => resolve())), stop };
}

/**
 * The influxdb account's own "container": its copy of the fake influxd (with
 * `extra` bytes appended, e.g. forged Go build information) run in its own user
 * namespace, where the collector judges it from what it can read. Resolves with
 * its pid once it is named influxd.
 */
async function accountContainer(
  o: {
    extra?: Buffer;
    args?: string[];
    env?: (dir: string) => Record<string, string>;
    files?: Record<string, string>;
    /** In its own mount namespace too, with this file of its directory bind-mounted over that path. */
    bind?: [string, string];
    /** Instead, a container's root that is the host's root (no user namespace, as Docker's default): only a mount namespace. */
    hostRoot?: boolean;
  } = {},
): Promise<number> {
  const dir = accountDir();
  const exe = join(dir, 'influxd');
  copyFileSync(fakeBinary(), exe);
  appendFileSync(exe, Buffer.alloc((16 - (statSync(exe).size % 16)) % 16)); // build information sits on a 16-byte boundary
  appendFileSync(exe, o.extra ?? Buffer.alloc(0));
  for (const [name, text] of Object.entries({ influxd: '', ...o.files })) {
    if (name !== 'influxd') writeFileSync(join(dir, name), text);
    chownSync(join(dir, name), INFLUXDB!.uid, INFLUXDB!.gid);
  }
  chmodSync(exe, 0o755);
  const child = spawn(
    o.hostRoot ? 'unshare' : 'setpriv',
    [
      ...(o.hostRoot
        ? ['--mount']
        : [`--reuid=${INFLUXDB!.uid}`, `--regid=${INFLUXDB!.uid}`, '--clear-groups', 'unshare', '--user', '--map-root-user']),
      ...(o.bind
        ? ['--mount', 'sh', '-c', 'mount --bind "$1" "$2" && shift 2 && exec "$0" "$@"', exe, join(dir, o.bind[0]), o.bind[1]]
        : [exe]),
      ...(o.args ?? ['-config', '/nonexistent.conf']),
    ],
    { stdio: 'ignore', cwd: dir, env: { PATH: '/usr/bin:/bin', ...o.env?.(dir) } },
  );
  cleanup.push(() => child.kill('SIGKILL'));
  for (let i = 0; i < 200; i++) {
    if (comm(child.pid!) === 'influxd') return child.pid!;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('the account container did not start');
}
const childrenOf = (pid: number): number[] =>
  readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').split(' ').filter(Boolean).map(Number);
const exeOf = (pid: number) => readlinkSync(`/proc/${pid}/exe`);
const comm = (pid: number) => {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
};
/** Go 1.18+ build information (what `go version -m` reads): inline strings, the module text between 16-byte sentinels. */
function goBuildInfo(modText: string): Buffer {
  const varint = (n: number) => {
    const out: number[] = [];
    for (; n >= 0x80; n >>>= 7) out.push((n & 0x7f) | 0x80);
    return Buffer.from([...out, n]);
  };
  const str = (b: Buffer) => Buffer.concat([varint(b.length), b]);
  const sentinel = Buffer.alloc(16, 0x30);
  const header = Buffer.concat([Buffer.from('\xff Go buildinf:', 'latin1'), Buffer.from([8, 2]), Buffer.alloc(16)]);
  return Buffer.concat([header, str(Buffer.from('go1.21.0')), str(Buffer.concat([sentinel, Buffer.from(modText), sentinel]))]);
}

let real: RunningInfluxd;
beforeAll(async () => {
  real = await startInfluxd({ auth: false, pprof: false });
  cleanup.push(real.stop);
}, 30_000);

/**
 * The influxdb account watches for the collector's reader child (a python3
 * that dropped to its uid), stops it, and takes a copy of its standard output
 * (pidfd_getfd: allowed on a same-uid process that is dumpable): root's SSM
 * output. It writes a forged line into it. Logs "stolen" or "denied <errno>".
 */
const STEAL_STDOUT = String.raw`
import ctypes, os, signal, sys, time
libc = ctypes.CDLL(None, use_errno=True)
log, me, end = open(sys.argv[1], 'a'), os.getpid(), time.time() + 40
open(sys.argv[2], 'w').close()
while time.time() < end:
    for d in os.listdir('/proc'):
        if not d.isdigit() or int(d) == me:
            continue
        try:
            if not open('/proc/%s/comm' % d).read().startswith('python3'):
                continue
            if open('/proc/%s/status' % d).read().split('Uid:')[1].split()[0] != str(os.getuid()):
                continue
        except (OSError, IndexError):
            continue
        # Tried a few times while it runs (it may be caught between two steps of dropping its privileges).
        why = None
        for _ in range(50):
            try:
                os.kill(int(d), signal.SIGSTOP)
                fd = libc.syscall(438, os.pidfd_open(int(d)), 1, 0)  # pidfd_getfd
                if fd < 0:
                    raise OSError(ctypes.get_errno(), 'pidfd_getfd')
                os.write(fd, b'{"FORGED-BY-THE-ACCOUNT":')
                why = 'stolen'
                break
            except OSError as e:
                why = 'denied %s' % e.errno
            finally:
                try:
                    os.kill(int(d), signal.SIGCONT)
                except OSError:
                    pass
            time.sleep(0.01)
        log.write(why + '\n')
        log.close()
        sys.exit(0)
    time.sleep(0.001)
`;

describe('the reader child that drops to a process user holds nothing of root', () => {
  (INFLUXDB ? it : it.skip)(
    "the influxdb account cannot take root's standard output from the reader child (forging the whole document)",
    async () => {
      // Its influxd as large as a real build (a sparse tail), so reading it takes a moment.
      const f = await fake({ runAs: INFLUXDB!.uid, args: ['-config', '/nonexistent.conf'], size: 768 << 20 });
      const dir = accountDir();
      const attacker = asAccount(STEAL_STDOUT, [join(dir, 'log'), join(dir, 'ready')]);
      for (let i = 0; i < 200 && !existsReady(join(dir, 'ready')); i++) await new Promise((r) => setTimeout(r, 25));
      const run = await collect([f.pid, real.pid]);
      await attacker.exited;
      expect(readFileSync(join(dir, 'log'), 'utf8')).toMatch(/^denied/); // it found the reader and tried
      expect(run.stdout).not.toContain('FORGED');
      expect(pidsOf(value(run))).toEqual([f.pid, real.pid].sort());
      expect(finding(run.host, 'auth.disabled')).toMatchObject({ status: 'FAILED' });
    },
    90_000,
  );
});

function existsReady(path: string): boolean {
  try {
    readFileSync(path);
    return true;
  } catch {
    return false;
  }
}

describe('nothing a process says about itself can cost the host its whole document', () => {
  (INFLUXDB ? it : it.skip)(
    'a version of 200 characters in forged build information: not printed (the schema allows 64), the real influxd still judged',
    async () => {
      const pid = await accountContainer({
        extra: goBuildInfo(
          `path\tgithub.com/influxdata/influxdb/cmd/influxd\nmod\tgithub.com/influxdata/influxdb\t(devel)\t\nbuild\t-ldflags="-X main.version=1.13.2${'9'.repeat(200)}"\n`,
        ),
      });
      const run = await collect([pid, real.pid]);
      const h = value(run);
      expect(byPid(h, pid)).toMatchObject({ container: true, version: null });
      expect(byPid(h, real.pid)).toMatchObject({ container: false });
      expect(h.errors.join('\n')).toMatch(new RegExp(`pid ${pid}: .*not a version`));
      expect(finding(run.host, 'auth.disabled')).toMatchObject({ status: 'FAILED' });
    },
    30_000,
  );

  (INFLUXDB ? it : it.skip)(
    "seven account containers whose configuration paths are control characters: each cut to its share, the real influxd's evidence whole",
    async () => {
      const pids = await Promise.all(Array.from({ length: 7 }, () => accountContainer({ args: ['-config', '\u0001'.repeat(400)] })));
      const run = await collect([...pids, real.pid]);
      expect(run.stdout.length).toBeLessThan(SSM_STDOUT_LIMIT);
      const h = value(run);
      expect(pidsOf(h)).toEqual([...pids, real.pid].sort());
      expect(byPid(h, real.pid)).toMatchObject({ configSource: 'file' });
      expect(finding(run.host, 'auth.disabled')).toMatchObject({ status: 'FAILED' });
    },
    60_000,
  );

  (INFLUXDB ? it : it.skip)(
    'a 2.x configuration under 8,000 bytes that its masking makes longer: not sent, and the real influxd still judged',
    async () => {
      const text = 'x-token: a\n'.repeat(700); // 7,700 bytes; each value masked as "set" (+4 characters)
      const pid = await accountContainer({
        extra: Buffer.from('github.com/influxdata/influxdb/v2/cmd/influxd'),
        args: [],
        files: { 'config.yaml': text },
      });
      const run = await collect([pid, real.pid]);
      const h = value(run);
      expect(byPid(h, pid)).toMatchObject({ flavour: 'influxdb-2', configSource: 'none' });
      expect(h.errors.join('\n')).toMatch(/larger than 8000/);
      expect(finding(run.host, 'auth.disabled')).toMatchObject({ status: 'FAILED' });
    },
    30_000,
  );
});

describe('a 1.x config file read as influxd reads it (BurntSushi/toml), or not at all', () => {
  it.each([
    ['a multi-line string whose text looks like a key', false, 'realm = """\n  auth-enabled = true\n  """'],
    ['a quoted key with a space (an unknown key to influxd)', false, '"auth -enabled" = true'],
    ['the key again in another case (influxd matches names case-insensitively, the winner at random)', true, 'AUTH-ENABLED = false'],
    ['the table again in another case', true, '[HTTP]\n  auth-enabled = false'],
  ])(
    '%s: never a PASS the server does not bear out',
    async (_what, auth, httpExtra) => {
      const s = await startInfluxd({ auth, pprof: false, httpExtra });
      cleanup.push(s.stop);
      const run = await collect([s.pid]);
      const open = (await fetch(`${s.url}/query?q=SHOW+DATABASES`)).status === 200;
      const status = finding(run.host, 'auth.disabled').status;
      expect([status, open]).not.toEqual(['PASSED', true]); // what the server does
      expect(status).not.toBe('PASSED'); // and what cannot be known: influxd's choice between the two may differ at each start
    },
    30_000,
  );
});

describe('a 2.x config file sent as text: no secret the masking cannot see', () => {
  const S = 'Vault-Token-5e1d';
  it.each([
    ['config.json', `{\n  "vault-token"\n    : "${S}"\n}\n`], // the key, then its value on the next line
    ['config.json', `{"vault-\\u0074oken": "${S}"}\n`], // the key spelled with an escape
    ['config.toml', `"vault-\\u0074oken" = "${S}"\n`],
    ['config.yaml', `? vault-token\n: ${S}\n`], // a YAML explicit key
    ['config.yaml', `x: &t ${S}\nvault-token: *t\n`], // its value through an alias
  ])(
    '%s %j: the secret never reaches the output',
    async (name, text) => {
      if (!INFLUXDB) return;
      const pid = await accountContainer({
        extra: Buffer.from('github.com/influxdata/influxdb/v2/cmd/influxd'),
        args: [],
        files: { [name]: text },
      });
      const run = await collect([pid]);
      expect(run.stdout).not.toContain(S);
      expect(value(run).processes[0]).toMatchObject({ pid, flavour: 'influxdb-2' });
    },
    30_000,
  );
});

describe("the collector's own environment (SSM's: a proxy's credentials, ...)", () => {
  (INFLUXDB ? it : it.skip)(
    "a 2.x config file that links to /proc/self/environ (the reader's own, in the container's /proc): the collector's environment never reaches the output",
    async () => {
      for (const hostRoot of [false, true]) {
        const pid = await accountContainer({ extra: Buffer.from('github.com/influxdata/influxdb/v2/cmd/influxd'), args: [], hostRoot });
        symlinkSync('/proc/self/environ', join(dirname(exeOf(pid)), 'config.yaml'));
        const run = await collect([pid], 60_000, { https_proxy: 'http://proxy:Proxy-Secret-41@10.0.0.1:3128' });
        expect(run.stdout).not.toContain('Proxy-Secret-41');
        expect(value(run).processes).toEqual([expect.objectContaining({ pid, user: hostRoot ? 'root' : 'influxdb', container: true })]);
      }
    },
    30_000,
  );
});

describe("one process's evidence never stands for another's", () => {
  (INFLUXDB ? it : it.skip)(
    "a container naming the real influxd's world-readable key path, its own mode-600 file there: the real key still FAILED",
    async () => {
      const s = await startInfluxd({ auth: true, https: 'valid.combined.pem', pemMode: 0o644 });
      cleanup.push(s.stop);
      chmodSync(s.dir, 0o755); // as /etc/influxdb is
      const pem = join(s.dir, 'influxdb.pem');
      const pid = await accountContainer({
        files: {
          'influxdb.conf': `[http]\n  https-enabled = true\n  https-certificate = "${pem}"\n  https-private-key = "${pem}"\n`,
          'mine.pem': readFileSync(pem, 'utf8'),
        },
        bind: ['mine.pem', pem],
        args: ['-config', 'influxdb.conf'],
      });
      chmodSync(join(dirname(exeOf(pid)), 'mine.pem'), 0o600);
      // Listed first: pids wrap, and a container may be older than the influxd started after it.
      const run = await collect([pid, s.pid]);
      const h = value(run);
      expect(h.files.filter((f) => f.path === pem).map((f) => f.mode)).toEqual(expect.arrayContaining(['600', '644']));
      expect(finding(run.host, 'tls.private-key-exposed')).toMatchObject({ status: 'FAILED' });
    },
    30_000,
  );
});

describe("trusted processes of its own namespaces cannot crowd out the host's influxd", () => {
  (INFLUXDB ? it : it.skip)(
    "eight account containers listed before the real influxd (pids wrap): the collector's limit of 8 leaves out one of them, never the host's own",
    async () => {
      const pids = await Promise.all(Array.from({ length: 8 }, () => accountContainer()));
      const run = await collect([...pids, real.pid]);
      const h = value(run);
      expect(h.processes.map((p) => p.pid)).toContain(real.pid);
      expect(h.ignored).toEqual([expect.objectContaining({ reason: expect.stringMatching(/limit of 8/) })]);
      expect(finding(run.host, 'auth.disabled')).toMatchObject({ status: 'FAILED' });
    },
    60_000,
  );
});

describe('certificate and key files left out of the output', () => {
  (INFLUXDB ? it : it.skip)(
    'older account containers naming long certificate paths, the real influxd in a container of its own: its key never passes unseen',
    async () => {
      const long = (i: number, k: string) => `/${String(i)}${k}/${'x'.repeat(390)}.pem`;
      const conf = (i: number) =>
        `[http]\n  https-certificate = "${long(i, 'a')}"\n  https-private-key = "${long(i, 'b')}"\n[meta]\n  https-certificate = "${long(i, 'c')}"\n  https-private-key = "${long(i, 'd')}"\n`;
      const pids = await Promise.all(
        Array.from({ length: 7 }, (_, i) => accountContainer({ files: { 'influxdb.conf': conf(i) }, args: ['-config', 'influxdb.conf'] })),
      );
      // The real influxd (world-readable key) started after them, in a mount namespace of its own (as in a container).
      const wrapper = join(accountDir(), 'influxd-in-ns');
      writeFileSync(wrapper, '#!/bin/sh\nexec unshare --mount /usr/bin/influxd "$@"\n', { mode: 0o755 });
      const s = await startInfluxd({ auth: true, https: 'valid.combined.pem', pemMode: 0o644, binary: wrapper });
      cleanup.push(s.stop);
      const pid = childrenOf(s.pid).find((p) => comm(p) === 'influxd') ?? s.pid;
      const run = await collect([...pids, pid]);
      expect(byPid(value(run), pid)).toMatchObject({ container: true });
      expect(finding(run.host, 'tls.private-key-exposed').status).not.toBe('PASSED');
    },
    60_000,
  );
});

/** The influxdb account stops every reader child that runs as it (a signal to its own uid needs no privilege). */
const STALL_READERS = `
import os, signal, sys, time
me, end = os.getpid(), time.time() + float(sys.argv[1])
while time.time() < end:
    for d in os.listdir('/proc'):
        try:
            if d.isdigit() and int(d) != me and open('/proc/%s/comm' % d).read().startswith('python3'):
                if open('/proc/%s/status' % d).read().split('Uid:')[1].split()[0] == str(os.getuid()):
                    os.kill(int(d), signal.SIGSTOP)
        except (OSError, IndexError):
            pass
    time.sleep(0.005)
`;

describe('the time SSM gives the collector (executionTimeout 60 s)', () => {
  (INFLUXDB ? it : it.skip)(
    'the influxdb account stops every reader that runs as it: the collector still answers within it, the real influxd judged',
    async () => {
      const fakes = await Promise.all(Array.from({ length: 4 }, () => fake({ runAs: INFLUXDB!.uid })));
      const staller = asAccount(STALL_READERS, ['70']);
      const run = await collect([...fakes.map((f) => f.pid), real.pid], 60_000).finally(staller.stop);
      const h = value(run);
      expect(h.errors.join('\n')).toMatch(/ran out|took longer/);
      expect(byPid(h, real.pid)).toMatchObject({ configSource: 'file' });
      expect(finding(run.host, 'auth.disabled')).toMatchObject({ status: 'FAILED' });
    },
    90_000,
  );
});

/** Older interpreters on this machine (pyenv), each run on the collector's program as collect.sh runs /usr/bin/python3. */
const OLDER = (() => {
  try {
    return readdirSync('/root/.pyenv/versions')
      .filter((v) => /^3\.(\d+)\./.test(v) && Number(v.split('.')[1]) >= 6)
      .map((v) => `/root/.pyenv/versions/${v}/bin/python3`);
  } catch {
    return [];
  }
})();
describe('old interpreters (python3 3.6 and later: RHEL 8 platform-python, Ubuntu 18.04)', () => {
  (INFLUXDB && OLDER.length ? it : it.skip)(
    'each prints the same document as the system python3, reading as another user included (no import after dropping privileges)',
    async () => {
      const f = await fake({ runAs: INFLUXDB!.uid, args: ['-config', '/etc/influxdb/influxdb.conf'] });
      const run = (python: string) => {
        const r = spawnSync(python, ['-I', '-S', '-B', '-'], {
          input: collectorPython(),
          encoding: 'utf8',
          env: { PATH: '/usr/bin:/bin', INFLUXGUARD_PIDS: `${real.pid} ${f.pid}` },
        });
        const doc = JSON.parse(r.stdout) as Record<string, unknown>;
        delete doc.collectedAt;
        return doc;
      };
      const expected = run('/usr/bin/python3');
      expect(JSON.stringify(expected.errors)).not.toMatch(/could not be read as uid/);
      for (const python of OLDER) expect({ python, doc: run(python) }).toEqual({ python, doc: expected });
    },
    120_000,
  );
});

describe('the interpreter collect.sh runs', () => {
  it('a python3 another user owns, where collect.sh looks for one (no /usr/bin/python3): never run as root, NOT_AVAILABLE instead', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ig-python-'));
    chmodSync(dir, 0o777);
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    // In a mount namespace of the test's own: /usr/bin/python3 hidden, /usr/local/bin/python3 a program of nobody's.
    const r = spawnSync(
      'unshare',
      [
        '--mount',
        '--propagation',
        'private',
        'sh',
        '-c',
        'mount --bind /dev/null /usr/bin/python3 && mount -t tmpfs tmpfs /usr/local/bin && ' +
          'printf "#!/bin/sh\\nid -u > $0/ran\\n" > /usr/local/bin/python3 && chmod 755 /usr/local/bin/python3 && ' +
          'chown 65534 /usr/local/bin/python3 && exec sh "$1"',
        dir,
        COLLECTOR_PATH,
      ],
      { encoding: 'utf8', env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', INFLUXGUARD_PIDS: '' }, timeout: 30_000 },
    );
    expect(existsReady(join(dir, 'ran'))).toBe(false);
    // No other python3 here (the bind mount hid the one /usr/bin/python3 links to): the host's evidence is NOT_AVAILABLE, saying why.
    expect(parseCollectorOutput(r.stdout)).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/python3 is missing .*not root-owned/),
    });
  });
});
