/** WebAuthn passkeys inside identity: a second factor, a passwordless login, and a step-up proof. */
export { registerPasskeyRoutes } from './passkeys.routes.ts';
export { createPasskeys, MAX_PASSKEYS, type Passkeys } from './passkeys.service.ts';
