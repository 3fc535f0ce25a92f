/**
 * IPv4/IPv6 addresses and CIDR blocks as numbers, for containment tests, and the measure of "the world"
 * (CHECKS.md) on merged CIDR sets (cidr-tools merge/exclude). Pure.
 */
import { isIPv4, isIPv6 } from 'node:net';
import { excludeCidr, mergeCidr, parseCidr as parseCidrRange } from 'cidr-tools';
import { lazy } from './lazy.js';

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

const NOT_GLOBAL_V6 = lazy(() => ['fc00::/7', 'fe80::/10', '::1/128', '::/128'].map((t) => parseCidr(t)!));
/** An IPv6 address reachable from the internet (not ULA, link-local or loopback). */
export const isGlobalIpv6 = (ip: string) => parseIp(ip)?.family === 6 && !NOT_GLOBAL_V6().some((c) => ipInCidr(ip, c));

// ───────────────────────────── the world (CHECKS.md "Reachable from the internet") ─────────────────────────────

/**
 * The IANA special-purpose address registries (IPv4: RFC 6890 and its updates; IPv6 likewise), the parts inside
 * each family's candidate space. A registry entry marked "globally reachable" is still taken out, as the contract
 * says ("minus the registry"): those entries are a few /24s and /48s, which moves no verdict.
 */
const SPECIAL_V4 = [
  '0.0.0.0/8',
  '10.0.0.0/8',
  '100.64.0.0/10',
  '127.0.0.0/8',
  '169.254.0.0/16',
  '172.16.0.0/12',
  '192.0.0.0/24',
  '192.0.2.0/24',
  '192.31.196.0/24',
  '192.52.193.0/24',
  '192.88.99.0/24',
  '192.168.0.0/16',
  '192.175.48.0/24',
  '198.18.0.0/15',
  '198.51.100.0/24',
  '203.0.113.0/24',
  '255.255.255.255/32',
];
/** Of the IPv6 registry, the entries inside 2000::/3 (the others lie outside it: ::1, fc00::/7, fe80::/10, 5f00::/16…). */
const SPECIAL_V6 = ['2001::/23', '2001:db8::/32', '2002::/16', '2620:4f:8000::/48', '3fff::/20'];

/**
 * Public unicast space of each family: IPv4 `0.0.0.0/0` minus the special-purpose registry, `224.0.0.0/4`
 * (multicast) and `240.0.0.0/4` (reserved); IPv6 `2000::/3` (global unicast) minus the special-purpose registry.
 * Computed on first use, with its size (a few milliseconds that a cold start need not pay).
 */
const PUBLIC_UNICAST = lazy(() => {
  const space = {
    4: excludeCidr(['0.0.0.0/0'], [...SPECIAL_V4, '224.0.0.0/4', '240.0.0.0/4']),
    6: excludeCidr(['2000::/3'], SPECIAL_V6),
  };
  return { space, size: { 4: addressCount(space[4]), 6: addressCount(space[6]) } };
});

/**
 * The set operations below are pure and called with the same few source sets over and over (every instance behind
 * the same groups, subnets and load balancers asks the same questions), and cidr-tools parses its string inputs on
 * every call: their answers are kept by their inputs, a bounded table per operation (emptied when full). Answers are
 * shared: read-only to callers.
 */
const MEMO_MAX = 4096;
/** A set's text as a memo key: long sets recur as the same arrays (the answers above), joined once each. */
const keyTexts = new WeakMap<readonly string[], string>();
function keyText(a: readonly string[]): string {
  if (a.length < 2) return a[0] ?? '';
  let t = keyTexts.get(a);
  if (t === undefined) {
    t = a.join(',');
    keyTexts.set(a, t);
  }
  return t;
}
function memoSets<R>(compute: (a: readonly string[], b: readonly string[], family: 4 | 6) => R) {
  const memo = new Map<string, R>();
  return (a: readonly string[], b: readonly string[] = [], family: 4 | 6 = 4): R => {
    const key = `${family}|${keyText(a)}|${keyText(b)}`;
    let r = memo.get(key);
    if (r === undefined) {
      if (memo.size >= MEMO_MAX) memo.clear();
      r = compute(a, b, family);
      memo.set(key, r);
    }
    return r;
  };
}

const countAddresses = memoSets((cidrs) =>
  cidrs.length
    ? mergeCidr([...cidrs])
        .map((c) => parseCidrRange(c))
        .reduce((n, r) => n + (r.end - r.start + 1n), 0n)
    : 0n,
);
/** Number of addresses in a set of CIDRs, overlaps counted once (merged first). */
export const addressCount = (cidrs: readonly string[]): bigint => countAddresses(cidrs);

