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
