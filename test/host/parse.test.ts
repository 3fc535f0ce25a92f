/** The parser under malformed, truncated and hostile collector output: a reason, never a throw. */
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { COLLECTOR_SCHEMA, SSM_STDOUT_LIMIT, parseCollectorOutput } from '../../lib/evidence/host/parse.js';

const valid = {
  schema: COLLECTOR_SCHEMA,
  collectedAt: '2026-11-23T10:00:00Z',
  hostname: 'influx-1',
  tools: { ss: true, openssl: true, influxd: true },
  version: '1.8.10',
  processes: [
    {
      pid: 123,
      name: 'influxd',
      user: 'influxdb',
      cmdline: '/usr/bin/influxd -config /etc/influxdb/influxdb.conf',
      configPath: '/etc/influxdb/influxdb.conf',
      env: { INFLUXDB_HTTP_SHARED_SECRET: 'set' },
      configSource: 'file',
      config: { 'http.auth-enabled': 'true' },
      headers: {},
    },
  ],
  listeners: [{ address: '0.0.0.0', port: 8086, process: 'influxd', pid: 123 }],
  listenerSource: 'ss',
  files: [],
  systemd: { environmentFiles: [], env: {} },
  errors: [],
};
const text = JSON.stringify(valid);

describe('parseCollectorOutput', () => {
  it('accepts the documented shape', () => {
    expect(parseCollectorOutput(text)).toMatchObject({ ok: true, value: { hostname: 'influx-1' } });
  });
  it('names the problem: empty, not JSON, unknown schema, wrong shape, at the SSM limit', () => {
    expect(parseCollectorOutput('')).toEqual({ ok: false, reason: 'the collector printed nothing' });
    expect(parseCollectorOutput('sh: 1: syntax error')).toMatchObject({ ok: false, reason: expect.stringMatching(/not valid JSON/) });
    expect(parseCollectorOutput(JSON.stringify({ ...valid, schema: 'influxguard.collector/9' }))).toMatchObject({
      reason: expect.stringMatching(/unsupported collector schema "influxguard.collector\/9"/),
    });
    expect(parseCollectorOutput(JSON.stringify({ ...valid, processes: 'x' }))).toMatchObject({
      reason: expect.stringMatching(/processes/),
    });
    expect(parseCollectorOutput(text + ' '.repeat(SSM_STDOUT_LIMIT))).toMatchObject({
      reason: expect.stringMatching(/24000-character SSM limit/),
    });
  });
  it('issue 19: a truncation marker is a reason, not evidence; ignored processes and built-in defaults are accepted', () => {
    const marker = {
      ...valid,
      truncated: true,
      processes: [],
      errors: ["the collector's output was 31000 characters, over its 20000-character cap: nothing else is reported"],
    };
    expect(parseCollectorOutput(JSON.stringify(marker))).toEqual({
      ok: false,
      reason: expect.stringMatching(/^collector output truncated: the collector's output was 31000 characters/),
    });
    const ignored = [
      { pid: 9, name: 'influxd', user: 'nobody', exe: '/tmp/x/influxd', reason: 'run by nobody (uid 65534), neither root nor influxdb' },
    ];
    const withDefaults = { ...valid, processes: [{ ...valid.processes[0], configSource: 'defaults', configPath: '' }], ignored };
    expect(parseCollectorOutput(JSON.stringify(withDefaults))).toMatchObject({ ok: true, value: { ignored } });
    const old = parseCollectorOutput(text); // collectors before issue 19
    expect(old.ok && old.value.ignored).toBeUndefined();
  });
  it('review 2: a 2.x config file that does not parse is reported by error name and position, never its text', () => {
    const S = 'Sekret-Vault-73';
    for (const [format, text] of [
      ['yaml', `vault-token: "set" ${S}\nx: [`],
      ['yaml', `a: 1\n  b: ${S}: c\n`],
      ['toml', `vault-token = "set" ${S}`],
      ['json', `{"vault-token": "set", ${S}}`],
    ] as const) {
      const p2 = {
        ...valid.processes[0],
        flavour: 'influxdb-2',
        configSource: 'file',
        configPath: '/etc/influxdb/config.' + format,
        configFile: { format, text },
      };
      const r = parseCollectorOutput(JSON.stringify({ ...valid, version: '2.7.12', processes: [p2] }));
      expect(r.ok).toBe(true);
      if (!r.ok) continue;
      expect(r.value.processes[0]!.configSource).toBe('none');
      expect(r.value.errors.join('\n')).toMatch(/is not valid/);
      expect(JSON.stringify(r.value.errors)).not.toContain(S);
    }
  });
  it('a 2.x option given twice in different cases (viper lower-cases names, then either wins at random): not read', () => {
    for (const [format, text] of [
      ['yaml', 'hardening-enabled: false\nHardening-Enabled: true\n'],
      ['json', '{"HARDENING-ENABLED": false, "hardening-enabled": true}'],
      ['toml', 'hardening-enabled = false\nHardening-Enabled = true\n'],
    ] as const) {
      const p2 = { ...valid.processes[0], flavour: 'influxdb-2', configSource: 'file', configFile: { format, text } };
      const r = parseCollectorOutput(JSON.stringify({ ...valid, version: '2.7.12', processes: [p2] }));
      if (!r.ok) throw new Error(r.reason);
      expect(r.value.processes[0]!.configSource).toBe('none');
      expect(r.value.errors.join('\n')).toMatch(/sets hardening-enabled twice/);
    }
  });
  it('property: any string is answered with ok or a reason, never a throw (2,000 cases)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.json()), (s) => {
        const r = parseCollectorOutput(s);
        return r.ok === true || (typeof r.reason === 'string' && r.reason.length > 0 && r.reason.length <= 300);
      }),
      { numRuns: 2000 },
    );
  });
  it('property: every truncation of a valid document is rejected (1,000 cases)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: text.length - 1 }), (n) => !parseCollectorOutput(text.slice(0, n)).ok),
      { numRuns: 1000 },
    );
  });
  it('property: any field replaced by any JSON value never throws (2,000 cases)', () => {
    const paths = ['schema', 'version', 'processes', 'listeners', 'files', 'systemd', 'errors', 'tools', 'hostname'];
    fc.assert(
      fc.property(fc.constantFrom(...paths), fc.jsonValue(), (path, value) => {
        const r = parseCollectorOutput(JSON.stringify({ ...valid, [path]: value }));
        return typeof r.ok === 'boolean';
      }),
      { numRuns: 2000 },
    );
  });
  it('hostile keys do not pollute prototypes; huge strings are refused', () => {
    const hostile = text.replace('"env":{', '"env":{"__proto__":{"polluted":"yes"},"constructor":"x",');
    parseCollectorOutput(hostile);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(parseCollectorOutput(JSON.stringify({ ...valid, hostname: 'h'.repeat(5000) }))).toMatchObject({ ok: false });
  });
});
