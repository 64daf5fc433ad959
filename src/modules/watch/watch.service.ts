import type { Config } from '../../config/index.ts';
import type { Clock } from '../../platform/clock.ts';
import type { AnyDb } from '../../platform/db/index.ts';
import type { AnyEvent, EventBus } from '../../platform/events.ts';
import { newId } from '../../platform/ids.ts';
import type { FetcherFactory } from '../../platform/outbound/index.ts';
import type { Messenger } from '../identity/index.ts';
import { createAlertWebhook } from './alert-webhook.ts';
import { type ContainmentDeps, createContainment } from './containment.service.ts';
import { createEngine, type Detection } from './engine.ts';
import { createMetrics } from './metrics.ts';
import { type Rule, WATCH_RULES } from './rules.ts';
import { localTransport, redisTransport, type Transport } from './transport.ts';
import type { AlertRow, ContainmentRow, WatchDb } from './watch.tables.ts';

export interface WatchDeps extends Omit<ContainmentDeps, 'onApplied'> {
  readonly config: Config;
  readonly db: AnyDb;
  readonly clock: Clock;
  readonly events: EventBus;
  readonly outbound: FetcherFactory;
  /** notify's outbox: new alerts are e-mailed to BULWARK_WATCH_ALERT_EMAIL through it. */
  readonly messenger?: Messenger;
  /** Rules to run instead of WATCH_RULES (the benchmark and tests of one rule). */
  readonly rules?: readonly Rule[];
  readonly log?: (message: string) => void;
}

/** An alert as the security console, the webhook and the e-mail show it. */
export interface AlertView {
  readonly id: string;
  readonly rule: string;
  readonly severity: string;
  readonly summary: string;
  readonly evidence: Record<string, string | number | boolean>;
  readonly principals: string[];
  readonly networks: string[];
  readonly count: number;
  readonly firstSeenAt: Date;
  readonly lastSeenAt: Date;
  readonly containments: ContainmentView[];
}

export interface ContainmentView {
  readonly id: string;
  readonly alertId: string | null;
  readonly kind: string;
  readonly target: { readonly type: string; readonly id: string };
  readonly reason: string;
  readonly appliedAt: Date;
  readonly until: Date | null;
  readonly liftedAt: Date | null;
  readonly liftedBy: string | null;
}

export const containmentView = (row: ContainmentRow): ContainmentView => ({
  id: row.id,
  alertId: row.alertId,
  kind: row.kind,
  target: { type: row.targetType, id: row.targetId },
  reason: row.reason,
  appliedAt: row.appliedAt,
  until: row.until,
  liftedAt: row.liftedAt,
  liftedBy: row.liftedBy,
});

const HIGH = new Set(['high', 'critical']);
const STOPS = new Set(['session.revoke', 'user.sessions_revoke', 'account.lock', 'api_key.revoke']);

/**
 * Detection (DESIGN §6): events from identity, the shield, the vault and the HTTP edge are evaluated by
 * the rules over sliding windows; a detection is stored as an alert (grouped by rule and group), its
 * containments are applied, and it is delivered (webhook) and announced (`watch.incident_candidate`
 * when high or critical, for incident response).
 */
