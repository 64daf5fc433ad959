import type { Clock } from '../../platform/clock.ts';
import type { AnyDb } from '../../platform/db/index.ts';
import { withTransaction } from '../../platform/db/index.ts';
import { addToTimeline } from './incident-timeline.ts';
import { PLAYBOOKS, type Playbook, type PlaybookAction, playbook } from './playbooks.ts';
import { RespondErrors } from './respond.errors.ts';
import type { RespondDb } from './respond.tables.ts';

export type StepStatus = 'pending' | 'running' | 'done' | 'skipped' | 'failed';
export type RouteFreezeOrder = { prefix: string; mode: 'read_only' | 'off' };

/** What the playbooks' actions do, provided by the modules that own them. */
export interface PlaybookActions {
  readonly contain: (
    kind: 'user.sessions_revoke' | 'api_key.revoke' | 'account.lock' | 'network.block' | 'network.challenge',
    target: { type: 'user' | 'api_key' | 'network'; id: string },
    reason: string,
  ) => Promise<void>;
  readonly computeScope: (incidentId: string, actorId: string) => Promise<{ people: number }>;
  readonly verifyTrail: () => Promise<{ ok: boolean; entries: number; problem: unknown }>;
  readonly draftNotices: (
    incidentId: string,
    actorId: string,
  ) => Promise<{ people: number; regulators: string[] }>;
  readonly rotateMasterKey: () => Promise<{ version: number; rewrapped: number }>;
  readonly rotateSigningKey: () => Promise<string>;
  /** Every session but the one acting, and every API key. */
  readonly revokeAllSessions: (exceptSessionId: string) => Promise<{ sessions: number; keys: number }>;
  readonly forcePasswordResets: (exceptUserId: string) => Promise<number>;
  /** Throws the shield's 422 for a prefix that may not be frozen. */
  readonly checkFreeze: (prefix: string) => void;
  readonly freeze: (order: RouteFreezeOrder, reason: string, actorId: string) => Promise<unknown>;
}

export interface PlaybooksDeps {
  readonly db: AnyDb;
  readonly clock: Clock;
  readonly actions: PlaybookActions;
  /** Keeps a background job in view (tests wait for it; shutdown waits for it). */
  readonly track: (job: Promise<unknown>) => void;
}

export interface StepView {
  readonly id: string;
  readonly title: string;
  readonly guidance: string;
  readonly action: PlaybookAction | null;
  readonly drill: string | null;
  readonly status: StepStatus;
  readonly actorId: string | null;
  readonly at: Date | null;
  readonly outcome: string | null;
}

export interface PlaybookRunView {
  readonly playbook: string;
  readonly title: string;
  readonly steps: StepView[];
}

export type StepOutcome =
  | { readonly outcome: 'run'; readonly note?: string; readonly routes?: readonly RouteFreezeOrder[] }
  | { readonly outcome: 'done' | 'skipped'; readonly note: string };

const parse = (text: string) => JSON.parse(text) as string[];
const DAY_SECONDS = 86_400;
/** A step `running` longer than this was lost with its process: it may be run again. */
const RUNNING_LEASE_MS = 10 * 60_000;

/** Who acts: the staff member and the session they act from (the kill switch spares that one only). */
export interface Actor {
  readonly userId: string;
  readonly sessionId: string;
}

/**
 * Playbooks on incidents: started by security staff, each step run (an action Bulwark performs in the
 * background) or marked done or skipped by a person, every outcome on the step and the timeline.
 */
