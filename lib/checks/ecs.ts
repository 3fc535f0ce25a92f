/**
 * InfluxDB on Amazon ECS (CHECKS.md "InfluxDB on Amazon ECS"): credentials in a task definition's plain environment,
 * the encryption of the volume holding the container's data, and the version an image tag names. They read the
 * `ecs` evidence (lib/kinds/ecs-service/evidence.ts), which only containerised InfluxDB has: silent for instances.
 * Evidence names a variable, never its value (discovery never kept one).
 */
import type { EcsEvidence, HostEvidence, InstanceCheck, Outcome, ResourceRef } from '../model.js';
import { isCredentialName } from '../util/credentials.js';
import { fsbp, judged } from './compliance.js';
import { versionBelow } from './hostfacts.js';
import { ASFF_TYPES, type Described, EvidenceUnavailable, evidenceValue } from './support.js';

/** The family's ARN without the revision: a deploy (a new revision) keeps the finding. */
export const familyArn = (taskDefinitionArn: string): string => taskDefinitionArn.replace(/:\d+$/, '');

export const plaintextEnvironment: Described<InstanceCheck> = {
  id: 'secrets.plaintext-environment',
  title: 'ECS task definition passes an InfluxDB credential in its plain environment',
  severity: 'HIGH',
  section: 'Manage users and permissions',
  risk: 'Whoever may describe task definitions (ecs:DescribeTaskDefinition, often granted broadly) reads the credential in clear, in every revision that keeps it.',
  remediation: {
    text: 'Move the variable from `environment` to `secrets` (valueFrom a Secrets Manager secret or an SSM SecureString parameter), register a new revision, rotate the credential and deregister the revisions that hold it.',
    url: 'https://docs.aws.amazon.com/AmazonECS/latest/developerguide/specifying-sensitive-data.html',
  },
  failedWhen:
    "a task definition running InfluxDB sets a credential in a container's plain `environment` (`isCredentialName(name, 'environment')` of lib/util/credentials.ts with a value that is not empty nor a reference); one finding per task definition family (its ARN without the revision), naming the variables and revisions, never the values",
  compliance: {
    nist: [judged('nist', ['IA-5(7)', 'SC-28'], 'no embedded unencrypted static authenticators; protection of information at rest')],
    cis: [judged('cis', ['3.11'], 'encrypt sensitive data at rest (credentials kept in clear in the task definition)')],
    pci: [judged('pci', ['8.3.2'], 'authentication factors are unreadable in storage')],
  },
  evidence: ['aws'],
  asffTypes: ASFF_TYPES.bestPractices,
  scope: 'instance',
  needs: ['ecs'],
  evaluate: ({ evidence }): Outcome[] => {
    const e = evidenceValue(evidence.ecs!);
    const families = new Map<string, { revisions: Set<number>; variables: Set<string>; secrets: Set<string> }>();
    for (const r of e.service.taskDefinitions) {
      if (!r.ok || !r.value.containers.some((c) => c.influx)) continue;
      const td = r.value;
      const f = families.get(familyArn(td.arn)) ?? { revisions: new Set(), variables: new Set(), secrets: new Set() };
      f.revisions.add(td.revision);
      for (const c of td.containers) {
        for (const v of c.environment)
          if ('credential' in v && v.set && isCredentialName(v.name, 'environment')) f.variables.add(`${c.name}: ${v.name}`);
        for (const s of c.secrets) f.secrets.add(`${c.name}: ${s}`);
      }
      families.set(familyArn(td.arn), f);
    }
    if (!families.size) throw new EvidenceUnavailable(e.unreadable.join('; ') || 'no task definition running an InfluxDB server image');
    return [...families].map(([arn, f]): Outcome => {
      const resource: ResourceRef = { type: 'AwsEcsTaskDefinition', id: arn };
      const details = {
        taskDefinitionFamily: arn,
        revisions: [...f.revisions].sort((a, b) => a - b),
        ...(f.variables.size ? { plaintextVariables: [...f.variables] } : {}),
        ...(f.secrets.size ? { fromSecrets: [...f.secrets] } : {}),
      };
      return f.variables.size
        ? { status: 'FAILED', resource, summary: `credentials in plain environment: ${[...f.variables].join(', ')}`, details }
        : {
            status: 'PASSED',
            resource,
            summary: f.secrets.size
              ? `credentials come from secrets (${[...f.secrets].join(', ')})`
              : 'no credential in the plain environment',
            details,
          };
    });
  },
};

