import { defineErrors } from '../../platform/errors.ts';

export const RespondErrors = defineErrors({
  RESPOND_INCIDENT_NOT_FOUND: { status: 404, title: 'No such incident' },
  RESPOND_STATE_CONFLICT: { status: 409, title: 'The incident cannot move to that state' },
  RESPOND_SCOPE_MISSING: { status: 409, title: 'The incident has no scope yet' },
  RESPOND_NOTHING_TO_APPROVE: { status: 409, title: 'There are no drafts to approve' },
  RESPOND_SELF_APPROVAL: { status: 409, title: 'A second person must do this' },
  RESPOND_DRAFTS_CHANGED: { status: 409, title: 'The drafts changed since they were read' },
  RESPOND_REPORT_INCOMPLETE: { status: 409, title: 'A regulator report lacks a required field' },
  RESPOND_REPORT_NOT_FOUND: { status: 404, title: 'No such regulator report' },
  RESPOND_PLAYBOOK_NOT_FOUND: { status: 404, title: 'No such playbook or step' },
  RESPOND_PLAYBOOK_NOT_STARTED: { status: 409, title: 'The playbook was not started on this incident' },
  RESPOND_STEP_MISMATCH: { status: 422, title: 'That is not how this step is completed' },
  RESPOND_STEP_CONFLICT: { status: 409, title: 'The step was already acted on' },
});
