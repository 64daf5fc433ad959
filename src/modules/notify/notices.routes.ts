import { Type } from '@sinclair/typebox';
import type { App } from '../../platform/http/app-types.ts';
import { loadPage, PageQuery, pageSchema } from '../../platform/http/pagination.ts';
import { IdParam, NoContent, Timestamp } from '../../platform/http/schema-types.ts';
import { personOf } from '../identity/index.ts';
import type { Notices } from './notices.service.ts';

const NoticeResponse = Type.Object({
  id: Type.String(),
  template: Type.String({ description: 'What the notice is about, e.g. login_alert or security_change' }),
  title: Type.String(),
  text: Type.String({ description: 'Plain text; never a link that carries a secret' }),
  createdAt: Timestamp,
  readAt: Type.Union([Timestamp, Type.Null()]),
});

const NoticeParams = Type.Object({ id: IdParam('notice') }, { additionalProperties: false });

/** The in-app inbox: every account's own notices (security changes, new sign-ins, reset requests). */
export function registerNoticeRoutes(app: App, notices: Notices): void {
  const tags = ['me'];
  const config = { access: { principal: 'any' } } as const;

  app.get('/v1/me/notices', {
    config,
    schema: {
      tags,
      summary: 'Your notices, newest first',
      querystring: PageQuery,
      response: { 200: pageSchema(NoticeResponse) },
    },
    handler: async (request) =>
      loadPage(request.query, (page) => notices.list(personOf(request).userId, page)),
  });

  app.post('/v1/me/notices/:id/read', {
    config,
    schema: {
      tags,
      summary: 'Mark one of your notices read',
      params: NoticeParams,
      response: { 204: NoContent },
    },
    handler: async (request, reply) => {
      await notices.markRead(personOf(request).userId, request.params.id);
      return reply.code(204).send();
    },
  });
}
