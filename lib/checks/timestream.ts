/**
 * Amazon Timestream for InfluxDB (managed InfluxDB 2): public access judged
 * with the same exposure model as EC2 instances (on the DB's own port), the
 * diagnostics switches of its DB parameter group, and S3 log delivery.
 */
import type { DatabaseCheck, Outcome } from '../model.js';
import { isWorldOpen, openingEvidence, opensTcpPort } from '../exposure/reach.js';
import { fsbp, judged, NET_EXPOSED_CIS, UNNEEDED_SERVICE } from './compliance.js';
import { ASFF_TYPES, type Described, evidenceValue } from './support.js';

const GUIDE = 'https://docs.aws.amazon.com/timestream/latest/developerguide/timestream-for-influx-security.html';

export const publiclyAccessible: Described<DatabaseCheck> = {
  id: 'timestream.publicly-accessible',
  title: 'Timestream for InfluxDB instance is publicly accessible',
  severity: 'CRITICAL',
  section: 'AWS recommendations (managed)',
  risk: 'A publicly accessible DB gets a public address; when its security groups admit its port from the world, anyone on the internet can reach the InfluxDB API and try credentials and tokens without limit.',
  remediation: {
    text: 'Turn off public access (update the DB instance or cluster with publiclyAccessible false), or at least remove 0.0.0.0/0 and ::/0 from the security group rules covering its port; reach it through the VPC, a VPN or a proxy.',
    url: GUIDE,
  },
  failedWhen:
    'the DB instance or cluster is publicly accessible and a security group admits its port (which may not be 8086: an InfluxDB 3 cluster listens on 8181 unless given another) from the world (0.0.0.0/0, ::/0, or splits that add up to it, as CHECKS.md defines)',
  otherSeverities: 'MEDIUM when public but the groups restrict the sources',
  compliance: {
    nist: [fsbp('nist', 'RDS.2')],
    cis: [NET_EXPOSED_CIS],
    pci: [fsbp('pci', 'RDS.2')],
  },
  evidence: ['aws'],
  asffTypes: ASFF_TYPES.network,
  scope: 'database',
  needs: ['network'],
  evaluate: ({ db, evidence }): Outcome[] => {
    const net = evidenceValue(evidence.network);
    const onPort = net.openings.filter((o) => opensTcpPort(o, db.port));
    const world = onPort.filter(isWorldOpen);
    const unknown = onPort.filter((o) => o.peer.kind === 'unresolved');
    const details = {
      publiclyAccessible: db.publiclyAccessible,
      port: db.port,
      securityGroupIds: db.securityGroupIds,
      openings: onPort.map(openingEvidence),
    };
    if (!db.publiclyAccessible)
      return [{ status: 'PASSED', summary: `not publicly accessible (port ${db.port} reachable only inside the VPC)`, details }];
    if (world.length)
      return [
        {
          status: 'FAILED',
          severity: 'CRITICAL',
          summary: `publicly accessible and TCP ${db.port} is open to the world (${[...new Set(world.map((o) => o.groupId))].join(', ')})`,
          details: { ...details, internetReachable: true },
        },
      ];
    if (unknown.length)
      return [
        {
          status: 'NOT_AVAILABLE',
          summary: `publicly accessible; whether TCP ${db.port} is open to the world is unknown: ${unknown.map((o) => (o.peer.kind === 'unresolved' ? o.peer.reason : '')).join('; ')}`,
          details,
        },
      ];
    return [
      {
        status: 'FAILED',
        severity: 'MEDIUM',
        summary: `publicly accessible, but the security groups admit TCP ${db.port} only from restricted sources`,
        details,
      },
    ];
  },
};

