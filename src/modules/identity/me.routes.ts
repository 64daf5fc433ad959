import { Type } from '@sinclair/typebox';
import type { Clock } from '../../platform/clock.ts';
import type { AnyDb } from '../../platform/db/index.ts';
import type { App } from '../../platform/http/app-types.ts';
import { NoContent, Timestamp } from '../../platform/http/schema-types.ts';
import type { Accounts } from './accounts.service.ts';
import { personOf } from './authentication.hook.ts';
import type { EmailChange } from './email-change.service.ts';
import { IdentityErrors } from './identity.errors.ts';
import {
  Accepted,
  EmailBody,
  PasswordChangeBody,
  ProfilePatch,
  ProfileResponse,
  SessionList,
  SessionParams,
} from './identity.schemas.ts';
import type { Locate } from './login.service.ts';
import type { LoginHistory } from './login-history.ts';
import type { Messenger } from './messenger.ts';
import type { Recovery } from './recovery.service.ts';
import type { Sessions } from './sessions.service.ts';

export interface MeRoutesDeps {
  readonly db: AnyDb;
  readonly clock: Clock;
  readonly accounts: Accounts;
  readonly sessions: Sessions;
  readonly history: LoginHistory;
  readonly recovery: Recovery;
  readonly emailChange: EmailChange;
  readonly messenger: Messenger;
  readonly locate: Locate;
}

const countryName = new Intl.DisplayNames(['en'], { type: 'region' });
const placeName = (country: string | null) => (country ? (countryName.of(country) ?? country) : null);

export function registerMeRoutes(app: App, deps: MeRoutesDeps): void {
  const tags = ['me'];
  const access = { principal: 'any' } as const;

  app.get('/v1/me', {
    config: { access: { principal: 'any', enrolment: true } },
    schema: { tags, summary: 'Your own profile', response: { 200: ProfileResponse } },
    handler: async (request) => {
      const profile = await deps.accounts.profile(personOf(request).userId);
      if (!profile) throw IdentityErrors.IDENTITY_UNAUTHENTICATED('The account no longer exists.');
      return profile;
    },
  });

  app.patch('/v1/me', {
    config: { access },
    schema: { tags, summary: 'Change your profile', body: ProfilePatch, response: { 200: ProfileResponse } },
    handler: async (request) => {
      const userId = personOf(request).userId;
      const profile = await deps.accounts.updateProfile(userId, request.body);
      if (request.body.phone !== undefined) {
        const notice = {
          template: 'security_change',
          change: 'phone_changed',
          at: deps.clock.now(),
        } as const;
        await deps.messenger.send(deps.db, { userId }, notice);
      }
      return profile;
    },
  });

  app.post('/v1/me/password', {
    config: { access: { principal: 'any', stepUp: true } },
    schema: {
      tags,
      summary: 'Change your password',
      description: 'Needs a recent authentication and the current password; ends your other sessions.',
      body: PasswordChangeBody,
      response: { 204: NoContent },
    },
    handler: async (request, reply) => {
      await deps.recovery.changePassword(
        personOf(request),
        request.body.currentPassword,
        request.body.newPassword,
      );
      return reply.code(204).send();
    },
  });

  app.post('/v1/me/email', {
    config: { access: { principal: 'any', stepUp: true } },
    schema: {
      tags,
      summary: 'Move your account to another e-mail address',
      description:
        'Both the current and the new address receive a link; the change happens when both are followed.',
      body: EmailBody,
      response: { 202: Accepted },
    },
    handler: async (request, reply) => {
      const { expiresAt } = await deps.emailChange.request(personOf(request), request.body.email);
      return reply.code(202).send({
        status: 'accepted',
        message: `Follow the links sent to both addresses before ${expiresAt.toISOString()}.`,
      });
    },
  });

  app.get('/v1/me/sessions', {
    config: { access },
    schema: { tags, summary: 'Your live sessions and devices', response: { 200: SessionList } },
    handler: async (request) => {
      const principal = personOf(request);
      const rows = await deps.sessions.list(principal.userId);
      return {
        items: rows.map((row) => ({
          id: row.id,
          kind: row.kind,
          device: row.device,
          place: placeName(row.country),
          network: row.network,
          userAgent: row.userAgent,
          createdAt: row.createdAt,
          lastSeenAt: row.lastSeenAt,
          expiresAt: row.refreshExpiresAt ?? row.expiresAt,
          current: row.id === principal.sessionId,
        })),
      };
    },
  });

  app.post('/v1/me/sessions/revoke-others', {
    config: { access },
    schema: {
      tags,
      summary: 'End every session but this one',
      response: { 200: Type.Object({ revoked: Type.Integer() }) },
    },
    handler: async (request) => ({ revoked: await deps.sessions.revokeOthers(personOf(request)) }),
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
      await deps.sessions.revoke(personOf(request), request.params.id);
      return reply.code(204).send();
    },
  });

  app.get('/v1/me/logins', {
    config: { access },
    schema: {
      tags,
      summary: 'Your recent login attempts: time, result, device, address and place',
      response: {
        200: Type.Object({
          items: Type.Array(
            Type.Object({
              success: Type.Boolean(),
              method: Type.String(),
              outcome: Type.String(),
              at: Timestamp,
              ip: Type.String(),
              network: Type.String(),
              device: Type.String(),
              place: Type.Union([Type.String(), Type.Null()]),
            }),
          ),
        }),
      },
    },
    handler: async (request) => {
      const rows = await deps.history.list(personOf(request).userId);
      return { items: rows.map((row) => ({ ...row, place: placeName(row.country) })) };
    },
  });
}
