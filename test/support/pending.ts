/** Catalogue checks (docs/CHECKS.md) not implemented yet, each with the issue that brings it (and its compliance mapping). Shrinks to empty. */
export const PENDING: Record<string, string> = {
  'auth.v3-admin-token-unclaimed': 'issue 32',
  'auth.v3-recovery-listener-exposed': 'issue 32',
  'host.v3-processing-engine-open': 'issue 32',
  'host.v3-telemetry-upload': 'issue 32',
  'secrets.command-line': 'issue 32',
  'storage.object-store-public': 'issue 32',
};