export function createPlaybooks(deps: PlaybooksDeps) {
  const db = deps.db as unknown as RespondDb;

  function known(id: string): Playbook {
    const found = playbook(id);
    if (!found) throw RespondErrors.RESPOND_PLAYBOOK_NOT_FOUND(`No playbook "${id.slice(0, 60)}".`);
    return found;
  }

  async function incidentRow(id: string) {
    const row = await db.selectFrom('respondIncidents').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw RespondErrors.RESPOND_INCIDENT_NOT_FOUND('No incident has that ID.');
    return row;
  }

  async function runs(incidentId: string): Promise<PlaybookRunView[]> {
    const rows = await db
      .selectFrom('respondPlaybookSteps')
      .selectAll()
      .where('incidentId', '=', incidentId)
      .execute();
    const started = [...new Set(rows.map((r) => r.playbookId))];
    return PLAYBOOKS.filter((p) => started.includes(p.id)).map((p) => ({
      playbook: p.id,
      title: p.title,
      steps: p.steps.map((step) => {
        const row = rows.find((r) => r.playbookId === p.id && r.stepId === step.id);
        return {
          id: step.id,
          title: step.title,
          guidance: step.guidance,
          action: step.action ?? null,
          drill: step.drill ?? null,
          status: (row?.status ?? 'pending') as StepStatus,
          actorId: row?.actorId ?? null,
          at: row?.at ?? null,
          outcome: row?.outcome ?? null,
        };
      }),
    }));
  }

  /** Performs a step's action and says what it did, in a line for the timeline. */
  async function perform(
    action: PlaybookAction,
    incidentId: string,
    actor: Actor,
    routes: readonly RouteFreezeOrder[],
  ): Promise<string> {
    const actorId = actor.userId;
    const row = await incidentRow(incidentId);
    const principals = parse(row.principals);
    const networks = parse(row.networks);
    const reason = `incident ${incidentId}: playbook step by ${actorId}`;
    const a = deps.actions;
    switch (action) {
      case 'revoke_principals': {
        for (const id of principals) {
          if (id.startsWith('usr_')) await a.contain('user.sessions_revoke', { type: 'user', id }, reason);
          if (id.startsWith('key_')) await a.contain('api_key.revoke', { type: 'api_key', id }, reason);
        }
        return `revoked sessions and keys of ${principals.join(', ') || 'no principal'}`;
      }
      case 'lock_principals': {
        const users = principals.filter((id) => id.startsWith('usr_'));
        for (const id of users) await a.contain('account.lock', { type: 'user', id }, reason);
        return `locked ${users.join(', ') || 'no account'}`;
      }
      case 'block_networks':
      case 'challenge_networks': {
        const kind = action === 'block_networks' ? 'network.block' : 'network.challenge';
        for (const id of networks) await a.contain(kind, { type: 'network', id }, reason);
        return `${kind} on ${networks.join(', ') || 'no network'} for ${DAY_SECONDS / 3600} h`;
      }
      case 'compute_scope':
        return `scope: ${(await a.computeScope(incidentId, actorId)).people} people`;
      case 'verify_trail': {
        const report = await a.verifyTrail();
        if (!report.ok) throw new Error(`the trail does not verify: ${JSON.stringify(report.problem)}`);
        return `trail intact: ${report.entries} entries verified`;
      }
      case 'draft_notices': {
        const drafted = await a.draftNotices(incidentId, actorId);
        return `drafted ${drafted.people} notices and reports to ${drafted.regulators.join(', ') || 'no regulator'}`;
      }
      case 'rotate_master_key': {
        const rotated = await a.rotateMasterKey();
        return `master key v${rotated.version} active; ${rotated.rewrapped} data keys re-wrapped`;
      }
      case 'rotate_signing_key':
        return `token signing key ${await a.rotateSigningKey()} active`;
      case 'revoke_all_sessions': {
        const revoked = await a.revokeAllSessions(actor.sessionId);
        return `${revoked.sessions} sessions and ${revoked.keys} API keys revoked`;
      }
      case 'force_password_resets':
        return `${await a.forcePasswordResets(actorId)} accounts must reset their password`;
      case 'freeze_routes': {
        for (const order of routes) await a.freeze(order, reason, actorId);
        return `froze ${routes.map((r) => `${r.prefix} (${r.mode})`).join(', ')}`;
      }
    }
  }

  /** The kill switch's actions are run by someone other than who started it: one person cannot pull it alone. */
  async function requireSecondPerson(incidentId: string, actorId: string): Promise<void> {
    const started = await db
      .selectFrom('respondTimeline')
      .select('actorId')
      .where('incidentId', '=', incidentId)
      .where('kind', '=', 'playbook')
      .where('ref', '=', 'kill-switch')
      .orderBy('seq')
      .limit(1)
      .executeTakeFirst();
    if (started?.actorId === actorId) {
      throw RespondErrors.RESPOND_SELF_APPROVAL(
        'The kill switch needs two people: someone other than who started it runs its steps.',
      );
    }
  }

  async function finish(
    incidentId: string,
    playbookId: string,
    stepId: string,
    actorId: string,
    status: StepStatus,
    outcome: string,
  ): Promise<void> {
    await withTransaction(db, async (trx) => {
      await trx
        .updateTable('respondPlaybookSteps')
        .set({ status, actorId, at: deps.clock.now(), outcome: outcome.slice(0, 2_000) })
        .where('incidentId', '=', incidentId)
        .where('playbookId', '=', playbookId)
        .where('stepId', '=', stepId)
        .execute();
      await addToTimeline(trx, incidentId, {
        at: deps.clock.now(),
        kind: 'playbook',
        actorId,
        text: `${playbookId}/${stepId} ${status}: ${outcome}`,
        ref: `${playbookId}/${stepId}`,
      });
    });
  }

  return {
    definitions: (): readonly Playbook[] => PLAYBOOKS,

    runs: async (incidentId: string) => {
      await incidentRow(incidentId);
      return runs(incidentId);
    },

    /** Starts a playbook on an incident (again: nothing changes). */
    async start(incidentId: string, playbookId: string, actorId: string): Promise<PlaybookRunView> {
      const book = known(playbookId);
      await incidentRow(incidentId);
      await withTransaction(db, async (trx) => {
        const inserted = await trx
          .insertInto('respondPlaybookSteps')
          .values(book.steps.map((step) => ({ incidentId, playbookId, stepId: step.id, status: 'pending' })))
          .onConflict((c) => c.columns(['incidentId', 'playbookId', 'stepId']).doNothing())
          .executeTakeFirst();
        if ((inserted.numInsertedOrUpdatedRows ?? 0n) > 0n) {
          await addToTimeline(trx, incidentId, {
            at: deps.clock.now(),
            kind: 'playbook',
            actorId,
            text: `started playbook ${book.id}: ${book.title}`,
            ref: book.id,
          });
        }
      });
      return (await runs(incidentId)).find((run) => run.playbook === book.id) as PlaybookRunView;
    },

    /**
     * A step: `run` performs its action in the background (the step is `running` until it ends `done` or
     * `failed`); `done` is a person saying they did a manual step; `skipped` needs a reason.
     */
    async act(
      incidentId: string,
      playbookId: string,
      stepId: string,
      actor: Actor,
      request: StepOutcome,
    ): Promise<StepView> {
      const actorId = actor.userId;
      await incidentRow(incidentId);
      const book = known(playbookId);
      const step = book.steps.find((s) => s.id === stepId);
      if (!step)
        throw RespondErrors.RESPOND_PLAYBOOK_NOT_FOUND(
          `Playbook ${book.id} has no step "${stepId.slice(0, 60)}".`,
        );
      if (request.outcome === 'run' && !step.action) {
        throw RespondErrors.RESPOND_STEP_MISMATCH('This step is done by a person: mark it done with a note.');
      }
      if (request.outcome === 'done' && step.action) {
        throw RespondErrors.RESPOND_STEP_MISMATCH(
          'This step is an action: run it (or skip it with a reason).',
        );
      }
      const routes = request.outcome === 'run' ? (request.routes ?? []) : [];
      if (step.action === 'freeze_routes' && request.outcome === 'run' && routes.length === 0) {
        throw RespondErrors.RESPOND_STEP_MISMATCH('Say which routes to freeze: routes [{prefix, mode}].');
      }
      for (const order of routes) deps.actions.checkFreeze(order.prefix);
      if (book.id === 'kill-switch' && request.outcome === 'run')
        await requireSecondPerson(incidentId, actorId);
      const next: StepStatus = request.outcome === 'run' ? 'running' : request.outcome;
      const now = deps.clock.now();
      const claimed = await db
        .updateTable('respondPlaybookSteps')
        .set({ status: next, actorId, at: now, outcome: request.note ?? null })
        .where('incidentId', '=', incidentId)
        .where('playbookId', '=', playbookId)
        .where('stepId', '=', stepId)
        .where((eb) =>
          eb.or([
            eb('status', 'in', ['pending', 'failed']),
            eb.and([eb('status', '=', 'running'), eb('at', '<', new Date(now.getTime() - RUNNING_LEASE_MS))]),
          ]),
        )
        .executeTakeFirst();
      if (claimed.numUpdatedRows === 0n) {
        const started = (await runs(incidentId)).find((r) => r.playbook === playbookId);
        if (!started)
          throw RespondErrors.RESPOND_PLAYBOOK_NOT_STARTED(
            `Start playbook ${playbookId} on this incident first.`,
          );
        const status = started.steps.find((s) => s.id === stepId)?.status;
        throw RespondErrors.RESPOND_STEP_CONFLICT(
          `The step is ${status}; only a pending or failed step can be acted on.`,
        );
      }
      if (request.outcome === 'run' && step.action) {
        const action = step.action;
        deps.track(
          perform(action, incidentId, actor, routes).then(
            (outcome) => finish(incidentId, playbookId, stepId, actorId, 'done', outcome),
            (error: unknown) =>
              finish(
                incidentId,
                playbookId,
                stepId,
                actorId,
                'failed',
                error instanceof Error ? error.message : 'failed',
              ),
          ),
        );
      } else {
        await finish(incidentId, playbookId, stepId, actorId, next, request.note ?? '');
      }
      const view = (await runs(incidentId))
        .find((r) => r.playbook === playbookId)
        ?.steps.find((s) => s.id === stepId);
      return view as StepView;
    },
  };
}

export type Playbooks = ReturnType<typeof createPlaybooks>;
