/** IPv4/IPv6 addresses and CIDR blocks as numbers, for containment tests. Pure. */
import { isIPv4, isIPv6 } from 'node:net';

export interface Cidr {
  family: 4 | 6;
  /** Network address, host bits cleared. */
  network: bigint;
  prefixLength: number;
  /** Canonical text, e.g. `10.0.0.0/16`. */
  text: string;
}

const bits = (family: 4 | 6) => (family === 4 ? 32 : 128);

function ipv4ToBigInt(ip: string): bigint {
  return ip.split('.').reduce((acc, part) => (acc << 8n) | BigInt(Number(part)), 0n);
}

function ipv6ToBigInt(ip: string): bigint {
  let text = ip.toLowerCase();
  const zone = text.indexOf('%');
  if (zone >= 0) text = text.slice(0, zone);
  // An embedded IPv4 tail (::ffff:1.2.3.4) becomes two hextets.
  const v4 = text.match(/(\d+\.\d+\.\d+\.\d+)$/);
  if (v4) {
    const n = ipv4ToBigInt(v4[1]!);
    text = `${text.slice(0, -v4[1]!.length)}${(n >> 16n).toString(16)}:${(n & 0xffffn).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const headParts = head ? head.split(':') : [];
  const tailParts = tail ? tail.split(':') : [];
  const missing = 8 - headParts.length - tailParts.length;
  const parts = tail === undefined ? headParts : [...headParts, ...Array<string>(missing).fill('0'), ...tailParts];
  return parts.reduce((acc, h) => (acc << 16n) | BigInt(parseInt(h || '0', 16)), 0n);
}

/** Parse an address: its family and value, or undefined when it is not one. */
export function parseIp(ip: string): { family: 4 | 6; value: bigint } | undefined {
  if (isIPv4(ip)) return { family: 4, value: ipv4ToBigInt(ip) };
  if (isIPv6(ip)) return { family: 6, value: ipv6ToBigInt(ip) };
  return undefined;
}

/** Parse `a.b.c.d/n` or `x::/n` (a bare address is a host block). Undefined when invalid. */
export function parseCidr(text: string): Cidr | undefined {
  const trimmed = text.trim();
  const slash = trimmed.indexOf('/');
  const addr = slash < 0 ? trimmed : trimmed.slice(0, slash);
  const ip = parseIp(addr);
  if (!ip) return undefined;
  const max = bits(ip.family);
  let prefixLength = max;
  if (slash >= 0) {
    const p = trimmed.slice(slash + 1);
    if (!/^\d{1,3}$/.test(p)) return undefined;
    prefixLength = Number(p);
    if (prefixLength > max) return undefined;
  }
  const hostBits = BigInt(max - prefixLength);
  const network = (ip.value >> hostBits) << hostBits;
  return { family: ip.family, network, prefixLength, text: `${formatIp(ip.family, network)}/${prefixLength}` };
}

export function formatIp(family: 4 | 6, value: bigint): string {
  if (family === 4) return [24n, 16n, 8n, 0n].map((s) => Number((value >> s) & 0xffn)).join('.');
  const hextets = Array.from({ length: 8 }, (_, i) => Number((value >> BigInt(112 - 16 * i)) & 0xffffn).toString(16));
  // Compress the longest run of zeros (RFC 5952).
  let best = { start: -1, len: 0 };
  for (let i = 0; i < 8; ) {
    if (hextets[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && hextets[j] === '0') j++;
    if (j - i > best.len && j - i > 1) best = { start: i, len: j - i };
    i = j;
  }
  if (best.start < 0) return hextets.join(':');
  return `${hextets.slice(0, best.start).join(':')}::${hextets.slice(best.start + best.len).join(':')}`;
}

/** Whether `inner` lies entirely inside `outer`. */
export function cidrContains(outer: Cidr, inner: Cidr): boolean {
  if (outer.family !== inner.family || inner.prefixLength < outer.prefixLength) return false;
  const hostBits = BigInt(bits(outer.family) - outer.prefixLength);
  return inner.network >> hostBits === outer.network >> hostBits;
}

export function ipInCidr(ip: string, cidr: Cidr): boolean {
  const parsed = parseIp(ip);
  return (
    parsed !== undefined &&
    cidrContains(cidr, { family: parsed.family, network: parsed.value, prefixLength: bits(parsed.family), text: ip })
  );
}

const NOT_GLOBAL_V6 = ['fc00::/7', 'fe80::/10', '::1/128', '::/128'].map((t) => parseCidr(t)!);
/** An IPv6 address reachable from the internet (not ULA, link-local or loopback). */
export const isGlobalIpv6 = (ip: string) => parseIp(ip)?.family === 6 && !NOT_GLOBAL_V6.some((c) => ipInCidr(ip, c));
