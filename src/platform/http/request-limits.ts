import type { FastifyInstance } from 'fastify';
import { PlatformErrors } from '../errors.ts';

export interface RequestLimits {
  /** Deepest nesting of objects and arrays in a JSON body. */
  readonly maxDepth: number;
  /** Most values (objects, arrays, strings, numbers…) in one JSON body. */
  readonly maxNodes: number;
  /** Longest a handler may take before the caller gets a 503 (routes may ask for less or more). */
  readonly routeTimeLimitMs: number;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** This route's own time limit, in milliseconds. */
    timeLimitMs?: number;
  }
}

/**
 * Limits beyond the byte size: a 1 MiB body can still hold a million tiny values or nest ten thousand
 * levels deep, and both cost far more to validate than to send. Checked before schema validation, with
 * an explicit stack (no recursion to exhaust). And no request holds a worker forever: past its time
 * limit the caller gets a 503 problem while the handler's late answer is dropped.
 */
export function installRequestLimits(app: FastifyInstance, limits: RequestLimits): void {
  app.addHook('preValidation', async (request) => {
    const body = request.body;
    // Binary bodies (QC photos) arrive as Buffers: their bytes are not values to count.
    if (body !== null && typeof body === 'object' && !Buffer.isBuffer(body)) checkShape(body, limits);
  });
  // After validation, so a malformed path or query is named first.
  app.addHook('preHandler', async (request) => {
    refuseUnexpectedBody(request.routeOptions.schema?.body, request.body);
  });

  app.addHook('onRequest', async (request, reply) => {
    const limit = request.routeOptions.config.timeLimitMs ?? limits.routeTimeLimitMs;
    const timer = setTimeout(() => {
      if (reply.sent) return;
      const problem = PlatformErrors.PLATFORM_TIMEOUT(
        `The request took longer than ${Math.round(limit / 1000)} seconds; it may or may not have taken effect.`,
        { headers: { 'retry-after': '5' } },
      );
      void reply.send(problem);
    }, limit);
    timer.unref();
    reply.raw.once('close', () => clearTimeout(timer));
  });
}

/**
 * Deny by default: an operation that declares no body takes none. A JSON body with anything in it is
 * refused (an empty object, which some clients always send, is not), so no field is silently ignored
 * today and silently bound tomorrow.
 */
function refuseUnexpectedBody(schema: unknown, body: unknown): void {
  if (schema !== undefined || body === undefined || body === null || Buffer.isBuffer(body)) return;
  if (typeof body === 'object' && !Array.isArray(body) && Object.keys(body).length === 0) return;
  throw PlatformErrors.PLATFORM_VALIDATION_FAILED('This operation takes no body.', {
    errors: [{ field: 'body', message: 'must be empty: this operation takes no body' }],
  });
}

function checkShape(body: object, limits: RequestLimits): void {
  const stack: { value: unknown; depth: number }[] = [{ value: body, depth: 1 }];
  let nodes = 0;
  while (stack.length > 0) {
    const { value, depth } = stack.pop() as { value: unknown; depth: number };
    nodes += 1;
    if (nodes > limits.maxNodes) {
      throw PlatformErrors.PLATFORM_BODY_TOO_COMPLEX(`The body holds more than ${limits.maxNodes} values.`);
    }
    if (value === null || typeof value !== 'object') continue;
    if (depth > limits.maxDepth) {
      throw PlatformErrors.PLATFORM_BODY_TOO_COMPLEX(`The body nests deeper than ${limits.maxDepth} levels.`);
    }
    for (const child of Array.isArray(value) ? value : Object.values(value)) {
      stack.push({ value: child, depth: depth + 1 });
    }
  }
}
