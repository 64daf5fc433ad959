import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { concreteUrl } from '../helpers/route-params.ts';
import {
  backdateAuthentication,
  createTestApp,
  expectProblem,
  type Shopper,
  type StaffMember,
  signUp,
  staffMember,
  type TestApp,
  uniqueEmail,
} from '../helpers/test-app.ts';

/**
 * Broken function-level authorization: a role reaching another role's routes. Every declared route is
 * called by every kind of caller, and the access layer's answer is compared with the table below.
 *
 * The table is written by hand from DESIGN §5 (who may see what), never derived from ROLE_PERMISSIONS or
 * the routes' declarations, so it can disagree with the code. A route without a row fails the test: each
 * new route needs a decision about who may call it.
 *
 * Columns: anon = no credentials; shop = a shopper; supp, ware, fin, sec, adm = staff in those roles (with
 * a second factor); svc = a service API key with the scopes in SERVICE_KEY_SCOPES; new = an admin who has
 * not enrolled a second factor yet (an enrolment-only session). `+` reaches the route (any answer but 401,
 * 403 or 5xx), `-` is refused by the access layer: 401 IDENTITY_UNAUTHENTICATED without credentials, 403
 * IDENTITY_MFA_ENROLMENT_REQUIRED for the enrolment-only session, 403 IDENTITY_FORBIDDEN otherwise.
 */
