import { describe, expect, it } from '@jest/globals';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_TAG_SELECTORS, configFromEnv, loadConfig, parseAllowedPort, parseConfig, parseTagSelectors } from '../lib/config.js';
import { InfluxguardError } from '../lib/errors.js';

const message = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(InfluxguardError);
    return (err as Error).message;
  }
  throw new Error('expected an error');
};

describe('configuration', () => {
  it('has sane defaults', () => {
    const c = parseConfig({});
    expect(c.tagSelectors).toEqual(DEFAULT_TAG_SELECTORS);
    expect(c.regions).toEqual([]);
    expect(c.roleTagKey).toBe('influxdb:role');
    expect(c.aws.maxAttempts).toBeGreaterThan(1);
  });
  it('parses tag selectors, merging values of one key', () => {
    expect(parseTagSelectors(['influxdb', 'Service=influxdb', 'Service=tsdb'])).toEqual([
      { key: 'influxdb' },
      { key: 'Service', values: ['influxdb', 'tsdb'] },
    ]);
    expect(parseTagSelectors(['Env=a=b'])).toEqual([{ key: 'Env', values: ['a=b'] }]);
    expect(message(() => parseTagSelectors(['=x']))).toMatch(/invalid tag selector --tag "=x"/);
    expect(message(() => parseTagSelectors(['Service=']))).toMatch(/empty value/);
  });
  it('parses allowed ports', () => {
    expect(parseAllowedPort('22@sg-0123456789abcdef0')).toEqual({
      protocol: 'tcp',
      fromPort: 22,
      toPort: 22,
      sources: ['sg-0123456789abcdef0'],
    });
    expect(parseAllowedPort('9100-9200/udp')).toEqual({ protocol: 'udp', fromPort: 9100, toPort: 9200 });
    expect(parseAllowedPort('443/all@10.0.0.0/8,pl-0123456789abcdef0')).toMatchObject({
      protocol: 'all',
      sources: ['10.0.0.0/8', 'pl-0123456789abcdef0'],
    });
    expect(message(() => parseAllowedPort('ssh'))).toMatch(/invalid allowed port --allow-port "ssh"/);
    expect(message(() => parseAllowedPort('70000'))).toMatch(/70000/);
    expect(message(() => parseAllowedPort('ssh', 'INFLUXGUARD_ALLOWED_PORTS'))).toMatch(/INFLUXGUARD_ALLOWED_PORTS "ssh"/);
    expect(message(() => parseAllowedPort('22@10.0.0.0/99'))).toMatch(/not a CIDR/);
    expect(message(() => parseAllowedPort('30-20'))).toMatch(/greater/);
  });
  it('names the bad field and value', () => {
    expect(message(() => parseConfig({ clusterCidrs: ['10.0.0.0/8', 'nope'] }))).toMatch(
      /clusterCidrs\.1 \("nope"\): is not a valid IPv4\/IPv6 CIDR/,
    );
    expect(message(() => parseConfig({ regions: ['Mars'] }))).toMatch(/regions\.0 \("Mars"\): is not a region name/);
    expect(message(() => parseConfig({ tagSelectors: [] }))).toMatch(/tagSelectors/);
    expect(message(() => parseConfig({ probe: { endpointCidrs: ['nope'] } }))).toMatch(
      /probe\.endpointCidrs\.0 \("nope"\): is not a valid IPv4\/IPv6 CIDR/,
    );
  });
  it('probe endpoint CIDRs: none by default, from the file, the environment or a flag; loopback is never allowed by default', () => {
    expect(parseConfig({}).probe).toMatchObject({ endpointCidrs: [] });
    expect(parseConfig({}).probe.allowedCidrs.filter((c) => c.startsWith('127.') || c === '::1/128')).toEqual([]);
    expect(configFromEnv({ INFLUXGUARD_PROBE_ENDPOINT_CIDRS: '10.9.0.0/16, 127.0.0.0/8' })).toEqual({
      probe: { endpointCidrs: ['10.9.0.0/16', '127.0.0.0/8'] },
    });
    expect(
      loadConfig({ env: { INFLUXGUARD_PROBE_ENDPOINT_CIDRS: '10.9.0.0/16' }, overrides: { probe: { allowedCidrs: ['10.0.0.0/8'] } } })
        .probe,
    ).toMatchObject({ endpointCidrs: ['10.9.0.0/16'], allowedCidrs: ['10.0.0.0/8'] });
  });
  it('layers file < environment < flags', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ig-config-'));
    const file = join(dir, 'c.json');
    writeFileSync(file, JSON.stringify({ regions: ['us-east-1'], clusterCidrs: ['10.0.0.0/16'], roleTagKey: 'role' }));
    const c = loadConfig({ file, env: { INFLUXGUARD_REGIONS: 'eu-west-1,eu-central-1' }, overrides: { clusterCidrs: ['10.1.0.0/16'] } });
    expect(c).toMatchObject({ regions: ['eu-west-1', 'eu-central-1'], clusterCidrs: ['10.1.0.0/16'], roleTagKey: 'role' });
  });
  it('reads the environment', () => {
    expect(
      configFromEnv({
        INFLUXGUARD_TAGS: 'influxdb;Service=influxdb',
        INFLUXGUARD_ALLOWED_PORTS: '22@sg-0123456789abcdef0;443',
        INFLUXGUARD_CLUSTER_CIDRS: '10.0.0.0/16',
      }),
    ).toEqual({
      tagSelectors: [{ key: 'influxdb' }, { key: 'Service', values: ['influxdb'] }],
      allowedPorts: [
        { protocol: 'tcp', fromPort: 22, toPort: 22, sources: ['sg-0123456789abcdef0'] },
        { protocol: 'tcp', fromPort: 443, toPort: 443 },
      ],
      clusterCidrs: ['10.0.0.0/16'],
    });
  });
  it('reports unreadable and malformed config files by name', () => {
    expect(message(() => loadConfig({ file: '/nonexistent/influxguard.json' }))).toMatch(
      /cannot read config file \/nonexistent\/influxguard.json: ENOENT/,
    );
    const dir = mkdtempSync(join(tmpdir(), 'ig-config-'));
    writeFileSync(join(dir, 'bad.json'), '{ nope');
    expect(message(() => loadConfig({ file: join(dir, 'bad.json') }))).toMatch(/not valid JSON/);
    writeFileSync(join(dir, 'wrong.json'), JSON.stringify({ regionConcurrency: 0 }));
    expect(message(() => loadConfig({ file: join(dir, 'wrong.json') }))).toMatch(/config file .*wrong.json.*regionConcurrency/);
  });
});

