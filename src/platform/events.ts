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
  /** A verification of the chain found a broken, missing or reordered entry. */
  'trail.verification_failed': { firstBadSeq: number | null; problems: number };
  /**
   * A wrong password (or an unknown address): the client's network, the e-mail's blind index and, when the
   * account exists, its ID. Never the address typed.
   */
  'identity.login_failed': { network: string; account: string; userId: string | null };
  /** `newDevice` and `newNetwork`: the account logged in before, but never from this device or network. */
  'identity.login_succeeded': {
    userId: string;
    staff: boolean;
    network: string;
    newDevice: boolean;
    newNetwork: boolean;
  };
  /** An admin gave a staff member another role (their sessions were ended). */
  'identity.role_changed': { actorId: string; userId: string; from: string; to: string };
  /** A refresh token presented twice: its whole family (the session) was revoked. */
  'identity.refresh_reused': { sessionId: string; userId: string };
  /** A change the owner is warned about (password, e-mail, second factor, recovery codes). */
  'identity.security_changed': { userId: string; change: string };
  /** Observed at the HTTP edge: an authenticated caller refused an object (403) or told it is not there (404). */
  'http.object_refused': {
    principalId: string;
    principalKind: string;
    sessionId: string | null;
    network: string;
    route: string;
    objectId: string;
    status: number;
  };
  /** A request refused by a rate limit, with the layers it spent (`listing` for paged reads). */
  'http.rate_limited': { principalId: string | null; network: string; route: string; layers: string[] };
  /** A person's session used from a network (one event per authenticated request). */
  'http.session_used': { sessionId: string; userId: string; network: string };
  /** Detection: an alert raised (or grouped into an open one) and what was done about it. */
  'watch.alert_raised': { alertId: string; rule: string; severity: string; grouped: boolean };
  /** A high or critical alert: the seam where incident response opens or joins an incident. */
  'watch.incident_candidate': {
    alertId: string;
    rule: string;
    severity: string;
    principals: string[];
    networks: string[];
  };
  /** An alert the webhook never took, after the last retry. */
  'watch.alert_delivery_failed': { alertId: string; attempts: number; lastResult: string };
  /** A high-severity alert opened an incident (null: opened by hand), or joined one. */
  'respond.incident_opened': { incidentId: string; alertId: string | null };
  'respond.incident_updated': { incidentId: string; alertId: string };
  'watch.containment_applied': { containmentId: string; kind: string; targetType: string; targetId: string };
  'watch.containment_lifted': { containmentId: string; kind: string; liftedBy: string };
}

export type EventName = keyof BulwarkEvents;

/** Any event as a listener to every event receives it. */
export type AnyEvent = { [E in EventName]: BulwarkEvents[E] & { name: E; at: Date } }[EventName];

const EVERY = Symbol('every event');

export class EventBus {
  readonly #emitter = new EventEmitter();

  emit<E extends EventName>(name: E, payload: BulwarkEvents[E]): void {
    const event = { name, at: new Date(), ...payload };
    this.#emitter.emit(name, event);
    this.#emitter.emit(EVERY, event);
  }

  /** Every event, in emission order (detection, and the transport that carries events to other nodes). */
  onEvery(listener: (event: AnyEvent) => void): () => void {
    this.#emitter.on(EVERY, listener);
    return () => this.#emitter.off(EVERY, listener);
  }

  on<E extends EventName>(
    name: E,
    listener: (event: BulwarkEvents[E] & { name: E; at: Date }) => void,
  ): () => void {
    this.#emitter.on(name, listener);
    return () => this.#emitter.off(name, listener);
  }
}
