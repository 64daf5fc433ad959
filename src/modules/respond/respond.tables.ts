import type { Generated, Kysely, Selectable } from 'kysely';
import type { IncidentSeverity, IncidentState } from './incident-states.ts';

/** An incident: what happened, how bad, where it stands, whose it is, and since when we know. */
export interface RespondIncidentsTable {
  /** Cursor order for the console: newest first. */
  seq: Generated<number>;
  id: string;
  title: string;
  severity: IncidentSeverity;
  state: IncidentState;
  ownerId: string | null;
  /** `watch` when an alert opened it, else the staff member who did. */
  openedBy: string;
  /** The moment of awareness: notification clocks run from here. */
  awareAt: Date;
  updatedAt: Date;
  /** JSON arrays: the suspect principals and networks, merged from every alert joined. */
  principals: string;
  networks: string;
  /** The scope last computed: its window and principals (JSON), and when. */
  scopeFrom: Date | null;
  scopeTo: Date | null;
  scopePrincipals: string | null;
  scopeComputedAt: Date | null;
  /** JSON: people, byField, byCategory, byCountry, taken with the scope. */
  scopeCounts: string | null;
  /** JSON: the staff's assessment (what happened, cause, consequences, measures), see assessment.ts. */
  assessment: string | null;
}

export type NoticeAudience = 'person' | 'regulator';
/**
 * `draft` until a second person approves; `approved` waits to be put in the outbox; `queued` is in it
 * (`delivery` mirrors the outbox: pending, sent, failed, dead); `filed` is a regulator report someone
 * submitted through the regulator's own channel; `withdrawn` was replaced by a newer draft.
 */
export type NoticeStatus = 'draft' | 'approved' | 'queued' | 'filed' | 'withdrawn';

export interface RespondNoticesTable {
  seq: Generated<number>;
  id: string;
  incidentId: string;
  audience: NoticeAudience;
  recipient: string;
  country: string | null;
  language: string;
  /** JSON: what the notice says (person: kinds of data, no values; regulator: the report). */
  content: string;
  status: NoticeStatus;
  draftedBy: string;
  draftedAt: Date;
  draftBatch: string;
  approvedBy: string | null;
  approvedAt: Date | null;
  messageId: string | null;
  queuedAt: Date | null;
  sentAt: Date | null;
  delivery: string | null;
  filedBy: string | null;
  filedAt: Date | null;
  filedReference: string | null;
  /** `preliminary` or `final` (a regulator with two reports); a one-report regulator's filing is final. */
  filedStage: string | null;
}

/** One person in an incident's scope: which of their fields, on which trail entries, and their country. */
export interface RespondIncidentSubjectsTable {
  incidentId: string;
  subjectId: string;
  /** JSON arrays: field names, trail entry numbers. */
  fields: string;
  evidence: string;
  country: string | null;
}

/** Which incident each alert belongs to (an alert joins one incident at most). */
export interface RespondIncidentAlertsTable {
  alertId: string;
  incidentId: string;
}

/** What happened to an incident, in order: alerts, containments, state changes, owners, notes. */
export interface RespondTimelineTable {
  seq: Generated<number>;
  incidentId: string;
  at: Date;
  kind:
    | 'opened'
    | 'alert'
    | 'containment'
    | 'state'
    | 'assigned'
    | 'note'
    | 'scope'
    | 'assessment'
    | 'notices'
    | 'playbook';
  /** Who did it: a staff member's ID, or `watch` for detection. */
  actorId: string;
  text: string;
  /** An alert or containment ID, or the new state or owner. */
  ref: string | null;
}

/** One step of a playbook started on an incident: where it stands, who last acted and what came of it. */
export interface RespondPlaybookStepsTable {
  incidentId: string;
  playbookId: string;
  stepId: string;
  status: string;
  actorId: string | null;
  at: Date | null;
  outcome: string | null;
}

export interface RespondTables {
  respondIncidents: RespondIncidentsTable;
  respondIncidentAlerts: RespondIncidentAlertsTable;
  respondTimeline: RespondTimelineTable;
  respondIncidentSubjects: RespondIncidentSubjectsTable;
  respondNotices: RespondNoticesTable;
  respondPlaybookSteps: RespondPlaybookStepsTable;
}

export type RespondDb = Kysely<RespondTables>;
export type IncidentRow = Selectable<RespondIncidentsTable>;
export type TimelineRow = Selectable<RespondTimelineTable>;
export type NoticeRow = Selectable<RespondNoticesTable>;
