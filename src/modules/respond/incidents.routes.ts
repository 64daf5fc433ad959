import { Type } from '@sinclair/typebox';
import type { App } from '../../platform/http/app-types.ts';
import { IdParam, NoContent, Text, Timestamp } from '../../platform/http/schema-types.ts';
import { staffOf } from '../identity/index.ts';
import { INCIDENT_SEVERITIES, INCIDENT_STATES } from './incident-states.ts';
import type { Incidents } from './incidents.service.ts';
import { ObligationView } from './notices.routes.ts';
import type { Obligation } from './notification-clocks.ts';

const MAX_PAGE = 200;
const DEFAULT_PAGE = 50;
// Sequence numbers are 32-bit: a longer cursor would reach the database as an out-of-range error.
const Cursor = Type.String({ pattern: '^[1-9][0-9]{0,8}$', description: 'nextCursor of the previous page' });
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

const Counts = Type.Record(Type.String(), Type.Integer());
const ScopeSummary = Type.Object({
  from: Timestamp,
  to: Timestamp,
  principals: Type.Array(Type.String()),
  computedAt: Timestamp,
  people: Type.Integer(),
  byField: Counts,
  byCategory: Counts,
  byCountry: Counts,
});
const PrincipalId = Type.String({ pattern: '^(usr|key)_[0-9a-z]{26}$', description: 'A user or API key ID' });

const TimelineEntry = Type.Object({
  at: Timestamp,
  kind: Type.String(),
  actorId: Type.String(),
  text: Type.String(),
  ref: Type.Union([Type.String(), Type.Null()]),
});

/** The security console's incidents: read with security:read, changed with security:contain. */
export function registerIncidentRoutes(
  app: App,
  incidents: Incidents,
  obligationsOf: (id: string) => Promise<Obligation[]>,
): void {
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
      summary: 'One incident with its timeline, its scope and who must be told by when',
      params: Params,
      response: {
        200: Type.Composite([
          IncidentView,
          Type.Object({
            scope: Type.Union([ScopeSummary, Type.Null()]),
            obligations: Type.Array(ObligationView, {
              description:
                'Per regulator: required or not, deadlines from awareness, overdue; tightest first',
            }),
            timeline: Type.Array(TimelineEntry),
          }),
        ]),
      },
    },
    handler: async (request) => ({
      ...(await incidents.get(request.params.id)),
      obligations: await obligationsOf(request.params.id),
    }),
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

  app.post('/v1/security/incidents/:id/scope', {
    config: change,
    schema: {
      tags,
      summary: 'Recompute the breach scope from the trail',
      description:
        'Which people’s which fields the suspect principals were shown in the window: counts by field, category and country. Principals given here join the incident’s. Defaults: the incident’s people and keys, from a week before awareness (or the last window’s start) until now.',
      params: Params,
      body: Type.Object(
        {
          principals: Type.Optional(Type.Array(PrincipalId, { minItems: 1, maxItems: 100 })),
          from: Type.Optional(Timestamp),
          to: Type.Optional(Timestamp),
        },
        { additionalProperties: false },
      ),
      response: { 200: ScopeSummary },
    },
    handler: async (request) => {
      const { principals, from, to } = request.body;
      return incidents.computeScope(request.params.id, staffOf(request).userId, {
        ...(principals ? { principals } : {}),
        ...(from ? { from: new Date(from) } : {}),
        ...(to ? { to: new Date(to) } : {}),
      });
    },
  });

  app.get('/v1/security/incidents/:id/subjects', {
    config: read,
    schema: {
      tags,
      summary: 'The people in the scope: IDs, field names, trail entries, country',
      description:
        'Evidence for the notices; no personal data (reveal through the customer routes, with a reason).',
      params: Params,
      response: {
        200: Type.Object({
          items: Type.Array(
            Type.Object({
              subjectId: Type.String(),
              fields: Type.Array(Type.String()),
              evidence: Type.Array(Type.Integer()),
              country: Type.Union([Type.String(), Type.Null()]),
            }),
          ),
        }),
      },
    },
    handler: async (request) => ({ items: await incidents.subjects(request.params.id) }),
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
