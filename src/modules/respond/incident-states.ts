/**
 * An incident's lifecycle, after NIST SP 800-61's phases: detection, analysis (triage), containment,
 * eradication, recovery, and closing with lessons learned. Moves go forward (a phase may be skipped when
 * there is nothing to do in it); any open incident may be closed (a false alarm, a duplicate), and a
 * closed one reopened to triage when new evidence comes.
 */
export const INCIDENT_STATES = [
  'detected',
  'triaged',
  'contained',
  'eradicated',
  'recovered',
  'closed',
] as const;
export type IncidentState = (typeof INCIDENT_STATES)[number];

export const INCIDENT_SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;
export type IncidentSeverity = (typeof INCIDENT_SEVERITIES)[number];

/** Whether an incident in `from` may move to `to`. */
export function canMove(from: IncidentState, to: IncidentState): boolean {
  if (from === to) return false;
  if (from === 'closed') return to === 'triaged';
  return INCIDENT_STATES.indexOf(to) > INCIDENT_STATES.indexOf(from);
}

/** The higher of two severities: an incident is as severe as the worst alert in it. */
export function worse(a: IncidentSeverity, b: IncidentSeverity): IncidentSeverity {
  return INCIDENT_SEVERITIES.indexOf(a) >= INCIDENT_SEVERITIES.indexOf(b) ? a : b;
}

export function isSeverity(value: string): value is IncidentSeverity {
  return (INCIDENT_SEVERITIES as readonly string[]).includes(value);
}
