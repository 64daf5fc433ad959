import { defineErrors } from '../../platform/errors.ts';

export const ShieldErrors = defineErrors({
  SHIELD_RATE_LIMITED: { status: 429, title: 'Too many requests' },
});
