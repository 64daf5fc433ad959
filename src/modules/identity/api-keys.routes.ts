import { Type } from '@sinclair/typebox';
import type { App } from '../../platform/http/app-types.ts';
import { NoContent } from '../../platform/http/schema-types.ts';
import type { ApiKeys } from './api-keys.service.ts';
import { staffOf } from './authentication.hook.ts';
import { ApiKeyBody, ApiKeyCreated, ApiKeyParams, ApiKeyView } from './identity.schemas.ts';

/** Service keys are managed by admins only, after a fresh authentication. */
export function registerApiKeyRoutes(app: App, deps: { apiKeys: ApiKeys }): void {
  const tags = ['admin'];
  const access = { permission: 'staff:manage', stepUp: true } as const;

  app.post('/v1/admin/api-keys', {
    config: { access },
    schema: {
      tags,
      summary: 'Create an API key for a service',
      description: 'The key is in this answer only; Bulwark keeps a digest.',
      body: ApiKeyBody,
      response: { 201: ApiKeyCreated },
    },
    handler: async (request, reply) =>
      reply.code(201).send(await deps.apiKeys.create(staffOf(request), request.body)),
  });

  app.get('/v1/admin/api-keys', {
    config: { access: { permission: 'staff:manage' } },
    schema: {
      tags,
      summary: 'API keys, without their secrets',
      response: { 200: Type.Object({ items: Type.Array(ApiKeyView) }) },
    },
    handler: async () => ({ items: await deps.apiKeys.list() }),
  });

  app.delete('/v1/admin/api-keys/:id', {
    config: { access },
    schema: { tags, summary: 'Revoke an API key', params: ApiKeyParams, response: { 204: NoContent } },
    handler: async (request, reply) => {
      await deps.apiKeys.revoke(request.params.id);
      return reply.code(204).send();
    },
  });
}
