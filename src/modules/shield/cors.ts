import cors from '@fastify/cors';
import type { FastifyInstance } from 'fastify';

/**
 * Cross-origin reads only for the origins in BULWARK_CORS_ORIGINS (none by default: the web app is
 * same-origin). Allowed origins may send credentials; every other origin gets no CORS headers at all,
 * so browsers keep its scripts away from the answers.
 */
export async function installCors(app: FastifyInstance, allowedOrigins: readonly string[]): Promise<void> {
  const allowed = new Set(allowedOrigins);
  await app.register(cors, {
    origin: (origin, callback) => callback(null, origin !== undefined && allowed.has(origin)),
    credentials: true,
    methods: ['GET', 'HEAD', 'POST', 'PATCH', 'DELETE'],
    allowedHeaders: ['content-type', 'authorization', 'x-csrf-token', 'idempotency-key', 'bulwark-challenge'],
    exposedHeaders: ['retry-after', 'ratelimit', 'ratelimit-policy', 'x-request-id', 'idempotent-replayed'],
    maxAge: 600,
    strictPreflight: true,
  });
}