export function createWatch(deps: WatchDeps) {
  const db = deps.db as unknown as WatchDb;
  const log = deps.log ?? (() => {});
  const metrics = createMetrics();
  const containment = createContainment({
    ...deps,
    onApplied: (kind) => metrics.containments.inc({ kind }),
  });
  const engine = createEngine({ rules: deps.rules ?? WATCH_RULES, thresholds: deps.config.watch });
  const windowMs = deps.config.watch.windowSeconds * 1000;
  const pending = new Set<Promise<void>>();
  // Principals and sessions a detection on this node is about to revoke or lock: refused at once, so
  // requests that arrive while the containment is being written cannot slip through (a minute covers it).
  const stopping = new Map<string, number>();
  const STOPPING_MS = 60_000;
  const webhook = deps.config.watchWebhookUrl
    ? createAlertWebhook({
        db,
        clock: deps.clock,
        events: deps.events,
        url: deps.config.watchWebhookUrl,
        retryMs: deps.config.watchWebhookRetrySeconds * 1000,
        fetcher: deps.outbound({
          allowHosts: [new URL(deps.config.watchWebhookUrl).hostname],
          timeoutMs: 5_000,
          maxBytes: 64 * 1024,
          maxRedirects: 0,
          userAgent: 'Bulwark security alerts',
        }),
        view: async (alertId) => {
          const row = await db
            .selectFrom('watchAlerts')
            .selectAll()
            .where('id', '=', alertId)
            .executeTakeFirst();
          return row ? view(row) : null;
        },
        log,
      })
    : null;

  const ingest = (event: AnyEvent) => {
    metrics.events.inc();
    for (const detection of engine.ingest(event)) {
      if (deps.config.watchContain) {
        for (const order of detection.finding.contain) {
          if (STOPS.has(order.kind)) {
            if (stopping.size >= 100_000) stopping.clear();
            stopping.set(order.targetId, Date.now() + STOPPING_MS);
          }
        }
      }
      const job: Promise<void> = raise(detection)
        .catch((error: unknown) => log(`watch could not raise ${detection.key}: ${String(error)}`))
        .finally(() => pending.delete(job));
      pending.add(job);
    }
  };
  const transport: Transport = deps.config.redisUrl
    ? redisTransport(deps.config.redisUrl.reveal(), deps.events, engine.watched(), ingest, log)
    : localTransport(deps.events, engine.watched(), ingest);

  async function raise(detection: Detection): Promise<void> {
    if (!(await transport.claim(detection.key, windowMs))) return;
    const { rule, finding } = detection;
    const now = deps.clock.now();
    const row = await db
      .insertInto('watchAlerts')
      .values({
        id: newId('alert'),
        rule: rule.id,
        severity: rule.severity,
        dedupeKey: detection.key,
        summary: finding.summary,
        evidence: JSON.stringify(finding.evidence),
        principals: JSON.stringify(finding.principals),
        networks: JSON.stringify(finding.networks),
        count: 1,
        firstSeenAt: now,
        lastSeenAt: now,
      })
      .onConflict((c) =>
        c.column('dedupeKey').doUpdateSet((eb) => ({
          count: eb('watchAlerts.count', '+', 1),
          lastSeenAt: now,
          summary: eb.ref('excluded.summary'),
          evidence: eb.ref('excluded.evidence'),
        })),
      )
      .returningAll()
      .executeTakeFirstOrThrow();
    const grouped = row.count > 1;
    // Monitoring mode (BULWARK_WATCH_CONTAIN=false): the alert says what would have been done.
    for (const order of deps.config.watchContain ? finding.contain : []) {
      try {
        await containment.apply(order, row.id, `${rule.id}: ${finding.summary}`);
      } catch (error) {
        log(`watch could not apply ${order.kind} to ${order.targetId}: ${String(error)}`);
      }
    }
    metrics.alerts.inc({ rule: rule.id, severity: rule.severity });
    metrics.detectionLatency.observe((Date.now() - detection.observedAt.getTime()) / 1000);
    deps.events.emit('watch.alert_raised', {
      alertId: row.id,
      rule: rule.id,
      severity: rule.severity,
      grouped,
    });
    if (grouped) return;
    if (HIGH.has(rule.severity)) {
      deps.events.emit('watch.incident_candidate', {
        alertId: row.id,
        rule: rule.id,
        severity: rule.severity,
        principals: [...finding.principals],
        networks: [...finding.networks],
      });
    }
    if (deps.messenger && deps.config.watchAlertEmail) {
      // Through the durable outbox: delivered with retries even if SMTP is down right now.
      await deps.messenger.send(
        deps.db,
        { address: deps.config.watchAlertEmail },
        {
          template: 'security_alert',
          alertId: row.id,
          rule: rule.id,
          severity: rule.severity,
          summary: finding.summary,
          at: now,
        },
      );
    }
    if (webhook) {
      // Queued durably first: a receiver that is down gets it on a later try.
      await webhook.enqueue(row.id);
      webhook.kick();
    }
  }

  async function alertById(alertId: string): Promise<AlertView | null> {
    const row = await db.selectFrom('watchAlerts').selectAll().where('id', '=', alertId).executeTakeFirst();
    return row ? view(row) : null;
  }

  async function view(row: AlertRow, known?: ContainmentRow[]): Promise<AlertView> {
    const containments =
      known ?? (await db.selectFrom('watchContainments').selectAll().where('alertId', '=', row.id).execute());
    return {
      id: row.id,
      rule: row.rule,
      severity: row.severity,
      summary: row.summary,
      evidence: JSON.parse(row.evidence) as Record<string, string | number | boolean>,
      principals: JSON.parse(row.principals) as string[],
      networks: JSON.parse(row.networks) as string[],
      count: row.count,
      firstSeenAt: row.firstSeenAt,
      lastSeenAt: row.lastSeenAt,
      containments: containments.map(containmentView),
    };
  }

  // Per-node metrics straight from the bus (not the shared stream: each node counts what it served).
  deps.events.onEvery((event) => {
    if (event.name === 'identity.login_failed') metrics.loginFailures.inc();
    else if (event.name === 'vault.pii_revealed') metrics.reveals.inc({ role: event.actorRole });
    else if (event.name === 'shield.pii_budget_exceeded') metrics.budgetRefusals.inc({ role: event.role });
    else if (event.name === 'http.rate_limited') {
      for (const layer of event.layers) metrics.limiterHits.inc({ layer });
    }
  });

  return {
    config: deps.config,
    events: deps.events,
    metrics,
    engine,
    containment,
    transport,
    /** Whether a containment this node decided is still being applied to any of these IDs. */
    isStopping(...ids: readonly string[]): boolean {
      const now = Date.now();
      return ids.some((id) => (stopping.get(id) ?? 0) > now);
    },
    /**
     * Evaluates one event as if it had arrived from the bus, at its own time (replays, the benchmark, and
     * simulations of a day): alerts and containments follow exactly as for live events.
     */
    ingest,
    async start() {
      await transport.start();
      webhook?.start();
    },
    async stop() {
      await transport.stop();
      await webhook?.stop();
      await Promise.allSettled([...pending]);
    },
    /** Waits until events already emitted are evaluated and their alerts stored (tests, shutdown). */
    async settled(): Promise<void> {
      await new Promise((resolve) => setImmediate(resolve));
      while (pending.size > 0) await Promise.allSettled([...pending]);
    },
    /** One alert by ID, with its containments (null: unknown). */
    alert: alertById,
    /** Newest first; `before` is the `seq` cursor of the previous page. */
    async alerts(options: {
      before?: number;
      limit: number;
    }): Promise<{ items: AlertView[]; next: number | null }> {
      let query = db
        .selectFrom('watchAlerts')
        .selectAll()
        .orderBy('seq', 'desc')
        .limit(options.limit + 1);
      if (options.before !== undefined) query = query.where('seq', '<', options.before);
      const rows = await query.execute();
      const page = rows.slice(0, options.limit);
      const ids = page.map((r) => r.id);
      const containments =
        ids.length === 0
          ? []
          : await db.selectFrom('watchContainments').selectAll().where('alertId', 'in', ids).execute();
      const items = await Promise.all(
        page.map((r) =>
          view(
            r,
            containments.filter((c) => c.alertId === r.id),
          ),
        ),
      );
      const last = page.at(-1);
      return { items, next: rows.length > options.limit && last ? last.seq : null };
    },
  };
}

export type Watch = ReturnType<typeof createWatch>;
