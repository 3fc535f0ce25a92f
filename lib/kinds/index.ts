/**
 * The resource-kind registry (docs/adding-a-resource-kind.md): every kind the scanner knows, registered by its
 * name (lib/kinds/<name>/), in report order. scan, evaluate, publish, the renderers, the service and the template
 * loop over it; lib/kinds/outputs.ts (pure) and lib/kinds/kinds.json (the template) list the same kinds.
 */
import type { Config } from '../config.js';
import type { HostReach } from '../evidence/sources.js';
import { EC2_INSTANCE } from './ec2-instance/index.js';
import { ECS_SERVICE } from './ecs-service/index.js';
import type { AnyKind } from './kind.js';
import { TIMESTREAM_DB } from './timestream-db/index.js';

export type { AnyKind } from './kind.js';

export const KINDS: readonly AnyKind[] = [EC2_INSTANCE, TIMESTREAM_DB, ECS_SERVICE];

/** What these kinds (all when none are named) take from the host (lib/evidence/sources.ts). */
export function hostReach(config: Config, kinds?: readonly string[]): HostReach {
  const chosen = KINDS.filter((k) => !kinds || kinds.includes(k.name));
  return {
    collector: chosen.some((k) => k.targets(config).host !== undefined),
    hostVerdicts: chosen.some((k) => k.evidence?.hostVerdicts === true),
  };
}
