/**
 * A scan of chosen checks and resource kinds (`influxguard scan --check net.* --kind ec2-instance`): what Prowler's
 * `--checks` and Cloud Custodian's policies give, with discovery reading only what the chosen checks need
 * (`wantedEvidence`). A pattern is a check id or a family (`net.*`, the ids before the dot); one that matches nothing
 * is a usage error, never a silently empty scan; so are chosen checks that none of the chosen kinds receives.
 */
import { CHECKS } from '../checks/index.js';
import type { Config } from '../config.js';
import { usageError } from '../errors.js';
import { gatheredSources, missingSources, type Source } from '../evidence/sources.js';
import { hostReach, KINDS } from '../kinds/index.js';
import { speaksOfKind } from '../kinds/kind.js';
import type { Check } from '../model.js';

const matches = (p: string) => (c: Check) => (p.endsWith('*') ? c.id.startsWith(p.slice(0, -1)) : c.id === p);

export function selectChecks(patterns: readonly string[], checks: readonly Check[] = CHECKS): Check[] {
  // An empty list (`--check "$UNSET"`) would be a scan of no check, exit 0.
  if (!patterns.length) throw usageError('--check: no check id or family given (ids as in docs/checks.md; a family: net.*)');
  for (const p of patterns)
    if (!checks.some(matches(p)))
      throw usageError(`--check ${p}: no check has this id or family (ids as in docs/checks.md; a family: net.*)`);
  return checks.filter((c) => patterns.some((p) => matches(p)(c)));
}

export function selectKinds(names: readonly string[]): string[] {
  const known = KINDS.map((k) => k.name).sort();
  if (!names.length) throw usageError(`--kind: no resource kind given (${known.join(', ')})`);
  for (const n of names) if (!known.includes(n)) throw usageError(`--kind ${n}: not a resource kind (${known.join(', ')})`);
  return [...new Set(names)];
}

/**
 * The chosen checks and kinds, refused when a pattern's checks speak of none of the chosen kinds: a scan that could
 * check nothing, or one that would drop what the user named (`--check net.*,ebs.default-encryption-disabled --kind
 * ecs-service`) without a word. The refused patterns are named, with the kinds their checks speak of.
 */
export function checkSelection(patterns: readonly string[], checks: readonly Check[], kinds: readonly string[]): void {
  const chosen = KINDS.filter((k) => kinds.includes(k.name));
  const refused = patterns.filter((p) => !checks.some((c) => matches(p)(c) && chosen.some((k) => speaksOfKind(k, c))));
  if (!refused.length) return;
  const named = checks.filter((c) => refused.some((p) => matches(p)(c)));
  const theirs = KINDS.filter((k) => named.some((c) => speaksOfKind(k, c))).map((k) => k.name);
  throw usageError(
    `--check ${refused.join(',')} --kind ${kinds.join(',')}: none of the chosen checks applies to the chosen kinds (they check ${theirs.join(', ')})`,
  );
}

/** What turns each source on, in the CLI's words. */
const HOW: Record<Source, string> = {
  probe: 'the probe: not with --no-probe',
  host: 'host evidence: --host',
  audit: 'the credentialed audit: --audit-secret',
};

/**
 * Chosen checks that would be silent: a pattern whose every check (of those that speak of the chosen kinds) reads only
 * per-subject evidence this scan does not gather (`--check host.rpc-bind-all-interfaces` without `--host`) is
 * refused, naming what gathers it, instead of an empty scan that exits 0.
 */
export function checkSources(patterns: readonly string[], checks: readonly Check[], config: Config, kinds?: readonly string[]): void {
  const reach = hostReach(config, kinds);
  const chosen = KINDS.filter((k) => !kinds || kinds.includes(k.name));
  const relevant = checks.filter((c) => chosen.some((k) => speaksOfKind(k, c)));
  const on = gatheredSources(config);
  const missing = new Map(relevant.map((c) => [c, missingSources(c, on, reach)]));
  const refused = patterns.filter((p) => relevant.filter(matches(p)).every((c) => missing.get(c) !== undefined));
  if (!refused.length) return;
  const sources = new Set(relevant.filter((c) => refused.some((p) => matches(p)(c))).flatMap((c) => missing.get(c) ?? []));
  throw usageError(
    `--check ${refused.join(',')}: its checks read only evidence this scan does not gather (${[...sources].map((s) => HOW[s]).join('; ') || 'none of the chosen kinds gives it'})`,
  );
}
