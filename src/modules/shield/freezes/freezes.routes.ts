import { Type } from '@sinclair/typebox';
import type { App } from '../../../platform/http/app-types.ts';
import { NoContent, Text, Timestamp } from '../../../platform/http/schema-types.ts';
import { staffOf } from '../../identity/index.ts';
import { ShieldErrors } from '../shield.errors.ts';
import type { Freezes } from './freezes.service.ts';

const Mode = Type.Union([Type.Literal('read_only'), Type.Literal('off')]);
const Prefix = Type.String({
  pattern: '^/v1(/[a-z0-9-]+){1,4}$',
  maxLength: 100,
  description: 'An API path prefix, e.g. /v1/orders',
});
const FreezeView = Type.Object({
  prefix: Type.String(),
  mode: Mode,
  reason: Type.String(),
  frozenBy: Type.String(),
  frozenAt: Timestamp,
});

/** The kill switch's route freezes: security staff list, set and lift them (setting and lifting with step-up). */
export function registerFreezeRoutes(app: App, freezes: Freezes): void {
  const tags = ['security: incidents'];
  const change = { access: { permission: 'security:contain', stepUp: true } } as const;

  app.get('/v1/security/freezes', {
    config: { access: { permission: 'security:read' } },
    schema: {
      tags,
      summary: 'Routes frozen read-only or off',
      response: { 200: Type.Object({ items: Type.Array(FreezeView) }) },
    },
    handler: async () => ({ items: await freezes.list() }),
  });

  app.post('/v1/security/freezes', {
    config: change,
    schema: {
      tags,
      summary: 'Freeze a route prefix read-only (GET only) or off; sign-in and this console stay open',
      body: Type.Object(
        { prefix: Prefix, mode: Mode, reason: Text({ minLength: 3, maxLength: 500 }) },
        { additionalProperties: false },
      ),
      response: { 201: FreezeView },
    },
    handler: async (request, reply) => {
      const { prefix, mode, reason } = request.body;
      return reply.code(201).send(await freezes.freeze(prefix, mode, reason, staffOf(request).userId));
    },
  });

  app.delete('/v1/security/freezes', {
    config: change,
    schema: {
      tags,
      summary: 'Lift the freeze of a route prefix',
      querystring: Type.Object({ prefix: Prefix }, { additionalProperties: false }),
      response: { 204: NoContent },
    },
    handler: async (request, reply) => {
      if (!(await freezes.lift(request.query.prefix))) {
        throw ShieldErrors.SHIELD_FREEZE_NOT_FOUND('That prefix is not frozen.');
      }
      return reply.code(204).send();
    },
  });
}
