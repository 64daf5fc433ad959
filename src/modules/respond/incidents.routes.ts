import { Type } from '@sinclair/typebox';
import type { App } from '../../platform/http/app-types.ts';
import { IdParam, NoContent, Text, Timestamp } from '../../platform/http/schema-types.ts';
import { staffOf } from '../identity/index.ts';
import { INCIDENT_SEVERITIES, INCIDENT_STATES } from './incident-states.ts';
import type { Incidents } from './incidents.service.ts';

const MAX_PAGE = 200;
const DEFAULT_PAGE = 50;
const Cursor = Type.String({ pattern: '^[1-9][0-9]{0,15}$', description: 'nextCursor of the previous page' });
const literals = <T extends string>(values: readonly T[]) => Type.Union(values.map((v) => Type.Literal(v)));
const State = literals(INCIDENT_STATES);
const Severity = literals(INCIDENT_SEVERITIES);
const Params = Type.Object({ id: IdParam('incident') }, { additionalProperties: false });

const IncidentView = Type.Object({
  id: Type.String(),
  title: Type.String(),
  severity: Severity,
  state: State,
  ownerId: Type.Union([Type.String(), Type.Null()]),
  openedBy: Type.String(),
  awareAt: Timestamp,
  updatedAt: Timestamp,
  principals: Type.Array(Type.String()),
  networks: Type.Array(Type.String()),
  alerts: Type.Array(Type.String()),
});

const TimelineEntry = Type.Object({
  at: Timestamp,
  kind: Type.String(),
  actorId: Type.String(),
  text: Type.String(),
  ref: Type.Union([Type.String(), Type.Null()]),
});

/** The security console's incidents: read with security:read, changed with security:contain. */
export function registerIncidentRoutes(app: App, incidents: Incidents): void {
  const tags = ['security: incidents'];
  const read = { access: { permission: 'security:read' } } as const;
  const change = { access: { permission: 'security:contain' } } as const;

  app.get('/v1/security/incidents', {
    config: read,
    schema: {
      tags,
      summary: 'Incidents, newest first',
      querystring: Type.Object(
        {
          state: Type.Optional(State),
          cursor: Type.Optional(Cursor),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_PAGE, default: DEFAULT_PAGE })),
        },
        { additionalProperties: false },
      ),
      response: {
        200: Type.Object({ items: Type.Array(IncidentView), nextCursor: Type.Union([Cursor, Type.Null()]) }),
      },
    },
    handler: async (request) => {
      const { cursor, limit, state } = request.query;
      const page = await incidents.list({
        limit: limit ?? DEFAULT_PAGE,
        ...(cursor ? { before: Number(cursor) } : {}),
        ...(state ? { state } : {}),
      });
      return { items: page.items, nextCursor: page.next === null ? null : String(page.next) };
    },
  });

  app.get('/v1/security/incidents/:id', {
    config: read,
    schema: {
      tags,
      summary: 'One incident with its timeline',
      params: Params,
      response: { 200: Type.Composite([IncidentView, Type.Object({ timeline: Type.Array(TimelineEntry) })]) },
    },
    handler: async (request) => incidents.get(request.params.id),
  });

  app.post('/v1/security/incidents', {
    config: change,
    schema: {
      tags,
      summary: 'Open an incident by hand',
      description: 'Awareness (the start of every notification clock) is now.',
      body: Type.Object(
        {
          title: Text({ minLength: 3, maxLength: 200 }),
          severity: Severity,
          principals: Type.Optional(
            Type.Array(Type.String({ pattern: '^[a-z]{2,4}_[0-9a-z]{26}$' }), { maxItems: 100 }),
          ),
          note: Type.Optional(Text({ minLength: 1, maxLength: 2_000 })),
        },
        { additionalProperties: false },
      ),
      response: { 201: IncidentView },
    },
    handler: async (request, reply) =>
      reply.code(201).send(await incidents.open(staffOf(request).userId, request.body)),
  });

  app.post('/v1/security/incidents/:id/state', {
    config: change,
    schema: {
      tags,
      summary: 'Move an incident to another phase',
      description:
        'Forward through detected, triaged, contained, eradicated, recovered, closed; a closed one reopens to triaged.',
      params: Params,
      body: Type.Object(
        { state: State, note: Text({ minLength: 3, maxLength: 2_000 }) },
        { additionalProperties: false },
      ),
      response: { 200: IncidentView },
    },
    handler: async (request) =>
      incidents.move(request.params.id, staffOf(request).userId, request.body.state, request.body.note),
  });

  app.post('/v1/security/incidents/:id/assign', {
    config: change,
    schema: {
      tags,
      summary: 'Give an incident an owner',
      params: Params,
      body: Type.Object({ ownerId: IdParam('user') }, { additionalProperties: false }),
      response: { 200: IncidentView },
    },
    handler: async (request) =>
      incidents.assign(request.params.id, staffOf(request).userId, request.body.ownerId),
  });

  app.post('/v1/security/incidents/:id/notes', {
    config: change,
    schema: {
      tags,
      summary: 'Add a note to the timeline',
      params: Params,
      body: Type.Object({ text: Text({ minLength: 1, maxLength: 2_000 }) }, { additionalProperties: false }),
      response: { 204: NoContent },
    },
    handler: async (request, reply) => {
      await incidents.annotate(request.params.id, staffOf(request).userId, request.body.text);
      return reply.code(204).send();
    },
  });
}
