/** Catalogue checks (docs/CHECKS.md) not implemented yet, each with the issue that brings it (and its compliance mapping). Shrinks to empty. */
export const PENDING: Record<string, string> = {
  'ebs.snapshot-public': 'issue 31',
  'ebs.snapshot-unencrypted': 'issue 31',
  'ec2.imds-v1-allowed': 'issue 31',
  'secrets.user-data': 'issue 31',
  'tls.load-balancer-plaintext': 'issue 31',
  'secrets.plaintext-environment': 'issue 30',
  'ecs.data-volume-unencrypted': 'issue 30',
};
