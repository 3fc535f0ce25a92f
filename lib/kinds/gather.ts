/**
 * The gather stage over every kind: the per-subject sources (probe, host, audit) run at once for all kinds'
 * subjects under one deadline; each kind turns its subjects, the inventory and what the sources found into the
 * contexts its checks receive, and the endpoint contexts of the subjects a source reached.
 */
import type { Config } from '../config.js';
import { checkSettings, NO_DEADLINE, type Deadline, type EvidenceSource, type SourceValues } from '../evidence/index.js';
import type { EndpointContext, RegionContext, RegionInventory, Result } from '../model.js';
import { subjectsOf, type AnyKind, type GatherEnv, type Sourced } from './kind.js';

export interface KindContexts {
  kind: AnyKind;
  subjects: readonly never[];
  /** `contexts[n]`: what the checks of the kind's scope receive for `subjects[n]`. */
  contexts: { evidence: object }[];
}

export interface RegionEvidenceBundle {
  /** Each kind's subjects as its checks receive them, in registry order. */
  kinds: KindContexts[];
  endpoints: EndpointContext[];
  region: RegionContext;
}

type Gathered = { [K in keyof SourceValues]?: Map<string, Result<SourceValues[K]>> };

export async function gatherRegion(
  kinds: readonly AnyKind[],
  inv: RegionInventory,
  config: Config,
  sources: readonly EvidenceSource[],
  now: number,
  deadline: Deadline = NO_DEADLINE,
): Promise<RegionEvidenceBundle> {
  const env: GatherEnv = { config, settings: checkSettings(config), now };
  // Every source for every kind at once (they do not depend on each other).
  const perKind = await Promise.all(
    kinds.map(async (kind) => {
      const subjects = subjectsOf(kind, inv);
      const targets = kind.targets(config, inv);
      const answers = await Promise.all(sources.map((s) => s.gather(targets, subjects, deadline)));
      const gathered = Object.fromEntries(sources.map((s, i) => [s.key, answers[i]])) as Gathered;
      const sourced = subjects.map((s): Sourced => {
        const id = targets.id(s);
        const [probe, host, audit] = [gathered.probe?.get(id), gathered.host?.get(id), gathered.audit?.get(id)];
        const objectStore = gathered.objectStore?.get(id);
        return {
          ...(probe ? { probe } : {}),
          ...(host ? { host } : {}),
          ...(audit ? { audit } : {}),
          ...(objectStore ? { objectStore } : {}),
        };
      });
      const contexts = kind.contexts(subjects, inv, env, sourced);
      const endpoints = subjects.flatMap((s, n) => kind.endpoint(s, contexts[n]!, sourced[n]!, env) ?? []);
      return { kind, subjects, contexts, endpoints };
    }),
  );
  return {
    kinds: perKind.map(({ kind, subjects, contexts }) => ({ kind, subjects, contexts })),
    endpoints: perKind.flatMap((k) => k.endpoints),
    region: {
      accountId: inv.accountId,
      region: inv.region,
      instances: inv.instances,
      settings: env.settings,
      evidence: { ebsDefaultEncryption: inv.ebsDefaultEncryption },
    },
  };
}