const MATRIX = `
method route                                     anon shop supp ware fin  sec  adm  svc  new

# operations and docs (public)
GET    /healthz                                  +    +    +    +    +    +    +    +    +
GET    /readyz                                   +    +    +    +    +    +    +    +    +
GET    /openapi.json                             +    +    +    +    +    +    +    +    +
# metrics: public as a route, gated by its own token or address allow-list (404 when neither is set)
GET    /metrics                                  +    +    +    +    +    +    +    +    +
GET    /.well-known/jwks.json                    +    +    +    +    +    +    +    +    +
GET    /                                         +    +    +    +    +    +    +    +    +

# signing up, logging in, and the links people follow from their mailbox (public)
POST   /v1/auth/register                         +    +    +    +    +    +    +    +    +
POST   /v1/auth/token                            +    +    +    +    +    +    +    +    +
POST   /v1/auth/token/mfa                        +    +    +    +    +    +    +    +    +
POST   /v1/auth/login                            +    +    +    +    +    +    +    +    +
POST   /v1/auth/login/mfa                        +    +    +    +    +    +    +    +    +
POST   /v1/auth/refresh                          +    +    +    +    +    +    +    +    +
POST   /v1/auth/password-reset                   +    +    +    +    +    +    +    +    +
POST   /v1/auth/password-reset/confirm           +    +    +    +    +    +    +    +    +
POST   /v1/auth/not-me                           +    +    +    +    +    +    +    +    +
POST   /v1/auth/email-change/confirm             +    +    +    +    +    +    +    +    +
POST   /v1/auth/passkey/options                  +    +    +    +    +    +    +    +    +
POST   /v1/auth/passkey/token                    +    +    +    +    +    +    +    +    +
POST   /v1/auth/passkey/login                    +    +    +    +    +    +    +    +    +
POST   /v1/auth/mfa/passkey-options              +    +    +    +    +    +    +    +    +
POST   /v1/auth/token/mfa/passkey                +    +    +    +    +    +    +    +    +
POST   /v1/auth/login/mfa/passkey                +    +    +    +    +    +    +    +    +

# a person's own session and second factors: open to a staff member still owing one
POST   /v1/auth/step-up                          -    +    +    +    +    +    +    -    +
POST   /v1/auth/logout                           -    +    +    +    +    +    +    -    +
GET    /v1/me                                    -    +    +    +    +    +    +    -    +
GET    /v1/me/mfa                                -    +    +    +    +    +    +    -    +
POST   /v1/me/mfa/totp                           -    +    +    +    +    +    +    -    +
POST   /v1/me/mfa/totp/confirm                   -    +    +    +    +    +    +    -    +
POST   /v1/auth/step-up/passkey/options          -    +    +    +    +    +    +    -    +
POST   /v1/auth/step-up/passkey                  -    +    +    +    +    +    +    -    +
GET    /v1/me/passkeys                           -    +    +    +    +    +    +    -    +
POST   /v1/me/passkeys/options                   -    +    +    +    +    +    +    -    +
POST   /v1/me/passkeys                           -    +    +    +    +    +    +    -    +

# a person's own account: any person with a complete login, never a service
PATCH  /v1/me                                    -    +    +    +    +    +    +    -    -
POST   /v1/me/password                           -    +    +    +    +    +    +    -    -
POST   /v1/me/email                              -    +    +    +    +    +    +    -    -
GET    /v1/me/logins                             -    +    +    +    +    +    +    -    -
GET    /v1/me/anti-phishing                      -    +    +    +    +    +    +    -    -
PUT    /v1/me/anti-phishing                      -    +    +    +    +    +    +    -    -
DELETE /v1/me/anti-phishing                      -    +    +    +    +    +    +    -    -
GET    /v1/me/sessions                           -    +    +    +    +    +    +    -    -
DELETE /v1/me/sessions/:id                       -    +    +    +    +    +    +    -    -
POST   /v1/me/sessions/revoke-others             -    +    +    +    +    +    +    -    -
DELETE /v1/me/mfa/totp                           -    +    +    +    +    +    +    -    -
POST   /v1/me/mfa/recovery-codes                 -    +    +    +    +    +    +    -    -
DELETE /v1/me/passkeys/:id                       -    +    +    +    +    +    +    -    -
GET    /v1/me/notices                            -    +    +    +    +    +    +    -    -
POST   /v1/me/notices/:id/read                   -    +    +    +    +    +    +    -    -
GET    /v1/shipping-lines                        -    +    +    +    +    +    +    -    -

# a shopper's own things: shoppers only
DELETE /v1/me                                    -    +    -    -    -    -    -    -    -
GET    /v1/me/export                             -    +    -    -    -    -    -    -    -
GET    /v1/me/addresses                          -    +    -    -    -    -    -    -    -
POST   /v1/me/addresses                          -    +    -    -    -    -    -    -    -
GET    /v1/me/addresses/:id                      -    +    -    -    -    -    -    -    -
PATCH  /v1/me/addresses/:id                      -    +    -    -    -    -    -    -    -
DELETE /v1/me/addresses/:id                      -    +    -    -    -    -    -    -    -
POST   /v1/links/parse                           -    +    -    -    -    -    -    -    -
POST   /v1/links/resolve                         -    +    -    -    -    -    -    -    -
GET    /v1/orders                                -    +    -    -    -    -    -    -    -
POST   /v1/orders                                -    +    -    -    -    -    -    -    -
GET    /v1/orders/:id                            -    +    -    -    -    -    -    -    -
POST   /v1/orders/:id/pay                        -    +    -    -    -    -    -    -    -
POST   /v1/orders/:id/approve                    -    +    -    -    -    -    -    -    -
POST   /v1/orders/:id/cancel                     -    +    -    -    -    -    -    -    -
POST   /v1/orders/:id/return                     -    +    -    -    -    -    -    -    -
GET    /v1/orders/:id/photos/:photoId            -    +    -    -    -    -    -    -    -
GET    /v1/parcels                               -    +    -    -    -    -    -    -    -
POST   /v1/parcels                               -    +    -    -    -    -    -    -    -
GET    /v1/parcels/:id                           -    +    -    -    -    -    -    -    -
POST   /v1/parcels/:id/pay                       -    +    -    -    -    -    -    -    -
POST   /v1/parcels/:id/cancel                    -    +    -    -    -    -    -    -    -
POST   /v1/parcels/:id/address                   -    +    -    -    -    -    -    -    -
GET    /v1/wallet                                -    +    -    -    -    -    -    -    -
GET    /v1/wallet/transactions                   -    +    -    -    -    -    -    -    -
POST   /v1/wallet/top-ups                        -    +    -    -    -    -    -    -    -
POST   /v1/wallet/withdrawals                    -    +    -    -    -    -    -    -    -

# customers, masked, and reveals with a reason: support and admin (never a key: no step-up for it)
GET    /v1/staff/customers                       -    -    +    -    -    -    +    -    -
GET    /v1/staff/customers/:id                   -    -    +    -    -    -    +    -    -
POST   /v1/staff/customers/:id/reveal            -    -    +    -    -    -    +    -    -

# two-person bulk exports of customers' personal data: whoever may reveal (asked, approved, downloaded
# with step-up; each step by a person, so never a key)
GET    /v1/staff/exports                         -    -    +    -    -    -    +    -    -
POST   /v1/staff/exports                         -    -    +    -    -    -    +    -    -
GET    /v1/staff/exports/:id                     -    -    +    -    -    -    +    -    -
POST   /v1/staff/exports/:id/approve             -    -    +    -    -    -    +    -    -
GET    /v1/staff/exports/:id/download            -    -    +    -    -    -    +    -    -

# the audit trail: security staff only (each search and scope question is itself recorded)
GET    /v1/security/trail                        -    -    -    -    -    +    -    -    -
GET    /v1/security/trail/scope                  -    -    -    -    -    +    -    -    -

# detection: alerts and containments for security staff; lifting one needs security:contain and step-up
GET    /v1/security/alerts                       -    -    -    -    -    +    -    -    -
GET    /v1/security/containments                 -    -    -    -    -    +    -    -    -
POST   /v1/security/containments/:id/lift        -    -    -    -    -    +    -    -    -

# incidents: security staff read and run them
GET    /v1/security/incidents                    -    -    -    -    -    +    -    -    -
POST   /v1/security/incidents                    -    -    -    -    -    +    -    -    -
GET    /v1/security/incidents/:id                -    -    -    -    -    +    -    -    -
POST   /v1/security/incidents/:id/state          -    -    -    -    -    +    -    -    -
POST   /v1/security/incidents/:id/assign         -    -    -    -    -    +    -    -    -
POST   /v1/security/incidents/:id/notes          -    -    -    -    -    +    -    -    -
POST   /v1/security/incidents/:id/scope          -    -    -    -    -    +    -    -    -
GET    /v1/security/incidents/:id/subjects       -    -    -    -    -    +    -    -    -
# playbooks and the kill switch's route freezes: security staff (steps and freezes with step-up)
GET    /v1/security/playbooks                    -    -    -    -    -    +    -    -    -
GET    /v1/security/incidents/:id/playbooks      -    -    -    -    -    +    -    -    -
POST   /v1/security/incidents/:id/playbooks      -    -    -    -    -    +    -    -    -
POST   /v1/security/incidents/:id/playbooks/:playbook/steps/:step -    -    -    -    -    +    -    -    -
GET    /v1/security/freezes                      -    -    -    -    -    +    -    -    -
POST   /v1/security/freezes                      -    -    -    -    -    +    -    -    -
DELETE /v1/security/freezes                      -    -    -    -    -    +    -    -    -
# drill history: recorded by a drill's referee, read by security staff
GET    /v1/security/drills                       -    -    -    -    -    +    -    -    -
POST   /v1/security/drills                       -    -    -    -    -    +    -    -    -
GET    /v1/security/drills/schedule              -    -    -    -    -    +    -    -    -
PUT    /v1/security/drills/schedule              -    -    -    -    -    +    -    -    -
DELETE /v1/security/drills/schedule              -    -    -    -    -    +    -    -    -
# breach notices and regulator reports: security staff (approval also needs a second person and step-up)
GET    /v1/security/incidents/:id/obligations    -    -    -    -    -    +    -    -    -
GET    /v1/security/incidents/:id/assessment     -    -    -    -    -    +    -    -    -
PUT    /v1/security/incidents/:id/assessment     -    -    -    -    -    +    -    -    -
POST   /v1/security/incidents/:id/notices/draft  -    -    -    -    -    +    -    -    -
POST   /v1/security/incidents/:id/notices/approve -    -    -    -    -    +    -    -    -
GET    /v1/security/incidents/:id/notices        -    -    -    -    -    +    -    -    -
GET    /v1/security/incidents/:id/reports/:key   -    -    -    -    -    +    -    -    -
POST   /v1/security/incidents/:id/notices/:noticeId/filed -    -    -    -    -    +    -    -    -

# orders and parcels, read: support, warehouse, finance, admin, and a key with orders:read
GET    /v1/staff/orders                          -    -    +    +    +    -    +    +    -
GET    /v1/staff/orders/:id                      -    -    +    +    +    -    +    +    -
GET    /v1/staff/orders/:id/photos/:photoId      -    -    +    +    +    -    +    +    -
GET    /v1/staff/parcels                         -    -    +    +    +    -    +    +    -

# processing orders: the warehouse (the key here lacks orders:process)
POST   /v1/staff/orders/:id/purchasing           -    -    -    +    -    -    -    -    -
POST   /v1/staff/orders/:id/purchased            -    -    -    +    -    -    -    -    -
POST   /v1/staff/orders/:id/arrival              -    -    -    +    -    -    -    -    -
POST   /v1/staff/orders/:id/photos               -    -    -    +    -    -    -    -    -
POST   /v1/staff/orders/:id/qc-ready             -    -    -    +    -    -    -    -    -
POST   /v1/staff/orders/:id/cancel               -    -    -    +    -    -    -    -    -
POST   /v1/staff/orders/:id/return-completed     -    -    -    +    -    -    -    -    -

# processing parcels: the warehouse, and a key with parcels:process
POST   /v1/staff/parcels/:id/pack                -    -    -    +    -    -    -    +    -
POST   /v1/staff/parcels/:id/ship                -    -    -    +    -    -    -    +    -
POST   /v1/staff/parcels/:id/delivered           -    -    -    +    -    -    -    +    -

# service keys: admin only
GET    /v1/admin/api-keys                        -    -    -    -    -    -    +    -    -
POST   /v1/admin/api-keys                        -    -    -    -    -    -    +    -    -
DELETE /v1/admin/api-keys/:id                    -    -    -    -    -    -    +    -    -
PUT    /v1/admin/staff/:id/role                  -    -    -    -    -    -    +    -    -
`;

