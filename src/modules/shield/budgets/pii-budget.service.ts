import { type Config, PII_BUDGET_ROLES, type PiiBudget, type PiiBudgetRole } from '../../../config/index.ts';
import type { Clock } from '../../../platform/clock.ts';
import type { AnyDb } from '../../../platform/db/index.ts';
import type { EventBus } from '../../../platform/events.ts';
import type { RevealGrant, RevealRequest } from '../../vault/index.ts';
import { ShieldErrors } from '../shield.errors.ts';
import type { BudgetDb } from './budgets.tables.ts';
import { forgetBefore, lockActor, recordReveal, windowStats } from './pii-budget.repository.ts';

export const HOUR_MS = 3_600_000;
export const DAY_MS = 24 * HOUR_MS;
const NONE: PiiBudget = { perHour: 0, perDay: 0 };

export interface PiiBudgetDeps {
  readonly config: Config;
  readonly clock: Clock;
  readonly events: EventBus;
}

/** What a grant allows: this actor may reveal these subjects without spending the budget, while open. */
interface GrantScope {
  readonly actorId: string;
  readonly subjects: ReadonlySet<string>;
  open: boolean;
}

/**
 * Per-actor PII read budgets (DESIGN §5): the distinct people whose personal data one staff member or
 * service key may reveal in any rolling hour and any rolling day, by role. Checked and recorded in one
 * transaction under a per-actor advisory lock, in the shared database, so concurrent reveals and several
 * nodes cannot overshoot. Installed as the vault's budget hook: it runs before any plaintext is made.
 */
export function createPiiBudget(deps: PiiBudgetDeps) {
  // Grants live in this process only and are unforgeable: the vault passes the object through, and only
  // an object made here is found.
  const grants = new WeakMap<RevealGrant, GrantScope>();

  function budgetOf(role: string): PiiBudget {
    return (PII_BUDGET_ROLES as readonly string[]).includes(role)
      ? deps.config.piiBudgets[role as PiiBudgetRole]
      : NONE;
  }

  function honours(grant: RevealGrant | undefined, actorId: string, subjectId: string): boolean {
    const scope = grant ? grants.get(grant) : undefined;
    return scope?.open === true && scope.actorId === actorId && scope.subjects.has(subjectId);
  }

  function refuse(
    actor: RevealRequest['actor'],
    window: 'hour' | 'day',
    limit: number,
    resetsAt: Date,
  ): never {
    deps.events.emit('shield.pii_budget_exceeded', { actorId: actor.id, role: actor.role, window, limit });
    const seconds = Math.max(1, Math.ceil((resetsAt.getTime() - deps.clock.now().getTime()) / 1000));
    const span = window === 'hour' ? 'hour' : '24 hours';
    throw ShieldErrors.SHIELD_PII_BUDGET_EXCEEDED(
      `You have revealed the personal data of ${limit} different people in the last ${span}, the most your role (${actor.role}) may. People you revealed within that time can be revealed again; someone new from ${resetsAt.toISOString()}. Larger needs go through a bulk export that a second person approves.`,
      {
        headers: { 'retry-after': String(seconds) },
        extensions: { window, limit, resetsAt: resetsAt.toISOString() },
      },
    );
  }

  async function spend(trx: BudgetDb, request: RevealRequest, budget: PiiBudget): Promise<void> {
    const { actor, subjectId } = request;
    await lockActor(trx, actor.id);
    const now = deps.clock.now();
    const dayStart = new Date(now.getTime() - DAY_MS);
    const hourStart = new Date(now.getTime() - HOUR_MS);
    await forgetBefore(trx, actor.id, dayStart);
    const stats = await windowStats(trx, actor.id, subjectId, hourStart, dayStart);
    const seenToday = stats.subjectLast !== null;
    const seenThisHour = stats.subjectLast !== null && stats.subjectLast > hourStart;
    // The day first: when it is spent, the hour's reset would not help.
    if (!seenToday && stats.dayCount >= budget.perDay) {
      refuse(actor, 'day', budget.perDay, new Date((stats.dayOldest ?? now).getTime() + DAY_MS));
    }
    if (!seenThisHour && stats.hourCount >= budget.perHour) {
      refuse(actor, 'hour', budget.perHour, new Date((stats.hourOldest ?? now).getTime() + HOUR_MS));
    }
    await recordReveal(trx, actor.id, subjectId, now);
  }

  return {
    /** The budget a role has: `0/0` for roles without one. */
    budgetOf,

    /**
     * The vault's budget hook. Refuses with SHIELD_PII_BUDGET_EXCEEDED (429, Retry-After) when the actor
     * would reveal one person more than its role's hour or day budget, SHIELD_PII_BUDGET_NONE (403) when
     * the role has none. Inside the caller's transaction when there is one (PGlite has one connection).
     */
    async check(db: AnyDb, request: RevealRequest): Promise<void> {
      const { actor } = request;
      // Bulwark itself (seeding, operator commands) cannot be reached through HTTP, so no token can act as it.
      if (actor.role === 'system') return;
      // Nothing leaves the vault when every field is empty: nobody is revealed.
      if (Object.values(request.fields).every((field) => field.ciphertext === null)) return;
      if (honours(request.grant, actor.id, request.subjectId)) return;
      const budget = budgetOf(actor.role);
      if (budget.perDay === 0) {
        deps.events.emit('shield.pii_budget_exceeded', {
          actorId: actor.id,
          role: actor.role,
          window: 'day',
          limit: 0,
        });
        throw ShieldErrors.SHIELD_PII_BUDGET_NONE(
          `Your role (${actor.role}) may not reveal personal data: its budget is 0 people.`,
        );
      }
      const handle = db as unknown as BudgetDb;
      if (handle.isTransaction) await spend(handle, request, budget);
      else await handle.transaction().execute((trx) => spend(trx, request, budget));
    },

    /**
     * WARNING: lifts the budget for `subjects`, for `actorId` only, until `close`. Only the two-person
     * export flow issues one, after both people have approved and the download has been claimed.
     */
    issueGrant(kind: string, id: string, actorId: string, subjects: readonly string[]) {
      const grant: RevealGrant = Object.freeze({ kind, id });
      const scope: GrantScope = { actorId, subjects: new Set(subjects), open: true };
      grants.set(grant, scope);
      return {
        grant,
        close() {
          scope.open = false;
        },
      };
    },
  };
}

export type PiiBudgetGuard = ReturnType<typeof createPiiBudget>;
