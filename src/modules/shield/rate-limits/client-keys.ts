import net from 'node:net';
import { networkOf } from '../../../platform/network.ts';

/**
 * The client address as one spelling: IPv4-mapped IPv6 becomes IPv4, and IPv6 takes its canonical form,
 * so `2001:db8:0::1` and `2001:DB8::1` share a bucket instead of doubling the budget.
 */
export function addressKey(ip: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip)?.[1];
  if (mapped) return mapped;
  if (net.isIPv4(ip)) return ip;
  if (net.isIPv6(ip)) {
    try {
      return new URL(`http://[${ip}]/`).hostname.slice(1, -1);
    } catch {
      return ip.toLowerCase();
    }
  }
  return 'unknown';
}

/** The /24 (IPv4) or /64 (IPv6: what one subscriber usually holds) the address belongs to. */
export function networkKey(ip: string): string {
  return networkOf(addressKey(ip), 64);
}
