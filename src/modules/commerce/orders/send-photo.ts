import type { FastifyReply } from 'fastify';

const EXTENSIONS: Record<string, string> = { 'image/jpeg': 'jpg', 'image/png': 'png', 'image/webp': 'webp' };

/** Serves stored photo bytes with the sniffed type, inline, under a sandbox CSP so nothing in them runs. */
export function sendPhoto(reply: FastifyReply, photo: { id: string; contentType: string; bytes: Buffer }) {
  return reply
    .header('content-type', photo.contentType)
    .header('content-disposition', `inline; filename="${photo.id}.${EXTENSIONS[photo.contentType] ?? 'bin'}"`)
    .header('content-security-policy', "default-src 'none'; sandbox")
    .header('cache-control', 'private, no-store')
    .send(photo.bytes);
}
