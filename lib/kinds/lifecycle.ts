/**
 * How the lifecycle lists and archives each kind's subjects (pure: publishing and the scan's
 * completeness read it without the gatherers).
 */
import type { Coverage, Result } from '../model.js';

export interface KindLifecycle {
  name: string;
  /** Whether a finding's subject id (the JSON `instanceId`) is one of this kind's. */
  owns: (id: string) => boolean;
  /**
   * A complete coverage of the region listed this kind whole: a subject of it that the scan did not see (nor a
   * work unit know) is gone, and its findings are archived.
   */
  listedWhole: (cov: Coverage) => boolean;
  /**
   * A subject not seen is archived only when a describe by its id confirms it is gone (`goneInstances` of the
   * publish dependencies: EC2 says terminated or unknown); otherwise the complete listing decides alone.
   */
  confirmGone: boolean;
  /** What the coverage records of the kind's listing (undefined: not listed in this scan). */
  coverage: (listing: Result<readonly unknown[]> | undefined) => Partial<Coverage>;
  /** Why the scan is incomplete for this kind in a region whose EC2 side was read, if it is. */
  incomplete: (cov: Coverage) => string | undefined;
}
