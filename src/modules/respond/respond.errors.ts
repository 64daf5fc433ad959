import { defineErrors } from '../../platform/errors.ts';

export const RespondErrors = defineErrors({
  RESPOND_INCIDENT_NOT_FOUND: { status: 404, title: 'No such incident' },
  RESPOND_STATE_CONFLICT: { status: 409, title: 'The incident cannot move to that state' },
});
