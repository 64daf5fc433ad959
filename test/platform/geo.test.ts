import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { placeOf, preloadGeo } from '../../src/platform/geo.ts';

// Addresses chosen because every database agrees on them and they belong to national carriers or
// registries, not anycast: checked against the bundled GeoLite2 data, IP2Location LITE and RIR whois.
const KNOWN: ReadonlyArray<readonly [string, string, string]> = [
  ['80.130.0.1', 'DE', 'Germany'], // Deutsche Telekom
  ['217.0.0.1', 'DE', 'Germany'], // Deutsche Telekom
  ['153.150.0.1', 'JP', 'Japan'], // NTT OCN
  ['60.32.0.1', 'JP', 'Japan'], // NTT OCN
  ['193.0.6.139', 'NL', 'Netherlands'], // RIPE NCC
  ['202.12.29.175', 'AU', 'Australia'], // APNIC
  ['2003::1', 'DE', 'Germany'], // Deutsche Telekom IPv6
  ['2400:4050::1', 'JP', 'Japan'], // NTT IPv6
  ['2001:200::1', 'JP', 'Japan'], // WIDE project IPv6
];

const NOT_PLACEABLE = [
  // private, loopback, link-local, CGNAT, unspecified, documentation, multicast, broadcast
  '10.1.2.3',
  '172.16.0.1',
  '172.31.255.255',
  '192.168.1.1',
  '127.0.0.1',
  '127.255.255.254',
  '169.254.10.20',
  '100.64.0.1',
  '100.127.255.255',
  '0.0.0.0',
  '192.0.2.1',
  '198.51.100.7',
  '203.0.113.9',
  '224.0.0.1',
  '255.255.255.255',
  '::',
  '::1',
  'fe80::1',
  'fe80::1%eth0',
  'fd12:3456::1',
  'ff02::1',
  '2001:db8::1',
  '2001::1', // Teredo
  '2002:5082:1::1', // 6to4
  '::ffff:10.0.0.1',
  '::ffff:127.0.0.1',
  '::ffff:c0a8:101', // ::ffff:192.168.1.1
  '64:ff9b::808:808', // NAT64
  // malformed
  '',
  'garbage',
  '1.2.3',
  '1.2.3.4.5',
  '256.1.1.1',
  '01.2.3.4',
  ' 80.130.0.1',
  '80.130.0.1 ',
  '[2003::1]',
  '80.130.0.1:443',
  '2003:::1',
  `${'1'.repeat(100)}`,
];

describe('placeOf', () => {
  afterEach(() => vi.restoreAllMocks());

  it('loads the bundled data without touching the network', () => {
    expect(() => preloadGeo()).not.toThrow();
  });

  it.each(KNOWN)('places %s in %s', (ip, country, label) => {
    expect(placeOf(ip)).toEqual({ country, label });
  });

  it('places IPv4-mapped IPv6 as the IPv4 address, in every spelling', () => {
    for (const ip of [
      '::ffff:80.130.0.1',
      '::FFFF:80.130.0.1',
      '0:0:0:0:0:ffff:80.130.0.1',
      '::ffff:5082:1',
    ]) {
      expect(placeOf(ip)).toEqual({ country: 'DE', label: 'Germany' });
    }
    expect(placeOf('::ffff:153.150.0.1')?.country).toBe('JP');
  });

  it.each(NOT_PLACEABLE)('returns null for %j', (ip) => {
    expect(placeOf(ip)).toBeNull();
  });

  it('returns null for values that are not strings at run time', () => {
    for (const value of [undefined, null, 42, {}, ['80.130.0.1']]) {
      expect(placeOf(value as unknown as string)).toBeNull();
    }
  });

  it('gives a country and nothing finer', () => {
    expect(Object.keys(placeOf('80.130.0.1') ?? {}).sort()).toEqual(['country', 'label']);
  });

  it('never writes the address anywhere', () => {
    const spies = [
      vi.spyOn(console, 'log'),
      vi.spyOn(console, 'info'),
      vi.spyOn(console, 'warn'),
      vi.spyOn(console, 'error'),
      vi.spyOn(console, 'debug'),
      vi.spyOn(process.stdout, 'write'),
      vi.spyOn(process.stderr, 'write'),
    ];
    for (const ip of ['80.130.0.1', '2003::1', '10.0.0.1', 'garbage']) placeOf(ip);
    for (const spy of spies) expect(spy).not.toHaveBeenCalled();
  });

  it('never throws on any string', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.ipV6(), fc.ipV4Extended()), (s) => {
        const place = placeOf(s);
        expect(place === null || /^[A-Z]{2}$/.test(place.country)).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('answers null or a two-letter code with a name for any IPv4 and IPv6 address', () => {
    fc.assert(
      fc.property(fc.oneof(fc.ipV4(), fc.ipV6()), (ip) => {
        const place = placeOf(ip);
        if (place !== null) {
          expect(place.country).toMatch(/^[A-Z]{2}$/);
          expect(place.label.length).toBeGreaterThan(0);
        }
      }),
      { numRuns: 5000 },
    );
  });

  it('answers the same for an IPv4 address and its IPv4-mapped IPv6 form', () => {
    fc.assert(
      fc.property(fc.ipV4(), (ip) => {
        expect(placeOf(`::ffff:${ip}`)).toEqual(placeOf(ip));
      }),
      { numRuns: 2000 },
    );
  });
});
