/**
 * SSM transport: runs the collector on managed, online instances through Run
 * Command and returns each instance's host evidence or the reason it could
 * not be had. SendCommand in batches of at most 50 instances; statuses and
 * outputs of up to 2,500 characters (a typical host's) read with
 * ListCommandInvocations in pages, longer stdout with GetCommandInvocation;
 * InvocationDoesNotExist and throttling are waited out with backoff until a
 * deadline. Nothing is thrown: every instance ends with a Result.
 */
import {
  GetCommandInvocationCommand,
  type GetCommandInvocationCommandOutput,
  SendCommandCommand,
  paginateDescribeInstanceInformation,
  paginateListCommandInvocations,
  type SSMClient,
} from '@aws-sdk/client-ssm';
import { readFileSync } from 'node:fs';
import type { Clients } from '../../aws/clients.js';
import type { Config } from '../../config.js';
import { backoffMs } from '../../aws/retry.js';
import { errorCode, oneLine } from '../../errors.js';
import { fail, type Instance, type Result } from '../../model.js';
import { chunk, mapLimit } from '../../util/concurrency.js';
import { COLLECTOR_PATH } from './local.js';
import { parseCollectorOutput, type HostEvidence } from './parse.js';

export const SEND_COMMAND_MAX_TARGETS = 50;
export const RUN_SHELL_SCRIPT = 'AWS-RunShellScript';

