import { Type } from '@sinclair/typebox';
import type { App } from '../../platform/http/app-types.ts';
import { Timestamp } from '../../platform/http/schema-types.ts';
import { idPattern } from '../../platform/ids.ts';
import { staffOf } from '../identity/index.ts';
import { WatchErrors } from './watch.errors.ts';
import type { metricsGate } from './watch.hooks.ts';
import { containmentView, type Watch } from './watch.service.ts';

const MAX_PAGE = 200;
const DEFAULT_PAGE = 50;
const Cursor = Type.String({ pattern: '^[1-9][0-9]{0,15}$', description: 'nextCursor of the previous page' });

const ContainmentView = Type.Object({
  id: Type.String(),
  alertId: Type.Union([Type.String(), Type.Null()]),
  kind: Type.String(),
  target: Type.Object({ type: Type.String(), id: Type.String() }),
  reason: Type.String(),
  appliedAt: Timestamp,
  until: Type.Union([Timestamp, Type.Null()]),
  liftedAt: Type.Union([Timestamp, Type.Null()]),
  liftedBy: Type.Union([Type.String(), Type.Null()]),
});

const EvidenceValue = Type.Union([Type.String(), Type.Number(), Type.Boolean()]);

const AlertView = Type.Object({
  id: Type.String(),
  rule: Type.String(),
  severity: Type.String(),
  summary: Type.String(),
  evidence: Type.Record(Type.String(), EvidenceValue),
  principals: Type.Array(Type.String()),
  networks: Type.Array(Type.String()),
  count: Type.Integer(),
  firstSeenAt: Timestamp,
  lastSeenAt: Timestamp,
  containments: Type.Array(ContainmentView),
});

/** The security console's alerts and containments, and /metrics for the monitoring system. */
export function registerWatchRoutes(app: App, watch: Watch, gate: ReturnType<typeof metricsGate>): void {
  const tags = ['security: alerts'];
  app.get('/v1/security/alerts', {
    config: { access: { permission: 'security:read' } },
    schema: {
      tags,
      summary: 'Alerts raised by detection, newest first',
      description:
        'One alert per rule and group (a network, a principal, a session); `count` says how often it fired. Each lists the containments applied. Pass `nextCursor` as `cursor` for the next page.',
      querystring: Type.Object(
        {
          cursor: Type.Optional(Cursor),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_PAGE, default: DEFAULT_PAGE })),
        },
        { additionalProperties: false },
      ),
      response: {
        200: Type.Object({ items: Type.Array(AlertView), nextCursor: Type.Union([Cursor, Type.Null()]) }),
      },
    },
    handler: async (request) => {
      const { cursor, limit } = request.query;
      const page = await watch.alerts({
        limit: limit ?? DEFAULT_PAGE,
        ...(cursor ? { before: Number(cursor) } : {}),
      });
      return { items: page.items, nextCursor: page.next === null ? null : String(page.next) };
    },
  });

  app.get('/v1/security/containments', {
    config: { access: { permission: 'security:read' } },
    schema: {
      tags,
      summary: 'Containments applied by detection (live ones unless `all`)',
      querystring: Type.Object({ all: Type.Optional(Type.Boolean()) }, { additionalProperties: false }),
      response: { 200: Type.Object({ items: Type.Array(ContainmentView) }) },
    },
    handler: async (request) => {
      const rows = await watch.containment.list({ live: request.query.all !== true, limit: 500 });
      return { items: rows.map(containmentView) };
    },
  });

  app.post('/v1/security/containments/:id/lift', {
    config: { access: { permission: 'security:contain', stepUp: true } },
    schema: {
      tags,
      summary: 'Lift a containment',
      description:
        'Clears a network mark or block, or unlocks an account; revoked sessions and keys stay revoked. Recorded in the trail with the note. Lifting twice is harmless.',
      params: Type.Object(
        { id: Type.String({ pattern: idPattern('containment') }) },
        { additionalProperties: false },
      ),
      body: Type.Object(
        { note: Type.String({ minLength: 3, maxLength: 500 }) },
        { additionalProperties: false },
      ),
      response: { 200: ContainmentView },
    },
    handler: async (request) => {
      const row = await watch.containment.lift(request.params.id, staffOf(request), request.body.note);
      return containmentView(row);
    },
  });

  app.get('/metrics', {
    config: { access: { public: true } },
    schema: {
      tags: ['operations'],
      summary: 'Prometheus metrics (bearer token or allowed address)',
      description:
        'Prometheus text format. Open to the BULWARK_METRICS_TOKEN bearer token or an address in BULWARK_METRICS_ALLOW; 404 when neither is configured.',
    },
    handler: async (request, reply) => {
      const decision = gate(request);
      if (decision === 'absent') return reply.callNotFound();
      if (decision === 'forbidden') throw WatchErrors.WATCH_METRICS_FORBIDDEN('Metrics are not open to you.');
      return reply.type(watch.metrics.contentType).send(await watch.metrics.render());
    },
  });
}
