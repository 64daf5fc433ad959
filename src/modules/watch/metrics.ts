/**
 * A small Prometheus registry (text exposition format 0.0.4): counters and histograms with labels,
 * bounded in label combinations so a caller cannot grow it (routes are templates, never raw URLs).
 * prom-client is not a dependency; this covers what /metrics serves.
 */
const MAX_SERIES = 5_000;

type Labels = Readonly<Record<string, string>>;

function labelText(labels: Labels): string {
  const pairs = Object.entries(labels).map(
    ([name, value]) => `${name}="${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`,
  );
  return pairs.length === 0 ? '' : `{${pairs.join(',')}}`;
}

export class Counter {
  readonly #values = new Map<string, number>();
  constructor(
    readonly name: string,
    readonly help: string,
  ) {}

  inc(labels: Labels = {}, by = 1): void {
    const key = labelText(labels);
    if (!this.#values.has(key) && this.#values.size >= MAX_SERIES) return;
    this.#values.set(key, (this.#values.get(key) ?? 0) + by);
  }

  value(labels: Labels = {}): number {
    return this.#values.get(labelText(labels)) ?? 0;
  }

  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} counter`];
    for (const [key, value] of this.#values) lines.push(`${this.name}${key} ${value}`);
    return lines.join('\n');
  }
}

export class Histogram {
  readonly #series = new Map<string, { labels: Labels; buckets: number[]; sum: number; count: number }>();
  constructor(
    readonly name: string,
    readonly help: string,
    readonly bounds: readonly number[],
  ) {}

  observe(value: number, labels: Labels = {}): void {
    const key = labelText(labels);
    let series = this.#series.get(key);
    if (!series) {
      if (this.#series.size >= MAX_SERIES) return;
      series = { labels, buckets: this.bounds.map(() => 0), sum: 0, count: 0 };
      this.#series.set(key, series);
    }
    this.bounds.forEach((bound, i) => {
      if (value <= bound) (series.buckets as number[])[i] = (series.buckets[i] ?? 0) + 1;
    });
    series.sum += value;
    series.count += 1;
  }

  count(labels: Labels = {}): number {
    return this.#series.get(labelText(labels))?.count ?? 0;
  }

  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`];
    for (const { labels, buckets, sum, count } of this.#series.values()) {
      this.bounds.forEach((bound, i) => {
        lines.push(`${this.name}_bucket${labelText({ ...labels, le: String(bound) })} ${buckets[i] ?? 0}`);
      });
      lines.push(`${this.name}_bucket${labelText({ ...labels, le: '+Inf' })} ${count}`);
      lines.push(`${this.name}_sum${labelText(labels)} ${sum}`);
      lines.push(`${this.name}_count${labelText(labels)} ${count}`);
    }
    return lines.join('\n');
  }
}

const SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Every metric Bulwark serves. */
export function createMetrics() {
  const metrics = {
    requests: new Counter('bulwark_http_requests_total', 'HTTP requests by method, route and status'),
    latency: new Histogram(
      'bulwark_http_request_duration_seconds',
      'HTTP request latency by method and route',
      SECONDS,
    ),
    loginFailures: new Counter(
      'bulwark_login_failures_total',
      'Failed logins (wrong password or unknown address)',
    ),
    limiterHits: new Counter(
      'bulwark_rate_limit_refusals_total',
      'Requests refused by a rate limit, by layer',
    ),
    reveals: new Counter('bulwark_pii_reveals_total', 'Personal-data reveals by the revealing role'),
    budgetRefusals: new Counter(
      'bulwark_pii_budget_refusals_total',
      'Reveals refused at the budget, by role',
    ),
    alerts: new Counter('bulwark_watch_alerts_total', 'Alerts raised (or grouped) by rule and severity'),
    containments: new Counter('bulwark_watch_containments_total', 'Containment actions applied, by kind'),
    events: new Counter('bulwark_watch_events_total', 'Events evaluated by the detection rules'),
    detectionLatency: new Histogram(
      'bulwark_watch_detection_latency_seconds',
      'From the event that completed the evidence to the stored alert and its containment',
      SECONDS,
    ),
  };
  return {
    ...metrics,
    render(): string {
      return `${Object.values(metrics)
        .map((metric) => metric.render())
        .join('\n')}\n`;
    },
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
