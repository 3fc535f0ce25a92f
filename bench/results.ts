/** bench/RESULTS.md: one section per benchmark, replaced in place, with the machine it ran on. */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';

export const RESULTS = new URL('../../bench/RESULTS.md', import.meta.url).pathname;

export const machine = () =>
  `${cpus().length} cores (${cpus()[0]?.model.trim() ?? 'unknown CPU'}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB memory, Node ${process.version}, ${new Date().toISOString().slice(0, 10)}`;

/** Replace (or append) the section between `<!-- name -->` markers of RESULTS.md. */
export function writeSection(name: string, body: string): void {
  const file = RESULTS;
  const begin = `<!-- ${name} -->`;
  const end = `<!-- /${name} -->`;
  let text = existsSync(file)
    ? readFileSync(file, 'utf8')
    : '# influxguard benchmark results\n\nWritten by `npm run bench`; figures are as measured on the machine named in each section.\n';
  const block = `${begin}\n${body.trim()}\n${end}`;
  const i = text.indexOf(begin);
  const j = text.indexOf(end);
  text = i >= 0 && j > i ? text.slice(0, i) + block + text.slice(j + end.length) : `${text.trimEnd()}\n\n${block}\n`;
  writeFileSync(file, text);
}

/** A process's /proc/PID/stat fields after its name: [0] state, [1] ppid, ... [11] utime, [12] stime (clock ticks). */
const statOf = (pid: number | string): string[] | undefined => {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  } catch {
    return undefined;
  }
};

/** CPU-seconds a process has used (0 once it is gone). */
export const procCpuS = (pid: number): number => {
  const f = statOf(pid);
  return f ? (Number(f[11]) + Number(f[12])) / 100 : 0;
};

/** CPU-seconds of these processes and their children (nginx's workers), as /proc shows them now. */
export function treeCpuS(pids: readonly number[]): number {
  const parents = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    const f = /^\d+$/.test(entry) ? statOf(entry) : undefined;
    if (f) parents.set(Number(entry), Number(f[1]));
  }
  const inTree = (pid: number): boolean => {
    for (let p: number | undefined = pid, hops = 0; p && hops < 64; p = parents.get(p), hops++) if (pids.includes(p)) return true;
    return false;
  };
  return [...parents.keys()].filter(inTree).reduce((sum, pid) => sum + procCpuS(pid), 0);
}
