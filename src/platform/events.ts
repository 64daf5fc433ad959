import { EventEmitter } from 'node:events';

/**
 * Typed security events, past tense, that modules emit and `watch` consumes. In process today; a Redis
 * transport joins the nodes when REDIS_URL is set (watch issue). Payloads carry IDs, never plaintext PII.
 */
export interface BulwarkEvents {
  'vault.decryption_failed': { table: string; column: string; rowId: string; reason: string };
  'vault.pii_revealed': {
    actorId: string;
    actorRole: string;
    subjectId: string;
    fields: string[];
    purpose: string;
  };
  'vault.key_rotated': { fromVersions: number[]; toVersion: number; rewrapped: number };
  'vault.data_key_shredded': { ownerId: string };
  /** Shared rate-limit buckets became unreachable: each node now limits on its own (never unlimited). */
  'shield.limiter_degraded': { store: 'redis'; reason: string };
  'shield.limiter_recovered': { store: 'redis'; degradedForMs: number };
  /** A reveal refused because the actor reached its PII read budget (DESIGN §6, exfiltration). */
  'shield.pii_budget_exceeded': { actorId: string; role: string; window: 'hour' | 'day'; limit: number };
  /** A source marked as automated: it must answer a challenge on the credential routes until `until`. */
  'shield.suspect_marked': { network: string; scope: 'address' | 'network'; reason: string; until: string };
  /** A suspect source met a challenge, failed one (wrong, expired, replayed) or passed one. */
  'shield.challenge_required': { network: string; route: string };
  'shield.challenge_failed': { network: string; route: string };
  'shield.challenge_passed': { network: string; route: string };
  /** Two-person bulk exports of personal data: IDs and counts only. */
  'shield.pii_export_requested': { exportId: string; requesterId: string; subjects: number };
  'shield.pii_export_self_approval_refused': { exportId: string; actorId: string };
  'shield.pii_export_approved': {
    exportId: string;
    requesterId: string;
    approverId: string;
    subjects: number;
  };
  'shield.pii_export_downloaded': {
    exportId: string;
    requesterId: string;
    approverId: string;
    subjects: number;
    unavailable: number;
  };
  /** A signed trail checkpoint was written (database and file); a sink that could not take it. */
  'trail.checkpoint_written': { seq: number };
  'trail.checkpoint_sink_failed': { sink: 'file' | 'webhook'; seq: number; reason: string };
}

export type EventName = keyof BulwarkEvents;

export class EventBus {
  readonly #emitter = new EventEmitter();

  emit<E extends EventName>(name: E, payload: BulwarkEvents[E]): void {
    this.#emitter.emit(name, { name, at: new Date(), ...payload });
  }

  on<E extends EventName>(
    name: E,
    listener: (event: BulwarkEvents[E] & { name: E; at: Date }) => void,
  ): () => void {
    this.#emitter.on(name, listener);
    return () => this.#emitter.off(name, listener);
  }
}
