/** bench/RESULTS.md: one section per benchmark, replaced in place, with the machine it ran on. */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';

export const RESULTS = new URL('../../bench/RESULTS.md', import.meta.url).pathname;
export const README = new URL('../../README.md', import.meta.url).pathname;

export const machine = () =>
  `${cpus().length} cores (${cpus()[0]?.model.trim() ?? 'unknown CPU'}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB memory, Node ${process.version}, ${new Date().toISOString().slice(0, 10)}`;

/** Replace (or append) the section between `<!-- name -->` markers of RESULTS.md (or another file). */
export function writeSection(name: string, body: string, file = RESULTS): void {
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