export const diagnosticsExposed: Described<DatabaseCheck> = {
  id: 'timestream.diagnostics-exposed',
  title: 'Timestream for InfluxDB exposes the pprof or metrics endpoints',
  severity: 'MEDIUM',
  section: 'Enable authentication (managed)',
  risk: '/debug/pprof and /metrics reveal internals (goroutines, heap, configuration, request patterns) and pprof profiles can be used to load the server; they are enabled unless the parameter group disables them.',
  remediation: {
    text: 'Attach a DB parameter group with pprofDisabled and metricsDisabled set to true (the default parameter group, like InfluxDB itself, leaves both enabled).',
    url: 'https://docs.aws.amazon.com/timestream/latest/developerguide/timestream-for-influx-db-connecting.html',
  },
  failedWhen:
    "its DB parameter group leaves `pprofDisabled` or `metricsDisabled` false; unset, and the default parameter group, count as enabled (InfluxDB's defaults are `pprof-disabled = false`, `metrics-disabled = false`)",
  compliance: UNNEEDED_SERVICE,
  evidence: ['aws'],
  asffTypes: ASFF_TYPES.bestPractices,
  scope: 'database',
  needs: ['parameters'],
  // InfluxDB 3 (its engine type, or an InfluxDBv3Core / InfluxDBv3Enterprise parameter group) has neither switch:
  // the check does not speak about it (CHECKS.md).
  appliesTo: ({ db, evidence }) =>
    !db.engineType?.startsWith('INFLUXDB_V3') && (!evidence.parameters.ok || evidence.parameters.value.engine === 'InfluxDBv2'),
  evaluate: ({ evidence }): Outcome[] => {
    const p = evidenceValue(evidence.parameters);
    const isDefault = p.groupId === 'default';
    // Unset (and the default group) means InfluxDB's default: false, i.e. the endpoint is served.
    const pprof = p.pprofDisabled === true;
    const metrics = p.metricsDisabled === true;
    const details = {
      parameterGroup: isDefault ? 'default' : p.groupId,
      ...(p.groupName ? { parameterGroupName: p.groupName } : {}),
      pprofDisabled: pprof,
      metricsDisabled: metrics,
      ...(isDefault ? { note: 'the default DB parameter group keeps InfluxDB defaults: pprof and metrics enabled' } : {}),
    };
    const open = [...(pprof ? [] : ['/debug/pprof']), ...(metrics ? [] : ['/metrics'])];
    if (!open.length) return [{ status: 'PASSED', summary: 'pprof and metrics are disabled by the DB parameter group', details }];
    return [
      {
        status: 'FAILED',
        summary: `${open.join(' and ')} enabled (${isDefault ? 'default DB parameter group' : `parameter group ${p.groupId}`})`,
        details,
      },
    ];
  },
};

export const logDeliveryDisabled: Described<DatabaseCheck> = {
  id: 'timestream.log-delivery-disabled',
  title: 'Timestream for InfluxDB delivers no logs to S3',
  severity: 'LOW',
  section: 'AWS recommendations (managed)',
  risk: 'Without log delivery there is no record of InfluxDB errors, authentication failures or unusual activity to investigate an incident with.',
  remediation: {
    text: 'Enable log delivery to an S3 bucket (logDeliveryConfiguration.s3Configuration) on the DB instance or cluster; restrict and encrypt the bucket.',
    url: 'https://docs.aws.amazon.com/timestream/latest/developerguide/timestream-for-influx-security-db-logs.html',
  },
  failedWhen: 'no S3 log delivery (`logDeliveryConfiguration.s3Configuration.enabled`)',
  compliance: {
    nist: [fsbp('nist', 'RDS.9')],
    cis: [judged('cis', ['8.2'], 'collect audit logs')],
    pci: [fsbp('pci', 'RDS.9')],
  },
  evidence: ['aws'],
  asffTypes: ASFF_TYPES.bestPractices,
  scope: 'database',
  needs: ['logs'],
  evaluate: ({ evidence }): Outcome[] => {
    const l = evidenceValue(evidence.logs);
    const details = { s3LogDelivery: l.enabled, ...(l.bucket ? { bucket: l.bucket } : {}) };
    return l.enabled
      ? [{ status: 'PASSED', summary: `InfluxDB logs go to S3${l.bucket ? ` (${l.bucket})` : ''}`, details }]
      : [{ status: 'FAILED', summary: 'no S3 log delivery configured', details }];
  },
};

export const TIMESTREAM_CHECKS: readonly Described<DatabaseCheck>[] = [publiclyAccessible, diagnosticsExposed, logDeliveryDisabled];
