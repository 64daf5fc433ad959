import type { Clock } from '../../platform/clock.ts';
import type { AnyDb } from '../../platform/db/index.ts';
import { withTransaction } from '../../platform/db/index.ts';
import type { EventBus } from '../../platform/events.ts';
import { newId } from '../../platform/ids.ts';
import {
  isPrincipalId,
  readScope,
  type ScopeDeps,
  type ScopedSubject,
  type ScopeSummary,
  scopedSubjects,
  storeScope,
} from './incident-scope.ts';
import {
  canMove,
  INCIDENT_STATES,
  type IncidentSeverity,
  type IncidentState,
  isSeverity,
  worse,
} from './incident-states.ts';
import { addToTimeline, readTimeline, type TimelineEntry } from './incident-timeline.ts';
import { RespondErrors } from './respond.errors.ts';
import type { IncidentRow, RespondDb } from './respond.tables.ts';

/** What respond needs to know about an alert (watch's view, narrowed). */
export interface AlertFacts {
  readonly id: string;
  readonly rule: string;
  readonly severity: string;
  readonly summary: string;
  readonly principals: readonly string[];
  readonly networks: readonly string[];
  readonly containments: readonly { id: string; kind: string; target: { type: string; id: string } }[];
}

export interface IncidentsDeps extends ScopeDeps {
  readonly db: AnyDb;
  readonly clock: Clock;
  readonly events: EventBus;
  /** Watch's alert by ID (null: unknown). */
  readonly alert: (alertId: string) => Promise<AlertFacts | null>;
}

export type { TimelineEntry } from './incident-timeline.ts';

export interface IncidentView {
  readonly id: string;
  readonly title: string;
  readonly severity: IncidentSeverity;
  readonly state: IncidentState;
  readonly ownerId: string | null;
  readonly openedBy: string;
  readonly awareAt: Date;
  readonly updatedAt: Date;
  readonly principals: string[];
  readonly networks: string[];
  readonly alerts: string[];
}

/** How far before awareness the scope looks by default: reads before detection are part of the breach. */
const SCOPE_LOOKBACK_MS = 7 * 24 * 3600_000;
/** Alerts about the same principals or networks within this long join the open incident. */
const JOIN_WINDOW_MS = 24 * 3600_000;
const WATCH = 'watch';

const parse = (text: string): string[] => JSON.parse(text) as string[];
const union = (a: readonly string[], b: readonly string[]) => [...new Set([...a, ...b])];

/**
 * Incidents: opened by high-severity alerts (joined to an open incident about the same principals or
 * networks, so one attack is one incident) or by security staff, moved through the lifecycle, assigned
 * and annotated, each step on the timeline with who did it and when.
 */
