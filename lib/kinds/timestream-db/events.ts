/**
 * `timestream-db` in event-driven rescans (lib/kinds/events.ts): the Timestream for InfluxDB management events name
 * a database (tags only when a watched key changes); a selected database is touched by its groups only (routes and
 * ACLs are not part of its checks). Named databases are rescanned as named: the region unit lists them all.
 */
import type { TimestreamDb } from '../../model.js';
import { eventsOf, rec, str, type KindEvents } from '../events.js';

const SOURCE = 'timestream-influxdb.amazonaws.com';
/** Timestream for InfluxDB identifiers (lib/discover/timestream.ts), alone or at the end of the DB's ARN. */
const DATABASE = /^[A-Za-z0-9]{1,64}$/;
const DATABASE_ARN = /^arn:aws[a-z-]*:timestream-influxdb:[a-z0-9-]{1,30}:\d{12}:db-(?:instance|cluster)\/([A-Za-z0-9]{1,64})$/;

/** The Timestream database a request or response names (identifier, cluster id, or ARN; `*`: none readable). */
function databaseOf(req: Record<string, unknown>, res: Record<string, unknown>): string[] {
  for (const v of [req.identifier, req.dbClusterId, res.id, res.dbClusterId]) {
    const id = str(v, DATABASE);
    if (id.length) return id;
  }
  for (const v of [req.resourceArn, res.arn]) {
    const m = typeof v === 'string' && v.length <= 256 ? DATABASE_ARN.exec(v) : null;
    if (m) return [m[1]!];
  }
  return ['*'];
}

export const timestreamDbEvents: KindEvents<TimestreamDb> = {
  noun: 'Timestream for InfluxDB',
  named: (r, watched) => {
    if (r.eventSource !== SOURCE || !eventsOf(SOURCE).includes(r.eventName)) return undefined;
    const req = r.requestParameters;
    if (r.eventName === 'TagResource' || r.eventName === 'UntagResource') {
      const keys = Array.isArray(req.tagKeys) ? req.tagKeys : Object.keys(rec(req.tags));
      if (!keys.some((k) => typeof k === 'string' && watched(k))) return undefined;
      // Tags on something else (a parameter group) change no database.
      if (typeof req.resourceArn === 'string' && !DATABASE_ARN.test(req.resourceArn)) return undefined;
    }
    return { ids: databaseOf(req, r.responseElements) };
  },
  // Named databases are rescanned as named; the listing finds those using a changed group.
  touchedBy: (_ids, n) => n.groupIds.length > 0,
  namedIds: 'asNamed',
  behindBalancers: false,
  selected: (d) => ({ id: d.id, securityGroupIds: d.securityGroupIds, subnetIds: [], networkInterfaceIds: [], privateIps: [] }),
  pending: { key: 'databaseIds', attribute: 'dbs' },
};
