/**
 * Local transport: runs the real collector on this machine, for tests and the
 * demo. A "host" is a set of influxd pids and a directory of fixture files
 * standing in for / (systemd units, environment files).
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fail, type Instance, type Result } from '../../model.js';
import { mapLimit } from '../../util/concurrency.js';
import { parseCollectorOutput, type HostEvidence } from './parse.js';

/** collector/collect.sh beside the sources or the build; a bundle without it (Lambda uses the stack's SSM document) gets a placeholder. */
function collectorPath(): string {
  try {
    const candidates = [
      new URL('../../../collector/collect.sh', import.meta.url),
      new URL('../../../../collector/collect.sh', import.meta.url),
      new URL('../../collector/collect.sh', import.meta.url), // the bundled CLI, dist/cli/*.mjs
    ].map((u) => u.pathname);
    return candidates.find((p) => existsSync(p)) ?? candidates[0]!;
  } catch {
    return 'collector/collect.sh';
  }
}
export const COLLECTOR_PATH = collectorPath();

export interface LocalHost {
  pids: number[];
  /** Fixture root for /etc and /lib paths; absent means the real ones. */
  root?: string;
}

export function collectLocal(host: LocalHost, timeoutMs = 20_000): Promise<Result<HostEvidence>> {
  return new Promise((resolve) => {
    execFile(
      'sh',
      [COLLECTOR_PATH],
      {
        env: {
          PATH: process.env.PATH ?? '/usr/bin:/bin',
          INFLUXGUARD_PIDS: host.pids.join(' '),
          ...(host.root ? { INFLUXGUARD_ROOT: host.root } : {}),
        },
        timeout: timeoutMs,
        maxBuffer: 1024 * 1024,
      },
      (err, stdout, stderr) => {
        if (err && !stdout) return resolve(fail(`collector failed: ${(stderr || err.message).trim().slice(0, 200)}`));
        resolve(parseCollectorOutput(stdout));
      },
    );
  });
}

/** The scan's HostFn for `host.local`: instances named there (by id or Name tag); the others are not covered. */
export function localHost(hosts: Record<string, LocalHost>): (instances: Instance[]) => Promise<Map<string, Result<HostEvidence>>> {
  return async (instances) => {
    const covered = instances.flatMap((i) => {
      const named = (k: string | undefined) => (k !== undefined && Object.hasOwn(hosts, k) ? hosts[k] : undefined);
      const host = named(i.instanceId) ?? named(i.name);
      return host ? [{ i, host }] : [];
    });
    const results = await mapLimit(covered, 4, ({ i, host }) =>
      i.state === 'running' ? collectLocal(host) : Promise.resolve(fail<HostEvidence>(`instance is ${i.state}`)),
    );
    return new Map(covered.map(({ i }, n) => [i.instanceId, results[n]!]));
  };
}
