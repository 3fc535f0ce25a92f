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

/** What the scanned kinds take from the host: a collector's evidence (EC2 instances), task definitions read as a host's. */
export interface HostReach {
  /** A kind whose subjects the host collector reads (`--host`). */
  collector: boolean;
  /** A kind whose AWS records answer the endpoint checks a host answers (ECS task definitions), probe or not. */
  hostVerdicts: boolean;
}

/**
 * Whether a check could read nothing a scan running the sources `on` (`gatheredSources`) gathers: undefined when it
 * reads something gathered, else the sources off that would give it evidence (empty: none would, for the kinds).
 */
export function missingSources(c: Check, on: Record<Source, boolean>, reach: HostReach): Source[] | undefined {
  const missing = new Set<Source>();
  for (const k of c.needs as readonly EvidenceKey[]) {
    const source = SOURCE_OF[k];
    if (!source) return undefined;
    if (source === 'host') {
      if ((k === 'host' && c.scope === 'endpoint' && c.hostVerdict !== undefined && reach.hostVerdicts) || (on.host && reach.collector))
        return undefined;
      if (reach.collector) missing.add('host');
    } else if (on[source]) return undefined;
    else missing.add(source);
  }
  return [...missing];
}
