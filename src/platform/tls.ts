import fs from 'node:fs';
import type { SecureServerOptions } from 'node:http2';
import type { Config } from '../config/index.ts';

export interface TlsMaterial {
  readonly cert: string;
  readonly key: string;
}

/**
 * TLS 1.2 at least, 1.3 preferred; for 1.2 only forward-secret AEAD suites (ECDHE with AES-GCM or
 * ChaCha20-Poly1305), the server's order first. TLS 1.3 suites are all modern and left at Node's default.
 */
const TLS12_CIPHERS = [
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-CHACHA20-POLY1305',
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
].join(':');

export function tlsServerOptions(material: TlsMaterial): SecureServerOptions {
  return {
    cert: material.cert,
    key: material.key,
    minVersion: 'TLSv1.2',
    ciphers: `TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256:${TLS12_CIPHERS}`,
    honorCipherOrder: true,
    ecdhCurve: 'X25519:P-256:P-384',
  };
}

/** The configured certificate and key (PEM files), or null when TLS is off. */
export function configuredTls(config: Config): TlsMaterial | null {
  if (!config.tlsCertFile || !config.tlsKeyFile) return null;
  return {
    cert: fs.readFileSync(config.tlsCertFile, 'utf8'),
    key: fs.readFileSync(config.tlsKeyFile, 'utf8'),
  };
}
