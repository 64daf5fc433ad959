/**
 * Respond (DESIGN §6): incidents opened by high-severity alerts or by security staff, moved through the
 * NIST SP 800-61 phases with a timeline of alerts, containments, state changes, owners and notes.
 */
import type { EventBus } from '../../platform/events.ts';
import type { App } from '../../platform/http/app-types.ts';
import { registerIncidentRoutes } from './incidents.routes.ts';
import { createIncidents, type Incidents, type IncidentsDeps } from './incidents.service.ts';
import { registerNoticeRoutes } from './notices.routes.ts';
import { createNotices, type Notices, type NoticesDeps } from './notices.service.ts';
import { registerPlaybookRoutes } from './playbooks.routes.ts';
import { createPlaybooks, type PlaybookActions, type Playbooks } from './playbooks.service.ts';

export {
  INCIDENT_SEVERITIES,
  INCIDENT_STATES,
  type IncidentSeverity,
  type IncidentState,
} from './incident-states.ts';
export type { AlertFacts, IncidentView, TimelineEntry } from './incidents.service.ts';
export type { NoticeView } from './notices.service.ts';
export type { Obligation } from './notification-clocks.ts';
export { JURISDICTIONS } from './notification-rules.ts';
export type { PlaybookActions } from './playbooks.service.ts';
export { PLAYBOOKS } from './playbooks.ts';
export type { RegulatorReport } from './regulator-report.ts';
export { RespondErrors } from './respond.errors.ts';
export type { RespondTables } from './respond.tables.ts';

export interface Respond {
  readonly incidents: Incidents;
  readonly notices: Notices;
  readonly playbooks: Playbooks;
  registerRoutes(app: App): void;
  /** Puts approved notices in the outbox now and every 30 s (finishing what a stopped node left). */
  start(): void;
  /** Waits for candidates already announced to be filed (tests, shutdown). */
  settled(): Promise<void>;
  stop(): Promise<void>;
}

/** Files every incident candidate detection announces (high and critical alerts). */
export function createRespond(
  deps: IncidentsDeps &
    Omit<NoticesDeps, 'db' | 'clock'> & {
      events: EventBus;
      /** The other modules' actions playbooks run (respond's own, scope and notices, are added here). */
      actions: Omit<PlaybookActions, 'computeScope' | 'draftNotices'>;
      log?: (message: string) => void;
    },
): Respond {
  const incidents = createIncidents(deps);
  const notices = createNotices(deps);
  const pending = new Set<Promise<unknown>>();
  let timer: NodeJS.Timeout | null = null;
  // A background job's failure is logged, never left to crash the process as an unhandled rejection.
  const track = (job: Promise<unknown>) => {
    const tracked: Promise<unknown> = job
      .catch((error: unknown) => deps.log?.(`respond: a background job failed: ${String(error)}`))
      .finally(() => pending.delete(tracked));
    pending.add(tracked);
  };
  const playbooks = createPlaybooks({
    db: deps.db,
    clock: deps.clock,
    track,
    actions: {
      ...deps.actions,
      computeScope: (incidentId, actorId) => incidents.computeScope(incidentId, actorId),
      draftNotices: (incidentId, actorId) => notices.draft(incidentId, actorId),
    },
  });
  // One dispatch at a time on this node; other nodes share the work through `skip locked`.
  let dispatching: Promise<unknown> = Promise.resolve();
  const dispatch = () => {
    dispatching = dispatching
      .then(() => notices.dispatch())
      .catch((error: unknown) => deps.log?.(`respond could not queue notices: ${String(error)}`));
    track(dispatching);
  };
  const unsubscribe = deps.events.on('watch.incident_candidate', (event) => {
    track(
      incidents
        .fromAlert(event.alertId)
        .catch((error: unknown) =>
          deps.log?.(`respond could not file alert ${event.alertId}: ${String(error)}`),
        ),
    );
  });
  return {
    incidents,
    notices,
    playbooks,
    registerRoutes: (app) => {
      registerIncidentRoutes(app, incidents, (id) => notices.obligations(id));
      registerNoticeRoutes(app, notices, dispatch);
      registerPlaybookRoutes(app, playbooks);
    },
    start() {
      if (timer) return;
      dispatch();
      timer = setInterval(dispatch, 30_000);
      timer.unref();
    },
    async settled() {
      while (pending.size > 0) await Promise.allSettled([...pending]);
    },
    async stop() {
      if (timer) clearInterval(timer);
      timer = null;
      unsubscribe();
      await this.settled();
    },
  };
}
