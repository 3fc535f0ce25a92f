/**
 * Compliance mappings: the vocabulary each check uses to declare, on itself (`compliance` in its
 * family file), the controls of published frameworks it supports, in the string form Security Hub's
 * own controls use in `Compliance.RelatedRequirements` (`NIST.800-53.r5 SC-8`, `PCI DSS v4.0.1/4.2.1`,
 * and by the same pattern `CIS Controls v8/3.10`), plus the InfluxData guidance section the check
 * comes from (`InfluxData Manage security/Ports`, from the check's own `section`).
 *
 * The registry's type (`Described` in support.ts) makes a mapping part of every registered check:
 * a check without one fails typecheck; test/checks/compliance.test.ts checks each has a mapping of
 * each kind with its source (or says why a framework does not apply).
 *
 * Where each mapping comes from is part of it:
 * - `fsbp(...)`: the "Related requirements" that AWS Security Hub lists for its equivalent AWS
 *   Foundational Security Best Practices control (the control's page is the URL). These are AWS's
 *   mappings, copied as they are.
 * - `judged(...)`: influxguard's own reading of the framework's control text, with the framework's
 *   catalogue as URL, where Security Hub has no equivalent control (CIS Controls v8 has no Security
 *   Hub standard at all, so every CIS mapping is judged).
 */
export type Framework = 'nist' | 'cis' | 'pci';

/** Controls of one framework, and where the mapping comes from. */
export interface Cited {
  framework: Framework;
  controls: readonly string[];
  /** `AWS Security Hub FSBP EC2.19` or `influxguard judgement: <why>`. */
  basis: string;
  url: string;
}

/** A framework that does not apply to the check, and why. */
export interface NotApplicable {
  notApplicable: string;
}

export interface Mapping {
  nist: readonly Cited[] | NotApplicable;
  cis: readonly Cited[] | NotApplicable;
  pci: readonly Cited[] | NotApplicable;
  /** False when the check is the scanner's own (no guidance section behind it). */
  guidance?: false;
}

const PREFIX: Record<Framework, string> = {
  nist: 'NIST.800-53.r5 ',
  cis: 'CIS Controls v8/',
  pci: 'PCI DSS v4.0.1/',
};
export const GUIDANCE_PREFIX = 'InfluxData Manage security/';

const CATALOGUE_URL: Record<Framework, string> = {
  nist: 'https://csrc.nist.gov/pubs/sp/800/53/r5/upd1/final',
  cis: 'https://www.cisecurity.org/controls/v8',
  pci: 'https://docs-prv.pcisecuritystandards.org/PCI%20DSS/Standard/PCI-DSS-v4_0_1.pdf',
};

const SH_URL = 'https://docs.aws.amazon.com/securityhub/latest/userguide/';

/**
 * Security Hub's FSBP controls whose related requirements we reuse, copied from their pages
 * (`<service>-controls.html#<anchor>`). Only the NIST SP 800-53 r5 and PCI DSS v4.0.1 entries.
 */
