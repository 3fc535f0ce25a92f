import { describe, expect, it } from '@jest/globals';
import { cidrContains, formatIp, ipInCidr, isGlobalIpv6, parseCidr, parseIp } from '../../lib/util/cidr.js';

describe('cidr', () => {
  it('parses and canonicalises IPv4 and IPv6 blocks', () => {
    expect(parseCidr('10.1.2.3/16')?.text).toBe('10.1.0.0/16');
    expect(parseCidr('0.0.0.0/0')).toMatchObject({ family: 4, prefixLength: 0 });
    expect(parseCidr('2001:DB8:0:0:0:0:0:1/64')?.text).toBe('2001:db8::/64');
    expect(parseCidr('::/0')).toMatchObject({ family: 6, prefixLength: 0, text: '::/0' });
    expect(parseCidr('10.0.0.5')).toMatchObject({ prefixLength: 32 });
  });
  it('rejects garbage', () => {
    for (const bad of ['', '10.0.0.0/33', '::/129', '300.1.1.1/8', '10.0.0.0/x', 'sg-123', '10.0.0.0/-1', '1.2.3/8'])
      expect(parseCidr(bad)).toBeUndefined();
  });
  it('tests containment across families', () => {
    expect(cidrContains(parseCidr('10.0.0.0/8')!, parseCidr('10.9.0.0/16')!)).toBe(true);
    expect(cidrContains(parseCidr('10.9.0.0/16')!, parseCidr('10.0.0.0/8')!)).toBe(false);
    expect(cidrContains(parseCidr('::/0')!, parseCidr('10.0.0.0/8')!)).toBe(false);
    expect(ipInCidr('::ffff:10.0.0.1', parseCidr('::ffff:0:0/96')!)).toBe(true);
    expect(ipInCidr('10.0.1.11', parseCidr('10.0.1.11/32')!)).toBe(true);
  });
  it('formats addresses (RFC 5952 zero compression)', () => {
    expect(formatIp(6, parseIp('2001:db8:0:0:1:0:0:1')!.value)).toBe('2001:db8::1:0:0:1');
    expect(formatIp(4, parseIp('192.168.0.1')!.value)).toBe('192.168.0.1');
  });
  it('knows which IPv6 addresses are global', () => {
    expect(isGlobalIpv6('2a05:d018:1::5')).toBe(true);
    expect(isGlobalIpv6('fd00:ec2::254')).toBe(false);
    expect(isGlobalIpv6('fe80::1')).toBe(false);
    expect(isGlobalIpv6('10.0.0.1')).toBe(false);
  });
});
