// The EventBridge pattern of the change events that start event-driven rescans
// ("AWS API Call via CloudTrail": management events that can change an InfluxDB
// instance's or Timestream for InfluxDB database's exposure or encryption),
// used by the scanner stack's rule (serverless.yml) and the member accounts'
// forwarding rule (member-events.cjs). Built from lib/kinds/cloudtrail-events.json,
// the one list that the kinds (lib/kinds/*/events.ts) and lib/app/events.ts map.
const SOURCES = require('../lib/kinds/cloudtrail-events.json');

/** EventBridge's default limit on a rule's pattern, in characters (test/app/events.test.ts keeps the pattern under it). */
const PATTERN_MAX = 2048;

/** Successful calls only (a failed call changed nothing). */
const changePattern = {
  source: Object.values(SOURCES).map((s) => s.source),
  'detail-type': ['AWS API Call via CloudTrail'],
  detail: {
    eventSource: Object.keys(SOURCES),
    eventName: [...new Set(Object.values(SOURCES).flatMap((s) => s.events))],
    errorCode: [{ exists: false }],
  },
};

module.exports = { changePattern, PATTERN_MAX };
