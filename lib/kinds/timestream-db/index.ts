/** `timestream-db`: Amazon Timestream for InfluxDB instances and clusters (the `database` checks). */
import { defineKind } from '../kind.js';
import { timestreamDbEvents } from './events.js';
import { discoverTimestreamDbs } from './discover.js';
import { timestreamDbContexts, timestreamDbEndpoint, timestreamDbTargets } from './evidence.js';
import { timestreamDbLifecycle } from './lifecycle.js';
import { timestreamDbSubject } from './subject.js';

export const TIMESTREAM_DB = defineKind({
  name: 'timestream-db',
  scope: 'database',
  listedBy: 'region',
  discover: discoverTimestreamDbs,
  listing: (inv) => inv.timestream,
  tagsOf: (s) => s.tags,
  groupIdsOf: (db) => db.securityGroupIds,
  targets: timestreamDbTargets,
  contexts: timestreamDbContexts,
  endpoint: timestreamDbEndpoint,
  subject: timestreamDbSubject,
  lifecycle: timestreamDbLifecycle,
  events: timestreamDbEvents,
});
