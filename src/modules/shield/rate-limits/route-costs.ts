/**
 * What a route costs against the principal and route budgets, and whether it is also limited per target
 * account. Routes not listed cost 1. A route may declare `config.rateCost` instead; the declaration wins.
 * Keys are `METHOD url` exactly as registered; a test fails when an entry names no route.
 */
export interface RouteRate {
  /** Points one call spends from the principal and route budgets. */
  readonly cost: number;
  /** Also spend one point from the budget of the account named by `body.email` (login, reset, sign-up). */
  readonly perAccount?: true;
}

// Anything that runs Argon2id, sends a message, checks a credential or looks people up costs more: those
// are what floods aim at (Dell's 2024 look-up scraping, 23andMe's credential stuffing).
const CREDENTIAL = 10;
const MESSAGE = 20;
const LOOK_UP = 10;
const CHALLENGE = 5;

export const ROUTE_COSTS: Readonly<Record<string, RouteRate>> = {
  'POST /v1/auth/register': { cost: MESSAGE, perAccount: true },
  'POST /v1/auth/token': { cost: CREDENTIAL, perAccount: true },
  'POST /v1/auth/login': { cost: CREDENTIAL, perAccount: true },
  'POST /v1/auth/password-reset': { cost: MESSAGE, perAccount: true },
  'POST /v1/auth/token/mfa': { cost: CREDENTIAL },
  'POST /v1/auth/login/mfa': { cost: CREDENTIAL },
  'POST /v1/auth/refresh': { cost: 2 },
  'POST /v1/auth/step-up': { cost: CREDENTIAL },
  'POST /v1/auth/password-reset/confirm': { cost: CREDENTIAL },
  'POST /v1/auth/not-me': { cost: CREDENTIAL },
  'POST /v1/auth/email-change/confirm': { cost: CREDENTIAL },
  'POST /v1/auth/passkey/options': { cost: CHALLENGE },
  'POST /v1/auth/passkey/token': { cost: CREDENTIAL },
  'POST /v1/auth/passkey/login': { cost: CREDENTIAL },
  'POST /v1/auth/mfa/passkey-options': { cost: CHALLENGE },
  'POST /v1/auth/token/mfa/passkey': { cost: CREDENTIAL },
  'POST /v1/auth/login/mfa/passkey': { cost: CREDENTIAL },
  'POST /v1/auth/step-up/passkey/options': { cost: CHALLENGE },
  'POST /v1/auth/step-up/passkey': { cost: CREDENTIAL },
  'POST /v1/me/password': { cost: CREDENTIAL },
  'POST /v1/me/email': { cost: MESSAGE },
  'POST /v1/me/mfa/totp/confirm': { cost: CREDENTIAL },
  'POST /v1/me/passkeys/options': { cost: CHALLENGE },
  'POST /v1/admin/api-keys': { cost: CREDENTIAL },
  'POST /v1/links/parse': { cost: CHALLENGE },
  // Fetches the item page from the marketplace: each call costs us an outbound request.
  'POST /v1/links/resolve': { cost: LOOK_UP },
  'GET /v1/staff/customers': { cost: LOOK_UP },
  'GET /v1/staff/customers/:id': { cost: CHALLENGE },
  'POST /v1/staff/customers/:id/reveal': { cost: LOOK_UP },
  'GET /v1/me/export': { cost: MESSAGE },
};

/** The largest cost any listed route has: the principal and route budgets must allow at least one call. */
export const MAX_ROUTE_COST = Math.max(...Object.values(ROUTE_COSTS).map((rate) => rate.cost));
