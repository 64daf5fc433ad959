import type { Clock } from '../../platform/clock.ts';
import { type AnyDb, isUniqueViolation, withTransaction } from '../../platform/db/index.ts';
import type { EventBus } from '../../platform/events.ts';
import { newId, type UserId } from '../../platform/ids.ts';
import { networkOf } from '../../platform/network.ts';
import type { Accounts, Principal, Sessions, StaffPrincipal } from '../identity/index.ts';
import type { Suspects } from '../shield/index.ts';
import type { Trail } from '../trail/index.ts';
import type { ContainmentKind, ContainmentOrder } from './rules.ts';
import { WatchErrors } from './watch.errors.ts';
import type { ContainmentRow, WatchDb } from './watch.tables.ts';

/** What containment needs from identity, the shield and the trail (their public faces only). */
export interface ContainmentDeps {
  readonly db: AnyDb;
  readonly clock: Clock;
  readonly events: EventBus;
  readonly trail: Pick<Trail, 'recordContainment'>;
  readonly suspects: Pick<Suspects, 'mark' | 'clear'>;
  readonly sessions: Pick<Sessions, 'revokeById' | 'revokeAll' | 'demandStepUp'>;
  readonly accounts: Pick<Accounts, 'requirePasswordReset' | 'clearPasswordReset'>;
  readonly apiKeys: { revoke(id: string): Promise<void> };
  readonly onApplied?: (kind: ContainmentKind) => void;
}

const WATCH: Principal = { kind: 'system', purpose: 'watch: automatic containment' };
// Blocked networks are read from every node's database this often; a node's own blocks apply at once.
const BLOCK_REFRESH_MS = 5_000;

/**
 * Applies and lifts containments. Applying is idempotent: a live containment of the same kind on the same
 * target (from another rule, another firing or another node) is returned as it is. Every application and
 * every lift is written to the trail, in the same transaction as the row.
 */
