/**
 * Target safety: what the prober may connect to. A target is resolved once;
 * every resolved address must be inside the operator's allowed CIDRs and
 * outside the always-refused ranges (link-local, the EC2 metadata service, in
 * every spelling: IPv4-mapped, -compatible, -translated, NAT64, 6to4);
 * the connection then goes to that exact address, so a DNS answer cannot
 * change between the check and the connect. A target named by an instance's
 * `influxdb:endpoint` tag must also resolve to one of that instance's own
 * addresses or to an operator-listed endpoint CIDR (a load balancer, a proxy):
 * otherwise whoever can tag an instance could make the scanner call any
 * address in the allowlist and read back its answer.
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { containsCidr, parseCidr as parseNetwork } from 'cidr-tools';
import { LOOPBACK_CIDRS } from '../../config.js';
import { cidrContains, formatIp, parseCidr, parseIp, type Cidr } from '../../util/cidr.js';
import { lazy } from '../../util/lazy.js';

/** Never probed, whatever the configuration says. */
export const ALWAYS_REFUSED = [
  '169.254.0.0/16',
  'fe80::/10',
  'fd00:ec2::/32',
  '0.0.0.0/8',
  '::/128',
  '255.255.255.255/32',
  '224.0.0.0/4',
  'ff00::/8',
];
// Parsed on first use (lib/util/lazy.ts): a Lambda that probes nothing does not pay for it at import.
const REFUSED = lazy(() => ALWAYS_REFUSED.map((c) => parseCidr(c)!));

/**
 * IPv6 prefixes whose addresses carry an IPv4 address (in the last 32 bits, or
 * bits 16–47 for 6to4): a translator or tunnel delivers them to that IPv4
 * address, so it is judged too (`64:ff9b::a9fe:a9fe` is the metadata service
 * behind NAT64). IPv4-mapped `::ffff:0:0/96` is judged as IPv4 outright (canonical).
 */
const EMBEDDING: { prefix: string; shift: bigint }[] = [
  { prefix: '64:ff9b::/96', shift: 0n }, // NAT64, well-known prefix (RFC 6052)
  { prefix: '64:ff9b:1::/48', shift: 0n }, // NAT64, local-use prefix (RFC 8215), as a /96
  { prefix: '::/96', shift: 0n }, // IPv4-compatible (deprecated; `::` and `::1` are judged as themselves)
  { prefix: '::ffff:0:0:0/96', shift: 0n }, // IPv4-translated (SIIT, RFC 2765)
  { prefix: '2002::/16', shift: 80n }, // 6to4 (RFC 3056)
];
const V4_THIS_NETWORK = lazy(() => parseCidr('0.0.0.0/8')!);

/** The IPv4 address an IPv6 address embeds (undefined for none, or for 0.0.0.0/8 such as `::1`'s). */
function embeddedIpv4(address: string): string | undefined {
  const e = EMBEDDING.find((p) => containsCidr(p.prefix, address));
  if (!e) return undefined;
  const v4 = formatIp(4, (parseNetwork(address).start >> e.shift) & 0xffffffffn);
  return cidrContains(V4_THIS_NETWORK(), parseCidr(v4)!) ? undefined : v4;
}

/** Whose addresses a target must resolve to (an instance's endpoint tag). */
export interface TargetOwner {
  /** For messages, e.g. `the influxdb:endpoint tag of i-0abc…`. */
  label: string;
  /** The instance's own addresses: private, public, IPv6. */
  addresses: readonly string[];
  /** Operator-listed CIDRs of what may stand in front of instances (load balancers, proxies). */
  endpointCidrs: readonly string[];
}

export interface ProbeTarget {
  /** What the operator gave, for messages. */
  input: string;
  scheme?: 'http' | 'https';
  /** Host as written (name or IP), for SNI and certificate name checks. */
  host: string;
  port: number;
  /** Set for a target that came from an instance's tag: it must resolve to that instance (or an endpoint CIDR). */
  owner?: TargetOwner;
}

export interface ResolvedTarget extends ProbeTarget {
  /** The one address every connection of this probe goes to. */
  address: string;
  family: 4 | 6;
}

export class TargetRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TargetRefused';
  }
}

