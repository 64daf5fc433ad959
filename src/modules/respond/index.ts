/**
 * Respond (DESIGN §6): incidents opened by high-severity alerts or by security staff, moved through the
 * NIST SP 800-61 phases with a timeline of alerts, containments, state changes, owners and notes.
 */
import type { EventBus } from '../../platform/events.ts';
import type { App } from '../../platform/http/app-types.ts';
import { registerIncidentRoutes } from './incidents.routes.ts';
import { createIncidents, type Incidents, type IncidentsDeps } from './incidents.service.ts';

export {
  INCIDENT_SEVERITIES,
  INCIDENT_STATES,
  type IncidentSeverity,
  type IncidentState,
} from './incident-states.ts';
export type { AlertFacts, IncidentView, TimelineEntry } from './incidents.service.ts';
export { RespondErrors } from './respond.errors.ts';
export type { RespondTables } from './respond.tables.ts';

export interface Respond {
  readonly incidents: Incidents;
  registerRoutes(app: App): void;
  /** Waits for candidates already announced to be filed (tests, shutdown). */
  settled(): Promise<void>;
  stop(): Promise<void>;
}

/** Files every incident candidate detection announces (high and critical alerts). */
export function createRespond(
  deps: IncidentsDeps & { events: EventBus; log?: (message: string) => void },
): Respond {
  const incidents = createIncidents(deps);
  const pending = new Set<Promise<unknown>>();
  const unsubscribe = deps.events.on('watch.incident_candidate', (event) => {
    const job: Promise<unknown> = incidents
      .fromAlert(event.alertId)
      .catch((error: unknown) =>
        deps.log?.(`respond could not file alert ${event.alertId}: ${String(error)}`),
      )
      .finally(() => pending.delete(job));
    pending.add(job);
  });
  return {
    incidents,
    registerRoutes: (app) => registerIncidentRoutes(app, incidents),
    async settled() {
      while (pending.size > 0) await Promise.allSettled([...pending]);
    },
    async stop() {
      unsubscribe();
      await this.settled();
    },
  };
}
