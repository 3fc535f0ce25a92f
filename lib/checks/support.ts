/** Small helpers shared by check families. Pure. */
import type { Result } from '../model.js';

/** Thrown by a check that reads evidence that failed; the engine turns it into NOT_AVAILABLE. */
export class EvidenceUnavailable extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'EvidenceUnavailable';
  }
}

/** The evidence's value, or EvidenceUnavailable with its reason. */
export function evidenceValue<T>(r: Result<T>): T {
  if (!r.ok) throw new EvidenceUnavailable(r.reason);
  return r.value;
}
