import type { FastifyRequest } from 'fastify';
import type { Config } from '../../config/index.ts';
import type { Clock } from '../../platform/clock.ts';
import type { AnyDb } from '../../platform/db/index.ts';
import type { EventBus } from '../../platform/events.ts';
import type { Principal } from '../identity/index.ts';
import { type CheckpointSigner, type RevealRequest, sha256Base64url } from '../vault/index.ts';
import { type CheckpointLine, checkpointFile, makeCheckpoint, writeCheckpointLine } from './checkpoints.ts';
import type { TrailEntry, TrailRecord } from './entry-codec.ts';
import {
  appendEntries,
  checkRecord,
  type Head,
  readsBy,
  type SearchFilter,
  searchEntries,
} from './trail.repository.ts';

// The most callers one group commit carries.
const MAX_GROUP = 500;

import type { TrailDb } from './trail.tables.ts';
import { actorOfPrincipal, actorOfVaultActor, currentRequest } from './trail-context.ts';
import { type VerifyProgress, type VerifyReport, verifyTrail } from './verify.ts';

export interface TrailDeps {
  readonly db: AnyDb;
  readonly config: Config;
  readonly clock: Clock;
  readonly signer: CheckpointSigner;
  readonly events: EventBus;
  /** Where checkpoints go besides the database and the file (the webhook); errors are the sink's own. */
  readonly publish?: (line: CheckpointLine) => Promise<void>;
  /** PostgreSQL's URL, for the verifier's streaming connection; null on PGlite. */
  readonly connectionString: string | null;
}

/** Which subjects' which fields the principals read or were sent in a window, with the entries as evidence. */
export interface Scope {
  readonly principals: string[];
  readonly from: Date;
  readonly to: Date;
  readonly subjects: { subjectId: string; fields: string[]; evidence: number[] }[];
  readonly entries: TrailEntry[];
}

/** A containment action (watch, respond, an operator): what, on whom, and why. */
export interface Containment {
  /** e.g. `session.revoke`, `account.lock`, `network.block`, `key.revoke`, `kill_switch`. */
  readonly kind: string;
  readonly target: { readonly type: string; readonly id: string };
  readonly reason: string;
  readonly subjects?: readonly string[];
}

/**
 * The trail: records sensitive reads and privileged actions in one hash chain, checkpoints it with
 * signatures, and answers searches and scope questions (each of which it records too).
 */
