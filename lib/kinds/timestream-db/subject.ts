/**
 * A Timestream for InfluxDB instance or cluster in every output: `instanceId` is its identifier (the lifecycle
 * tracks each one), the resource is the DB itself (`Other`, its identifier: ASFF has no type for it), and its
 * findings' evidence names its ARN (the ASFF resource Id), kind and name.
 */
import type { SubjectRef, TimestreamDb } from '../../model.js';

export const timestreamDbSubject = (db: TimestreamDb): SubjectRef => ({
  kind: 'timestream-db',
  accountId: db.accountId,
  region: db.region,
  id: db.id,
  ...(db.name !== undefined ? { name: db.name } : {}),
  label: `${db.id}${db.name ? ` ${db.name}` : ''} (Timestream for InfluxDB ${db.kind}${db.status ? `, ${db.status}` : ''}) ${db.accountId}/${db.region}`,
  resource: { type: 'Other', id: db.id },
  evidence: { arn: db.arn, kind: `timestream-influxdb ${db.kind}`, ...(db.name ? { name: db.name } : {}) },
  exposure: `TCP ${db.port} is open to the world and the DB is publicly accessible`,
});