export function createContainment(deps: ContainmentDeps) {
  const db = deps.db as unknown as WatchDb;
  const blocked = new Map<string, number>();
  let blocksReadAt = 0;

  async function live(order: ContainmentOrder): Promise<ContainmentRow | undefined> {
    return db
      .selectFrom('watchContainments')
      .selectAll()
      .where('kind', '=', order.kind)
      .where('targetType', '=', order.targetType)
      .where('targetId', '=', order.targetId)
      .where('liftedAt', 'is', null)
      .executeTakeFirst();
  }

  /**
   * Does the action itself. Actions on other modules' own connections run before the transaction (the
   * embedded database has one connection); those that take a transaction run in it, with the row and the
   * trail entry. An action done whose row then fails errs on the safe side.
   */
  async function actAlone(order: ContainmentOrder, reason: string): Promise<void> {
    const id = order.targetId;
    switch (order.kind) {
      case 'network.challenge':
        await deps.suspects.mark(id, reason, order.seconds ?? 3600);
        return;
      case 'network.block':
        blocked.set(id, deps.clock.now().getTime() + (order.seconds ?? 3600) * 1000);
        return;
      case 'session.revoke':
        await deps.sessions.revokeById(id);
        return;
      case 'user.step_up':
        await deps.sessions.demandStepUp(id);
        return;
      case 'api_key.revoke':
        // Already revoked (by an operator, or a containment another node applied) is fine.
        await deps.apiKeys.revoke(id).catch(() => {});
        return;
      default:
        return;
    }
  }

  async function actInTransaction(order: ContainmentOrder, trx: AnyDb): Promise<void> {
    const id = order.targetId as UserId;
    if (order.kind === 'user.sessions_revoke') await deps.sessions.revokeAll(id, trx);
    if (order.kind === 'account.lock') {
      await deps.accounts.requirePasswordReset(trx, id);
      await deps.sessions.revokeAll(id, trx);
    }
  }

  return {
    async apply(order: ContainmentOrder, alertId: string | null, reason: string): Promise<ContainmentRow> {
      const now = deps.clock.now();
      const existing = await live(order);
      if (existing && (existing.until === null || existing.until > now)) return existing;
      const row: ContainmentRow = {
        id: newId('containment'),
        alertId,
        kind: order.kind,
        targetType: order.targetType,
        targetId: order.targetId,
        reason,
        appliedAt: now,
        until: order.seconds ? new Date(now.getTime() + order.seconds * 1000) : null,
        liftedAt: null,
        liftedBy: null,
      };
      await actAlone(order, reason);
      try {
        await withTransaction(deps.db, async (trx) => {
          const tx = trx as unknown as WatchDb;
          // A lapsed mark or block makes room for the new one (it stays in the history as lapsed).
          if (existing)
            await tx
              .updateTable('watchContainments')
              .set({ liftedAt: now, liftedBy: 'lapsed' })
              .where('id', '=', existing.id)
              .execute();
          await tx.insertInto('watchContainments').values(row).execute();
          await actInTransaction(order, trx);
          await deps.trail.recordContainment(
            WATCH,
            {
              kind: order.kind,
              target: { type: order.targetType, id: order.targetId },
              reason,
              ...(order.targetType === 'user' ? { subjects: [order.targetId] } : {}),
            },
            trx,
          );
        });
      } catch (error) {
        // Another firing applied it at the same moment: theirs stands.
        if (isUniqueViolation(error)) {
          const winner = await live(order);
          if (winner) return winner;
        }
        throw error;
      }
      deps.onApplied?.(order.kind);
      deps.events.emit('watch.containment_applied', {
        containmentId: row.id,
        kind: row.kind,
        targetType: row.targetType,
        targetId: row.targetId,
      });
      return row;
    },

    /**
     * Lifts a containment (security staff). A network mark is cleared and an account lock undone;
     * revoked sessions and keys stay revoked (their holders log in again), the lift records the decision.
     * Lifting one already lifted returns it unchanged.
     */
    async lift(id: string, staff: StaffPrincipal, note: string): Promise<ContainmentRow> {
      const found = await db
        .selectFrom('watchContainments')
        .selectAll()
        .where('id', '=', id)
        .executeTakeFirst();
      if (!found) throw WatchErrors.WATCH_CONTAINMENT_NOT_FOUND('No such containment.');
      if (found.liftedAt !== null) return found;
      const now = deps.clock.now();
      if (found.kind === 'network.challenge') await deps.suspects.clear(found.targetId);
      if (found.kind === 'network.block') blocked.delete(found.targetId);
      await withTransaction(deps.db, async (trx) => {
        const tx = trx as unknown as WatchDb;
        await tx
          .updateTable('watchContainments')
          .set({ liftedAt: now, liftedBy: staff.userId })
          .where('id', '=', id)
          .where('liftedAt', 'is', null)
          .execute();
        if (found.kind === 'account.lock')
          await deps.accounts.clearPasswordReset(trx, found.targetId as UserId);
        await deps.trail.recordContainment(
          staff,
          {
            kind: found.kind,
            target: { type: found.targetType, id: found.targetId },
            reason: note,
            ...(found.targetType === 'user' ? { subjects: [found.targetId] } : {}),
          },
          trx,
          true,
        );
      });
      deps.events.emit('watch.containment_lifted', {
        containmentId: id,
        kind: found.kind,
        liftedBy: staff.userId,
      });
      return { ...found, liftedAt: now, liftedBy: staff.userId };
    },

    async list(options: { live: boolean; limit: number }): Promise<ContainmentRow[]> {
      let query = db
        .selectFrom('watchContainments')
        .selectAll()
        .orderBy('appliedAt', 'desc')
        .limit(options.limit);
      if (options.live) query = query.where('liftedAt', 'is', null);
      return query.execute();
    },

    /** Whether the client's network is blocked now (checked on every request, from memory). */
    async isBlocked(ip: string): Promise<boolean> {
      const nowMs = deps.clock.now().getTime();
      if (nowMs - blocksReadAt > BLOCK_REFRESH_MS) {
        blocksReadAt = nowMs;
        const rows = await db
          .selectFrom('watchContainments')
          .select(['targetId', 'until'])
          .where('kind', '=', 'network.block')
          .where('liftedAt', 'is', null)
          .execute();
        blocked.clear();
        for (const row of rows) if (row.until) blocked.set(row.targetId, row.until.getTime());
      }
      const until = blocked.get(networkOf(ip));
      return until !== undefined && until > nowMs;
    },
  };
}

export type Containment = ReturnType<typeof createContainment>;
