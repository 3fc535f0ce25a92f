/**
 * Compliance mappings: for every check id of the CHECKS.md catalogue (implemented or pending), the
 * controls of published frameworks that the check supports, in the string form Security Hub's own
 * controls use in `Compliance.RelatedRequirements` (`NIST.800-53.r5 SC-8`, `PCI DSS v4.0.1/4.2.1`,
 * and by the same pattern `CIS Controls v8/3.10`), plus the InfluxData guidance section the check
 * comes from (`InfluxData Manage security/Ports`, from the check's own `section`).
 *
 * One data file keyed by check id, so checks added in parallel only add a row here. `Record` over
 * the catalogue's id union: a catalogue id without a row fails typecheck; test/checks/compliance.test.ts
 * checks that every registered check is in the catalogue union and has a mapping of each kind (or
 * says why a framework does not apply).
 *
 * Where each mapping comes from is part of the row:
 * - `fsbp(...)`: the "Related requirements" that AWS Security Hub lists for its equivalent AWS
 *   Foundational Security Best Practices control (the control's page is the URL). These are AWS's
 *   mappings, copied as they are.
 * - `judged(...)`: influxguard's own reading of the framework's control text, with the framework's
 *   catalogue as URL, where Security Hub has no equivalent control (CIS Controls v8 has no Security
 *   Hub standard at all, so every CIS mapping is judged).
 */