export const dataVolumeUnencrypted: Described<InstanceCheck> = {
  id: 'ecs.data-volume-unencrypted',
  title: "InfluxDB container's data is on an unencrypted volume",
  severity: 'HIGH',
  section: 'AWS recommendations',
  risk: 'InfluxDB stores data, WAL and metadata (user password hashes, tokens) in plain files; an unencrypted file system or volume, or its backups, exposes all of it.',
  remediation: {
    text: 'Put the data directory on an encrypted EFS file system (encryption at rest is chosen at creation: create an encrypted one and copy the data, e.g. with AWS DataSync) with transit encryption on in the volume configuration, or on an encrypted ECS-managed EBS volume.',
    url: 'https://docs.aws.amazon.com/efs/latest/ug/encryption.html',
  },
  failedWhen:
    "the InfluxDB container's data directory is on an unencrypted EFS file system or ECS-managed EBS volume (the actual volume read); Fargate with no volume keeps data on ephemeral storage that AWS encrypts: PASSED, saying so; an EFS mount without transit encryption is noted in the evidence; EC2 launch type (bind mount, Docker volume or the container's writable layer): the container instance's EBS volumes, FAILED when one of them is unencrypted",
  compliance: {
    nist: [fsbp('nist', 'EC2.3')],
    cis: [judged('cis', ['3.11'], 'encrypt sensitive data at rest')],
    pci: [judged('pci', ['3.5.1'], 'stored account data is rendered unreadable (when InfluxDB holds it)')],
  },
  evidence: ['aws'],
  asffTypes: ASFF_TYPES.encryption,
  scope: 'instance',
  needs: ['ecs'],
  evaluate: ({ evidence }): Outcome[] => {
    const e = evidenceValue(evidence.ecs!);
    if (!e.dataVolumes.length) throw new EvidenceUnavailable(e.unreadable.join('; ') || 'no container running an InfluxDB server image');
    return e.dataVolumes.map((v): Outcome => {
      const resource: ResourceRef | undefined =
        v.kind === 'efs'
          ? { type: 'Other', id: v.arn ?? v.id! }
          : (v.kind === 'ebs-managed' || v.kind === 'container-instance') && v.id
            ? { type: 'AwsEc2Volume', id: v.id }
            : undefined;
      const details = {
        taskDefinition: v.taskDefinition,
        container: v.container,
        dataDirectory: v.path,
        volume: v.kind,
        ...(v.id ? { volumeId: v.id } : {}),
        ...(v.transitEncryption ? { transitEncryption: v.transitEncryption } : {}),
      };
      const at = `${v.container} ${v.path}`;
      if (!v.encrypted.ok)
        return {
          status: 'NOT_AVAILABLE',
          ...(resource ? { resource } : {}),
          summary: `${at}: ${v.encrypted.reason}`,
          details: { ...details, reason: v.encrypted.reason },
        };
      const transit = v.kind === 'efs' && v.transitEncryption !== 'ENABLED' ? ' (mounted without transit encryption)' : '';
      if (v.kind === 'ephemeral') return { status: 'PASSED', summary: `${at}: Fargate ephemeral storage, encrypted by AWS`, details };
      return v.encrypted.value
        ? { status: 'PASSED', ...(resource ? { resource } : {}), summary: `${at}: ${v.kind} ${v.id ?? ''} is encrypted${transit}`, details }
        : {
            status: 'FAILED',
            ...(resource ? { resource } : {}),
            summary: `${at}: ${v.kind} ${v.id ?? ''} is not encrypted${transit}`,
            details,
          };
    });
  },
};

/**
 * `host.version-vulnerable` of a containerised InfluxDB, from its image tags (CHECKS.md): a full version is judged
 * by the version table; a tag naming a line that lies entirely in an end-of-life range FAILS; any other line,
 * `latest` or a digest alone is NOT_AVAILABLE. A line InfluxData still ships patch releases for (`PATCHED_LINES`)
 * is NOT_AVAILABLE too: the tag may pull a fixed patch (CHECKS.md names `2.7` a supported line).
 */
/** Lines still given patch releases: InfluxDB OSS 2.7 (2.7.12, 2025; CHECKS.md "InfluxDB on Amazon ECS"). */
const PATCHED_LINES = ['2.7'];

