import { describe, expect, it } from '@jest/globals';
import {
  cidrContains,
  formatIp,
  ipInCidr,
  isGlobalIpv6,
  isLoopbackHost,
  isWorld,
  parseCidr,
  parseIp,
  publicPart,
  widePublic,
} from '../../lib/util/cidr.js';

describe('cidr', () => {
  it('parses and canonicalises IPv4 and IPv6 blocks', () => {
    expect(parseCidr('10.1.2.3/16')?.text).toBe('10.1.0.0/16');
    expect(parseCidr('0.0.0.0/0')).toMatchObject({ family: 4, prefixLength: 0 });
    expect(parseCidr('2001:DB8:0:0:0:0:0:1/64')?.text).toBe('2001:db8::/64');
    expect(parseCidr('::/0')).toMatchObject({ family: 6, prefixLength: 0, text: '::/0' });
    expect(parseCidr('10.0.0.5')).toMatchObject({ prefixLength: 32 });
  });
  it('knows loopback hosts, whatever their spelling', () => {
    for (const h of ['localhost', '127.0.0.1', '127.0.0.53%lo', '::1', '[::1]'])
      expect({ h, loopback: isLoopbackHost(h) }).toEqual({ h, loopback: true });
    for (const h of ['0.0.0.0', '10.0.0.1', '::', 'db.internal', ''])
      expect({ h, loopback: isLoopbackHost(h) }).toEqual({ h, loopback: false });
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

  it('the world (CHECKS.md): at least half of the family’s public unicast space, measured on merged sets', () => {
    expect(isWorld(['0.0.0.0/0'], 4)).toBe(true);
    expect(isWorld(['0.0.0.0/1'], 4)).toBe(true); // about 56 %
    expect(isWorld(['128.0.0.0/1'], 4)).toBe(false); // about 44 %
    // Unaligned: no single CIDR holds a registry-free block, only their union does (fails without merging first).
    expect(isWorld(['0.0.0.0/3', '32.0.0.0/4', '48.0.0.0/4', '64.0.0.0/2', '128.0.0.0/1'], 4)).toBe(true);
    expect(isWorld(['32.0.0.0/4', '48.0.0.0/4', '64.0.0.0/2'], 4)).toBe(false);
    // Private and special-purpose space never counts: 10/8 + 172.16/12 + 192.168/16 beside 128/1 is still not the world.
    expect(isWorld(['128.0.0.0/1', '10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '224.0.0.0/3'], 4)).toBe(false);
    for (const v6 of [['::/0'], ['2000::/3'], ['::/1'], ['2000::/4', '3000::/4']]) expect(isWorld(v6, 6)).toBe(true);
    expect(isWorld(['8000::/1'], 6)).toBe(false);
    expect(isWorld(['fc00::/7', '2001:db8::/32'], 6)).toBe(false);
    expect(isWorld(['0.0.0.0/0'], 6)).toBe(false); // another family
  });
  it('the public part of a CIDR, and whether it is wider than a /16 (IPv4) or a /32 (IPv6)', () => {
    expect(publicPart(['10.0.0.0/8'], 4)).toEqual([]);
    expect(publicPart(['8.0.0.0/7'], 4)).toEqual(['8.0.0.0/7']);
    expect(publicPart(['0.0.0.0/4'], 4)).toEqual(['1.0.0.0/8', '2.0.0.0/7', '4.0.0.0/6', '8.0.0.0/7', '11.0.0.0/8', '12.0.0.0/6']);
    expect(widePublic('0.0.0.0/0')).toBe(true);
    expect(widePublic('52.94.0.0/15')).toBe(true);
    expect(widePublic('52.94.0.0/16')).toBe(false);
    expect(widePublic('52.94.76.0/24')).toBe(false);
    expect(widePublic('10.0.0.0/8')).toBe(false);
    expect(widePublic('172.0.0.0/8')).toBe(true); // 172.16/12 is private, the rest of the /8 is not
    expect(widePublic('::/0')).toBe(true);
    expect(widePublic('2a05:d018::/31')).toBe(true);
    expect(widePublic('2a05:d018::/32')).toBe(false);
    expect(widePublic('fc00::/7')).toBe(false);
  });
});