/** Every id of the CHECKS.md catalogue, implemented or pending (catalogue.test.ts compares the two lists). */
export const CATALOGUE_IDS = [
  'net.http-port-public',
  'net.rpc-port-exposed',
  'net.cluster-ports-exposed',
  'net.unexpected-ports-open',
  'ebs.volume-unencrypted',
  'ebs.default-encryption-disabled',
  'auth.disabled',
  'auth.no-admin-user',
  'auth.jwt-empty-secret',
  'auth.diagnostics-unauthenticated',
  'auth.v2-setup-open',
  'users.default-credentials',
  'users.admin-privileges',
  'users.stale-unprivileged',
  'users.default-admin-name',
  'tokens.all-access-excess',
  'tokens.write-all-buckets',
  'tokens.inactive-user-active',
  'tls.disabled',
  'tls.certificate-invalid',
  'tls.legacy-protocols',
  'tls.private-key-exposed',
  'headers.security-headers-missing',
  'headers.cors-any-origin',
  'headers.version-disclosed',
  'host.rpc-bind-all-interfaces',
  'host.unexpected-listeners',
  'host.version-vulnerable',
  'host.v2-hardening-disabled',
  'timestream.publicly-accessible',
  'timestream.diagnostics-exposed',
  'timestream.log-delivery-disabled',
  'host.evidence-unavailable',
] as const;
export type CatalogueId = (typeof CATALOGUE_IDS)[number];

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
interface NotApplicable {
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
const fsbp = (framework: 'nist' | 'pci', id: FsbpId): Cited => ({
  framework,
  controls: FSBP_CONTROLS[id][framework],
  basis: `AWS Security Hub FSBP ${id}`,
  url: SH_URL + FSBP_CONTROLS[id].page,
});

/** influxguard's reading of the framework's control text. */
const judged = (framework: Framework, controls: string[], why: string): Cited => ({
  framework,
  controls,
  basis: `influxguard judgement: ${why}`,
  url: CATALOGUE_URL[framework],
});
const na = (why: string): NotApplicable => ({ notApplicable: why });

// Rows shared by families of checks.
const NET_EXPOSED_CIS = judged('cis', ['4.4', '12.2'], 'a firewall on servers (4.4) and a secure network architecture (12.2)');
const UNNEEDED_SERVICE = {
  nist: [judged('nist', ['CM-7'], 'least functionality: a service or endpoint that is not needed is exposed')],
  cis: [judged('cis', ['4.8'], 'uninstall or disable unnecessary services')],
  pci: [judged('pci', ['2.2.4'], 'only necessary services, protocols, daemons and functions are enabled')],
};
const TLS_CIS = [judged('cis', ['3.10'], 'encrypt sensitive data in transit')];
const LEAST_PRIVILEGE = {
  nist: [judged('nist', ['AC-6', 'AC-6(5)'], 'least privilege; privileged accounts')],
  cis: [judged('cis', ['5.4', '6.8'], 'restrict administrator privileges; role-based access control')],
  pci: [judged('pci', ['7.2.2'], 'access assigned by least privilege')],
};
const DORMANT = {
  nist: [fsbp('nist', 'IAM.8')],
  pci: [fsbp('pci', 'IAM.8')],
};

export const COMPLIANCE: Record<CatalogueId, Mapping> = {
  'net.http-port-public': {
    nist: [fsbp('nist', 'EC2.19')],
    cis: [NET_EXPOSED_CIS],
    pci: [fsbp('pci', 'EC2.13'), fsbp('pci', 'RDS.2')],
  },
  'net.rpc-port-exposed': {
    nist: [fsbp('nist', 'EC2.19')],
    cis: [NET_EXPOSED_CIS],
    pci: [fsbp('pci', 'EC2.13'), fsbp('pci', 'RDS.2')],
  },
  'net.cluster-ports-exposed': {
    nist: [fsbp('nist', 'EC2.18')],
    cis: [NET_EXPOSED_CIS],
    pci: [fsbp('pci', 'EC2.13')],
  },
  'net.unexpected-ports-open': {
    nist: [fsbp('nist', 'EC2.18')],
    cis: [judged('cis', ['4.4', '4.8'], 'a firewall on servers; no unnecessary services reachable')],
    pci: [fsbp('pci', 'EC2.13'), UNNEEDED_SERVICE.pci[0]!],
  },
  'ebs.volume-unencrypted': {
    nist: [fsbp('nist', 'EC2.3')],
    cis: [judged('cis', ['3.11'], 'encrypt sensitive data at rest')],
    pci: na('Security Hub maps EC2.3 to no PCI DSS v4.0.1 requirement'),
  },
  'ebs.default-encryption-disabled': {
    nist: [fsbp('nist', 'EC2.7')],
    cis: [judged('cis', ['3.11'], 'encrypt sensitive data at rest')],
    pci: na('Security Hub maps EC2.7 to no PCI DSS v4.0.1 requirement'),
  },
  'auth.disabled': {
    nist: [fsbp('nist', 'RDS.10'), judged('nist', ['IA-2'], 'users of the database are identified and authenticated')],
    cis: [judged('cis', ['3.3'], 'data access control lists: no access without an identity')],
    pci: [judged('pci', ['8.3.1'], 'all user access to system components is authenticated')],
  },
  'auth.no-admin-user': {
    nist: [judged('nist', ['AC-2', 'IA-2'], 'account management: the first admin can be created by anyone')],
    cis: [judged('cis', ['3.3'], 'data access control lists')],
    pci: [judged('pci', ['8.3.1'], 'all user access to system components is authenticated')],
  },
  'auth.jwt-empty-secret': {
    nist: [judged('nist', ['IA-5', 'SI-2'], 'authenticator management; flaw remediation (CVE-2019-20933)')],
    cis: [judged('cis', ['7.4'], 'application patch management')],
    pci: [judged('pci', ['8.3.1', '6.3.3'], 'authentication bypass; known vulnerability patched')],
  },
  'auth.diagnostics-unauthenticated': UNNEEDED_SERVICE,
  'auth.v2-setup-open': {
    nist: [judged('nist', ['IA-5', 'AC-2'], 'initial authenticator and account set up by the owner, not by whoever comes first')],
    cis: [judged('cis', ['4.7'], 'manage default accounts on enterprise assets and software')],
    pci: [judged('pci', ['2.2.2'], 'vendor default accounts are managed')],
  },
  'users.default-credentials': {
    nist: [judged('nist', ['IA-5', 'IA-5(1)'], 'default authenticators changed; password-based authentication')],
    cis: [judged('cis', ['4.7'], 'manage default accounts on enterprise assets and software')],
    pci: [judged('pci', ['2.2.2'], 'vendor default passwords are changed or accounts disabled')],
  },
  'users.admin-privileges': LEAST_PRIVILEGE,
  'users.stale-unprivileged': {
    ...DORMANT,
    cis: [judged('cis', ['5.3'], 'disable dormant accounts')],
  },
  'users.default-admin-name': {
    nist: [judged('nist', ['AC-2', 'CM-6'], 'account management; configuration settings')],
    cis: [judged('cis', ['4.7'], 'manage default accounts on enterprise assets and software')],
    pci: [judged('pci', ['2.2.2'], 'vendor default accounts are managed')],
  },
  'tokens.all-access-excess': LEAST_PRIVILEGE,
  'tokens.write-all-buckets': {
    ...LEAST_PRIVILEGE,
    cis: [judged('cis', ['3.3', '6.8'], 'data access control lists; role-based access control')],
  },
  'tokens.inactive-user-active': {
    ...DORMANT,
    cis: [judged('cis', ['5.3', '6.2'], 'disable dormant accounts; access revoking process')],
  },
  'tls.disabled': { nist: [fsbp('nist', 'ELB.3')], cis: TLS_CIS, pci: [fsbp('pci', 'ELB.3')] },
  'tls.certificate-invalid': {
    nist: [fsbp('nist', 'ACM.1'), judged('nist', ['SC-17'], 'public key infrastructure certificates')],
    cis: TLS_CIS,
    pci: [fsbp('pci', 'ACM.1')],
  },
  'tls.legacy-protocols': { nist: [fsbp('nist', 'ELB.8')], cis: TLS_CIS, pci: [fsbp('pci', 'ELB.8')] },
  'tls.private-key-exposed': {
    nist: [judged('nist', ['SC-12', 'AC-3'], 'cryptographic key protection; access enforcement on the key file')],
    cis: [judged('cis', ['3.3'], 'data access control lists (file permissions)')],
    pci: [judged('pci', ['4.2.1'], 'strong cryptography in transit fails once the private key is readable')],
  },
  'headers.security-headers-missing': {
    nist: [fsbp('nist', 'ELB.4')],
    cis: [judged('cis', ['16.7'], 'standard hardening configuration for application infrastructure')],
    pci: [fsbp('pci', 'ELB.4')],
  },
  'headers.cors-any-origin': {
    nist: [judged('nist', ['AC-4'], 'information flow enforcement across origins')],
    cis: [judged('cis', ['16.7'], 'standard hardening configuration for application infrastructure')],
    pci: [judged('pci', ['6.2.4'], 'attacks such as cross-site request forgery are prevented')],
  },
  'headers.version-disclosed': {
    nist: [judged('nist', ['SI-11', 'CM-7'], 'responses reveal no more than needed')],
    cis: [judged('cis', ['4.1'], 'secure configuration process')],
    pci: [judged('pci', ['2.2.1'], 'configuration standards address known weaknesses')],
  },
  'host.rpc-bind-all-interfaces': UNNEEDED_SERVICE,
  'host.unexpected-listeners': UNNEEDED_SERVICE,
  'host.version-vulnerable': {
    nist: [fsbp('nist', 'SSM.2')],
    cis: [judged('cis', ['2.2', '7.4'], 'authorized software is currently supported; application patch management')],
    pci: [fsbp('pci', 'SSM.2')],
  },
  'host.v2-hardening-disabled': {
    nist: [
      judged(
        'nist',
        ['AC-4', 'SC-7', 'CM-7'],
        'server-side requests to private addresses (SSRF): information flow, boundary, least functionality',
      ),
    ],
    cis: [judged('cis', ['4.1', '16.7'], 'secure configuration; hardening of application infrastructure')],
    pci: [judged('pci', ['2.2.1', '6.2.4'], 'configuration standards; attacks on the application are prevented')],
  },
  'timestream.publicly-accessible': {
    nist: [fsbp('nist', 'RDS.2')],
    cis: [NET_EXPOSED_CIS],
    pci: [fsbp('pci', 'RDS.2')],
  },
  'timestream.diagnostics-exposed': UNNEEDED_SERVICE,
  'timestream.log-delivery-disabled': {
    nist: [fsbp('nist', 'RDS.9')],
    cis: [judged('cis', ['8.2'], 'collect audit logs')],
    pci: [fsbp('pci', 'RDS.9')],
  },
  'host.evidence-unavailable': {
    nist: na('a status of the scanner (host evidence missing), not a control'),
    cis: na('a status of the scanner, not a control'),
    pci: na('a status of the scanner, not a control'),
    guidance: false,
  },
};

const isCatalogueId = (id: string): id is CatalogueId => Object.hasOwn(COMPLIANCE, id);

/** Per check id: one array shared by all of the check's findings (a scan of thousands holds one copy, not thousands). */
const cache = new Map<string, string[]>();

/**
 * `Compliance.RelatedRequirements` of a check: its guidance section, then PCI DSS, CIS and NIST
 * controls, without duplicates. Empty for an id outside the catalogue. The array is shared: never mutate it.
 */
export function relatedRequirements(check: { id: string; section: string }): string[] {
  const key = `${check.id}\n${check.section}`;
  const known = cache.get(key);
  if (known) return known;
  if (!isCatalogueId(check.id)) return [];
  const m = COMPLIANCE[check.id];
  const cited = (x: readonly Cited[] | NotApplicable) =>
    'notApplicable' in x ? [] : x.flatMap((c) => c.controls.map((id) => PREFIX[c.framework] + id));
  const related = [
    ...new Set([...(m.guidance === false ? [] : [GUIDANCE_PREFIX + check.section]), ...cited(m.pci), ...cited(m.cis), ...cited(m.nist)]),
  ];
  cache.set(key, related);
  return related;
}
