import { defineErrors } from '../errors.ts';

/**
 * What the SSRF-safe fetcher throws. Callers map these to their own codes; the details name the rule that
 * refused, never the URL (it may carry a secret, such as a password's hash prefix) or the upstream body.
 */
export const OutboundErrors = defineErrors({
  OUTBOUND_REFUSED: { status: 502, title: 'The outbound request was refused' },
  OUTBOUND_TIMEOUT: { status: 504, title: 'The upstream service did not answer in time' },
  OUTBOUND_TOO_LARGE: { status: 502, title: 'The upstream answer is too large' },
  OUTBOUND_FAILED: { status: 502, title: 'The upstream service could not be reached' },
});

export type OutboundErrorCode = keyof typeof OutboundErrors.catalogue;
