/**
 * Watch: live detection (DESIGN §6). Rules as data over sliding windows read the events of identity, the
 * shield, the vault and the HTTP edge (across nodes through a Redis stream); detections become grouped
 * alerts with evidence, automatic containment recorded in the trail, a webhook, and an incident-candidate
 * event. Also the Prometheus metrics.
 */
import type { App } from '../../platform/http/app-types.ts';
import { installStoppingCheck, installWatchHooks, metricsGate } from './watch.hooks.ts';
import { registerWatchRoutes } from './watch.routes.ts';
import type { Watch } from './watch.service.ts';

export { createEngine, type Detection, type Engine } from './engine.ts';
export { createMetrics, type Metrics } from './metrics.ts';
export {
  CONTAINMENT_KINDS,
  type ContainmentKind,
  type ContainmentOrder,
  type Finding,
  type Rule,
  type Severity,
  WATCH_RULES,
} from './rules.ts';
export { STREAM_KEY } from './transport.ts';
export { WatchErrors } from './watch.errors.ts';
export {
  type AlertView,
  type ContainmentView,
  createWatch,
  type Watch,
  type WatchDeps,
} from './watch.service.ts';
export type { WatchTables } from './watch.tables.ts';
export { SlidingWindows } from './windows.ts';

/** The edge hooks (blocked networks first, then what each answer tells detection); call before other hooks. */
export function installWatch(app: App, watch: Watch): void {
  installWatchHooks(app, { events: watch.events, metrics: watch.metrics, containment: watch.containment });
}

/** Refuses principals a detection is containing right now; call right after authentication is installed. */
export function installWatchAfterAuthentication(app: App, watch: Watch): void {
  installStoppingCheck(app, watch);
}

/** The security console's alert and containment routes, and /metrics. */
export function registerWatch(app: App, watch: Watch): void {
  registerWatchRoutes(app, watch, metricsGate(watch.config));
}
