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

export interface WatchTables {
  watchAlerts: WatchAlertsTable;
  watchContainments: WatchContainmentsTable;
}

export type WatchDb = Kysely<WatchTables>;
export type AlertRow = Selectable<WatchAlertsTable>;
export type ContainmentRow = Selectable<WatchContainmentsTable>;
