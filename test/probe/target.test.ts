import { describe, expect, it } from '@jest/globals';
import { DEFAULT_ALLOWED_CIDRS, TargetRefused, assertAllowed, parseTarget, resolveTarget } from '../../lib/evidence/probe/target.js';

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
    for (const spelling of ['169.254.169.254', 'http://2852039166', 'http://0251.0376.0251.0376', 'http://0xa9fea9fe', '[::ffff:169.254.169.254]', '[fd00:ec2::254]', '[fe80::1]']) {
      await refused(resolveTarget(parseTarget(spelling), ['0.0.0.0/0', '::/0']), /never probed/);
    }
  });
  it('refuses addresses outside the allowlist, and names that resolve to any refused address', async () => {
    await refused(resolveTarget(parseTarget('8.8.8.8'), DEFAULT_ALLOWED_CIDRS), /outside the allowed target CIDRs/);
    const resolver = async () => [{ address: '10.0.0.5', family: 4 }, { address: '169.254.169.254', family: 4 }];
    await refused(resolveTarget(parseTarget('sneaky.example'), DEFAULT_ALLOWED_CIDRS, resolver), /169\.254\.169\.254/);
    const ok = await resolveTarget(parseTarget('db.example:8086'), DEFAULT_ALLOWED_CIDRS, async () => [{ address: '10.0.0.5', family: 4 }]);
    expect(ok).toMatchObject({ host: 'db.example', address: '10.0.0.5', family: 4 });
  });
  it('judges IPv4-mapped IPv6 as the IPv4 address it is', () => {
    expect(() => assertAllowed('::ffff:127.0.0.1', ['127.0.0.0/8'], 't')).not.toThrow();
    expect(() => assertAllowed('::ffff:8.8.8.8', ['127.0.0.0/8', '::/0'], 't')).toThrow(/outside/);
  });
});
