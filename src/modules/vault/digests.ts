import crypto from 'node:crypto';

/**
 * SHA-256 for integrity chains (the trail): base64url of the digest of `data`. The one-shot `crypto.hash`
 * (Node 20.12+) is about twice as fast as createHash for short inputs, which matters when verifying
 * millions of entries.
 */
export function sha256Base64url(data: string | Buffer): string {
  return crypto.hash('sha256', data, 'base64url');
}