export function createIncidents(deps: IncidentsDeps) {
  const db = deps.db as unknown as RespondDb;

  const note = (handle: RespondDb, incidentId: string, entry: Omit<TimelineEntry, 'at'> & { at?: Date }) =>
    addToTimeline(handle, incidentId, { ...entry, at: entry.at ?? deps.clock.now() });

  /** The alerts of each incident, in one query for a whole page. */
  async function alertsOf(handle: RespondDb, incidentIds: readonly string[]): Promise<Map<string, string[]>> {
    const found = new Map<string, string[]>(incidentIds.map((id) => [id, []]));
    if (incidentIds.length === 0) return found;
    const rows = await handle
      .selectFrom('respondIncidentAlerts')
      .select(['incidentId', 'alertId'])
      .where('incidentId', 'in', [...incidentIds])
      .orderBy('alertId')
      .execute();
    for (const row of rows) found.get(row.incidentId)?.push(row.alertId);
    return found;
  }

  async function view(handle: RespondDb, row: IncidentRow): Promise<IncidentView> {
    return viewWith(row, (await alertsOf(handle, [row.id])).get(row.id) ?? []);
  }

  function viewWith(row: IncidentRow, alerts: string[]): IncidentView {
    return {
      id: row.id,
      title: row.title,
      severity: row.severity,
      state: row.state,
      ownerId: row.ownerId,
      openedBy: row.openedBy,
      awareAt: row.awareAt,
      updatedAt: row.updatedAt,
      principals: parse(row.principals),
      networks: parse(row.networks),
      alerts,
    };
  }

  async function find(handle: RespondDb, id: string, lock = false): Promise<IncidentRow> {
    const query = handle.selectFrom('respondIncidents').selectAll().where('id', '=', id);
    const row = await (lock ? query.forUpdate() : query).executeTakeFirst();
    if (!row) throw RespondErrors.RESPOND_INCIDENT_NOT_FOUND('No incident has that ID.');
    return row;
  }

  /** The open incident this alert belongs with: the newest one sharing a principal or a network. */
  async function related(handle: RespondDb, alert: AlertFacts): Promise<IncidentRow | null> {
    const since = new Date(deps.clock.now().getTime() - JOIN_WINDOW_MS);
    const open = await handle
      .selectFrom('respondIncidents')
      .selectAll()
      .where('state', '!=', 'closed')
      .where('updatedAt', '>=', since)
      .orderBy('seq', 'desc')
      .limit(200)
      .execute();
    return (
      open.find(
        (row) =>
          parse(row.principals).some((p) => alert.principals.includes(p)) ||
          parse(row.networks).some((n) => alert.networks.includes(n)),
      ) ?? null
    );
  }

  async function recordAlert(handle: RespondDb, incidentId: string, alert: AlertFacts): Promise<void> {
    await note(handle, incidentId, {
      kind: 'alert',
      actorId: WATCH,
      text: `${alert.rule} (${alert.severity}): ${alert.summary}`,
      ref: alert.id,
    });
    for (const containment of alert.containments) {
      await note(handle, incidentId, {
        kind: 'containment',
        actorId: WATCH,
        text: `${containment.kind} on ${containment.target.type} ${containment.target.id}`,
        ref: containment.id,
      });
    }
  }

  /**
   * (Re)computes the incident's scope from the trail: the suspect principals (the incident's people and
   * keys unless given) over the window (from a week before awareness until now unless given). Stored on
   * the incident, replacing the last one, with a timeline entry.
   */
  async function computeScope(
    id: string,
    actorId: string,
    change: { principals?: string[]; from?: Date; to?: Date } = {},
  ): Promise<ScopeSummary> {
    const row = await find(db, id);
    const principals = change.principals ?? parse(row.principals).filter(isPrincipalId);
    const from = change.from ?? row.scopeFrom ?? new Date(row.awareAt.getTime() - SCOPE_LOOKBACK_MS);
    const to = change.to ?? deps.clock.now();
    const summary = await storeScope(db, deps, id, { principals, from, to });
    if (change.principals) {
      await db
        .updateTable('respondIncidents')
        .set({ principals: JSON.stringify(union(parse(row.principals), change.principals)) })
        .where('id', '=', id)
        .execute();
    }
    const categories = Object.keys(summary.byCategory).sort().join(', ') || 'none';
    await note(db, id, {
      kind: 'scope',
      actorId,
      text: `${summary.people} people (${categories}) read by ${principals.join(', ') || 'nobody'} from ${from.toISOString()} to ${to.toISOString()}`,
      ref: null,
    });
    return summary;
  }

  return {
    /**
     * A high-severity alert: joins the related open incident or opens one. Idempotent: an alert already
     * in an incident changes nothing (the same candidate may come from two nodes).
     */
    async fromAlert(alertId: string): Promise<IncidentView | null> {
      const alert = await deps.alert(alertId);
      if (!alert) return null;
      const severity: IncidentSeverity = isSeverity(alert.severity) ? alert.severity : 'high';
      const now = deps.clock.now();
      const outcome = await withTransaction(db, async (trx) => {
        // Claims the alert first (its incident is filled in below, in the same transaction): a second
        // node handling the same candidate finds the claim and does nothing.
        const claimed = await trx
          .insertInto('respondIncidentAlerts')
          .values({ alertId, incidentId: '' })
          .onConflict((c) => c.column('alertId').doNothing())
          .executeTakeFirst();
        if ((claimed.numInsertedOrUpdatedRows ?? 0n) === 0n) return null;
        const joined = await related(trx, alert);
        let incidentId: string;
        if (joined) {
          incidentId = joined.id;
          await trx
            .updateTable('respondIncidents')
            .set({
              severity: worse(joined.severity, severity),
              principals: JSON.stringify(union(parse(joined.principals), alert.principals)),
              networks: JSON.stringify(union(parse(joined.networks), alert.networks)),
              updatedAt: now,
            })
            .where('id', '=', incidentId)
            .execute();
        } else {
          incidentId = newId('incident');
          await trx
            .insertInto('respondIncidents')
            .values({
              id: incidentId,
              title: alert.summary.slice(0, 200),
              severity,
              state: 'detected',
              ownerId: null,
              openedBy: WATCH,
              awareAt: now,
              updatedAt: now,
              principals: JSON.stringify([...alert.principals]),
              networks: JSON.stringify([...alert.networks]),
            })
            .execute();
          await note(trx, incidentId, {
            kind: 'opened',
            actorId: WATCH,
            text: `opened by alert ${alert.rule}`,
            ref: alert.id,
          });
        }
        await trx
          .updateTable('respondIncidentAlerts')
          .set({ incidentId })
          .where('alertId', '=', alertId)
          .execute();
        await recordAlert(trx, incidentId, alert);
        return { incidentId, opened: !joined };
      });
      if (!outcome) return null;
      await computeScope(outcome.incidentId, WATCH);
      deps.events.emit(outcome.opened ? 'respond.incident_opened' : 'respond.incident_updated', {
        incidentId: outcome.incidentId,
        alertId,
      });
      return view(db, await find(db, outcome.incidentId));
    },

    computeScope,

    /** The people in the stored scope, with their fields, evidence and country (no personal data). */
    async subjects(id: string): Promise<ScopedSubject[]> {
      await find(db, id);
      return scopedSubjects(db, id);
    },

    /** Opened by security staff: awareness is now. */
    async open(
      actorId: string,
      input: { title: string; severity: IncidentSeverity; principals?: string[]; note?: string },
    ): Promise<IncidentView> {
      const now = deps.clock.now();
      const id = newId('incident');
      await withTransaction(db, async (trx) => {
        await trx
          .insertInto('respondIncidents')
          .values({
            id,
            title: input.title,
            severity: input.severity,
            state: 'detected',
            ownerId: null,
            openedBy: actorId,
            awareAt: now,
            updatedAt: now,
            principals: JSON.stringify(input.principals ?? []),
            networks: JSON.stringify([]),
          })
          .execute();
        await note(trx, id, { kind: 'opened', actorId, text: input.note ?? 'opened by hand', ref: null });
      });
      deps.events.emit('respond.incident_opened', { incidentId: id, alertId: null });
      return view(db, await find(db, id));
    },

    async get(id: string): Promise<IncidentView & { scope: ScopeSummary | null; timeline: TimelineEntry[] }> {
      const row = await find(db, id);
      const timeline = await readTimeline(db, id);
      return { ...(await view(db, row)), scope: await readScope(db, id), timeline };
    },

    /** Newest first; `before` is the `seq` cursor of the previous page. */
    async list(options: { before?: number; limit: number; state?: IncidentState }) {
      let query = db
        .selectFrom('respondIncidents')
        .selectAll()
        .orderBy('seq', 'desc')
        .limit(options.limit + 1);
      if (options.before !== undefined) query = query.where('seq', '<', options.before);
      if (options.state) query = query.where('state', '=', options.state);
      const rows = await query.execute();
      const page = rows.slice(0, options.limit);
      const alerts = await alertsOf(
        db,
        page.map((row) => row.id),
      );
      const items = page.map((row) => viewWith(row, alerts.get(row.id) ?? []));
      const last = page[page.length - 1];
      return { items, next: rows.length > options.limit && last ? last.seq : null };
    },

    async move(id: string, actorId: string, to: IncidentState, text: string): Promise<IncidentView> {
      await withTransaction(db, async (trx) => {
        const row = await find(trx, id, true);
        if (!canMove(row.state, to)) {
          const allowed = INCIDENT_STATES.filter((state) => canMove(row.state, state));
          throw RespondErrors.RESPOND_STATE_CONFLICT(
            `The incident is ${row.state}; it can move to ${allowed.join(', ')}.`,
          );
        }
        await trx
          .updateTable('respondIncidents')
          .set({ state: to, updatedAt: deps.clock.now() })
          .where('id', '=', id)
          .execute();
        await note(trx, id, { kind: 'state', actorId, text: `${row.state} -> ${to}: ${text}`, ref: to });
      });
      return view(db, await find(db, id));
    },

    async assign(id: string, actorId: string, ownerId: string): Promise<IncidentView> {
      await withTransaction(db, async (trx) => {
        await find(trx, id, true);
        await trx
          .updateTable('respondIncidents')
          .set({ ownerId, updatedAt: deps.clock.now() })
          .where('id', '=', id)
          .execute();
        await note(trx, id, { kind: 'assigned', actorId, text: `assigned to ${ownerId}`, ref: ownerId });
      });
      return view(db, await find(db, id));
    },

    async annotate(id: string, actorId: string, text: string): Promise<void> {
      await withTransaction(db, async (trx) => {
        await find(trx, id, true);
        await trx
          .updateTable('respondIncidents')
          .set({ updatedAt: deps.clock.now() })
          .where('id', '=', id)
          .execute();
        await note(trx, id, { kind: 'note', actorId, text, ref: null });
      });
    },
  };
}

export type Incidents = ReturnType<typeof createIncidents>;