const CALLERS = ['anon', 'shop', 'supp', 'ware', 'fin', 'sec', 'adm', 'svc', 'new'] as const;
type Caller = (typeof CALLERS)[number];

/** The service key's scopes: one read and one processing scope, neither of them everything. */
const SERVICE_KEY_SCOPES = ['orders:read', 'parcels:process'];

interface Row {
  readonly route: string;
  readonly allowed: ReadonlySet<Caller>;
}

function parseMatrix(text: string): Row[] {
  const lines = text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  const [header, ...rows] = lines;
  expect(header?.split(/\s+/).slice(2)).toEqual([...CALLERS]);
  return rows.map((line) => {
    const [method, url, ...marks] = line.split(/\s+/);
    if (!method || !url || marks.length !== CALLERS.length || marks.some((m) => m !== '+' && m !== '-')) {
      throw new Error(`malformed matrix row: ${line}`);
    }
    return {
      route: `${method} ${url}`,
      allowed: new Set(CALLERS.filter((_, index) => marks[index] === '+')),
    };
  });
}

const EXPECTED = parseMatrix(MATRIX);
const isDocs = (url: string) => url === '/docs' || url.startsWith('/docs/');

/** The refusal each caller gets from the access layer on a route it may not use. */
const REFUSAL: Record<Caller, { status: number; code: string }> = {
  anon: { status: 401, code: 'IDENTITY_UNAUTHENTICATED' },
  new: { status: 403, code: 'IDENTITY_MFA_ENROLMENT_REQUIRED' },
  shop: { status: 403, code: 'IDENTITY_FORBIDDEN' },
  supp: { status: 403, code: 'IDENTITY_FORBIDDEN' },
  ware: { status: 403, code: 'IDENTITY_FORBIDDEN' },
  fin: { status: 403, code: 'IDENTITY_FORBIDDEN' },
  sec: { status: 403, code: 'IDENTITY_FORBIDDEN' },
  adm: { status: 403, code: 'IDENTITY_FORBIDDEN' },
  svc: { status: 403, code: 'IDENTITY_FORBIDDEN' },
};

