import { Type } from '@sinclair/typebox';
import type { App } from '../../../platform/http/app-types.ts';
import { NoContent } from '../../../platform/http/schema-types.ts';
import { shopperOf } from '../../identity/index.ts';
import type { DataRights } from './data-rights.service.ts';

export function registerDataRightsRoutes(app: App, rights: DataRights): void {
  const config = { access: { principal: 'shopper' } } as const;
  const tags = ['me'];

  app.get('/v1/me/export', {
    config,
    schema: {
      tags,
      summary: 'Everything Bulwark holds about you, as JSON',
      response: { 200: Type.Object({}, { additionalProperties: true }) },
    },
    handler: async (request, reply) => {
      reply.header('content-disposition', 'attachment; filename="bulwark-export.json"');
      // Serialized here, not by the schema: the export is the whole record, whatever its shape.
      return reply.type('application/json').send(JSON.stringify(await rights.export(shopperOf(request))));
    },
  });

  app.delete('/v1/me', {
    config,
    schema: {
      tags,
      summary: 'Delete your account: your personal data becomes unreadable everywhere, backups included',
      body: Type.Object(
        { password: Type.String({ minLength: 1, maxLength: 1024 }) },
        { additionalProperties: false },
      ),
      response: { 204: NoContent },
    },
    handler: async (request, reply) => {
      await rights.erase(shopperOf(request), request.body.password);
      return reply.code(204).send();
    },
  });
}
