/**
 * The per-subject evidence sources (probe, host, credentialed audit) a scan with a configuration gathers, and what a
 * check would miss without them: a scan of chosen checks (`scan --check`, the API's `checks`) refuses a check that
 * could read nothing gathered, rather than give no finding for it and call the scan clean.
 */
import type { Config } from '../config.js';
import type { Check, EvidenceKey } from '../model.js';

export type Source = 'probe' | 'host' | 'audit';

/** Whether a scan with this configuration runs each source (lib/scan.ts `scan` decides the same). */
export const gatheredSources = (config: Config): Record<Source, boolean> => ({
  probe: config.probe.enabled,
  host: config.host.enabled || config.host.local !== undefined,
  audit: config.probe.enabled && (config.audit.secretArn !== undefined || config.audit.secrets.length > 0),
});

/** The source of each evidence key a source gathers (the host's object stores are read from the host); AWS's otherwise. */
const SOURCE_OF: Partial<Record<EvidenceKey, Source>> = { probe: 'probe', host: 'host', objectStore: 'host', audit: 'audit' };

/**
 * The sources off in this configuration that a check reads, when it reads nothing else (empty: it reads something
 * gathered). An ECS service's task definition is host evidence for the endpoint checks a host answers, when ECS
 * services are among the kinds scanned (`kinds` absent: every kind).
 */
export function missingSources(c: Check, config: Config, kinds?: readonly string[]): Source[] {
  const on = gatheredSources(config);
  const ecsHost = c.scope === 'endpoint' && c.hostVerdict !== undefined && (!kinds || kinds.includes('ecs-service'));
  const missing = new Set<Source>();
  for (const k of c.needs as readonly EvidenceKey[]) {
    const source = SOURCE_OF[k];
    if (!source || on[source] || (k === 'host' && ecsHost)) return [];
    missing.add(source);
  }
  return [...missing];
}
