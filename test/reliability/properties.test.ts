/**
 * Property-based tests (fast-check) for bad input everywhere: configuration
 * (environment, flags, tags with empty, huge, unicode and control-character
 * values), the API request schema, and security-group rule shapes. Each bad
 * input yields a clear error or a NOT_AVAILABLE outcome; none crashes.
 */
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { parseScanRequest, RequestError } from '../../lib/app/service.js';
import { portExposureChecks, unexpectedPortsOpen } from '../../lib/checks/net.js';
import { configFromEnv, parseAllowedPort, parseConfig, parseTagSelectors } from '../../lib/config.js';
import { toRules } from '../../lib/discover/ec2.js';
import { InfluxguardError } from '../../lib/errors.js';
import { networkEvidence } from '../../lib/exposure/network.js';
import { ok } from '../../lib/model.js';
import { ctx, instance } from '../support/fixtures.js';

const RUNS = 1000;
/** Either a value or a typed, one-line error: never anything else. */
function cleanly<T>(fn: () => T, errorType: new (...a: never[]) => Error = InfluxguardError): boolean {
  try {
    fn();
    return true;
  } catch (err) {
    return err instanceof errorType && (err as Error).message.length > 0 && !(err as Error).message.includes('\n    at ');
  }
}
const nasty = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary' }),
  fc.constantFrom('', ' ', '\u0000', 'ß', '🙂', 'a'.repeat(10_000), '\u202e', '=', '@', '/', '-1', '65536', '0x50'),
);

describe('configuration under any input', () => {
  it(`INFLUXGUARD_* variables (${RUNS} cases)`, () => {
    fc.assert(
      fc.property(
        fc.record(
          {
            INFLUXGUARD_REGIONS: nasty,
            INFLUXGUARD_TAGS: nasty,
            INFLUXGUARD_ALLOWED_PORTS: nasty,
            INFLUXGUARD_CLUSTER_CIDRS: nasty,
            INFLUXGUARD_PROBE_ALLOWED_CIDRS: nasty,
          },
          { requiredKeys: [] },
        ),
        (env) => cleanly(() => parseConfig(configFromEnv(env))),
      ),
      { numRuns: RUNS },
    );
  });
  it(`tag selectors and allowed ports from flags (${RUNS} cases each)`, () => {
    fc.assert(
      fc.property(fc.array(nasty, { maxLength: 5 }), (specs) => cleanly(() => parseConfig({ tagSelectors: parseTagSelectors(specs) }))),
      { numRuns: RUNS },
    );
    fc.assert(
      fc.property(nasty, (spec) => cleanly(() => parseAllowedPort(spec))),
      { numRuns: RUNS },
    );
  });
  it(`any JSON as a config file (${RUNS} cases)`, () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => cleanly(() => parseConfig(v))),
      { numRuns: RUNS },
    );
  });
});

describe('the API request schema under any body', () => {
  it(`answers a value or a RequestError naming a field (${RUNS} cases)`, () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.jsonValue(),
          fc.record(
            {
              regions: fc.jsonValue(),
              accounts: fc.jsonValue(),
              instanceIds: fc.jsonValue(),
              checks: fc.jsonValue(),
              wait: fc.jsonValue(),
            },
            { requiredKeys: [] },
          ),
        ),
        (body) => {
          try {
            parseScanRequest(body);
            return true;
          } catch (err) {
            return err instanceof RequestError && err.field.length > 0;
          }
        },
      ),
      { numRuns: RUNS },
    );
  });
});

describe('security-group rule shapes', () => {
  const source = fc.oneof(
    fc
      .record({
        CidrIp: fc.oneof(
          fc.ipV4().map((ip) => `${ip}/${ip.length % 33}`),
          nasty,
        ),
      })
      .map((r) => ({ IpRanges: [r] })),
    fc
      .record({
        CidrIpv6: fc.oneof(
          fc.ipV6().map((ip) => `${ip}/64`),
          nasty,
        ),
      })
      .map((r) => ({ Ipv6Ranges: [r] })),
    fc.record({ GroupId: fc.string() }).map((r) => ({ UserIdGroupPairs: [r] })),
    fc.record({ PrefixListId: fc.string() }).map((r) => ({ PrefixListIds: [r] })),
  );
  const permission = fc
    .tuple(
      fc.oneof(fc.constantFrom('tcp', 'udp', '-1', 'icmp', '6', '17', '58', '50'), fc.string()),
      fc.integer({ min: -1, max: 70000 }),
      fc.integer({ min: -1, max: 70000 }),
      source,
    )
    .map(([IpProtocol, FromPort, ToPort, src]) => ({ IpProtocol, FromPort, ToPort, ...src }));
  it(`every check answers with an outcome, never a throw (${RUNS} cases)`, () => {
    fc.assert(
      fc.property(fc.array(permission, { maxLength: 6 }), (perms) => {
        const groups = new Map([['sg-00000000000000001', { groupId: 'sg-00000000000000001', groupName: 'g', inbound: toRules(perms) }]]);
        const net = networkEvidence(instance(), { securityGroups: ok(groups), prefixLists: new Map() }, new Map(), []);
        const c = ctx({ net: net.ok ? net.value : undefined });
        for (const check of [...portExposureChecks, unexpectedPortsOpen]) {
          const out = check.evaluate(c);
          if (!out.length || !out.every((o) => ['PASSED', 'FAILED', 'NOT_AVAILABLE', 'WARNING'].includes(o.status))) return false;
        }
        return true;
      }),
      { numRuns: RUNS },
    );
  });
});

it('a malformed value is named in the error', () => {
  expect(() => parseConfig(configFromEnv({ INFLUXGUARD_CLUSTER_CIDRS: '10.0.0.0/8,\u0000' }))).toThrow(/clusterCidrs\.1/);
});
