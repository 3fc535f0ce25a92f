import { describe, expect, it } from '@jest/globals';
import { parseConfig } from '../../lib/config.js';
import { probeTarget } from '../../lib/evidence/index.js';
import { DEFAULT_ALLOWED_CIDRS } from '../../lib/config.js';
import { TargetRefused, assertAllowed, parseTarget, resolveTarget } from '../../lib/evidence/probe/target.js';
import { instance } from '../support/fixtures.js';

const refused = async (p: Promise<unknown>, re: RegExp) => {
  await expect(p).rejects.toBeInstanceOf(TargetRefused);
  await expect(p).rejects.toThrow(re);
};

describe('probe targets', () => {
  it('parses URLs and host:port, scheme optional, port 8086 by default', () => {
    expect(parseTarget('10.0.1.5')).toMatchObject({ host: '10.0.1.5', port: 8086 });
    expect(parseTarget('10.0.1.5:9999')).toMatchObject({ host: '10.0.1.5', port: 9999 });
    expect(parseTarget('https://db.internal')).toMatchObject({ scheme: 'https', host: 'db.internal', port: 8086 });
    expect(parseTarget('http://10.0.1.5:80')).toMatchObject({ scheme: 'http', port: 80 });
    expect(parseTarget('[fd12::5]:8086')).toMatchObject({ host: 'fd12::5', port: 8086 });
  });
  it('refuses other schemes, paths, and credentials in URLs (without echoing them)', () => {
    expect(() => parseTarget('ftp://10.0.0.1')).toThrow(/scheme must be http or https/);
    expect(() => parseTarget('http://10.0.0.1:8086/query')).toThrow(/only scheme, host and port/);
    expect(() => parseTarget('http://admin:hunter2@10.0.0.1')).toThrow(/credentials in URLs are refused/);
    try {
      parseTarget('http://admin:hunter2@10.0.0.1');
    } catch (err) {
      expect((err as Error).message).not.toContain('hunter2');
    }
  });
  it('always refuses link-local and the metadata service, however spelled', async () => {
    for (const spelling of [
      '169.254.169.254',
      'http://2852039166',
      'http://0251.0376.0251.0376',
      'http://0xa9fea9fe',
      '[::ffff:169.254.169.254]',
      '[fd00:ec2::254]',
      '[fe80::1]',
    ]) {
      await refused(resolveTarget(parseTarget(spelling), ['0.0.0.0/0', '::/0']), /never probed/);
    }
  });
  it('refuses the metadata service in every IPv6 spelling that embeds it, whatever --allow-cidr says (issue 27 item 6)', async () => {
    for (const spelling of [
      // NAT64, the well-known prefix (RFC 6052) and the local-use one (RFC 8215).
      '[64:ff9b::a9fe:a9fe]',
      '[64:ff9b::169.254.169.254]',
      '[64:ff9b:1::a9fe:a9fe]',
      // IPv4-compatible (deprecated, still parsed), IPv4-mapped in hex, IPv4-translated (SIIT).
      '[::169.254.169.254]',
      '[::a9fe:a9fe]',
      '[::ffff:a9fe:a9fe]',
      '[::ffff:0:a9fe:a9fe]',
      // 6to4 embeds the address after 2002::/16.
      '[2002:a9fe:a9fe::1]',
      // The EC2 IPv6 metadata service.
      '[fd00:ec2::254]',
    ]) {
      await refused(resolveTarget(parseTarget(spelling), ['0.0.0.0/0', '::/0']), /169\.254\.169\.254|fd00:ec2::254|never probed/);
      // A name resolving to it is refused as well.
      const host = spelling.replace(/^\[|\]$/g, '');
      await refused(
        resolveTarget(parseTarget('imds.example'), ['::/0'], async () => [{ address: host, family: 6 }]),
        /never probed/,
      );
    }
    // A NAT64 address of an ordinary host is judged as any IPv6 address.
    await expect(resolveTarget(parseTarget('[64:ff9b::a00:5]'), ['64:ff9b::/96'])).resolves.toMatchObject({ address: '64:ff9b::a00:5' });
    expect(() => assertAllowed('::', ['::/0'], 't')).toThrow(/never probed/);
  });
  it('refuses addresses outside the allowlist, and names that resolve to any refused address', async () => {
    await refused(resolveTarget(parseTarget('8.8.8.8'), DEFAULT_ALLOWED_CIDRS), /outside the allowed target CIDRs/);
    const resolver = async () => [
      { address: '10.0.0.5', family: 4 },
      { address: '169.254.169.254', family: 4 },
    ];
    await refused(resolveTarget(parseTarget('sneaky.example'), DEFAULT_ALLOWED_CIDRS, resolver), /169\.254\.169\.254/);
    const ok = await resolveTarget(parseTarget('db.example:8086'), DEFAULT_ALLOWED_CIDRS, async () => [{ address: '10.0.0.5', family: 4 }]);
    expect(ok).toMatchObject({ host: 'db.example', address: '10.0.0.5', family: 4 });
  });
  it('judges IPv4-mapped IPv6 as the IPv4 address it is', () => {
    expect(() => assertAllowed('::ffff:127.0.0.1', ['127.0.0.0/8'], 't')).not.toThrow();
    expect(() => assertAllowed('::ffff:8.8.8.8', ['127.0.0.0/8', '::/0'], 't')).toThrow(/outside/);
  });
});

