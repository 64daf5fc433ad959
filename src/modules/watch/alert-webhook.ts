import type { Clock } from '../../platform/clock.ts';
import type { EventBus } from '../../platform/events.ts';
import type { Fetcher } from '../../platform/outbound/index.ts';
import type { WatchDb } from './watch.tables.ts';

export interface AlertWebhookDeps {
  readonly db: WatchDb;
  readonly clock: Clock;
  readonly events: EventBus;
  readonly fetcher: Fetcher;
  readonly url: string;
  /** First retry after this long, doubled each time. */
  readonly retryMs: number;
  /** The alert as the webhook shows it (null: gone). */
  view(alertId: string): Promise<unknown | null>;
  readonly log: (message: string) => void;
}

const POLL_MS = 1_000;
const BATCH = 10;
const MAX_RETRY_MS = 10 * 60_000;
// With the default first retry (5 s) the last attempt comes about an hour after the alert.
const MAX_ATTEMPTS = 12;
// Longer than the fetcher's own timeout (5 s): an attempt under way is never claimed again by another node.
const LEASE_MS = 30_000;

/**
 * Delivers new alerts to the webhook from a durable queue (`watch_deliveries`): an attempt that fails (no
 * answer, or not 2xx) is retried with exponential backoff; after the last one the alert is announced as
 * undelivered (`watch.alert_delivery_failed`). Each alert is sent with its ID as `Idempotency-Key`, so a
 * receiver that saw an attempt whose answer got lost can drop the repeat. Several nodes share the queue:
 * a row is claimed by moving its due time, only if nobody moved it first.
 */
export function createAlertWebhook(deps: AlertWebhookDeps) {
  const { db } = deps;
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<void> | null = null;

  async function attempt(alertId: string, attempts: number): Promise<void> {
    let failure: string;
    try {
      const alert = await deps.view(alertId);
      const answer = await deps.fetcher.postJson(
        deps.url,
        { kind: 'bulwark-security-alert', alert },
        { headers: { 'idempotency-key': alertId } },
      );
      if (answer.status >= 200 && answer.status < 300) {
        await db
          .updateTable('watchDeliveries')
          .set({
            status: 'delivered',
            attempts: attempts + 1,
            deliveredAt: deps.clock.now(),
            lastResult: null,
          })
          .where('alertId', '=', alertId)
          .execute();
        return;
      }
      failure = `HTTP ${answer.status}`;
    } catch (error) {
      failure = error instanceof Error ? ((error as { code?: string }).code ?? error.name) : 'error';
    }
    const tried = attempts + 1;
    const dead = tried >= MAX_ATTEMPTS;
    await db
      .updateTable('watchDeliveries')
      .set({
        attempts: tried,
        lastResult: failure.slice(0, 100),
        status: dead ? 'dead' : 'pending',
        dueAt: new Date(deps.clock.now().getTime() + Math.min(deps.retryMs * 2 ** (tried - 1), MAX_RETRY_MS)),
      })
      .where('alertId', '=', alertId)
      .execute();
    deps.log(`alert ${alertId} not delivered to the webhook (attempt ${tried}): ${failure}`);
    if (dead)
      deps.events.emit('watch.alert_delivery_failed', { alertId, attempts: tried, lastResult: failure });
  }

  async function deliverDue(): Promise<void> {
    const now = deps.clock.now();
    const due = await db
      .selectFrom('watchDeliveries')
      .select(['alertId', 'attempts', 'dueAt'])
      .where('status', '=', 'pending')
      .where('dueAt', '<=', now)
      .orderBy('dueAt')
      .limit(BATCH)
      .execute();
    for (const row of due) {
      const claimed = await db
        .updateTable('watchDeliveries')
        .set({ dueAt: new Date(now.getTime() + LEASE_MS) })
        .where('alertId', '=', row.alertId)
        .where('status', '=', 'pending')
        .where('dueAt', '=', row.dueAt)
        .executeTakeFirst();
      if (claimed.numUpdatedRows > 0n) await attempt(row.alertId, row.attempts);
    }
  }

  /** One pass at a time; errors (a database hiccup) wait for the next tick. */
  function pass(): Promise<void> {
    running ??= deliverDue()
      .catch((error: unknown) => deps.log(`alert webhook pass failed: ${String(error)}`))
      .finally(() => {
        running = null;
      });
    return running;
  }

  return {
    /** Queues a new alert; `kick` sends it at once. */
    async enqueue(alertId: string): Promise<void> {
      await db
        .insertInto('watchDeliveries')
        .values({ alertId, dueAt: deps.clock.now(), lastResult: null, deliveredAt: null })
        .onConflict((c) => c.column('alertId').doNothing())
        .execute();
    },
    kick: () => void pass(),
    start(): void {
      timer ??= setInterval(() => void pass(), POLL_MS);
      timer.unref();
    },
    async stop(): Promise<void> {
      if (timer) clearInterval(timer);
      timer = null;
      await running;
    },
  };
}

export type AlertWebhook = ReturnType<typeof createAlertWebhook>;
