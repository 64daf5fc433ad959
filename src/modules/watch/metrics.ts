import { Counter, Histogram, Registry } from 'prom-client';

/**
 * Every metric Bulwark serves at /metrics, in a registry of this container's own (prom-client), so two
 * servers in one process never mix their numbers. Labels are route templates and fixed names, never raw
 * URLs or user input, so the number of series stays bounded.
 */
const SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export function createMetrics() {
  const registry = new Registry();
  const registers = [registry];
  const metrics = {
    requests: new Counter({
      name: 'bulwark_http_requests_total',
      help: 'HTTP requests by method, route and status',
      labelNames: ['method', 'route', 'status'] as const,
      registers,
    }),
    latency: new Histogram({
      name: 'bulwark_http_request_duration_seconds',
      help: 'HTTP request latency by method and route',
      labelNames: ['method', 'route'] as const,
      buckets: SECONDS,
      registers,
    }),
    loginFailures: new Counter({
      name: 'bulwark_login_failures_total',
      help: 'Failed logins (wrong password or unknown address)',
      registers,
    }),
    limiterHits: new Counter({
      name: 'bulwark_rate_limit_refusals_total',
      help: 'Requests refused by a rate limit, by layer',
      labelNames: ['layer'] as const,
      registers,
    }),
    reveals: new Counter({
      name: 'bulwark_pii_reveals_total',
      help: 'Personal-data reveals by the revealing role',
      labelNames: ['role'] as const,
      registers,
    }),
    budgetRefusals: new Counter({
      name: 'bulwark_pii_budget_refusals_total',
      help: 'Reveals refused at the budget, by role',
      labelNames: ['role'] as const,
      registers,
    }),
    alerts: new Counter({
      name: 'bulwark_watch_alerts_total',
      help: 'Alerts raised (or grouped) by rule and severity',
      labelNames: ['rule', 'severity'] as const,
      registers,
    }),
    containments: new Counter({
      name: 'bulwark_watch_containments_total',
      help: 'Containment actions applied, by kind',
      labelNames: ['kind'] as const,
      registers,
    }),
    events: new Counter({
      name: 'bulwark_watch_events_total',
      help: 'Events evaluated by the detection rules',
      registers,
    }),
    detectionLatency: new Histogram({
      name: 'bulwark_watch_detection_latency_seconds',
      help: 'From the event that completed the evidence to the stored alert and its containment',
      buckets: SECONDS,
      registers,
    }),
  };
  return {
    ...metrics,
    contentType: registry.contentType,
    render: (): Promise<string> => registry.metrics(),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
