/** One target resolved, checked and audited: evidence, or the reason it could not be had. */
import { pemCertificates, type Config } from '../../config.js';
import { fail, INSECURE_LAB_NOTE, ok, type AuditEvidence, type Result } from '../../model.js';
import { atResolvedTarget } from '../probe/gather.js';
import type { ProbeTarget, Resolver } from '../probe/target.js';
import type { AuditCredentials } from './credentials.js';
import { auditEndpoint, type AuditOptions } from './index.js';

export const auditOptions = (config: Config): AuditOptions => ({
  timeouts: { connectMs: config.probe.connectTimeoutMs, tlsMs: config.probe.tlsTimeoutMs, responseMs: config.probe.responseTimeoutMs },
  deadlineMs: config.probe.endpointTimeoutMs,
  ...(config.audit.ca ? { ca: pemCertificates(config.audit.ca) } : {}),
  insecureLab: config.audit.insecureLab,
});

/** Under --audit-insecure-lab every audit finding says so: a reason the audit could not be had too (auditEndpoint notes its own). */
export const labNoted = <T>(config: Config, r: Result<T>): Result<T> =>
  config.audit.insecureLab && !r.ok ? fail(`${r.reason} [${INSECURE_LAB_NOTE}]`) : r;

/**
 * The same target rules as the prober (allowed CIDRs, an instance tag's owner
 * check, one pinned address): credentials go only where a probe may go, and
 * there only over TLS whose certificate verifies (auditEndpoint).
 */
export const gatherAudit = async (
  t: ProbeTarget,
  credentials: AuditCredentials,
  allowedCidrs: readonly string[],
  config: Config,
  resolver?: Resolver,
): Promise<Result<AuditEvidence>> =>
  labNoted(
    config,
    await atResolvedTarget(
      t,
      allowedCidrs,
      resolver,
      async (r) => ok(await auditEndpoint(r, credentials, auditOptions(config))),
      'credentials not sent: ',
    ),
  );
