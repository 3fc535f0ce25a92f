/**
 * A fresh Debian: Python tools go into project-local virtual environments (scripts/python-venv.sh), made by Debian's
 * own /usr/bin/python3, whose pip refuses to install into the system (PEP 668, "externally-managed-environment");
 * apt-get runs as root or through sudo (scripts/apt-install.sh), and says what to do when neither is possible.
 * Offline (the test runs in the sandbox): the package installed is a wheel the test writes.
 */
import { describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('../../', import.meta.url).pathname;
const DEBIAN_PYTHON = '/usr/bin/python3';
const debian = existsSync(DEBIAN_PYTHON) && existsSync('/etc/debian_version');

/** A minimal wheel of a package `igprobe` (a wheel is a zip with its metadata): pip installs it with --no-index. */
function wheel(dir: string): string {
  const path = join(dir, 'igprobe-0.1-py3-none-any.whl');
  const make = `
import sys, zipfile
files = {
  "igprobe/__init__.py": "VALUE = 42\\n",
  "igprobe-0.1.dist-info/METADATA": "Metadata-Version: 2.1\\nName: igprobe\\nVersion: 0.1\\n",
  "igprobe-0.1.dist-info/WHEEL": "Wheel-Version: 1.0\\nGenerator: test\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n",
}
with zipfile.ZipFile(sys.argv[1], "w") as z:
    for name, text in files.items(): z.writestr(name, text)
    z.writestr("igprobe-0.1.dist-info/RECORD", "".join(f"{n},,\\n" for n in files) + "igprobe-0.1.dist-info/RECORD,,\\n")
`;
  const r = spawnSync(DEBIAN_PYTHON, ['-c', make, path], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return path;
}

(debian ? describe : describe.skip)("Debian's own python3", () => {
  it('refuses pip into the system (what `python3 -m pip install moto` did), and python-venv.sh installs into a venv it made', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ig-venv-'));
    const whl = wheel(dir);
    const system = spawnSync(DEBIAN_PYTHON, ['-m', 'pip', 'install', '--no-index', whl], { encoding: 'utf8' });
    expect(system.status).not.toBe(0);
    expect(system.stderr).toMatch(/externally-managed-environment|No module named pip/);

    const venv = join(dir, '.venv-probe');
    const made = spawnSync(join(root, 'scripts', 'python-venv.sh'), [venv, '--no-index', whl], {
      encoding: 'utf8',
      env: { PATH: '/usr/bin:/bin', HOME: dir, PYTHON: DEBIAN_PYTHON },
    });
    expect({ status: made.status, stderr: made.stderr }).toEqual({ status: 0, stderr: `setup: ${venv}: pip install --no-index ${whl}\n` });
    expect(readFileSync(join(venv, 'pyvenv.cfg'), 'utf8')).toMatch(/^home = \/usr\/bin$/m);
    expect(spawnSync(join(venv, 'bin', 'python'), ['-c', 'import igprobe; print(igprobe.VALUE)'], { encoding: 'utf8' }).stdout).toBe(
      '42\n',
    );
    expect(existsSync(join(venv, '.setup-done'))).toBe(true);
    // The system's Python is untouched.
    expect(spawnSync(DEBIAN_PYTHON, ['-c', 'import igprobe'], { stdio: 'ignore' }).status).not.toBe(0);
    // Done once: a second run installs nothing.
    const again = spawnSync(join(root, 'scripts', 'python-venv.sh'), [venv, '--no-index', whl], {
      encoding: 'utf8',
      env: { PATH: '/usr/bin:/bin' },
    });
    expect({ status: again.status, stderr: again.stderr }).toEqual({ status: 0, stderr: '' });
  });
});

describe('scripts/apt-install.sh', () => {
  it('does nothing when the commands and packages are there', () => {
    const r = spawnSync(join(root, 'scripts', 'apt-install.sh'), ['sh:no-such-package-needed', ...(debian ? ['dpkg'] : [])], {
      encoding: 'utf8',
    });
    expect({ status: r.status, out: r.stdout + r.stderr }).toEqual({ status: 0, out: '' });
  });

  /** Runs apt-install.sh as nobody with a PATH of the named system commands and `extra` scripts; undefined without setpriv. */
  const asNobody = (extra: Record<string, string>) => {
    const setpriv = ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => existsSync(p));
    if (!setpriv) return undefined;
    const bin = mkdtempSync(join(tmpdir(), 'ig-apt-'));
    chmodSync(bin, 0o755);
    for (const c of ['id', 'dpkg-query', 'grep', 'sh', 'env']) {
      const at = ['/usr/bin', '/bin'].map((d) => join(d, c)).find((p) => existsSync(p));
      if (at) symlinkSync(at, join(bin, c));
    }
    // A copy nobody can read (the checkout may sit in a directory only root may enter, as a mktemp -d clone does).
    copyFileSync(join(root, 'scripts', 'apt-install.sh'), join(bin, 'apt-install.sh'));
    chmodSync(join(bin, 'apt-install.sh'), 0o755);
    writeFileSync(join(bin, 'calls'), '', { mode: 0o666 });
    chmodSync(join(bin, 'calls'), 0o666);
    // A stand-in apt-get (never the real one: the test installs nothing), and whatever else the case needs.
    for (const [name, body] of Object.entries({ 'apt-get': `#!/bin/sh\necho "apt-get $*" >> ${bin}/calls\n`, ...extra }))
      writeFileSync(join(bin, name), body.replaceAll('$BIN', bin), { mode: 0o755 });
    const r = spawnSync(
      setpriv,
      ['--reuid=65534', '--regid=65534', '--clear-groups', 'sh', join(bin, 'apt-install.sh'), 'no-such-command-ig:ig-no-such-package'],
      { encoding: 'utf8', env: { PATH: bin } },
    );
    return { status: r.status, stderr: r.stderr, calls: readFileSync(join(bin, 'calls'), 'utf8') };
  };

  it('says what to do when it is neither root nor has sudo', () => {
    const r = asNobody({});
    if (!r) return; // no setpriv here
    expect(r).toEqual({
      status: 1,
      stderr:
        'setup: needs the Debian packages ig-no-such-package, and installing them needs root: run as root, or install sudo, or run: apt-get install ig-no-such-package (as root), then make again\n',
      calls: '',
    });
  });

  it('goes through sudo when it is not root', () => {
    const r = asNobody({ sudo: '#!/bin/sh\necho "sudo $*" >> $BIN/calls\n"$@"\n' });
    if (!r) return;
    expect(r).toEqual({
      status: 0,
      stderr:
        'setup: installing ig-no-such-package with sudo apt-get (sudo may ask for your password)\nsetup: apt-get install ig-no-such-package\n',
      calls: [
        'sudo apt-get update -qq',
        'apt-get update -qq',
        'sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends ig-no-such-package',
        'apt-get install -y -qq --no-install-recommends ig-no-such-package',
        '',
      ].join('\n'),
    });
  });
});

describe('moto and cfn-lint', () => {
  it('are installed into .venv-moto only: nothing pip-installs into the system Python', () => {
    const places = ['Makefile', '.ci/run', 'scripts/emulator.js', 'scripts/demo.ts', 'scripts/local.ts', 'test/support/global-setup.js'];
    const offending = places.filter((p) =>
      /python3? -m pip install|'pip', 'install'|pip3? install/.test(readFileSync(join(root, p), 'utf8')),
    );
    expect(offending).toEqual([]);
    expect(readFileSync(join(root, 'Makefile'), 'utf8')).toContain('scripts/python-venv.sh .venv-moto -r scripts/requirements-moto.txt');
    expect(readFileSync(join(root, 'scripts', 'emulator.js'), 'utf8')).toContain("MOTO_VENV = join(ROOT, '.venv-moto')");
  });
});
