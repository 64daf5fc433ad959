import selfsigned from 'selfsigned';
import type { TlsMaterial } from '../../platform/tls.ts';

/**
 * A throwaway certificate for local HTTPS (`bulwark start --tls-self-signed`): made at start, kept in
 * memory only, for localhost and the loopback addresses. Never for production. Valid 397 days (the
 * longest browsers accept): a development server left running for months must not start serving an
 * expired certificate, and scanners rightly flag one that expires within weeks.
 */
export async function selfSignedCertificate(extraNames: readonly string[] = []): Promise<TlsMaterial> {
  const names = [...new Set(['localhost', ...extraNames])];
  const ips = ['127.0.0.1', '::1'];
  const made = await selfsigned.generate([{ name: 'commonName', value: 'localhost' }], {
    keyType: 'ec',
    curve: 'P-256',
    notAfterDate: new Date(Date.now() + 397 * 86_400_000),
    algorithm: 'sha256',
    extensions: [
      {
        name: 'subjectAltName',
        altNames: [
          ...names.filter((name) => !/^[\d.:]+$/.test(name)).map((value) => ({ type: 2 as const, value })),
          ...ips.map((ip) => ({ type: 7 as const, ip })),
        ],
      },
    ],
  });
  return { cert: made.cert, key: made.private };
}
