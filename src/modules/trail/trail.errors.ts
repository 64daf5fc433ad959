import { defineErrors } from '../../platform/errors.ts';

export const TrailErrors = defineErrors({
  TRAIL_INVALID_QUERY: { status: 400, title: 'The trail query is not valid' },
  TRAIL_WINDOW_TOO_LARGE: { status: 422, title: 'The time window is too large' },
});
