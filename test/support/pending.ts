/** Catalogue checks (docs/CHECKS.md) not implemented yet, each with the issue that brings it (and its compliance mapping). Shrinks to empty. */
export const PENDING: Record<string, string> = {};