const publicOf = memoSets((cidrs, _, family): readonly string[] => {
  const same = cidrs.filter((c) => parseCidr(c)?.family === family);
  if (!same.length) return [];
  // A ∩ P = A − (A − P): cidr-tools has subtraction and merging but no intersection.
  const merged = mergeCidr(same);
  const outside = excludeCidr(merged, [...PUBLIC_UNICAST().space[family]]);
  return outside.length ? excludeCidr(merged, outside) : merged;
});
/** The public unicast part of these CIDRs of one family (merged; empty when none is public). Others' family is ignored. */
export const publicPart = (cidrs: readonly string[], family: 4 | 6): readonly string[] => publicOf(cidrs, [], family);

const intersection = memoSets((a, b): readonly string[] => {
  const merged = mergeCidr([...a]);
  const outside = excludeCidr(merged, [...b]);
  return outside.length ? excludeCidr(merged, outside) : merged;
});
/** The addresses in both sets (merged; one family each, or empty). cidr-tools has no intersection: A ∩ B = A − (A − B). */
export const intersectCidrs = (a: readonly string[], b: readonly string[]): readonly string[] =>
  a.length && b.length ? intersection(a, b) : [];

const difference = memoSets((a, b): readonly string[] => (b.length ? excludeCidr([...a], [...b]) : mergeCidr([...a])));
/** What remains of `a` once `b` is taken out (merged). */
export const subtractCidrs = (a: readonly string[], b: readonly string[]): readonly string[] => (a.length ? difference(a, b) : []);

/** The share of the family's public unicast space these CIDRs hold, in per cent (one decimal). */
export const publicShare = (cidrs: readonly string[], family: 4 | 6): number =>
  Number((1000n * addressCount(publicPart(cidrs, family))) / PUBLIC_UNICAST().size[family]) / 10;

/**
 * A source set for people, bounded: `52.94.76.0/24`, or the first CIDRs, how many more, and the share of the
 * family's public space (`0.0.0.0/2, 64.0.0.0/3 and 12 more (28.1 % of public IPv4)`).
 */
export function describeSources(cidrs: readonly string[], family: 4 | 6, max = 3): string {
  const merged = cidrs.length ? merged4or6(cidrs) : [];
  if (!merged.length) return 'no public address';
  const share = publicShare(merged, family);
  const shown = merged.slice(0, max).join(', ');
  const more = merged.length > max ? ` and ${merged.length - max} more` : '';
  return `${shown}${more}${share >= 0.1 ? ` (${share} % of public IPv${family})` : ''}`;
}

const merged4or6 = memoSets((cidrs): readonly string[] => mergeCidr([...cidrs]));

/**
 * Whether a source set of one family *is the world*: its public part (merged, so unaligned splits such as
 * `0.0.0.0/3` + `32.0.0.0/4` + `48.0.0.0/4` + … count whole) holds at least half of the family's public unicast
 * space. `0.0.0.0/1` alone is the world (about 56 %), `128.0.0.0/1` alone is not (about 44 %).
 */
export const isWorld = (cidrs: readonly string[], family: 4 | 6): boolean => world(cidrs, [], family);
const world = memoSets((cidrs, _, family) => 2n * addressCount(publicPart(cidrs, family)) >= PUBLIC_UNICAST().size[family]);

/**
 * Whether the public part of one CIDR is larger than a /16 (IPv4) or a /32 (IPv6): what a world-open
 * remediation revokes (CHECKS.md "CLI exit codes"); a partner's /24 or a private range stays.
 */
export function widePublic(cidr: string): boolean {
  const c = parseCidr(cidr);
  if (!c) return false;
  const limit = 1n << BigInt(c.family === 4 ? 32 - 16 : 128 - 32);
  return addressCount(publicPart([c.text], c.family)) > limit;
}

const LOOPBACK = lazy(() => ['127.0.0.0/8', '::1/128'].map((c) => parseCidr(c)!));
/** A loopback host: `localhost`, 127.0.0.0/8 or ::1 (brackets and a zone allowed: `[::1]`, `127.0.0.53%lo`). */
export const isLoopbackHost = (h: string): boolean => {
  const a = h.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  return a === 'localhost' || (parseIp(a) !== undefined && LOOPBACK().some((l) => ipInCidr(a, l)));
};
