/**
 * The resource-kind registry (docs/adding-a-resource-kind.md): every kind the scanner knows, by name, in
 * report order. scan, evaluate, publish, the renderers, the service and the template loop over it.
 */
import { EC2_INSTANCE } from './ec2-instance/index.js';
import type { AnyKind } from './kind.js';
import { TIMESTREAM_DB } from './timestream-db/index.js';

export type { AnyKind, ResourceKind } from './kind.js';

export const KINDS: readonly AnyKind[] = [EC2_INSTANCE, TIMESTREAM_DB];

/** A kind by its registered name. */
export function kindNamed(name: string): AnyKind {
  const k = KINDS.find((x) => x.name === name);
  if (!k) throw new Error(`unknown resource kind "${name}" (known: ${KINDS.map((x) => x.name).join(', ')})`);
  return k;
}
