/**
 * Fake `influxd` programs for the hostile-host tests: a tiny C program (built
 * with the system cc) that records every time it is executed for anything but
 * serving, so a test can prove the collector never ran it.
 *
 *   influxd [-config F] ...        serve: sleep until killed (the "server")
 *   influxd config -config F       mark executed; print F (what `influxd config` would)
 *   influxd version                mark executed; print a version line
 *   influxd listen PORT NAME       set the process name to NAME, listen on 127.0.0.1:PORT, sleep
 * "Executed" means a file <argv[0]>.executed was created (its content: the uid that ran it).
 */
import { afterAll } from '@jest/globals';
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { COLLECTOR_PATH } from '../../lib/evidence/host/local.js';
import { parseCollectorOutput, type HostEvidence } from '../../lib/evidence/host/parse.js';
import { fail, type Result } from '../../lib/model.js';

const SOURCE = String.raw`
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>
static void mark(const char *argv0) {
  char path[4096]; snprintf(path, sizeof path, "%s.executed", argv0);
  FILE *f = fopen(path, "w"); if (f) { fprintf(f, "%d\n", (int)getuid()); fclose(f); }
}
int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "config") == 0) {
    mark(argv[0]);
    for (int i = 2; i + 1 < argc; i++) if (strcmp(argv[i], "-config") == 0) {
      FILE *f = fopen(argv[i + 1], "r"); int c;
      if (f) { while ((c = fgetc(f)) != EOF) putchar(c); fclose(f); }
    }
    printf("[http]\n  auth-enabled = true\n");
    return 0;
  }
  if (argc > 1 && strcmp(argv[1], "version") == 0) { mark(argv[0]); printf("InfluxDB v1.8.10 (git: fake)\n"); return 0; }
  if (argc > 3 && strcmp(argv[1], "listen") == 0) {
    prctl(PR_SET_NAME, argv[3], 0, 0, 0);
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a; memset(&a, 0, sizeof a);
    a.sin_family = AF_INET; a.sin_port = htons(atoi(argv[2])); a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(s, (struct sockaddr *)&a, sizeof a) != 0 || listen(s, 1) != 0) return 2;
  }
  for (;;) pause();
}
`;

let built: string | undefined;
/** The compiled fake (once per test file). */
export function fakeBinary(): string {
  if (!built) {
    const dir = mkdtempSync(join(tmpdir(), 'ig-fakebuild-'));
    writeFileSync(join(dir, 'fake.c'), SOURCE);
    // Static: the same program runs inside a pivot_root "container" that has no libc.
    const r = spawnSync('cc', ['-O0', '-static', '-o', join(dir, 'fake'), join(dir, 'fake.c')], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`cc failed (the hostile-host tests need a C compiler): ${r.stderr || r.error?.message}`);
    built = join(dir, 'fake');
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  }
  return built;
}

export interface Fake {
  pid: number;
  /** Path of the installed `influxd` copy. */
  exe: string;
  dir: string;
  /** Whether anybody executed this copy (other than to serve), and as which uid. */
  executedBy: () => string | undefined;
  stop: () => void;
}

export interface FakeOptions {
  /** Who owns the installed copy (default root). */
  fileOwner?: number;
  /** Mode of the directory holding it (default 0755; 0o777 = world-writable, no sticky bit). */
  dirMode?: number;
  /** Run as this uid/gid (default: as the test, root). */
  runAs?: number;
  /** Arguments; `{dir}` stands for the copy's directory. */
  args?: string[];
  env?: Record<string, string>;
  /** Files to create in the directory first (name → content). */
  files?: Record<string, string>;
  name?: string;
  /** Extend the copy to this many bytes (a sparse tail: it still runs), as large as a real influxd build. */
  size?: number;
  /** Install the copy in this subdirectory (created, root-owned, mode 0755) of the temp directory: e.g. a name of control characters. */
  subdir?: string;
}

const children: ChildProcess[] = [];
process.once('exit', () => {
  for (const c of children) c.kill('SIGKILL');
});

/** Install a copy of the fake as DIR/influxd and start it. */
export async function startFake(o: FakeOptions = {}): Promise<Fake> {
  const top = mkdtempSync(join(tmpdir(), 'ig-fake-'));
  const dir = o.subdir ? join(top, o.subdir) : top;
  if (o.subdir) mkdirSync(dir, { recursive: true });
  chmodSync(dir, o.dirMode ?? 0o755);
  const exe = join(dir, o.name ?? 'influxd');
  copyFileSync(fakeBinary(), exe);
  chmodSync(exe, 0o755);
  if (o.size !== undefined) truncateSync(exe, o.size);
  if (o.fileOwner !== undefined) chownSync(exe, o.fileOwner, o.fileOwner);
  for (const [name, content] of Object.entries(o.files ?? {})) writeFileSync(join(dir, name), content);
  const given = (o.args ?? []).map((a) => a.replaceAll('{dir}', dir));
  const cmd = o.runAs !== undefined ? 'setpriv' : exe;
  const args = o.runAs !== undefined ? [`--reuid=${o.runAs}`, `--regid=${o.runAs}`, '--clear-groups', exe, ...given] : given;
  const child = spawn(cmd, args, { cwd: dir, stdio: 'ignore', env: { PATH: '/usr/bin:/bin', ...(o.env ?? {}) } });
  children.push(child);
  // Wait until the process is the fake itself (after setpriv's exec).
  for (let i = 0; i < 100; i++) {
    try {
      if (readFileSync(`/proc/${child.pid}/comm`, 'utf8').trim() !== 'setpriv') break;
    } catch {
      break;
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  await new Promise((r) => setTimeout(r, 50));
  const marker = `${exe}.executed`;
  return {
    pid: child.pid!,
    exe,
    dir,
    executedBy: () => (existsSync(marker) ? readFileSync(marker, 'utf8').trim() : undefined),
    stop: () => {
      child.kill('SIGKILL');
      rmSync(top, { recursive: true, force: true });
    },
  };
}

export interface Run {
  stdout: string;
  host: Result<HostEvidence>;
}
/** The real collector (as root, as SSM runs it) over these pids; its raw stdout kept (secrets and forgeries are looked for in it). */
export function collect(pids: number[], timeoutMs = 60_000, env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      'sh',
      [COLLECTOR_PATH],
      {
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', INFLUXGUARD_PIDS: pids.join(' '), ...env },
        timeout: timeoutMs,
        maxBuffer: 4 << 20,
      },
      (err, stdout, stderr) =>
        resolve({
          stdout,
          host: err && !stdout ? fail(`collector failed: ${(stderr || err.message).slice(0, 200)}`) : parseCollectorOutput(stdout),
        }),
    );
  });
}

/** A test file's cleanups (run last first, after all its tests), and startFake with each fake's stop among them. */
export function withCleanup(): { cleanup: Array<() => unknown>; fake: (o?: FakeOptions) => Promise<Fake> } {
  const cleanup: Array<() => unknown> = [];
  afterAll(async () => {
    for (const c of cleanup.reverse()) await c();
  });
  const fake = async (o: FakeOptions = {}) => {
    const f = await startFake(o);
    cleanup.push(f.stop);
    return f;
  };
  return { cleanup, fake };
}
