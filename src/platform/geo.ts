import { createRequire } from 'node:module';
import net from 'node:net';

/**
 * A coarse place for an IP address: the country and its English name, never finer. Login history, the
 * sessions list and new-device alerts show it; it must not be able to point at a home.
 */
export interface Place {
  /** ISO 3166-1 alpha-2, e.g. "DE". */
  readonly country: string;
  /** English name of the country, e.g. "Germany". */
  readonly label: string;
}

/** The part of `geoip-country` used here (GeoLite2 Country data bundled in the npm package, IPv4 and IPv6). */
interface CountryDatabase {
  lookup(ip: string): { readonly country?: unknown } | null;
}

// The longest textual address accepted: a full IPv6 address with an embedded IPv4 (45 characters).
const MAX_ADDRESS_LENGTH = 45;
const COUNTRY_CODE = /^[A-Z]{2}$/;

let database: CountryDatabase | undefined;
let loadFailed = false;
let regionNames: Intl.DisplayNames | undefined;
const places = new Map<string, Place>();

function load(): CountryDatabase {
  // geoip-country reads its two data files (about 8 MB) synchronously when first required.
  database ??= createRequire(import.meta.url)('geoip-country') as CountryDatabase;
  return database;
}

/**
 * Loads the country data now instead of on the first lookup (about 25 ms, about 8 MB held). Throws when
 * the data cannot be read, so a start-up that calls it fails loudly; `placeOf` itself never throws.
 */
export function preloadGeo(): void {
  load();
}

/**
 * The country an address is registered to, or null for private, loopback, link-local, CGNAT,
 * documentation, multicast, reserved, unknown or malformed addresses. IPv4-mapped IPv6 (`::ffff:1.2.3.4`,
 * `::ffff:102:304`) is looked up as the IPv4 address. Synchronous; the data is loaded on the first call.
 * Never logs, and never throws.
 */
export function placeOf(ip: string): Place | null {
  if (typeof ip !== 'string' || ip.length > MAX_ADDRESS_LENGTH) return null;
  const key = lookupKey(ip);
  if (key === null || loadFailed) return null;
  let country: unknown;
  try {
    country = load().lookup(key)?.country;
  } catch {
    // Missing or unreadable data: a login must not fail over a cosmetic label. preloadGeo() reports it.
    loadFailed = database === undefined;
    return null;
  }
  if (typeof country !== 'string' || !COUNTRY_CODE.test(country)) return null;
  return placeFor(country);
}

function placeFor(country: string): Place {
  let place = places.get(country);
  if (!place) {
    regionNames ??= new Intl.DisplayNames('en', { type: 'region', fallback: 'code' });
    place = Object.freeze({ country, label: regionNames.of(country) ?? country });
    places.set(country, place);
  }
  return place;
}

/** The canonical form handed to the database, or null when the address is not a public unicast one. */
function lookupKey(ip: string): string | null {
  const family = net.isIP(ip);
  if (family === 4) return isPublicV4(v4Number(ip)) ? ip : null;
  if (family !== 6 || ip.includes('%')) return null; // scoped addresses (fe80::1%eth0) are never global
  const g = hextets(ip);
  if (g[0] === 0 && g[1] === 0 && g[2] === 0 && g[3] === 0 && g[4] === 0 && g[5] === 0xffff) {
    const v4 = ((g[6] ?? 0) << 16) | (g[7] ?? 0);
    return isPublicV4(v4 >>> 0) ? [v4 >>> 24, (v4 >>> 16) & 255, (v4 >>> 8) & 255, v4 & 255].join('.') : null;
  }
  return isPublicV6(g) ? g.map((x) => x.toString(16)).join(':') : null;
}

function v4Number(ip: string): number {
  return ip.split('.').reduce((n, part) => n * 256 + Number(part), 0);
}

// Special-purpose IPv4 blocks (RFC 6890 and successors): [network, prefix length].
const V4_SPECIAL: ReadonlyArray<readonly [string, number]> = [
  ['0.0.0.0', 8], // "this network"
  ['10.0.0.0', 8], // private
  ['100.64.0.0', 10], // CGNAT
  ['127.0.0.0', 8], // loopback
  ['169.254.0.0', 16], // link-local
  ['172.16.0.0', 12], // private
  ['192.0.0.0', 24], // IETF protocol assignments
  ['192.0.2.0', 24], // documentation
  ['192.88.99.0', 24], // 6to4 relay anycast
  ['192.168.0.0', 16], // private
  ['198.18.0.0', 15], // benchmarking
  ['198.51.100.0', 24], // documentation
  ['203.0.113.0', 24], // documentation
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, broadcast
];
const V4_RANGES = V4_SPECIAL.map(([network, bits]) => {
  const start = v4Number(network);
  return [start, start + 2 ** (32 - bits) - 1] as const;
});

function isPublicV4(n: number): boolean {
  return !V4_RANGES.some(([start, end]) => n >= start && n <= end);
}

/** Only global unicast (2000::/3), less its special blocks, can be placed. */
function isPublicV6(g: readonly number[]): boolean {
  const [a = 0, b = 0] = g;
  if ((a & 0xe000) !== 0x2000) return false; // loopback, unspecified, ULA, link-local, multicast, NAT64 …
  if (a === 0x2001 && b < 0x200) return false; // 2001::/23 IETF protocol assignments (Teredo …)
  if (a === 0x2001 && b === 0xdb8) return false; // documentation
  if (a === 0x2002) return false; // 6to4
  if (a === 0x3fff && b < 0x1000) return false; // documentation (3fff::/20)
  return true;
}

/** The eight 16-bit groups of an address that net.isIPv6 accepted. */
function hextets(ip: string): number[] {
  let text = ip.toLowerCase();
  const lastColon = text.lastIndexOf(':');
  const tail = text.slice(lastColon + 1);
  if (tail.includes('.')) {
    const n = v4Number(tail);
    text = `${text.slice(0, lastColon + 1)}${(n >>> 16).toString(16)}:${(n & 0xffff).toString(16)}`;
  }
  const [head = '', rest] = text.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = rest === undefined || rest === '' ? [] : rest.split(':');
  const zeros = rest === undefined ? [] : Array<string>(8 - left.length - right.length).fill('0');
  return [...left, ...zeros, ...right].map((group) => Number.parseInt(group, 16));
}
