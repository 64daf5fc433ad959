/**
 * The closed catalogue of what the trail records, in the past tense (STYLE habit 10). Adding an action is
 * a code change, so nothing can write an entry nobody knows how to read.
 */
export const TRAIL_ACTIONS = [
  // Personal data: a staff reveal through the vault, data returned to its owner, a bulk export.
  'pii.revealed',
  'pii.returned',
  // Authentication.
  'auth.registered',
  'auth.login_succeeded',
  'auth.login_failed',
  'auth.second_factor_succeeded',
  'auth.second_factor_failed',
  'auth.session_created',
  'auth.session_revoked',
  'auth.sessions_revoked',
  'auth.logged_out',
  'auth.refresh_succeeded',
  'auth.refresh_failed',
  'auth.refresh_reused',
  'auth.step_up_succeeded',
  'auth.step_up_failed',
  'auth.password_changed',
  'auth.password_reset_requested',
  'auth.password_reset_completed',
  'auth.factor_changed',
  'auth.email_change_requested',
  'auth.not_me_reported',
  'auth.access_refused',
  // Staff and privileged work.
  'staff.created',
  'staff.action_performed',
  'staff.action_refused',
  'role.changed',
  'config.changed',
  'key.rotated',
  'key.signing_rotated',
  'api_key.created',
  'api_key.revoked',
  // Two-person bulk exports.
  'export.requested',
  'export.approved',
  'export.downloaded',
  // Containment (watch and respond).
  'containment.applied',
  'containment.lifted',
  // The trail itself.
  'trail.searched',
  'trail.scoped',
  'trail.verified',
  'trail.archived',
  'trail.pruned',
] as const;

export type TrailAction = (typeof TRAIL_ACTIONS)[number];
