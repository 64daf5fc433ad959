import net from 'node:net';

/**
 * The network an address belongs to: /24 for IPv4, /48 for IPv6. Coarse enough that it does not point
 * at a household, fine enough for detection and analytics. Rate limits pass 64: one subscriber's IPv6 block.
 */
export function networkOf(ip: string, ipv6Prefix: 48 | 64 = 48): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip)?.[1];
  const address = mapped ?? ip;
  if (net.isIPv4(address)) return `${address.split('.').slice(0, 3).join('.')}.0/24`;
  if (net.isIPv6(address)) {
    const [head = '', tail = ''] = address.split('::');
    const left = head ? head.split(':') : [];
    const right = tail ? tail.split(':') : [];
    const groups = address.includes('::')
      ? [...left, ...Array(8 - left.length - right.length).fill('0'), ...right]
      : left;
    return `${groups
      .slice(0, ipv6Prefix / 16)
      .map((g) => Number.parseInt(g || '0', 16).toString(16))
      .join(':')}::/${ipv6Prefix}`;
  }
  return 'unknown';
}