const FSBP_CONTROLS = {
  // Security groups should not allow unrestricted access to ports with high risk (no PCI DSS v4.0.1 entry).
  'EC2.19': {
    page: 'ec2-controls.html#ec2-19',
    nist: ['AC-4', 'AC-4(21)', 'CA-9(1)', 'CM-2', 'CM-2(2)', 'CM-7', 'SC-7', 'SC-7(11)', 'SC-7(16)', 'SC-7(21)', 'SC-7(4)', 'SC-7(5)'],
    pci: [],
  },
  // Security groups should only allow unrestricted incoming traffic for authorized ports.
  'EC2.18': {
    page: 'ec2-controls.html#ec2-18',
    nist: ['AC-4', 'AC-4(21)', 'SC-7', 'SC-7(11)', 'SC-7(16)', 'SC-7(21)', 'SC-7(4)', 'SC-7(5)'],
    pci: [],
  },
  // Security groups should not allow ingress from 0.0.0.0/0 or ::/0 to port 22.
  'EC2.13': {
    page: 'ec2-controls.html#ec2-13',
    nist: ['AC-4', 'AC-4(21)', 'CM-7', 'SC-7', 'SC-7(11)', 'SC-7(16)', 'SC-7(21)', 'SC-7(4)', 'SC-7(5)'],
    pci: ['1.3.1'],
  },
  // Attached Amazon EBS volumes should be encrypted at-rest (no PCI DSS entry).
  'EC2.3': {
    page: 'ec2-controls.html#ec2-3',
    nist: ['CA-9(1)', 'CM-3(6)', 'SC-13', 'SC-28', 'SC-28(1)', 'SC-7(10)', 'SI-7(6)'],
    pci: [],
  },
  // EBS default encryption should be enabled (no PCI DSS entry).
  'EC2.7': {
    page: 'ec2-controls.html#ec2-7',
    nist: ['CA-9(1)', 'CM-3(6)', 'SC-13', 'SC-28', 'SC-28(1)', 'SC-7(10)', 'SI-7(6)'],
    pci: [],
  },
  // RDS DB instances should prohibit public access (PubliclyAccessible).
  'RDS.2': {
    page: 'rds-controls.html#rds-2',
    nist: ['AC-4', 'AC-4(21)', 'SC-7', 'SC-7(11)', 'SC-7(16)', 'SC-7(21)', 'SC-7(4)', 'SC-7(5)'],
    pci: ['1.4.4'],
  },
  // RDS DB instances should publish logs to CloudWatch Logs.
  'RDS.9': {
    page: 'rds-controls.html#rds-9',
    nist: [
      'AC-2(4)',
      'AC-4(26)',
      'AC-6(9)',
      'AU-10',
      'AU-12',
      'AU-2',
      'AU-3',
      'AU-6(3)',
      'AU-6(4)',
      'CA-7',
      'SC-7(10)',
      'SC-7(9)',
      'SI-3(8)',
      'SI-4(20)',
      'SI-7(8)',
    ],
    pci: ['10.2.1'],
  },
  // IAM authentication should be configured for RDS instances.
  'RDS.10': { page: 'rds-controls.html#rds-10', nist: ['AC-2(1)', 'AC-3', 'AC-3(15)', 'AC-3(7)', 'AC-6'], pci: [] },
  // Classic Load Balancer listeners should be configured with HTTPS or TLS termination.
  'ELB.3': {
    page: 'elb-controls.html#elb-3',
    nist: ['AC-17(2)', 'AC-4', 'IA-5(1)', 'SC-12(3)', 'SC-13', 'SC-23', 'SC-23(3)', 'SC-7(4)', 'SC-8', 'SC-8(1)', 'SC-8(2)', 'SI-7(6)'],
    pci: ['4.2.1'],
  },
  // Application Load Balancer should be configured to drop invalid http headers.
  'ELB.4': { page: 'elb-controls.html#elb-4', nist: ['SC-7(4)', 'SC-8(2)'], pci: ['6.2.4'] },
  // Classic Load Balancers with SSL listeners should use a predefined security policy that has strong configuration.
  'ELB.8': {
    page: 'elb-controls.html#elb-8',
    nist: ['AC-17(2)', 'AC-4', 'IA-5(1)', 'SC-12(3)', 'SC-13', 'SC-23', 'SC-23(3)', 'SC-7(4)', 'SC-8', 'SC-8(1)', 'SC-8(2)', 'SI-7(6)'],
    pci: ['4.2.1'],
  },
  // Imported and ACM-issued certificates should be renewed after a specified time period.
  'ACM.1': { page: 'acm-controls.html#acm-1', nist: ['SC-28(3)', 'SC-7(16)'], pci: ['4.2.1'] },
  // Unused IAM user credentials should be removed.
  'IAM.8': {
    page: 'iam-controls.html#iam-8',
    nist: ['AC-2', 'AC-2(1)', 'AC-2(3)', 'AC-3', 'AC-3(15)', 'AC-3(7)', 'AC-6'],
    pci: ['8.2.6'],
  },
  // Amazon EC2 instances managed by Systems Manager should have a patch compliance status of COMPLIANT.
  'SSM.2': {
    page: 'ssm-controls.html#ssm-2',
    nist: ['CM-8(3)', 'SI-2', 'SI-2(2)', 'SI-2(3)', 'SI-2(4)', 'SI-2(5)'],
    pci: ['2.2.1', '6.3.3'],
  },
} as const satisfies Record<string, { page: string; nist: readonly string[]; pci: readonly string[] }>;
type FsbpId = keyof typeof FSBP_CONTROLS;

/** Security Hub's own mapping for its equivalent control. */
export const fsbp = (framework: 'nist' | 'pci', id: FsbpId): Cited => ({
  framework,
  controls: FSBP_CONTROLS[id][framework],
  basis: `AWS Security Hub FSBP ${id}`,
  url: SH_URL + FSBP_CONTROLS[id].page,
});

/** influxguard's reading of the framework's control text. */
export const judged = (framework: Framework, controls: string[], why: string): Cited => ({
  framework,
  controls,
  basis: `influxguard judgement: ${why}`,
  url: CATALOGUE_URL[framework],
});
export const na = (why: string): NotApplicable => ({ notApplicable: why });

// Mappings shared by checks of more than one family.
export const NET_EXPOSED_CIS = judged('cis', ['4.4', '12.2'], 'a firewall on servers (4.4) and a secure network architecture (12.2)');
export const DEFAULT_ACCOUNTS_CIS = judged('cis', ['4.7'], 'manage default accounts on enterprise assets and software');
export const UNNEEDED_SERVICE_PCI = judged('pci', ['2.2.4'], 'only necessary services, protocols, daemons and functions are enabled');
export const UNNEEDED_SERVICE: Mapping = {
  nist: [judged('nist', ['CM-7'], 'least functionality: a service or endpoint that is not needed is exposed')],
  cis: [judged('cis', ['4.8'], 'uninstall or disable unnecessary services')],
  pci: [UNNEEDED_SERVICE_PCI],
};

/** Per mapping and guidance section: one array shared by all of the check's findings (a scan of thousands holds one copy, not thousands). */
const cache = new WeakMap<Mapping, Map<string, string[]>>();

/**
 * `Compliance.RelatedRequirements` of a check: its guidance section, then PCI DSS, CIS and NIST
 * controls, without duplicates. Empty for a check that declares no mapping (only a test's own
 * checks: the registry's type requires one). The array is shared: never mutate it.
 */
export function relatedRequirements(check: { section: string; compliance?: Mapping }): string[] {
  const m = check.compliance;
  if (!m) return [];
  const bySection = cache.get(m) ?? new Map<string, string[]>();
  cache.set(m, bySection);
  const known = bySection.get(check.section);
  if (known) return known;
  const cited = (x: readonly Cited[] | NotApplicable) =>
    'notApplicable' in x ? [] : x.flatMap((c) => c.controls.map((id) => PREFIX[c.framework] + id));
  const related = [
    ...new Set([...(m.guidance === false ? [] : [GUIDANCE_PREFIX + check.section]), ...cited(m.pci), ...cited(m.cis), ...cited(m.nist)]),
  ];
  bySection.set(check.section, related);
  return related;
}
