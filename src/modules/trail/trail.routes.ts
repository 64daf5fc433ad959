import { Type } from '@sinclair/typebox';
import type { App } from '../../platform/http/app-types.ts';
import { Timestamp } from '../../platform/http/schema-types.ts';
import { staffOf } from '../identity/index.ts';
import { TRAIL_ACTIONS } from './trail.actions.ts';
import { TrailErrors } from './trail.errors.ts';
import type { Trail } from './trail.service.ts';

const MAX_PAGE = 200;
const DEFAULT_PAGE = 50;
// A scope question names a few suspects; its window is bounded so it stays an indexed range read.
const MAX_PRINCIPALS = 50;
const MAX_SCOPE_DAYS = 400;
const ActorId = Type.String({ pattern: '^(usr|key)_[0-9a-z]{26}$', description: 'A user or API key ID' });
const SubjectId = Type.String({ pattern: '^usr_[0-9a-z]{26}$', description: 'A user ID' });
const Cursor = Type.String({ pattern: '^[1-9][0-9]{0,15}$', description: 'nextCursor of the previous page' });

const EntryView = Type.Object({
  seq: Type.Integer(),
  at: Timestamp,
  actor: Type.Object({
    kind: Type.String(),
    id: Type.Union([Type.String(), Type.Null()]),
    role: Type.Union([Type.String(), Type.Null()]),
    session: Type.Union([Type.String(), Type.Null()]),
    network: Type.Union([Type.String(), Type.Null()]),
  }),
  action: Type.String(),
  target: Type.Union([Type.Object({ type: Type.String(), id: Type.String() }), Type.Null()]),
  subjects: Type.Array(Type.String()),
  fields: Type.Array(Type.String()),
  purpose: Type.Union([Type.String(), Type.Null()]),
  result: Type.String(),
  requestId: Type.Union([Type.String(), Type.Null()]),
  prevHash: Type.String(),
  hash: Type.String(),
});

const SearchQuery = Type.Object(
  {
    actor: Type.Optional(ActorId),
    subject: Type.Optional(SubjectId),
    action: Type.Optional(Type.Union(TRAIL_ACTIONS.map((action) => Type.Literal(action)))),
    from: Type.Optional(Type.String({ format: 'date-time' })),
    to: Type.Optional(Type.String({ format: 'date-time' })),
    cursor: Type.Optional(Cursor),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_PAGE, default: DEFAULT_PAGE })),
  },
  { additionalProperties: false },
);

const ScopeQuery = Type.Object(
  {
    principals: Type.String({
      pattern: '^(usr|key)_[0-9a-z]{26}(,(usr|key)_[0-9a-z]{26}){0,49}$',
      description: `Comma-separated user or API key IDs (at most ${MAX_PRINCIPALS})`,
    }),
    from: Type.String({ format: 'date-time' }),
    to: Type.String({ format: 'date-time' }),
  },
  { additionalProperties: false },
);

function window(from: string | undefined, to: string | undefined): { from?: Date; to?: Date } {
  const start = from === undefined ? undefined : new Date(from);
  const end = to === undefined ? undefined : new Date(to);
  if (start && end && start.getTime() >= end.getTime()) {
    throw TrailErrors.TRAIL_INVALID_QUERY('The window must start before it ends.', {
      errors: [{ field: 'query.to', message: 'must be after query.from' }],
    });
  }
  return { ...(start ? { from: start } : {}), ...(end ? { to: end } : {}) };
}

/** The security console's view of the trail. Reading it is itself recorded. */
export function registerTrailRoutes(app: App, trail: Trail): void {
  const tags = ['security: trail'];
  app.get('/v1/security/trail', {
    config: { access: { permission: 'security:read' } },
    schema: {
      tags,
      summary: 'Search the audit trail',
      description:
        'Newest first, by actor, subject, action and time window; pass `nextCursor` as `cursor` for the next page. The search is recorded in the trail.',
      querystring: SearchQuery,
      response: {
        200: Type.Object({ items: Type.Array(EntryView), nextCursor: Type.Union([Cursor, Type.Null()]) }),
      },
    },
    handler: async (request) => {
      const q = request.query;
      const limit = q.limit ?? DEFAULT_PAGE;
      const entries = await trail.search(
        staffOf(request),
        {
          ...(q.actor ? { actorId: q.actor } : {}),
          ...(q.subject ? { subjectId: q.subject } : {}),
          ...(q.action ? { action: q.action } : {}),
          ...window(q.from, q.to),
          ...(q.cursor ? { before: Number(q.cursor) } : {}),
          limit: limit + 1,
        },
        request,
      );
      const items = entries.slice(0, limit);
      const last = items.at(-1);
      return { items, nextCursor: entries.length > limit && last ? String(last.seq) : null };
    },
  });

  app.get('/v1/security/trail/scope', {
    config: { access: { permission: 'security:read', stepUp: true } },
    schema: {
      tags,
      summary: 'Breach scope: whose which fields these principals read',
      description:
        'Exactly which subjects’ which fields the principals were shown (staff reveals, and personal data returned to a signed-in person) in [from, to), with the trail entries as evidence. IDs and field names only.',
      querystring: ScopeQuery,
      response: {
        200: Type.Object({
          principals: Type.Array(Type.String()),
          from: Timestamp,
          to: Timestamp,
          subjects: Type.Array(
            Type.Object({
              subjectId: Type.String(),
              fields: Type.Array(Type.String()),
              evidence: Type.Array(Type.Integer()),
            }),
          ),
          entries: Type.Array(EntryView),
        }),
      },
    },
    handler: async (request) => {
      const { from, to } = window(request.query.from, request.query.to) as { from: Date; to: Date };
      if (to.getTime() - from.getTime() > MAX_SCOPE_DAYS * 86_400_000) {
        throw TrailErrors.TRAIL_WINDOW_TOO_LARGE(`A scope window spans at most ${MAX_SCOPE_DAYS} days.`, {
          errors: [{ field: 'query.to', message: `must be within ${MAX_SCOPE_DAYS} days of query.from` }],
        });
      }
      const principals = [...new Set(request.query.principals.split(','))];
      return trail.scope(staffOf(request), principals, from, to, request);
    },
  });
}
