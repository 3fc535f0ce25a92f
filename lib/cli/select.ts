/**
 * A scan of chosen checks and resource kinds (`influxguard scan --check net.* --kind ec2-instance`): what Prowler's
 * `--checks` and Cloud Custodian's policies give, with discovery reading only what the chosen checks need
 * (`wantedEvidence`). A pattern is a check id or a family (`net.*`, the ids before the dot); one that matches nothing
 * is a usage error, never a silently empty scan.
 */
import { CHECKS } from '../checks/index.js';
import { usageError } from '../errors.js';
import { KINDS } from '../kinds/index.js';
import type { Check } from '../model.js';

export function selectChecks(patterns: readonly string[], checks: readonly Check[] = CHECKS): Check[] {
  const matches = (p: string) => (c: Check) => (p.endsWith('*') ? c.id.startsWith(p.slice(0, -1)) : c.id === p);
  for (const p of patterns)
    if (!checks.some(matches(p)))
      throw usageError(`--check ${p}: no check has this id or family (ids as in docs/checks.md; a family: net.*)`);
  return checks.filter((c) => patterns.some((p) => matches(p)(c)));
}

export function selectKinds(names: readonly string[]): string[] {
  const known = KINDS.map((k) => k.name).sort();
  for (const n of names) if (!known.includes(n)) throw usageError(`--kind ${n}: not a resource kind (${known.join(', ')})`);
  return [...new Set(names)];
}