export interface SsmOptions {
  /** The stack's own Command document (script inside), or AWS-RunShellScript (script as a parameter). */
  documentName: string;
  /** The collector script, sent as the `commands` parameter of AWS-RunShellScript. */
  script: string;
  /** Execution timeout on the host. */
  commandTimeoutSeconds: number;
  /** Overall time for the whole batch, sending included. */
  deadlineMs: number;
  /** First poll delay; grows exponentially with jitter up to 5 s (lib/aws/retry.ts). */
  pollMs?: number;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

const TERMINAL = new Set([
  'Success',
  'Cancelled',
  'TimedOut',
  'Failed',
  'Undeliverable',
  'Terminated',
  'InvalidPlatform',
  'AccessDenied',
  'DeliveryTimedOut',
  'ExecutionTimedOut',
]);
const describeErr = (op: string, err: unknown) => `ssm:${op} failed: ${errorCode(err)}: ${oneLine(err, 200)}`;
const defaultSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Which instances SSM can reach: managed, Linux, online. */
async function reachable(ssm: SSMClient, ids: string[]): Promise<Map<string, Result<true>>> {
  const seen = new Map<string, { ping?: string; platform?: string }>();
  for (const part of chunk(ids, SEND_COMMAND_MAX_TARGETS)) {
    for await (const page of paginateDescribeInstanceInformation({ client: ssm }, { Filters: [{ Key: 'InstanceIds', Values: part }] })) {
      for (const info of page.InstanceInformationList ?? []) {
        if (info.InstanceId)
          seen.set(info.InstanceId, {
            ...(info.PingStatus ? { ping: info.PingStatus } : {}),
            ...(info.PlatformType ? { platform: info.PlatformType } : {}),
          });
      }
    }
  }
  return new Map(
    ids.map((id): [string, Result<true>] => {
      const s = seen.get(id);
      if (!s) return [id, fail('not SSM-managed: no SSM agent registration (agent, instance profile or network path to SSM missing)')];
      if (s.ping !== 'Online') return [id, fail(`SSM agent is ${s.ping ?? 'unknown'}, not Online`)];
      if (s.platform && s.platform !== 'Linux') return [id, fail(`SSM platform is ${s.platform}; the collector needs Linux`)];
      return [id, { ok: true, value: true }];
    }),
  );
}

interface Pending {
  commandId: string;
  instanceId: string;
  lastStatus: string;
}

/** One invocation's outcome once it is terminal; undefined while it is not (or not visible yet). */
async function fetchResult(ssm: SSMClient, p: Pending): Promise<Result<HostEvidence> | undefined> {
  let out: GetCommandInvocationCommandOutput;
  try {
    out = await ssm.send(new GetCommandInvocationCommand({ CommandId: p.commandId, InstanceId: p.instanceId }));
  } catch (err) {
    const code = errorCode(err);
    if (code === 'InvocationDoesNotExist' || /Throttl|RequestLimitExceeded|TooManyRequests/i.test(code)) return undefined; // eventual consistency, or slow down: poll again
    return fail(describeErr('GetCommandInvocation', err));
  }
  const status = out.Status ?? 'Pending';
  p.lastStatus = out.StatusDetails ?? status;
  if (!TERMINAL.has(status)) return undefined;
  if (status === 'Success') return parseCollectorOutput(out.StandardOutputContent ?? '');
  const stderr = (out.StandardErrorContent ?? '').trim().replace(/\s+/g, ' ').slice(0, 200);
  return fail(
    `collector ${out.StatusDetails ?? status}${out.ResponseCode !== undefined && out.ResponseCode >= 0 ? ` (exit ${out.ResponseCode})` : ''}${stderr ? `: ${stderr}` : ''}`,
  );
}

/** What SSM's list call returns of a plugin's output at most (CommandPlugin.Output): longer output is truncated there. */
export const LIST_OUTPUT_MAX = 2500;

interface Listed {
  status: string;
  /** The whole stdout, when the list call carried it untruncated: no GetCommandInvocation needed. */
  output?: string;
}

/**
 * A whole command's invocations in pages, with their output (Details): a
 * typical collector document (about 1 KB for one influxd) arrives here, and
 * only longer ones are fetched one by one. Undefined when the call is not
 * available (then each invocation is polled).
 */
async function listInvocations(ssm: SSMClient, commandId: string): Promise<Map<string, Listed> | undefined> {
  const listed = new Map<string, Listed>();
  try {
    for await (const page of paginateListCommandInvocations({ client: ssm }, { CommandId: commandId, Details: true })) {
      for (const inv of page.CommandInvocations ?? []) {
        if (!inv.InstanceId || !inv.Status) continue;
        const plugins = inv.CommandPlugins ?? [];
        const output = plugins.length === 1 ? plugins[0]!.Output : undefined;
        listed.set(inv.InstanceId, {
          status: inv.Status,
          ...(inv.Status === 'Success' && output && output.length < LIST_OUTPUT_MAX ? { output } : {}),
        });
      }
    }
    return listed;
  } catch {
    return undefined;
  }
}

export async function collectViaSsm(ssm: SSMClient, instances: Instance[], opts: SsmOptions): Promise<Map<string, Result<HostEvidence>>> {
  const sleep = opts.sleep ?? defaultSleep;
  const now = opts.now ?? Date.now;
  const deadline = now() + opts.deadlineMs;
  const results = new Map<string, Result<HostEvidence>>();
  const running = instances.filter((i) => {
    if (i.state !== 'running') results.set(i.instanceId, fail(`instance is ${i.state}: SSM cannot reach it`));
    return i.state === 'running';
  });
  if (!running.length) return results;

  let reach: Map<string, Result<true>>;
  try {
    reach = await reachable(
      ssm,
      running.map((i) => i.instanceId),
    );
  } catch (err) {
    for (const i of running) results.set(i.instanceId, fail(describeErr('DescribeInstanceInformation', err)));
    return results;
  }
  const targets: string[] = [];
  for (const [id, r] of reach) r.ok ? targets.push(id) : results.set(id, fail(r.reason));

  const pending: Pending[] = [];
  const runShell = opts.documentName === RUN_SHELL_SCRIPT;
  for (const part of chunk(targets, SEND_COMMAND_MAX_TARGETS)) {
    try {
      const out = await ssm.send(
        new SendCommandCommand({
          DocumentName: opts.documentName,
          InstanceIds: part,
          Comment: 'influxguard host collector',
          TimeoutSeconds: Math.max(30, opts.commandTimeoutSeconds),
          MaxConcurrency: String(SEND_COMMAND_MAX_TARGETS),
          MaxErrors: '100%',
          ...(runShell ? { Parameters: { commands: [opts.script], executionTimeout: [String(opts.commandTimeoutSeconds)] } } : {}),
        }),
      );
      const commandId = out.Command?.CommandId;
      if (!commandId) throw new Error('SendCommand returned no CommandId');
      for (const instanceId of part) pending.push({ commandId, instanceId, lastStatus: 'Pending' });
    } catch (err) {
      for (const id of part) results.set(id, fail(describeErr('SendCommand', err)));
    }
  }

  const firstPoll = opts.pollMs ?? 1000;
  let round = 0;
  while (pending.length) {
    // One paged list per command first (statuses and short outputs); GetCommandInvocation only for the rest.
    const byCommand = new Map<string, Map<string, Listed> | undefined>();
    for (const commandId of new Set(pending.map((p) => p.commandId))) byCommand.set(commandId, await listInvocations(ssm, commandId));
    const ready = pending.filter((p) => {
      const listed = byCommand.get(p.commandId)?.get(p.instanceId);
      if (listed) p.lastStatus = listed.status;
      return byCommand.get(p.commandId) === undefined || (listed !== undefined && TERMINAL.has(listed.status));
    });
    const fetched = await mapLimit(ready, 8, async (p) => {
      const output = byCommand.get(p.commandId)?.get(p.instanceId)?.output;
      const parsed = output !== undefined ? parseCollectorOutput(output) : undefined;
      // A short output that parses is the whole document; anything else is read in full.
      return parsed?.ok ? parsed : fetchResult(ssm, p);
    });
    ready.forEach((p, i) => {
      const r = fetched[i];
      if (r) {
        results.set(p.instanceId, r);
        pending.splice(pending.indexOf(p), 1);
      }
    });
    if (!pending.length) break;
    const delay = backoffMs(round++, firstPoll, 5000);
    if (now() + delay > deadline) {
      for (const p of pending) results.set(p.instanceId, fail(`no result within ${opts.deadlineMs} ms (last status ${p.lastStatus})`));
      break;
    }
    await sleep(delay);
  }
  return results;
}

/** Host evidence through SSM Run Command for a region's instances (the scan's HostFn). */
/**
 * Host evidence through SSM Run Command. `remainingMs` is the time the scan has
 * left before its deadline: results are awaited no longer than that (nor than
 * host.deadlineMs), so a worker keeps its time to publish.
 */
export function ssmHost(
  config: Config,
  clients: Clients,
  remainingMs?: () => number,
): (instances: Instance[]) => Promise<Map<string, Result<HostEvidence>>> {
  // The stack's own document carries the script; only AWS-RunShellScript needs it sent.
  const script = config.host.documentName === RUN_SHELL_SCRIPT ? readFileSync(COLLECTOR_PATH, 'utf8') : '';
  return async (instances) =>
    collectViaSsm(await clients.ssm(instances[0]!.region), instances, {
      documentName: config.host.documentName,
      script,
      commandTimeoutSeconds: config.host.commandTimeoutSeconds,
      deadlineMs: Math.max(1_000, Math.min(config.host.deadlineMs, remainingMs ? remainingMs() : Number.POSITIVE_INFINITY)),
    });
}
