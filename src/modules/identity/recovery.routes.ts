import { Type } from '@sinclair/typebox';
import type { App } from '../../platform/http/app-types.ts';
import { NoContent } from '../../platform/http/schema-types.ts';
import { clientOf } from './auth.routes.ts';
import type { EmailChange } from './email-change.service.ts';
import { Accepted, EmailBody, ResetConfirmBody, TokenBody } from './identity.schemas.ts';
import type { Recovery } from './recovery.service.ts';

const RESET_ACCEPTED = {
  status: 'accepted',
  message:
    'If this address has an account, a link to set a new password is on its way; it works for 15 minutes.',
} as const;

/** The links people follow from their mailbox: not logged in, so public, and each link works once. */
export function registerRecoveryRoutes(
  app: App,
  deps: { recovery: Recovery; emailChange: EmailChange },
): void {
  const tags = ['auth'];
  const open = { access: { public: true } } as const;

  app.post('/v1/auth/password-reset', {
    config: open,
    schema: {
      tags,
      summary: 'Ask for a password-reset link',
      description: 'Answers the same for every address; a message is sent either way.',
      body: EmailBody,
      response: { 202: Accepted },
    },
    handler: async (request, reply) => {
      await deps.recovery.requestReset(request.body.email);
      return reply.code(202).send(RESET_ACCEPTED);
    },
  });

  app.post('/v1/auth/password-reset/confirm', {
    config: open,
    schema: {
      tags,
      summary: 'Set a new password with a reset link',
      description: 'Ends every session of the account.',
      body: ResetConfirmBody,
      response: { 204: NoContent },
    },
    handler: async (request, reply) => {
      await deps.recovery.confirmReset(clientOf(request), request.body.token, request.body.password);
      return reply.code(204).send();
    },
  });

  app.post('/v1/auth/not-me', {
    config: open,
    schema: {
      tags,
      summary: '"This wasn\'t me": from a new-device alert',
      description: 'Ends every session, requires a new password, and sends a reset link.',
      body: TokenBody,
      response: { 204: NoContent },
    },
    handler: async (request, reply) => {
      await deps.recovery.notMe(clientOf(request), request.body.token);
      return reply.code(204).send();
    },
  });

  app.post('/v1/auth/email-change/confirm', {
    config: open,
    schema: {
      tags,
      summary: 'Confirm an e-mail change from either address',
      description: 'The change happens once both the current and the new address have confirmed.',
      body: TokenBody,
      response: { 200: Type.Object({ completed: Type.Boolean() }) },
    },
    handler: async (request) => deps.emailChange.confirm(clientOf(request), request.body.token),
  });
}
