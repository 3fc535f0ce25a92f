/**
 * Timestream for InfluxDB evidence: a database's DB parameter group, from what
 * discovery read (lib/discover/timestream.ts lists the databases and reads
 * each custom group once per region).
 */
import { fail, ok, type Result, type TimestreamDb, type TimestreamParameters } from '../../model.js';

/** The service's default DB parameter group: InfluxDB's own defaults (pprof and metrics enabled). */
const defaultGroup = (db: TimestreamDb): TimestreamParameters => ({
  groupId: 'default',
  engine: db.engineType && !/V2/i.test(db.engineType) ? db.engineType : 'InfluxDBv2',
});

/** A DB's parameter group from the inventory (the default group follows the DB's engine). */
export function parametersOf(db: TimestreamDb, groups: Map<string, Result<TimestreamParameters>>): Result<TimestreamParameters> {
  if (!db.parameterGroupId) return ok(defaultGroup(db));
  return groups.get(db.parameterGroupId) ?? fail(`DB parameter group ${db.parameterGroupId} was not read`);
}
