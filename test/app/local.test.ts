/**
 * `make local` as docs/serverless.md tells it: the stack deployed into moto, the demo estate, serverless offline and
 * the worker, then exactly the page's commands (the block between the local-commands markers), run by
 * dist/scripts/local.js with the stack's environment. Loopback only (the test runs inside the sandbox).
 */
import { describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';

const root = new URL('../../', import.meta.url).pathname;

/** The local-stack commands of docs/serverless.md, as written. */
function pageCommands(page: string): string {
  const block = page.match(/<!-- local-commands -->\n```sh\n([\s\S]*?)```\n<!-- \/local-commands -->/);
  if (!block) throw new Error('docs/serverless.md has no local-commands block');
  return block[1]!;
}

describe('make local', () => {
  it('deploys the stack into moto, and every documented command and sample event works', async () => {
    const commands = pageCommands(readFileSync(`${root}docs/serverless.md`, 'utf8'));
    expect(commands.split('\n').filter(Boolean)).toHaveLength(9);
    const env = { ...process.env };
    // The documented shell has no AWS settings of its own: local.js sets them (its own moto, not the test run's).
    for (const k of Object.keys(env)) if (/^(AWS_|INFLUXGUARD_)/.test(k)) delete env[k];
    const run = await new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
      // set -x: each command is echoed on stderr before its output, so a failure names its line.
      const child = spawn(process.execPath, [`${root}dist/scripts/local.js`, 'sh', '-exc', commands], { cwd: root, env });
      let out = '';
      let err = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      child.on('exit', (code) => resolve({ code, out, err }));
    });
    const context = `${run.err.slice(-4000)}\n--- stdout ---\n${run.out.slice(-4000)}`;
    expect({ code: run.code, context }).toMatchObject({ code: 0 });
    // Each invocation's answer, in the page's order.
    const statusCodes = [...run.out.matchAll(/"statusCode": (\d+)/g)].map((m) => Number(m[1]));
    expect(statusCodes).toEqual([200, 400, 202, 200]);
    expect(run.out).toMatch(/"body": "\{\\"scanId\\":\\"[^"\\]+\\",\\"startedAt\\"[\s\S]*net\.http-port-public/); // wait=true: the document
    expect(run.out).toMatch(/"field\\":\\"regions\.0\\"/);
    expect(run.out).toMatch(/"scanId": "[0-9a-f-]{36}",\s*"unitsTotal": 1/); // dispatch
    expect(run.out).toMatch(/"batchItemFailures": \[\]/); // the worker with events/worker-sqs.json
    expect(run.out).toMatch(/\\"scanId\\":\\"example-scan\\",\\"status\\":\\"completed\\"/);
    expect(run.out.trim().split('\n').pop()).toBe('{"status":"completed","progress":{"unitsDone":1,"unitsTotal":1}}');
    // No stack trace, no error log, no Powertools warning anywhere.
    expect(run.out + run.err).not.toMatch(/stackTrace|"level":"ERROR"|No application metrics|worker failed/);
  }, 600_000);
});