describe('route × role matrix', () => {
  let test: TestApp;
  let shopper: Shopper;
  let admin: StaffMember;
  const headers = {} as Record<Caller, Record<string, string>>;

  beforeAll(async () => {
    test = await createTestApp();
    shopper = await signUp(test);
    admin = await staffMember(test, 'admin');
    const [support, warehouse, finance, security] = await Promise.all([
      staffMember(test, 'support'),
      staffMember(test, 'warehouse'),
      staffMember(test, 'finance'),
      staffMember(test, 'security'),
    ]);

    const created = await admin.client.post('/v1/admin/api-keys', {
      name: 'role matrix',
      scopes: SERVICE_KEY_SCOPES,
      expiresInDays: 1,
    });
    if (created.statusCode !== 201) throw new Error(`API key creation failed: ${created.body}`);
    expect(created.json().scopes).toEqual(SERVICE_KEY_SCOPES);

    // An admin created without a second factor: the password alone opens an enrolment-only session.
    const email = uniqueEmail('admin');
    const password = 'Staff-4wT9-pass-qZr8-long';
    const unenrolled = await test.container.identity.createStaff(
      { email, password, role: 'admin', fullName: 'New Admin', country: 'CN' },
      false,
    );
    expect(unenrolled.totpSecret).toBeNull();
    const login = await test.anonymous.post('/v1/auth/token', { email, password });
    if (login.statusCode !== 200) throw new Error(`enrolment-only login failed: ${login.body}`);

    Object.assign(headers, {
      anon: {},
      shop: shopper.client.headers,
      supp: support.client.headers,
      ware: warehouse.client.headers,
      fin: finance.client.headers,
      sec: security.client.headers,
      adm: admin.client.headers,
      svc: { authorization: `Bearer ${created.json().key}` },
      new: { authorization: `Bearer ${login.json().accessToken}` },
    });
  });
  afterAll(() => test.close());

  const walked = () =>
    test.app.declaredRoutes
      .filter((route) => route.method !== 'HEAD' && !isDocs(route.url))
      .map((route) => `${route.method} ${route.url}`);

  it('has exactly one row per declared route: a new route needs a decision about who may call it', () => {
    const routes = walked();
    expect(new Set(routes).size).toBe(routes.length);
    const rows = EXPECTED.map((row) => row.route);
    expect(new Set(rows).size, 'a route has two rows').toBe(rows.length);
    const missing = routes.filter((route) => !rows.includes(route)).sort();
    const stale = rows.filter((route) => !routes.includes(route)).sort();
    expect({ missing, stale }).toEqual({ missing: [], stale: [] });
  });

  /**
   * Every caller calls every route. Unsafe methods carry a body that is not JSON, so a caller the access
   * layer lets through meets a 400 before any handler runs and nothing changes; safe methods use IDs that
   * do not exist. Collects every disagreement before failing, so one run shows all of them.
   */
  it('lets each caller reach exactly the routes its row allows, and refuses the rest before the body is read', async () => {
    const disagreements: string[] = [];
    let calls = 0;
    for (const row of EXPECTED) {
      const [method, url] = row.route.split(' ') as [string, string];
      for (const caller of CALLERS) {
        const unsafe = method !== 'GET';
        const response = await test.app.inject({
          method: method as 'GET',
          url: concreteUrl(url),
          headers: { ...headers[caller], ...(unsafe ? { 'content-type': 'application/json' } : {}) },
          ...(unsafe ? { payload: '{not json' } : {}),
        });
        calls += 1;
        const problem = outcome(response);
        if (row.allowed.has(caller)) {
          if (response.statusCode === 401 || response.statusCode === 403 || response.statusCode >= 500) {
            disagreements.push(`${row.route} as ${caller}: expected through, got ${problem}`);
          } else if (unsafe && !isMalformedBody(response)) {
            // Reaching a handler would mean the walk changed something: it must stop at the body.
            disagreements.push(`${row.route} as ${caller}: expected a 400 for the body, got ${problem}`);
          }
        } else {
          const refusal = REFUSAL[caller];
          const refused =
            response.statusCode === refusal.status &&
            String(response.headers['content-type']).startsWith('application/problem+json') &&
            response.json().code === refusal.code;
          if (!refused) {
            disagreements.push(
              `${row.route} as ${caller}: expected ${refusal.status} ${refusal.code}, got ${problem}`,
            );
          }
        }
      }
    }
    expect(calls).toBe(EXPECTED.length * CALLERS.length);
    expect(disagreements).toEqual([]);
  });

  it('changed nothing: every caller is still logged in, the shopper still exists, the key still works', async () => {
    for (const caller of ['shop', 'supp', 'ware', 'fin', 'sec', 'adm', 'new'] as const) {
      const me = await test.app.inject({ method: 'GET', url: '/v1/me', headers: headers[caller] });
      expect(me.statusCode, caller).toBe(200);
    }
    const service = await test.app.inject({ method: 'GET', url: '/v1/staff/orders', headers: headers.svc });
    expect(service.statusCode).toBe(200);
  });

  it('an admin cannot give a key staff management or PII reveals', async () => {
    for (const scopes of [['staff:manage'], ['customers:reveal'], ['orders:read', 'customers:reveal']]) {
      const refused = await admin.client.post('/v1/admin/api-keys', {
        name: 'too much',
        scopes,
        expiresInDays: 1,
      });
      expect(expectProblem(refused, 422).code, scopes.join(' ')).toBe('IDENTITY_INVALID_SCOPES');
    }
  });

  it('a staff member whose last authentication is older than five minutes must step up to reveal PII', async () => {
    const support = await staffMember(test, 'support');
    await backdateAuthentication(test, support.userId, 6 * 60);
    const reveal = () =>
      support.client.post(`/v1/staff/customers/${shopper.userId}/reveal`, {
        fields: ['email'],
        reason: 'Customer asked by phone to confirm the address on file',
      });

    const refused = await reveal();
    expect(expectProblem(refused, 401).code).toBe('IDENTITY_STEP_UP_REQUIRED');
    expect(refused.headers['www-authenticate']).toContain('error="insufficient_user_authentication"');
    // The session itself is fine: the masked view needs no step-up.
    expect((await support.client.get(`/v1/staff/customers/${shopper.userId}`)).statusCode).toBe(200);

    const steppedUp = await support.client.post('/v1/auth/step-up', { code: support.recoveryCodes[0] });
    expect(steppedUp.statusCode, steppedUp.body).toBe(200);
    const revealed = await reveal();
    expect(revealed.statusCode, revealed.body).toBe(200);
    expect(revealed.json().email).toBe(shopper.email);
  });
});

function outcome(response: LightMyRequestResponse): string {
  const type = String(response.headers['content-type']);
  const code = type.startsWith('application/problem+json') ? ` ${response.json().code}` : '';
  return `${response.statusCode}${code}`;
}

function isMalformedBody(response: LightMyRequestResponse): boolean {
  if (response.statusCode === 415) return true; // a route that takes another content type (photos)
  return response.statusCode === 400 && response.json().code === 'PLATFORM_MALFORMED_BODY';
}