export function createTrail(deps: TrailDeps) {
  const db = deps.db as TrailDb;
  const file = checkpointFile(deps.config.dataDir);
  let appendedSinceCheckpoint = 0;
  let lastCheckpointAt = deps.clock.now().getTime();
  let checkpointing: Promise<CheckpointLine | null> | null = null;
  let timer: NodeJS.Timeout | null = null;

  /**
   * Appends in `handle`'s transaction when it is one (the entry commits or rolls back with the action),
   * otherwise in a transaction of its own. Throws when the entry cannot be written: callers fail closed.
   */
  async function record(handle: AnyDb, records: TrailRecord | readonly TrailRecord[]): Promise<Head> {
    const list = Array.isArray(records) ? (records as readonly TrailRecord[]) : [records as TrailRecord];
    if (list.length === 0) throw new TypeError('trail: nothing to record');
    const trx = handle as TrailDb;
    const at = deps.clock.now();
    const head = trx.isTransaction
      ? ((await appendEntries(trx, at, list)).at(-1) as Head)
      : await grouped(list, at);
    counted(list.length);
    return head;
  }

  function counted(appended: number): void {
    appendedSinceCheckpoint += appended;
    // After the caller's transaction, on the root handle (never inside it: PGlite has one connection).
    if (appendedSinceCheckpoint >= deps.config.trailCheckpointEvery) {
      setImmediate(() => void checkpoint().catch(() => {}));
    }
  }

  // Group commit for appends outside a caller's transaction: the chain's lock is held until commit, so
  // one transaction per entry would cap the whole service at one commit (one fsync) per entry. Appends
  // that arrive while a batch commits wait and go together in the next one; each caller still returns
  // only once its own entry is durable.
  interface Waiting {
    readonly records: readonly TrailRecord[];
    readonly at: Date;
    resolve(head: Head): void;
    reject(error: unknown): void;
  }
  let waiting: Waiting[] = [];
  let committing = false;

  function grouped(records: readonly TrailRecord[], at: Date): Promise<Head> {
    // A bad record fails its own caller, never a batch of others.
    for (const one of records) checkRecord(one, at);
    return new Promise<Head>((resolve, reject) => {
      waiting.push({ records, at, resolve, reject });
      if (!committing) void commitWaiting();
    });
  }

  async function commitWaiting(): Promise<void> {
    committing = true;
    try {
      while (waiting.length > 0) {
        const batch = waiting.slice(0, MAX_GROUP);
        waiting = waiting.slice(batch.length);
        try {
          // Each caller's entries carry the time the caller asked, not the batch's.
          const records = batch.flatMap((item) => item.records);
          const times = batch.flatMap((item) => item.records.map(() => item.at));
          const heads = await db.transaction().execute((trx) => appendEntries(trx, times, records));
          let index = 0;
          for (const item of batch) {
            index += item.records.length;
            item.resolve(heads[index - 1] as Head);
          }
        } catch (error) {
          for (const item of batch) item.reject(error);
        }
      }
    } finally {
      committing = false;
    }
  }

  function requestIdOf(request?: FastifyRequest): string | null {
    return (request ?? currentRequest())?.id ?? null;
  }

  /** Signs the head now (unless already covered), then writes the file line and publishes it. */
  function checkpoint(): Promise<CheckpointLine | null> {
    checkpointing ??= (async () => {
      try {
        appendedSinceCheckpoint = 0;
        lastCheckpointAt = deps.clock.now().getTime();
        const line = await makeCheckpoint(db, deps.signer, deps.clock.now());
        if (!line) return null;
        try {
          writeCheckpointLine(file, line);
        } catch (error) {
          // The database copy stands; the file outside it is what a full rewrite is caught by: alert.
          const reason = (error as NodeJS.ErrnoException).code ?? 'write failed';
          deps.events.emit('trail.checkpoint_sink_failed', { sink: 'file', seq: line.seq, reason });
        }
        if (deps.publish) {
          await deps.publish(line).catch((error: unknown) => {
            const reason = (error as { code?: string }).code ?? 'publish failed';
            deps.events.emit('trail.checkpoint_sink_failed', { sink: 'webhook', seq: line.seq, reason });
          });
        }
        deps.events.emit('trail.checkpoint_written', { seq: line.seq });
        return line;
      } finally {
        checkpointing = null;
      }
    })();
    return checkpointing;
  }

  return {
    /** The trail's tables (retention works on them directly). */
    db,
    signer: deps.signer,
    record,
    /** Appends in a transaction of its own (outside any caller's: the HTTP edge, operator commands). */
    append: (records: TrailRecord | readonly TrailRecord[]) => record(deps.db, records),
    checkpoint,

    /** The vault's trail hook: who read whose which fields and why, before the plaintext is made. */
    async recordReveal(request: RevealRequest, handle: AnyDb): Promise<void> {
      const fields = Object.entries(request.fields)
        .filter(([, field]) => field.ciphertext !== null)
        .map(([name]) => name);
      await record(handle, {
        actor: actorOfVaultActor(request.actor),
        action: 'pii.revealed',
        target: { type: 'user', id: request.subjectId },
        subjects: [request.subjectId],
        fields,
        purpose: request.purpose,
        result: 'success',
        requestId: requestIdOf(),
      });
    },

    /**
     * At start: records `config.changed` when the configuration differs from the one last recorded
     * (a fingerprint of every setting; secrets count only as set or unset, their values never leave).
     */
    async recordConfiguration(config: Config): Promise<boolean> {
      const fingerprint = sha256Base64url(JSON.stringify(config));
      const [last] = await searchEntries(db, { action: 'config.changed', limit: 1 });
      if (last?.target?.id === fingerprint) return false;
      await record(deps.db, {
        actor: { kind: 'system', id: 'system:start', role: 'system', session: null, network: null },
        action: 'config.changed',
        target: { type: 'config', id: fingerprint },
        purpose: last ? `configuration changed since entry ${last.seq}` : 'first recorded configuration',
        result: 'success',
      });
      return true;
    },

    /** Records a containment action (none is automatic yet: watch and respond will call this). */
    async recordContainment(
      principal: Principal,
      containment: Containment,
      handle: AnyDb = deps.db,
      lifted = false,
    ): Promise<Head> {
      const request = currentRequest();
      return record(handle, {
        actor: actorOfPrincipal(principal, request),
        action: lifted ? 'containment.lifted' : 'containment.applied',
        target: containment.target,
        subjects: containment.subjects ?? [],
        purpose: `${containment.kind}: ${containment.reason}`,
        result: 'success',
        requestId: requestIdOf(request),
      });
    },

    /** Entries newest first (keyset pages); the search itself is recorded first. */
    async search(
      principal: Principal,
      filter: SearchFilter,
      request?: FastifyRequest,
    ): Promise<TrailEntry[]> {
      await record(deps.db, {
        actor: actorOfPrincipal(principal, request ?? currentRequest()),
        action: 'trail.searched',
        subjects: filter.subjectId ? [filter.subjectId] : [],
        purpose: describe(filter),
        result: 'success',
        requestId: requestIdOf(request),
      });
      return searchEntries(db, filter);
    },

    /**
     * Exactly which subjects' which fields the principals (user or key IDs) were shown in [from, to):
     * staff reveals through the vault and personal data returned to a signed-in person, with the entries.
     */
    async scope(
      principal: Principal,
      principals: readonly string[],
      from: Date,
      to: Date,
      request?: FastifyRequest,
    ): Promise<Scope> {
      // Bulwark's own questions (an incident's scope) run after the request that set them off, not in it.
      const asked = principal.kind === 'system' ? undefined : (request ?? currentRequest());
      await record(deps.db, {
        actor: actorOfPrincipal(principal, asked),
        action: 'trail.scoped',
        purpose: `principals=${principals.join(',')};from=${from.toISOString()};to=${to.toISOString()}`.slice(
          0,
          500,
        ),
        result: 'success',
        requestId: asked?.id ?? null,
      });
      const entries = (await readsBy(db, principals, from, to)).filter(
        (entry) => entry.result === 'success' && entry.fields.length > 0,
      );
      const bySubject = new Map<string, { fields: Set<string>; evidence: number[] }>();
      for (const entry of entries) {
        for (const subjectId of entry.subjects) {
          const found = bySubject.get(subjectId) ?? { fields: new Set<string>(), evidence: [] };
          for (const field of entry.fields) found.fields.add(field);
          found.evidence.push(entry.seq);
          bySubject.set(subjectId, found);
        }
      }
      return {
        principals: [...principals],
        from,
        to,
        subjects: [...bySubject.entries()]
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([subjectId, found]) => ({
            subjectId,
            fields: [...found.fields].sort(),
            evidence: found.evidence,
          })),
        entries,
      };
    },

    /** `bulwark trail verify`: see verifyTrail. The verification is recorded afterwards. */
    async verify(
      onProgress?: VerifyProgress,
      options: { parallelFrom?: number; threads?: number } = {},
    ): Promise<VerifyReport> {
      const report = await verifyTrail(
        {
          db,
          signer: deps.signer,
          checkpointFile: file,
          connectionString: deps.connectionString,
          ...options,
        },
        onProgress,
      );
      // Detection raises an infrastructure alert: a trail that does not verify may have been tampered with.
      if (!report.ok)
        deps.events.emit('trail.verification_failed', {
          firstBadSeq: report.problem?.seq ?? null,
          problems: 1,
        });
      return report;
    },

    /** Checkpoints every `trailCheckpointSeconds` while entries keep coming (and every N entries). */
    startCheckpoints(): void {
      if (timer) return;
      timer = setInterval(() => {
        const due =
          deps.clock.now().getTime() - lastCheckpointAt >= deps.config.trailCheckpointSeconds * 1000;
        if (due || appendedSinceCheckpoint >= deps.config.trailCheckpointEvery)
          void checkpoint().catch(() => {});
      }, 1_000);
      timer.unref();
    },

    async stop(): Promise<void> {
      if (timer) clearInterval(timer);
      timer = null;
      await checkpointing?.catch(() => {});
    },
  };
}

export type Trail = ReturnType<typeof createTrail>;

function describe(filter: SearchFilter): string {
  const parts = [
    filter.actorId ? `actor=${filter.actorId}` : null,
    filter.subjectId ? `subject=${filter.subjectId}` : null,
    filter.action ? `action=${filter.action}` : null,
    filter.from ? `from=${filter.from.toISOString()}` : null,
    filter.to ? `to=${filter.to.toISOString()}` : null,
    filter.before !== undefined ? `before=${filter.before}` : null,
  ].filter((part): part is string => part !== null);
  return parts.length > 0 ? parts.join(';') : 'everything';
}
