/** EBS encryption: InfluxDB does not encrypt its data, so the disks must. */
import type { InstanceCheck, Outcome, RegionCheck } from '../model.js';
import { fsbp, judged, na } from './compliance.js';
import { ASFF_TYPES, type Described, evidenceValue } from './support.js';

const AT_REST_CIS = [judged('cis', ['3.11'], 'encrypt sensitive data at rest')];

export const volumeUnencrypted: Described<InstanceCheck> = {
  id: 'ebs.volume-unencrypted',
  title: 'EBS volume attached to an InfluxDB instance is not encrypted',
  severity: 'HIGH',
  section: 'AWS recommendations',
  risk: 'InfluxDB stores data, WAL and metadata (including user password hashes) in plain files; an unencrypted volume or snapshot exposes all of it.',
  remediation: {
    text: 'Snapshot the volume, copy the snapshot with encryption (KMS), create a volume from it and swap it in; turn on EBS encryption by default so new volumes are encrypted.',
    url: 'https://docs.aws.amazon.com/ebs/latest/userguide/ebs-encryption.html',
  },
  evidence: ['aws'],
  asffTypes: ASFF_TYPES.encryption,
  failedWhen: 'an attached EBS volume is unencrypted (one finding per volume)',
  compliance: {
    nist: [fsbp('nist', 'EC2.3')],
    cis: AT_REST_CIS,
    pci: na('Security Hub maps EC2.3 to no PCI DSS v4.0.1 requirement'),
  },
  scope: 'instance',
  needs: ['volumes'],
  evaluate: ({ evidence }): Outcome[] =>
    evidenceValue(evidence.volumes!).map((v) => {
      const resource = { type: 'AwsEc2Volume' as const, id: v.volumeId };
      const details = {
        volumeId: v.volumeId,
        device: v.device,
        encrypted: v.encrypted,
        ...(v.kmsKeyId ? { kmsKeyId: v.kmsKeyId } : {}),
        ...(v.sizeGiB !== undefined ? { sizeGiB: v.sizeGiB } : {}),
      };
      return v.encrypted
        ? { status: 'PASSED', resource, summary: `encrypted (${v.device})`, details }
        : {
            status: 'FAILED',
            resource,
            summary: `not encrypted (${v.device}${v.sizeGiB !== undefined ? `, ${v.sizeGiB} GiB` : ''})`,
            details,
          };
    }),
};

export const defaultEncryptionDisabled: Described<RegionCheck> = {
  id: 'ebs.default-encryption-disabled',
  title: 'EBS encryption by default is disabled',
  severity: 'MEDIUM',
  section: 'AWS recommendations',
  risk: 'New volumes (including those restored from snapshots for InfluxDB nodes) are created unencrypted unless every launch remembers to ask.',
  remediation: {
    text: 'Enable EBS encryption by default in this account and region (EC2 console → Settings → EBS encryption, or `aws ec2 enable-ebs-encryption-by-default`).',
    url: 'https://docs.aws.amazon.com/ebs/latest/userguide/encryption-by-default.html',
  },
  evidence: ['aws'],
  asffTypes: ASFF_TYPES.encryption,
  failedWhen: 'EBS encryption by default is off in a region that has InfluxDB instances (account-level finding)',
  compliance: {
    nist: [fsbp('nist', 'EC2.7')],
    cis: AT_REST_CIS,
    pci: na('Security Hub maps EC2.7 to no PCI DSS v4.0.1 requirement'),
  },
  scope: 'region',
  needs: ['ebsDefaultEncryption'],
  appliesTo: ({ instances }) => instances.length > 0,
  evaluate: ({ accountId, region, evidence }) => {
    const enabled = evidenceValue(evidence.ebsDefaultEncryption);
    return [
      enabled
        ? {
            status: 'PASSED',
            summary: `EBS encryption by default is on in ${accountId}/${region}`,
            details: { ebsEncryptionByDefault: true },
          }
        : {
            status: 'FAILED',
            summary: `EBS encryption by default is off in ${accountId}/${region}`,
            details: { ebsEncryptionByDefault: false },
          },
    ];
  },
};

export const EBS_CHECKS: readonly Described[] = [volumeUnencrypted, defaultEncryptionDisabled];
