/** One target resolved, checked and audited: evidence, or the reason it could not be had. */
import type { Config } from '../../config.js';
import { ok, type AuditEvidence, type Result } from '../../model.js';
import { atResolvedTarget } from '../probe/gather.js';
import type { ProbeTarget, Resolver } from '../probe/target.js';
import type { AuditCredentials } from './credentials.js';
import { auditEndpoint, type AuditOptions } from './index.js';

export const auditOptions = (config: Config): AuditOptions => ({
  timeouts: { connectMs: config.probe.connectTimeoutMs, tlsMs: config.probe.tlsTimeoutMs, responseMs: config.probe.responseTimeoutMs },
  deadlineMs: config.probe.endpointTimeoutMs,
  allowPlainHttp: config.audit.allowPlainHttp,
});

/**
 * The same target rules as the prober (allowed CIDRs, an instance tag's owner
 * check, one pinned address): credentials go only where a probe may go.
 */
export const gatherAudit = (
  t: ProbeTarget,
  credentials: AuditCredentials,
  allowedCidrs: readonly string[],
  config: Config,
  resolver?: Resolver,
): Promise<Result<AuditEvidence>> =>
  atResolvedTarget(
    t,
    allowedCidrs,
    resolver,
    async (r) => ok(await auditEndpoint(r, credentials, auditOptions(config))),
    'credentials not sent: ',
  );
