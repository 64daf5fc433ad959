import { Type } from '@sinclair/typebox';
import type { AnyDb } from '../../platform/db/index.ts';
import type { App } from '../../platform/http/app-types.ts';
import { NoContent, Text } from '../../platform/http/schema-types.ts';
import type { Accounts } from './accounts.service.ts';
import { personOf } from './authentication.hook.ts';

const Phrase = Text({
  minLength: 3,
  maxLength: 64,
  description: 'Words only you know; every genuine e-mail from Bulwark shows them',
});

/**
 * The anti-phishing phrase: every genuine message shows it, so a mail without it (or with another) is
 * not from us. Reading it back is a normal profile read; changing it needs a recent authentication, so a
 * stolen session cannot set a phrase the thief's own mails would then carry.
 */
export function registerAntiPhishingRoutes(app: App, deps: { db: AnyDb; accounts: Accounts }): void {
  const tags = ['me'];

  app.get('/v1/me/anti-phishing', {
    config: { access: { principal: 'any' } },
    schema: {
      tags,
      summary: 'Your anti-phishing phrase',
      response: { 200: Type.Object({ phrase: Type.Union([Type.String(), Type.Null()]) }) },
    },
    handler: async (request) => {
      const { userId } = personOf(request);
      return { phrase: await deps.accounts.antiPhishingOf(deps.db, userId) };
    },
  });

  app.put('/v1/me/anti-phishing', {
    config: { access: { principal: 'any', stepUp: true } },
    schema: {
      tags,
      summary: 'Choose your anti-phishing phrase',
      description: 'Needs a recent authentication. Shown at the top of every e-mail Bulwark sends you.',
      body: Type.Object({ phrase: Phrase }, { additionalProperties: false }),
      response: { 204: NoContent },
    },
    handler: async (request, reply) => {
      await deps.accounts.setAntiPhishing(personOf(request).userId, request.body.phrase.trim());
      return reply.code(204).send();
    },
  });

  app.delete('/v1/me/anti-phishing', {
    config: { access: { principal: 'any', stepUp: true } },
    schema: { tags, summary: 'Remove your anti-phishing phrase', response: { 204: NoContent } },
    handler: async (request, reply) => {
      await deps.accounts.setAntiPhishing(personOf(request).userId, null);
      return reply.code(204).send();
    },
  });
}