describe('an influxdb:endpoint tag is tied to its instance', () => {
  const everywhere = ['10.0.0.0/8', '127.0.0.0/8', '203.0.113.0/24', 'fd00::/8', '2001:db8::/32'];
  const db = instance({ instanceId: 'i-0123456789abcdef0', privateIps: ['10.0.0.5'], publicIps: ['203.0.113.9'], ipv6: ['2001:db8::5'] });
  const tagged = (endpoint: string, probe: Record<string, unknown> = {}) => {
    const t = probeTarget(
      { ...db, tags: { ...db.tags, 'influxdb:endpoint': endpoint } },
      parseConfig({ probe: { allowedCidrs: everywhere, ...probe } }).probe,
    );
    if (!t?.ok) throw new Error(`no target: ${JSON.stringify(t)}`);
    return t.value;
  };
  const answers =
    (...addresses: string[]) =>
    async () =>
      addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));

  it('refuses a tag pointing at another address inside the allowlist (a reachability oracle), before any connection', async () => {
    await refused(
      resolveTarget(tagged('http://127.0.0.1:8086'), everywhere),
      /influxdb:endpoint tag of i-0123456789abcdef0: 127\.0\.0\.1 is not an address of the instance .*endpoint CIDRs \(none\)/,
    );
    await refused(
      resolveTarget(tagged('10.0.0.6'), everywhere),
      /10\.0\.0\.6 is not an address of the instance \(10\.0\.0\.5, 203\.0\.113\.9, 2001:db8::5\)/,
    );
  });
  it('judges the resolved address: a name resolving elsewhere is refused, even with one answer that is the instance', async () => {
    await refused(
      resolveTarget(tagged('https://db.example'), everywhere, answers('10.0.0.77')),
      /10\.0\.0\.77 is not an address of the instance/,
    );
    await refused(
      resolveTarget(tagged('https://db.example'), everywhere, answers('10.0.0.5', '127.0.0.1')),
      /127\.0\.0\.1 is not an address/,
    );
  });
  it("accepts the instance's own private, public and IPv6 addresses, by IP or by name (pinned)", async () => {
    for (const [spelling, address] of [
      ['10.0.0.5', '10.0.0.5'],
      ['https://203.0.113.9:8443', '203.0.113.9'],
      ['[2001:db8::5]', '2001:db8::5'],
      ['[::ffff:10.0.0.5]', '10.0.0.5'],
    ]) {
      expect(await resolveTarget(tagged(spelling!), everywhere)).toMatchObject({ address });
    }
    expect(await resolveTarget(tagged('https://db.example'), everywhere, answers('203.0.113.9'))).toMatchObject({
      host: 'db.example',
      address: '203.0.113.9',
    });
  });
  it('accepts a load balancer or proxy inside the endpoint CIDRs, still only inside the allowlist', async () => {
    const lb = tagged('https://lb.example', { endpointCidrs: ['10.9.0.0/16'] });
    expect(await resolveTarget(lb, everywhere, answers('10.9.1.2'))).toMatchObject({ address: '10.9.1.2' });
    await refused(resolveTarget(lb, ['10.0.0.0/16'], answers('10.9.1.2')), /outside the allowed target CIDRs/);
  });
  it("an untagged instance is probed at its own address; loopback is not in the CLI's default allowlist", () => {
    expect(probeTarget(db, parseConfig({}).probe)).toMatchObject({ ok: true, value: { host: '10.0.0.5', port: 8086 } });
    expect(parseConfig({}).probe.allowedCidrs).not.toContain('127.0.0.0/8');
    expect(parseConfig({}).probe.allowedCidrs).not.toContain('::1/128');
    expect(parseConfig({}).probe.endpointCidrs).toEqual([]);
  });
});
