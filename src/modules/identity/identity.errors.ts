import { defineErrors } from '../../platform/errors.ts';

export const IdentityErrors = defineErrors({
  IDENTITY_INVALID_CREDENTIALS: { status: 401, title: 'Invalid credentials' },
  IDENTITY_INVALID_REFRESH_TOKEN: { status: 401, title: 'Invalid refresh token' },
  IDENTITY_UNAUTHENTICATED: { status: 401, title: 'Authentication required' },
  IDENTITY_FORBIDDEN: { status: 403, title: 'Forbidden' },
  IDENTITY_CSRF_FAILED: { status: 403, title: 'Cross-site request refused' },
  IDENTITY_WEAK_PASSWORD: { status: 422, title: 'The password is not acceptable' },
  IDENTITY_INVALID_PROFILE: { status: 422, title: 'The profile is not valid' },
  IDENTITY_SESSION_NOT_FOUND: { status: 404, title: 'Not found' },
  IDENTITY_EMAIL_TAKEN: { status: 409, title: 'The e-mail address is in use' },
});
