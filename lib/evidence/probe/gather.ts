/**
 * The probing machinery the scan and the probe command share: options from
 * the configuration, where probes may go, and one target resolved, checked
 * and probed into evidence (or the reason it could not be had).
 */
import { readFileSync } from 'node:fs';
import { LOOPBACK_CIDRS, type Config } from '../../config.js';
import { configError } from '../../errors.js';
import { fail, type ProbeEvidence, type Result } from '../../model.js';
import { cidrContains, isLoopbackHost, parseCidr } from '../../util/cidr.js';
import { lazy } from '../../util/lazy.js';
import { probeEndpoint, type ProbeOptions } from './index.js';
import { TargetRefused, resolveTarget, type ProbeTarget, type ResolvedTarget, type Resolver } from './target.js';

export function probeOptions(config: Pick<Config, 'probe'>): ProbeOptions {
  const ca = config.probe.caFiles.map((f) => {
    try {
      return readFileSync(f, 'utf8');
    } catch (err) {
      throw configError(`cannot read CA bundle ${f}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    }
  });
  return {
    timeouts: { connectMs: config.probe.connectTimeoutMs, tlsMs: config.probe.tlsTimeoutMs, responseMs: config.probe.responseTimeoutMs },
    deadlineMs: config.probe.endpointTimeoutMs,
    ...(ca.length ? { ca } : {}),
    defaultCredentials: config.probe.defaultCredentials,
  };
}

/** Resolve and check one target, then gather from it; a refused target is the reason (with `refusedPrefix`). */
export async function atResolvedTarget<T>(
  t: ProbeTarget,
  allowedCidrs: readonly string[],
  resolver: Resolver | undefined,
  gather: (resolved: ResolvedTarget) => Promise<Result<T>>,
  refusedPrefix = '',
): Promise<Result<T>> {
  try {
    return await gather(await resolveTarget(t, allowedCidrs, resolver));
  } catch (err) {
    if (err instanceof TargetRefused) return fail(`${refusedPrefix}${err.message}`);
    throw err;
  }
}

/** Resolve, check and probe one target: evidence or the reason it could not be had. */
export const gatherProbe = (
  t: ProbeTarget,
  allowedCidrs: readonly string[],
  opts: ProbeOptions,
  resolver?: Resolver,
): Promise<Result<ProbeEvidence>> => atResolvedTarget(t, allowedCidrs, resolver, (r) => probeEndpoint(r, opts));

// Parsed on first use (lib/util/lazy.ts): the first parse compiles node's IPv6 pattern, a cost no import should pay.
const LOOPBACK = lazy(() => LOOPBACK_CIDRS.map((c) => parseCidr(c)!));

/**
 * Where probes may go. Against an AWS emulator on loopback (AWS_ENDPOINT_URL
 * or AWS_ENDPOINT_URL_EC2), instances' addresses are made up and belong to
 * nobody: of the configured CIDRs only the loopback ones stay allowed, whatever
 * else the configuration says (none when it lists no loopback CIDR).
 */
/** The AWS endpoint is an emulator on loopback (`AWS_ENDPOINT_URL_EC2` or `AWS_ENDPOINT_URL`): its addresses and endpoints are made up. */
export function emulatedAws(env: NodeJS.ProcessEnv): boolean {
  const endpoint = env.AWS_ENDPOINT_URL_EC2 ?? env.AWS_ENDPOINT_URL;
  let host = '';
  try {
    host = endpoint ? new URL(endpoint).hostname : '';
  } catch {
    host = '';
  }
  return !!host && isLoopbackHost(host);
}

export function probeCidrs(configured: readonly string[], env: NodeJS.ProcessEnv): string[] {
  if (!emulatedAws(env)) return [...configured];
  // No fallback: loopback is probed only when the configuration lists it (demos and tests do).
  return configured.filter((c) => LOOPBACK().some((l) => cidrContains(l, parseCidr(c)!)));
}
