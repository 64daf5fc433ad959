import type { Generated, Kysely, Selectable } from 'kysely';

/** One alert per rule and group (a network, a principal, a session), grouping every later firing. */
export interface WatchAlertsTable {
  /** Cursor order for the security console: newest first. */
  seq: Generated<number>;
  id: string;
  rule: string;
  severity: string;
  /** `rule:group`: unique, so a second firing (or a second node) joins the alert instead of a new one. */
  dedupeKey: string;
  summary: string;
  /** JSON: IDs, networks, counts and thresholds, never personal data. */
  evidence: string;
  /** JSON arrays of principal IDs and networks. */
  principals: string;
  networks: string;
  count: number;
  firstSeenAt: Date;
  lastSeenAt: Date;
}

/** An action taken against a network, session, user or key; lifted by security staff, never deleted. */
export interface WatchContainmentsTable {
  id: string;
  alertId: string | null;
  kind: string;
  targetType: string;
  targetId: string;
  reason: string;
  appliedAt: Date;
  /** Network marks and blocks lapse; revocations and locks have no end until lifted. */
  until: Date | null;
  liftedAt: Date | null;
  liftedBy: string | null;
}

/** A new alert on its way to the webhook: `pending` until the receiver answers 2xx, `dead` after the last try. */
export interface WatchDeliveriesTable {
  alertId: string;
  status: Generated<'pending' | 'delivered' | 'dead'>;
  attempts: Generated<number>;
  /** When the next attempt is due; pushed forward while an attempt is under way (the claim). */
  dueAt: Date;
  /** The last failure: an HTTP status or an error name, never a body. */
  lastResult: string | null;
  deliveredAt: Date | null;
}

export interface WatchTables {
  watchAlerts: WatchAlertsTable;
  watchContainments: WatchContainmentsTable;
  watchDeliveries: WatchDeliveriesTable;
}

export type WatchDb = Kysely<WatchTables>;
export type AlertRow = Selectable<WatchAlertsTable>;
export type ContainmentRow = Selectable<WatchContainmentsTable>;
