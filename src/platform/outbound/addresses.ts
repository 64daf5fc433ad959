import net from 'node:net';

/** An address in the one textual form every check and every connection uses. */
export interface CanonicalAddress {
  readonly address: string;
  readonly family: 4 | 6;
}

// Special-purpose IPv4 blocks (RFC 6890 and successors): none of them is a marketplace.
const V4_BLOCKED: ReadonlyArray<readonly [string, number]> = [
  ['0.0.0.0', 8], // "this network", the unspecified address
  ['10.0.0.0', 8], // private
  ['100.64.0.0', 10], // CGNAT shared space (Alibaba Cloud's metadata service, 100.100.100.200, is in it)
  ['127.0.0.0', 8], // loopback
  ['169.254.0.0', 16], // link-local, cloud metadata (169.254.169.254)
  ['172.16.0.0', 12], // private
  ['192.0.0.0', 24], // IETF protocol assignments
  ['192.0.2.0', 24], // documentation
  ['192.88.99.0', 24], // 6to4 relay anycast
  ['192.168.0.0', 16], // private
  ['198.18.0.0', 15], // benchmarking
  ['198.51.100.0', 24], // documentation
  ['203.0.113.0', 24], // documentation
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, and 255.255.255.255 broadcast
];

// IPv6 is allowed, not blocked: only global unicast (2000::/3) can be reached, which leaves out
// unspecified, loopback, IPv4-compatible, ULA (fc00::/7, fd00:ec2::254 included), link-local, site-local,
// multicast and discard-only. These are the special blocks inside 2000::/3.
const V6_BLOCKED_GLOBAL: ReadonlyArray<readonly [string, number]> = [
  ['2001::', 23], // IETF protocol assignments: Teredo (2001::/32), benchmarking, ORCHID
  ['2001:db8::', 32], // documentation
  ['2002::', 16], // 6to4: the IPv4 address inside is the one that would be reached
  ['3fff::', 20], // documentation
  ['5f00::', 16], // SRv6 segment identifiers
];

const v4Blocked = new net.BlockList();
for (const [network, prefix] of V4_BLOCKED) v4Blocked.addSubnet(network, prefix, 'ipv4');
const v6Global = new net.BlockList();
v6Global.addSubnet('2000::', 3, 'ipv6');
const v6Blocked = new net.BlockList();
for (const [network, prefix] of V6_BLOCKED_GLOBAL) v6Blocked.addSubnet(network, prefix, 'ipv6');
const v4Mapped = new net.BlockList();
v4Mapped.addSubnet('::ffff:0:0', 96, 'ipv6');
const nat64 = new net.BlockList();
nat64.addSubnet('64:ff9b::', 96, 'ipv6');

/**
 * The canonical form of a textual IP address (as WHATWG URL serialises it: dotted decimal, compressed
 * lower-case IPv6), with IPv4-mapped IPv6 turned into its IPv4 address. Undefined for anything that is not
 * an IP address, and for scoped IPv6 (`fe80::1%eth0`), which names an interface rather than a host.
 */
export function canonicalAddress(text: string): CanonicalAddress | undefined {
  if (typeof text !== 'string' || text.length > 45 || text.includes('%')) return undefined;
  const bare = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
  const family = net.isIP(bare);
  if (family === 4) return { address: serialiseHost(bare), family: 4 };
  if (family !== 6) return undefined;
  const address = serialiseHost(`[${bare}]`).slice(1, -1);
  if (v4Mapped.check(address, 'ipv6')) return { address: embeddedV4(address), family: 4 };
  return { address, family: 6 };
}

/**
 * True only for an address on the public internet: never private, loopback, link-local, CGNAT,
 * benchmarking, documentation, multicast, broadcast, reserved or unspecified, nor an IPv6 form that
 * carries one of those (IPv4-mapped, NAT64) or reaches one indirectly (6to4, Teredo, IPv4-compatible).
 */
export function isPublicAddress(address: CanonicalAddress): boolean {
  if (address.family === 4) return !v4Blocked.check(address.address, 'ipv4');
  if (nat64.check(address.address, 'ipv6')) return !v4Blocked.check(embeddedV4(address.address), 'ipv4');
  return v6Global.check(address.address, 'ipv6') && !v6Blocked.check(address.address, 'ipv6');
}

function serialiseHost(host: string): string {
  return new URL(`http://${host}/`).hostname;
}

/** The IPv4 address in the last 32 bits of a canonical IPv6 address. */
function embeddedV4(address: string): string {
  const groups = address.split(':');
  const last = groups.at(-1) ?? '';
  if (last.includes('.')) return last;
  const low = Number.parseInt(last || '0', 16);
  const high = Number.parseInt(groups.at(-2) || '0', 16);
  return [high >> 8, high & 255, low >> 8, low & 255].join('.');
}