/** `https://host:port`, `http://host`, `host:port`, `host`, `[v6]:port`. Throws TargetRefused on anything else. */
export function parseTarget(input: string, defaultPort = 8086): ProbeTarget {
  const text = input.trim();
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `probe://${text}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new TargetRefused(`invalid target "${input}": not a URL or host[:port]`);
  }
  const scheme = url.protocol === 'probe:' ? undefined : url.protocol.replace(/:$/, '');
  if (scheme !== undefined && scheme !== 'http' && scheme !== 'https')
    throw new TargetRefused(`invalid target "${input}": scheme must be http or https`);
  if (url.username || url.password)
    throw new TargetRefused(
      `invalid target "${input.replace(/\/\/[^@/]*@/, '//***@')}": credentials in URLs are refused (they would be sent in clear and logged)`,
    );
  if ((url.pathname && url.pathname !== '/') || url.search || url.hash)
    throw new TargetRefused(`invalid target "${input}": give only scheme, host and port`);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (!host) throw new TargetRefused(`invalid target "${input}": no host`);
  // URL drops a scheme's default port (http://h:80); keep what the operator wrote.
  const written = text.match(/:(\d{1,5})\/?$/);
  const port = url.port ? Number(url.port) : written ? Number(written[1]) : defaultPort;
  if (!(port > 0 && port < 65536)) throw new TargetRefused(`invalid target "${input}": bad port`);
  return { input, host, port, ...(scheme ? { scheme: scheme as 'http' | 'https' } : {}) };
}

/** IPv4-mapped IPv6 (::ffff:a.b.c.d) judged as the IPv4 address it is. */
function canonical(address: string): { family: 4 | 6; text: string; cidr: Cidr } {
  const ip = parseIp(address)!;
  if (ip.family === 6 && ip.value >> 32n === 0xffffn) {
    const v4 = formatIp(4, ip.value & 0xffffffffn);
    return { family: 4, text: v4, cidr: parseCidr(v4)! };
  }
  return { family: ip.family, text: address, cidr: parseCidr(address)! };
}

/** Throws TargetRefused unless the address may be probed. */
export function assertAllowed(address: string, allowed: readonly string[], what: string): void {
  const c = canonical(address);
  const inner = c.family === 6 ? embeddedIpv4(c.text) : undefined;
  const judged = [
    { text: c.text, cidr: c.cidr },
    ...(inner ? [{ text: `${inner} (embedded in ${c.text})`, cidr: parseCidr(inner)! }] : []),
  ];
  for (const j of judged) {
    const refused = REFUSED().find((r) => cidrContains(r, j.cidr));
    if (refused)
      throw new TargetRefused(
        `refused ${what}: ${j.text} is in ${refused.text} (link-local / metadata / non-unicast addresses are never probed)`,
      );
  }
  if (!allowed.some((a) => cidrContains(parseCidr(a)!, c.cidr))) {
    // Loopback is left out of the defaults on purpose (the scanner's own host is no instance's endpoint): say how to allow it.
    const loopback = LOOPBACK_CIDRS.find((l) => cidrContains(parseCidr(l)!, c.cidr));
    const hint = loopback ? `; loopback is not probed unless allowed: add --allow-cidr ${loopback} (probe.allowedCidrs)` : '';
    throw new TargetRefused(`refused ${what}: ${c.text} is outside the allowed target CIDRs (${allowed.join(', ') || 'none'})${hint}`);
  }
}

/** Throws TargetRefused unless the address is one of the owner's own, or inside its endpoint CIDRs. */
export function assertOwned(address: string, owner: TargetOwner, what: string): void {
  const c = canonical(address);
  const own = owner.addresses.some((a) => parseIp(a) !== undefined && canonical(a).text === c.text);
  if (own || owner.endpointCidrs.some((e) => cidrContains(parseCidr(e)!, c.cidr))) return;
  throw new TargetRefused(
    `refused ${what}: ${owner.label}: ${c.text} is not an address of the instance (${owner.addresses.join(', ') || 'none'}) nor inside the endpoint CIDRs (${owner.endpointCidrs.join(', ') || 'none'}); list a load balancer or proxy in front of it with probe.endpointCidrs / --endpoint-cidr`,
  );
}

export type Resolver = (host: string) => Promise<{ address: string; family: number }[]>;
const systemResolver: Resolver = (host) => lookup(host, { all: true, verbatim: true });

/** Resolve once and check every answer; the first allowed address is pinned. */
export async function resolveTarget(
  t: ProbeTarget,
  allowed: readonly string[],
  resolver: Resolver = systemResolver,
): Promise<ResolvedTarget> {
  let addresses: string[];
  if (isIP(t.host)) {
    addresses = [t.host];
  } else {
    try {
      addresses = (await resolver(t.host)).map((a) => a.address);
    } catch (err) {
      throw new TargetRefused(`cannot resolve ${t.host}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    }
    if (!addresses.length) throw new TargetRefused(`cannot resolve ${t.host}: no addresses`);
  }
  // Every answer must be allowed (and the owner's): a name that also points at a refused address is refused.
  for (const a of addresses) {
    assertAllowed(a, allowed, `${t.input}`);
    if (t.owner) assertOwned(a, t.owner, `${t.input}`);
  }
  const pinned = canonical(addresses[0]!);
  return { ...t, address: pinned.text, family: pinned.family };
}

export const endpointUrl = (t: ProbeTarget, scheme: 'http' | 'https') =>
  `${scheme}://${t.host.includes(':') ? `[${t.host}]` : t.host}:${t.port}`;