it('refuses a misspelt INFLUXGUARD_ variable, naming it', () => {
  expect(() => loadConfig({ env: { INFLUXGUARD_REGION: 'us-east-1' } })).toThrow(/unknown environment variable INFLUXGUARD_REGION/);
  expect(loadConfig({ env: { INFLUXGUARD_REGIONS: 'us-east-1' } }).regions).toEqual(['us-east-1']);
});

describe("configuration errors in the product's own words, each once", () => {
  const ZOD = /Too (big|small)|Invalid (input|option)|expected (number|string|array|object|int)|received|\(root\)|[<>]=/;

  it('an out-of-range port given once is one problem, named by its flag', () => {
    const m = message(() => parseAllowedPort('70000'));
    expect(m).toBe('invalid allowed port --allow-port "70000": port must be a whole number from 0 to 65535');
    expect(m).not.toMatch(ZOD);
  });

  it('every kind of bad value, in a file, the environment or a flag, says what it must be', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ig-config-'));
    const file = join(dir, 'c.json');
    writeFileSync(
      file,
      JSON.stringify({
        probe: { port: 70000, concurrency: 1.5 },
        regions: 'eu-west-1',
        tagSelectors: [{ key: '' }],
        publish: { notify: 'sometimes', enabled: 'yes' },
        app: { memberRoleName: 'a b' },
      }),
    );
    const m = message(() => loadConfig({ file }));
    expect(m).toContain('probe.port (70000): must be a whole number from 1 to 65535');
    expect(m).toContain('probe.concurrency (1.5): must be a whole number from 1 to 512');
    expect(m).toContain('regions ("eu-west-1"): must be a list ([…])');
    expect(m).toContain('tagSelectors.0.key (""): must not be empty');
    expect(m).toContain('publish.notify ("sometimes"): must be one of "always", "on-change"');
    expect(m).toContain('publish.enabled ("yes"): must be true or false');
    expect(m).toContain('app.memberRoleName ("a b"): is not an IAM role name');
    expect(m).not.toMatch(ZOD);
    writeFileSync(file, '[]');
    expect(message(() => loadConfig({ file }))).toBe(`invalid config file ${file}: it must be a JSON object ({…})`);
    const env = message(() => loadConfig({ env: { INFLUXGUARD_UNIT_SIZE: 'many', INFLUXGUARD_PROBE_ALLOWED_CIDRS: '10.0.0.0/8,bad' } }));
    expect(env).toContain('INFLUXGUARD_UNIT_SIZE ("many"): must be a whole number from 1 to 1000');
    expect(env).toContain('INFLUXGUARD_PROBE_ALLOWED_CIDRS ("bad"): is not a valid IPv4/IPv6 CIDR');
    const flags = message(() => loadConfig({ overrides: { regions: ['Mars'], probe: { allowedCidrs: ['x'] } } }));
    expect(flags).toBe('invalid option: --region ("Mars"): is not a region name; --allow-cidr ("x"): is not a valid IPv4/IPv6 CIDR');
  });
});
