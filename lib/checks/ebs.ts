/** EBS encryption: InfluxDB does not encrypt its data, so the disks must. */
import type { InstanceCheck, Outcome, RegionCheck, SnapshotEvidence } from '../model.js';
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

/** A snapshot as findings name it: its own resource (no ASFF type of its own), with the volume it was taken of. */
const snapshotResource = (s: SnapshotEvidence) => ({ type: 'Other' as const, id: s.snapshotId });
const snapshotDetails = (s: SnapshotEvidence) => ({
  snapshotId: s.snapshotId,
  volumeId: s.volumeId,
  device: s.device,
  encrypted: s.encrypted,
  ...(s.kmsKeyId ? { kmsKeyId: s.kmsKeyId } : {}),
  ...(s.sizeGiB !== undefined ? { sizeGiB: s.sizeGiB } : {}),
});

/** Snapshot Block Public Access mode that keeps every public snapshot private. */
const BLOCK_ALL = 'block-all-sharing';

export const snapshotPublic: Described<InstanceCheck> = {
  id: 'ebs.snapshot-public',
  title: "A snapshot of the InfluxDB instance's volume is public",
  severity: 'CRITICAL',
  section: 'AWS recommendations',
  risk: 'Any AWS account can create a volume from a public snapshot and read the database files: every series, and the users and password hashes in the meta store.',
  remediation: {
    text: 'Remove the public permission (`aws ec2 modify-snapshot-attribute --snapshot-id <id> --attribute createVolumePermission --operation-type remove --group-names all`) and turn on snapshot Block Public Access in `block-all-sharing` mode for the region.',
    url: 'https://docs.aws.amazon.com/ebs/latest/userguide/block-public-access-snapshots.html',
  },
  evidence: ['aws'],
  asffTypes: ['Effects/Data Exposure', ...ASFF_TYPES.bestPractices],
  failedWhen:
    "a snapshot of an attached volume may be restored by every AWS account (`createVolumePermission` group `all`) and the region's snapshot Block Public Access is not `block-all-sharing` (one finding per snapshot)",
  compliance: {
    nist: [judged('nist', ['AC-3', 'AC-21'], 'access enforcement; information sharing limited to authorised parties')],
    cis: [judged('cis', ['3.3'], 'configure data access control lists')],
    pci: [judged('pci', ['7.2.1'], 'access to system components and data is limited by need')],
  },
  scope: 'instance',
  needs: ['publicSnapshots', 'snapshotBlockPublicAccess'],
  decidedBy: ['publicSnapshots'],
  evaluate: ({ evidence }): Outcome[] => {
    const pub = evidenceValue(evidence.publicSnapshots!);
    const bpa = evidence.snapshotBlockPublicAccess;
    if (!pub.length) return [{ status: 'PASSED', summary: 'no snapshot of its volumes is public', details: { publicSnapshots: 0 } }];
    if (bpa?.ok && bpa.value === BLOCK_ALL)
      return pub.map((s) => ({
        status: 'PASSED',
        resource: snapshotResource(s),
        summary: `shared with all accounts, but snapshot Block Public Access (${BLOCK_ALL}) keeps it private (${s.device})`,
        details: { ...snapshotDetails(s), blockPublicAccess: bpa.value },
      }));
    return pub.map((s) => ({
      status: 'FAILED',
      resource: snapshotResource(s),
      summary: `any AWS account may restore this snapshot of ${s.volumeId} (${s.device})`,
      details: { ...snapshotDetails(s), createVolumePermission: 'all', ...(bpa?.ok ? { blockPublicAccess: bpa.value } : {}) },
      ...(bpa && !bpa.ok ? { incomplete: `snapshot Block Public Access could not be read: ${bpa.reason}` } : {}),
    }));
  },
};

export const snapshotUnencrypted: Described<InstanceCheck> = {
  id: 'ebs.snapshot-unencrypted',
  title: "A snapshot of the InfluxDB instance's volume is not encrypted",
  severity: 'HIGH',
  section: 'AWS recommendations',
  risk: 'An unencrypted snapshot holds the database files in clear: whoever it is shared or copied to reads them, and volumes restored from it are unencrypted too.',
  remediation: {
    text: 'Copy the snapshot with encryption (`aws ec2 copy-snapshot --encrypted --kms-key-id …`), delete the unencrypted one, and encrypt the volume itself (ebs.volume-unencrypted).',
    url: 'https://docs.aws.amazon.com/ebs/latest/userguide/ebs-encryption.html',
  },
  evidence: ['aws'],
  asffTypes: ASFF_TYPES.encryption,
  failedWhen: 'a snapshot owned by the account, of an attached volume, is not encrypted (one finding per snapshot)',
  compliance: {
    nist: [judged('nist', ['SC-28', 'SC-28(1)'], 'protection of information at rest, by cryptography')],
    cis: AT_REST_CIS,
    pci: na('stored account data (3.5.1) is not in an InfluxDB deployment by default'),
  },
  scope: 'instance',
  needs: ['snapshots'],
  evaluate: ({ evidence }): Outcome[] =>
    evidenceValue(evidence.snapshots!).map((s) => ({
      status: s.encrypted ? 'PASSED' : 'FAILED',
      resource: snapshotResource(s),
      summary: `${s.encrypted ? 'encrypted' : 'not encrypted'}: snapshot of ${s.volumeId} (${s.device})`,
      details: snapshotDetails(s),
    })),
};

export const EBS_CHECKS: readonly Described[] = [volumeUnencrypted, defaultEncryptionDisabled, snapshotPublic, snapshotUnencrypted];
