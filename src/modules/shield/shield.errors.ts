import { defineErrors } from '../../platform/errors.ts';

export const ShieldErrors = defineErrors({
  SHIELD_RATE_LIMITED: { status: 429, title: 'Too many requests' },
  // Challenges for sources marked as automated (challenges/).
  SHIELD_CHALLENGE_REQUIRED: { status: 403, title: 'Solve a challenge first' },
  SHIELD_CHALLENGE_FAILED: { status: 403, title: 'The challenge answer was not accepted' },
  SHIELD_SUSPECT_INVALID: { status: 422, title: 'Not a source that can be marked' },
  // Route freezes, the kill switch (freezes/).
  SHIELD_ROUTE_FROZEN: { status: 503, title: 'This part of the API is frozen during an incident' },
  SHIELD_FREEZE_INVALID: { status: 422, title: 'Not a route prefix that can be frozen' },
  SHIELD_FREEZE_NOT_FOUND: { status: 404, title: 'That prefix is not frozen' },
  // PII read budgets and two-person bulk exports (budgets/).
  SHIELD_PII_BUDGET_EXCEEDED: { status: 429, title: 'Personal-data read budget spent' },
  SHIELD_PII_BUDGET_NONE: { status: 403, title: 'Your role has no budget for personal data' },
  SHIELD_EXPORT_NOT_FOUND: { status: 404, title: 'No such export' },
  SHIELD_EXPORT_INVALID: { status: 422, title: 'The export request is not valid' },
  SHIELD_EXPORT_TOO_LARGE: { status: 422, title: 'The export holds more people than allowed' },
  SHIELD_EXPORT_SELF_APPROVAL: { status: 403, title: 'A second person must approve' },
  SHIELD_EXPORT_NOT_REQUESTER: { status: 403, title: 'Only the requester may download' },
  SHIELD_EXPORT_STATE_CONFLICT: { status: 409, title: 'The export is not in a state for this' },
  SHIELD_EXPORT_GONE: { status: 410, title: 'The export expired or was downloaded' },
});
