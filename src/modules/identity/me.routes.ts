import { Type } from '@sinclair/typebox';
import type { App } from '../../platform/http/app-types.ts';
import { NoContent, Timestamp } from '../../platform/http/schema-types.ts';
import type { Accounts } from './accounts.service.ts';
import { principalOf } from './authentication.hook.ts';
import { IdentityErrors } from './identity.errors.ts';
import { ProfilePatch, ProfileResponse, SessionList, SessionParams } from './identity.schemas.ts';
import type { Sessions } from './sessions.service.ts';

export function registerMeRoutes(app: App, deps: { accounts: Accounts; sessions: Sessions }): void {
  const tags = ['me'];
  const access = { principal: 'any' } as const;

  app.get('/v1/me', {
    config: { access },
    schema: { tags, summary: 'Your own profile', response: { 200: ProfileResponse } },
    handler: async (request) => {
      const profile = await deps.accounts.profile(principalOf(request).userId);
      if (!profile) throw IdentityErrors.IDENTITY_UNAUTHENTICATED('The account no longer exists.');
      return profile;
    },
  });

  app.patch('/v1/me', {
    config: { access },
    schema: { tags, summary: 'Change your profile', body: ProfilePatch, response: { 200: ProfileResponse } },
    handler: async (request) => deps.accounts.updateProfile(principalOf(request).userId, request.body),
  });

  app.get('/v1/me/sessions', {
    config: { access },
    schema: { tags, summary: 'Your live sessions and devices', response: { 200: SessionList } },
    handler: async (request) => {
      const principal = principalOf(request);
      const rows = await deps.sessions.list(principal.userId);
      return {
        items: rows.map((row) => ({
          id: row.id,
          kind: row.kind,
          userAgent: row.userAgent,
          createdAt: row.createdAt,
          lastSeenAt: row.lastSeenAt,
          expiresAt: row.refreshExpiresAt ?? row.expiresAt,
          current: row.id === principal.sessionId,
        })),
      };
    },
  });

  app.get('/v1/me/logins', {
    config: { access },
    schema: {
      tags,
      summary: 'Your recent login attempts: time, result, address and network',
      response: {
        200: Type.Object({
          items: Type.Array(
            Type.Object({
              success: Type.Boolean(),
              at: Timestamp,
              ip: Type.String(),
              network: Type.String(),
            }),
          ),
        }),
      },
    },
    handler: async (request) => ({ items: await deps.sessions.loginHistory(principalOf(request).userId) }),
  });

  app.delete('/v1/me/sessions/:id', {
    config: { access },
    schema: {
      tags,
      summary: 'Revoke one of your sessions',
      params: SessionParams,
      response: { 204: NoContent },
    },
    handler: async (request, reply) => {
      await deps.sessions.revoke(principalOf(request), request.params.id);
      return reply.code(204).send();
    },
  });
}
