import { defineErrors } from '../../platform/errors.ts';

export const WatchErrors = defineErrors({
  WATCH_CONTAINMENT_NOT_FOUND: { status: 404, title: 'No such containment' },
  WATCH_NETWORK_BLOCKED: { status: 403, title: 'Requests from this network are blocked for a while' },
  WATCH_METRICS_FORBIDDEN: { status: 403, title: 'Metrics are not open to this client' },
});