export function imageVersionOutcome(
  e: EcsEvidence,
  knowledge: readonly { id: string; kind: string; from: number[]; below: number[]; what: string; source: string }[],
  full: (version: string) => Outcome[],
): Outcome[] {
  if (!e.containers.length) throw new EvidenceUnavailable(e.unreadable.join('; ') || 'no container running an InfluxDB server image');
  const outcomes = e.containers.map(({ taskDefinition, container }): Outcome => {
    const image = container.influx!;
    const v = image.version;
    const base = { image: container.image, taskDefinition: taskDefinition.arn, container: container.name };
    if (!image.major || !v || v.parts[0] !== image.major)
      return {
        status: 'NOT_AVAILABLE',
        summary: `${container.image}: the tag does not name an InfluxDB version`,
        details: { ...base, reason: 'version unknown from the image tag' },
      };
    if (v.full) return full(v.parts.join('.'))[0]!;
    // A line (`1.8`, `2`): its lowest and first-beyond versions.
    const low = [...v.parts, 0, 0].slice(0, 3);
    const next = [...v.parts];
    next[next.length - 1]! += 1;
    const high = [...next, 0, 0].slice(0, 3);
    const patchedLine = PATCHED_LINES.includes(v.parts.join('.'));
    const eol = patchedLine
      ? undefined
      : knowledge.find((k) => k.kind === 'end-of-life' && !versionBelow(low, k.from) && !versionBelow(k.below, high));
    return eol
      ? {
          status: 'FAILED',
          summary: `${container.image}: every ${image.tag} release is end-of-life (${eol.what})`,
          details: { ...base, endOfLife: true, sources: [`${eol.id}: ${eol.source}`] },
        }
      : {
          status: 'NOT_AVAILABLE',
          summary: `${container.image}: the tag names the ${image.tag} line, not its patch release`,
          details: { ...base, reason: 'patch release unknown from the image tag' },
        };
  });
  // One finding per service: the worst container decides, the others are in its evidence.
  const order = ['FAILED', 'NOT_AVAILABLE', 'WARNING', 'PASSED'];
  const worst = [...outcomes].sort((a, b) => order.indexOf(a.status) - order.indexOf(b.status))[0]!;
  return [
    outcomes.length > 1 ? { ...worst, details: { ...worst.details, containers: outcomes.map((o) => `${o.status}: ${o.summary}`) } } : worst,
  ];
}

/** Why a container's configuration is not told: its image tag does not name its major version. */
const UNKNOWN_MAJOR = 'the InfluxDB major version is unknown from the image tag';

/**
 * A host check's outcomes for a containerised InfluxDB, from its task definitions as host evidence (CHECKS.md "InfluxDB
 * on Amazon ECS": `EcsEvidence.host`, lib/kinds/ecs-service/evidence.ts). Only a check whose facts a task definition
 * states calls it (a variable, a 3.x command's flags); one that reads listeners, files or systemd never does, and says
 * nothing of a container. `applies`: the majors the check is for; `told`: those whose facts the view holds (a 1.x/2.x
 * container's command is not read). Silent when no container is both; a container of unknown major, one it applies to
 * whose facts are not told, or an unreadable revision, makes a PASS NOT_AVAILABLE (it may hide what fails).
 */
export function fromTaskDefinitions(
  e: EcsEvidence,
  majors: { applies: readonly number[]; told: readonly number[] },
  judge: (h: HostEvidence) => Outcome[],
): Outcome[] {
  const known = e.containers.map(({ container }) => container.influx?.major);
  const judged = known.filter((m) => m !== undefined && majors.applies.includes(m) && majors.told.includes(m));
  if (!judged.length && !known.includes(undefined)) return [];
  if (!judged.length || !e.host) throw new EvidenceUnavailable(UNKNOWN_MAJOR);
  const untold = [
    ...(known.includes(undefined) ? [UNKNOWN_MAJOR] : []),
    ...[...new Set(known)]
      .filter((m) => m !== undefined && majors.applies.includes(m) && !majors.told.includes(m))
      .map((m) => `what it reads of an InfluxDB ${m}.x container is not read from its task definition`),
    ...e.unreadable,
  ];
  return judge(e.host).map((o) => {
    if (o.status === 'PASSED' && untold.length) throw new EvidenceUnavailable(untold.join('; ').slice(0, 500));
    return o;
  });
}

export const ECS_CHECKS: readonly Described[] = [plaintextEnvironment, dataVolumeUnencrypted];
