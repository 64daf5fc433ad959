import { Type } from '@sinclair/typebox';
import type { App } from '../../platform/http/app-types.ts';
import { IdParam, Text, Timestamp } from '../../platform/http/schema-types.ts';
import { staffOf } from '../identity/index.ts';
import type { Playbooks } from './playbooks.service.ts';

const Slug = (description: string) => Type.String({ pattern: '^[a-z][a-z0-9-]{1,40}$', description });
const Nullable = <T extends ReturnType<typeof Type.String>>(schema: T) => Type.Union([schema, Type.Null()]);

const StepDefinition = Type.Object({
  id: Type.String(),
  title: Type.String(),
  guidance: Type.String(),
  action: Type.Optional(Type.String()),
  drill: Type.Optional(Type.String({ description: 'The `bulwark drill` scenario that exercises this step' })),
});
const PlaybookDefinition = Type.Object({
  id: Type.String(),
  title: Type.String(),
  suggestedBy: Type.Array(Type.String()),
  steps: Type.Array(StepDefinition),
});
const StepView = Type.Object({
  id: Type.String(),
  title: Type.String(),
  guidance: Type.String(),
  action: Nullable(Type.String()),
  drill: Nullable(Type.String()),
  status: Type.Union(['pending', 'running', 'done', 'skipped', 'failed'].map((s) => Type.Literal(s))),
  actorId: Nullable(Type.String()),
  at: Type.Union([Timestamp, Type.Null()]),
  outcome: Nullable(Type.String()),
});
const RunView = Type.Object({ playbook: Type.String(), title: Type.String(), steps: Type.Array(StepView) });
const Params = Type.Object({ id: IdParam('incident') }, { additionalProperties: false });

/** Playbooks: their definitions, started on incidents, each step run or marked with who and when. */
export function registerPlaybookRoutes(app: App, playbooks: Playbooks): void {
  const tags = ['security: incidents'];
  const read = { access: { permission: 'security:read' } } as const;

  app.get('/v1/security/playbooks', {
    config: read,
    schema: {
      tags,
      summary: 'Every playbook with its steps and automated actions',
      response: { 200: Type.Object({ items: Type.Array(PlaybookDefinition) }) },
    },
    handler: async () => ({
      items: playbooks.definitions().map((p) => ({
        ...p,
        suggestedBy: [...p.suggestedBy],
        steps: p.steps.map((step) => ({ ...step })),
      })),
    }),
  });

  app.get('/v1/security/incidents/:id/playbooks', {
    config: read,
    schema: {
      tags,
      summary: "The playbooks started on an incident, with each step's outcome",
      params: Params,
      response: { 200: Type.Object({ items: Type.Array(RunView) }) },
    },
    handler: async (request) => ({ items: await playbooks.runs(request.params.id) }),
  });

  app.post('/v1/security/incidents/:id/playbooks', {
    config: { access: { permission: 'security:contain' } },
    schema: {
      tags,
      summary: 'Start a playbook on an incident (again: no change)',
      params: Params,
      body: Type.Object(
        { playbook: Slug('A playbook ID from GET /v1/security/playbooks') },
        { additionalProperties: false },
      ),
      response: { 201: RunView },
    },
    handler: async (request, reply) =>
      reply
        .code(201)
        .send(await playbooks.start(request.params.id, request.body.playbook, staffOf(request).userId)),
  });

  app.post('/v1/security/incidents/:id/playbooks/:playbook/steps/:step', {
    config: { access: { permission: 'security:contain', stepUp: true } },
    schema: {
      tags,
      summary: 'Run a step (its action runs in the background), or mark a manual step done, or skip one',
      description:
        'Kill-switch actions (revoke every session, force every password reset, freeze routes) spare the person acting. freeze_routes needs routes.',
      params: Type.Object(
        { id: IdParam('incident'), playbook: Slug('Playbook ID'), step: Slug('Step ID') },
        { additionalProperties: false },
      ),
      body: Type.Object(
        {
          outcome: Type.Union([Type.Literal('run'), Type.Literal('done'), Type.Literal('skipped')]),
          note: Type.Optional(Text({ minLength: 3, maxLength: 2_000 })),
          routes: Type.Optional(
            Type.Array(
              Type.Object(
                {
                  prefix: Type.String({ pattern: '^/v1(/[a-z0-9-]+){1,4}$', maxLength: 100 }),
                  mode: Type.Union([Type.Literal('read_only'), Type.Literal('off')]),
                },
                { additionalProperties: false },
              ),
              { minItems: 1, maxItems: 20 },
            ),
          ),
        },
        { additionalProperties: false },
      ),
      response: { 202: StepView },
    },
    handler: async (request, reply) => {
      const { outcome, note, routes } = request.body;
      const { id, playbook, step } = request.params;
      const staff = staffOf(request);
      const actor = { userId: staff.userId, sessionId: staff.sessionId };
      const view =
        outcome === 'run'
          ? await playbooks.act(id, playbook, step, actor, {
              outcome,
              ...(note ? { note } : {}),
              ...(routes ? { routes } : {}),
            })
          : await playbooks.act(id, playbook, step, actor, { outcome, note: note ?? '' });
      return reply.code(202).send(view);
    },
  });
}
