import { isoCBOR } from '@simplewebauthn/server/helpers';
import fc from 'fast-check';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { OutboxMessage } from '../../src/modules/notify/index.ts';
import { type AssertionJSON, SoftAuthenticator } from '../helpers/soft-authenticator.ts';
import {
  backdateAuthentication,
  Client,
  createTestApp,
  expectProblem,
  type Shopper,
  signUp,
  staffMember,
  type TestApp,
  uniqueEmail,
} from '../helpers/test-app.ts';

// Passkeys through HTTP with a software authenticator: registration, passwordless login, second factor,
// step-up, and every way an assertion can be wrong. The server's clock is the test's, for expiry.

const clock = { offsetMs: 0, now: () => new Date(Date.now() + clock.offsetMs) };
const STAFF_PASSWORD = 'Staff-4wT9-pass-qZr8-long';

describe('passkeys', () => {
  let test: TestApp;
  let site: { origin: string; rpId: string };
  let sent: OutboxMessage[];

  beforeAll(async () => {
    test = await createTestApp({}, { clock });
    site = { origin: test.config.publicUrl, rpId: test.config.webauthnRpId };
    sent = [];
    const messenger = test.container.notify.messenger;
    const send = messenger.send.bind(messenger);
    vi.spyOn(messenger, 'send').mockImplementation(async (db, to, message) => {
      sent.push(message);
      return send(db, to, message);
    });
  });
  afterAll(() => test.close());

  const authenticator = (counting = true) => new SoftAuthenticator(site, counting);

  /** Back-dates the user's sessions: their last login or step-up was `seconds` ago. */
  const age = (userId: string, seconds = 301) => backdateAuthentication(test, userId, seconds, clock.now());

  async function addPasskey(client: Client, device: SoftAuthenticator, name?: string) {
    const started = await client.post('/v1/me/passkeys/options');
    expect(started.statusCode, started.body).toBe(200);
    const { challengeId, options } = started.json();
    return client.post('/v1/me/passkeys', {
      challengeId,
      response: device.register(options),
      ...(name ? { name } : {}),
    });
  }

  async function shopperWithPasskey(counting = true) {
    const shopper = await signUp(test);
    const device = authenticator(counting);
    const added = await addPasskey(shopper.client, device);
    expect(added.statusCode, added.body).toBe(201);
    return { shopper, device, passkeyId: added.json().id as string };
  }

  /** A passwordless login's options, answered by `device` through `answer`. */
  async function passwordless(
    device: SoftAuthenticator,
    answer: (options: { challenge: string }) => AssertionJSON = (options) => device.assert(options),
    url = '/v1/auth/passkey/token',
  ) {
    const started = await test.anonymous.post('/v1/auth/passkey/options');
    expect(started.statusCode, started.body).toBe(200);
    const { challengeId, options } = started.json();
    return test.anonymous.post(url, { challengeId, response: answer(options) });
  }

  /** The password step of a login that owes a second factor: its ticket. */
  async function mfaTicket(email: string, password: string, url = '/v1/auth/token') {
    const first = expectProblem(await test.anonymous.post(url, { email, password }), 401) as ReturnType<
      typeof expectProblem
    > & { mfaTicket: string; methods: string[] };
    expect(first.code).toBe('IDENTITY_MFA_REQUIRED');
    return first;
  }

  /** Anything but a 5xx; and anything refused is a problem document. */
  function expectNoServerError(answer: LightMyRequestResponse, label = '') {
    expect(answer.statusCode, `${label} ${answer.body}`).toBeLessThan(500);
    if (answer.statusCode >= 400) {
      expect(String(answer.headers['content-type'])).toMatch(/^application\/problem\+json/);
    }
  }

  function expectRejected(response: LightMyRequestResponse, code = 'IDENTITY_PASSKEY_REJECTED') {
    const problem = expectProblem(response, code === 'IDENTITY_PASSKEY_CHALLENGE_EXPIRED' ? 400 : 401);
    expect(problem.code).toBe(code);
    return problem;
  }

  describe('registration and passwordless login', () => {
    it('a shopper adds a passkey, sees it listed without its key material, and is told', async () => {
      const shopper = await signUp(test);
      const device = authenticator();
      const started = await shopper.client.post('/v1/me/passkeys/options');
      expect(started.statusCode).toBe(200);
      const { challengeId, options } = started.json();
      expect(challengeId).toMatch(/^wac_/);
      expect(options.rp).toEqual({ name: 'Bulwark', id: site.rpId });
      expect(options.user.name).toBe(shopper.email);
      // The user handle is opaque: neither the e-mail nor the user ID.
      expect(Buffer.from(options.user.id, 'base64url').length).toBe(32);
      expect(options.user.id).not.toContain(shopper.userId);
      expect(options.authenticatorSelection).toMatchObject({
        residentKey: 'preferred',
        userVerification: 'preferred',
      });
      expect(options.attestation).toBe('none');
      expect(options.excludeCredentials).toEqual([]);

      sent.length = 0;
      const added = await shopper.client.post('/v1/me/passkeys', {
        challengeId,
        name: 'Laptop',
        response: device.register(options),
      });
      expect(added.statusCode, added.body).toBe(201);
      expect(added.json()).toMatchObject({
        id: expect.stringMatching(/^psk_/),
        name: 'Laptop',
        deviceType: 'singleDevice',
        backedUp: false,
        lastUsedAt: null,
        cloneSuspectedAt: null,
      });
      expect(sent).toContainEqual(expect.objectContaining({ change: 'passkey_added' }));

      const list = await shopper.client.get('/v1/me/passkeys');
      expect(list.json().items).toHaveLength(1);
      expect(Object.keys(list.json().items[0]).sort()).toEqual(
        ['backedUp', 'cloneSuspectedAt', 'createdAt', 'deviceType', 'id', 'lastUsedAt', 'name'].sort(),
      );
      expect(list.body).not.toContain(device.id);
      expect((await shopper.client.get('/v1/me/mfa')).json().passkeys).toBe(1);

      // Adding another excludes the one already there; the label is sealed in the database.
      const again = (await shopper.client.post('/v1/me/passkeys/options')).json();
      expect(again.options.excludeCredentials.map((c: { id: string }) => c.id)).toEqual([device.id]);
      const rows = await test.container.database.db
        .selectFrom('passkeys')
        .select('nameEnc')
        .where('userId', '=', shopper.userId)
        .execute();
      expect(rows[0]?.nameEnc).toMatch(/^bw1\./);
      expect(rows[0]?.nameEnc).not.toContain('Laptop');
    });

    it('logs in with the passkey alone, for API tokens and for a web session', async () => {
      const { shopper, device } = await shopperWithPasskey();
      const started = await test.anonymous.post('/v1/auth/passkey/options');
      const { options } = started.json();
      expect(options.userVerification).toBe('required');
      expect(options.rpId).toBe(site.rpId);
      expect(options.allowCredentials).toBeUndefined();

      const tokens = await passwordless(device);
      expect(tokens.statusCode, tokens.body).toBe(200);
      const client = new Client(test.app, { authorization: `Bearer ${tokens.json().accessToken}` });
      expect((await client.get('/v1/me')).json().id).toBe(shopper.userId);

      const web = await passwordless(device, undefined, '/v1/auth/passkey/login');
      expect(web.statusCode, web.body).toBe(200);
      expect(web.json().csrfToken).toEqual(expect.any(String));
      expect(String(web.headers['set-cookie'])).toMatch(/^bw_session=/);

      const listed = (await shopper.client.get('/v1/me/passkeys')).json().items[0];
      expect(listed.lastUsedAt).not.toBeNull();
    });

    it('a passwordless login needs user verification; a synced passkey (counter 0) works again and again', async () => {
      const { device } = await shopperWithPasskey(false);
      expectRejected(
        await passwordless(device, (options) => device.assert(options, { userVerified: false })),
      );
      for (let i = 0; i < 3; i += 1) expect((await passwordless(device)).statusCode).toBe(200);
    });

    it('adding a passkey to an old session needs a step-up first', async () => {
      const shopper = await signUp(test);
      await age(shopper.userId);
      const refused = expectProblem(await shopper.client.post('/v1/me/passkeys/options'), 401);
      expect(refused.code).toBe('IDENTITY_STEP_UP_REQUIRED');
      const stepped = await shopper.client.post('/v1/auth/step-up', { password: shopper.password });
      expect(stepped.statusCode).toBe(200);
      expect((await addPasskey(shopper.client, authenticator())).statusCode).toBe(201);
    });
  });

  describe('a second factor after the password', () => {
    it('finishes a token login and a web login; the ticket works once', async () => {
      const { shopper, device } = await shopperWithPasskey();
      const first = await mfaTicket(shopper.email, shopper.password);
      expect(first.methods).toContain('passkey');

      const started = await test.anonymous.post('/v1/auth/mfa/passkey-options', {
        mfaTicket: first.mfaTicket,
      });
      expect(started.statusCode, started.body).toBe(200);
      const { challengeId, options } = started.json();
      expect(options.allowCredentials.map((c: { id: string }) => c.id)).toEqual([device.id]);
      // User presence suffices for a second factor (a security key without a PIN).
      const response = device.assert(options, { userVerified: false });
      const body = { mfaTicket: first.mfaTicket, challengeId, response };
      const finished = await test.anonymous.post('/v1/auth/token/mfa/passkey', body);
      expect(finished.statusCode, finished.body).toBe(200);
      const client = new Client(test.app, { authorization: `Bearer ${finished.json().accessToken}` });
      expect((await client.get('/v1/me')).json().id).toBe(shopper.userId);
      expectProblem(await test.anonymous.post('/v1/auth/token/mfa/passkey', body), 401);

      const web = await mfaTicket(shopper.email, shopper.password, '/v1/auth/login');
      const webOptions = (
        await test.anonymous.post('/v1/auth/mfa/passkey-options', { mfaTicket: web.mfaTicket })
      ).json();
      const session = await test.anonymous.post('/v1/auth/login/mfa/passkey', {
        mfaTicket: web.mfaTicket,
        challengeId: webOptions.challengeId,
        response: device.assert(webOptions.options),
      });
      expect(session.statusCode, session.body).toBe(200);
      expect(String(session.headers['set-cookie'])).toMatch(/^bw_session=/);
    });

    it("another person's passkey cannot answer someone's login ticket", async () => {
      const victim = await shopperWithPasskey();
      const attacker = await shopperWithPasskey();
      const ticket = await mfaTicket(victim.shopper.email, victim.shopper.password);
      const { challengeId, options } = (
        await test.anonymous.post('/v1/auth/mfa/passkey-options', { mfaTicket: ticket.mfaTicket })
      ).json();
      const forged = await test.anonymous.post('/v1/auth/token/mfa/passkey', {
        mfaTicket: ticket.mfaTicket,
        challengeId,
        response: attacker.device.assert(options),
      });
      expectRejected(forged);
      // The attacker's own challenge does not fit the victim's ticket either.
      const own = await mfaTicket(attacker.shopper.email, attacker.shopper.password);
      const ownOptions = (
        await test.anonymous.post('/v1/auth/mfa/passkey-options', { mfaTicket: own.mfaTicket })
      ).json();
      expectRejected(
        await test.anonymous.post('/v1/auth/token/mfa/passkey', {
          mfaTicket: ticket.mfaTicket,
          challengeId: ownOptions.challengeId,
          response: attacker.device.assert(ownOptions.options),
        }),
      );
    });

    it('options need a live ticket', async () => {
      const response = await test.anonymous.post('/v1/auth/mfa/passkey-options', {
        mfaTicket: `bw_mt_${'A'.repeat(43)}`,
      });
      expect(expectProblem(response, 401).code).toBe('IDENTITY_INVALID_MFA_TICKET');
    });
  });

  describe('staff', () => {
    it('a staff member without a second factor may only enrol, and can work once a passkey is added', async () => {
      const email = uniqueEmail('warehouse');
      await test.container.identity.createStaff(
        { email, password: STAFF_PASSWORD, role: 'warehouse', fullName: 'New Warehouse', country: 'CN' },
        false,
      );
      const login = await test.anonymous.post('/v1/auth/token', { email, password: STAFF_PASSWORD });
      expect(login.statusCode, login.body).toBe(200);
      const staff = new Client(test.app, { authorization: `Bearer ${login.json().accessToken}` });
      const closed = expectProblem(await staff.get('/v1/staff/orders'), 403);
      expect(closed.code).toBe('IDENTITY_MFA_ENROLMENT_REQUIRED');

      const device = authenticator();
      const added = await addPasskey(staff, device);
      expect(added.statusCode, added.body).toBe(201);
      expect((await staff.get('/v1/staff/orders')).statusCode).toBe(200);

      // From now on the password alone does not log in.
      const next = await mfaTicket(email, STAFF_PASSWORD);
      expect(next.methods).toEqual(['passkey', 'recovery_code']);

      // The last second factor stays, even after a step-up with it.
      const staffId = (await staff.get('/v1/me')).json().id as string;
      await age(staffId);
      const stepOptions = (await staff.post('/v1/auth/step-up/passkey/options')).json();
      const stepped = await staff.post('/v1/auth/step-up/passkey', {
        challengeId: stepOptions.challengeId,
        response: device.assert(stepOptions.options),
      });
      expect(stepped.statusCode, stepped.body).toBe(200);
      const kept = expectProblem(await staff.delete(`/v1/me/passkeys/${added.json().id}`), 409);
      expect(kept.code).toBe('IDENTITY_LAST_FACTOR');
    });
  });

  describe('removal and step-up', () => {
    it('a staff member removing the app and the last passkey at once keeps exactly one of them', async () => {
      const staff = await staffMember(test, 'support');
      const device = authenticator();
      const added = await addPasskey(staff.client, device);
      expect(added.statusCode, added.body).toBe(201);
      const [app, key] = await Promise.all([
        staff.client.delete('/v1/me/mfa/totp'),
        staff.client.delete(`/v1/me/passkeys/${added.json().id}`),
      ]);
      expect([app.statusCode, key.statusCode].sort()).toEqual([204, 409]);
      const left = (await staff.client.get('/v1/me/mfa')).json();
      expect(Number(left.totp) + left.passkeys).toBe(1);
    });

    it('removal needs a step-up, which a passkey gives; a foreign passkey is the same 404 as a missing one', async () => {
      const { shopper, device, passkeyId } = await shopperWithPasskey();
      const other = await shopperWithPasskey();
      await age(shopper.userId);
      expect(expectProblem(await shopper.client.delete(`/v1/me/passkeys/${passkeyId}`), 401).code).toBe(
        'IDENTITY_STEP_UP_REQUIRED',
      );

      const started = await shopper.client.post('/v1/auth/step-up/passkey/options');
      const { challengeId, options } = started.json();
      expect(options.allowCredentials.map((c: { id: string }) => c.id)).toEqual([device.id]);
      // Another person's passkey does not step this session up.
      expectRejected(
        await shopper.client.post('/v1/auth/step-up/passkey', {
          challengeId,
          response: other.device.assert(options),
        }),
      );
      const again = (await shopper.client.post('/v1/auth/step-up/passkey/options')).json();
      const stepped = await shopper.client.post('/v1/auth/step-up/passkey', {
        challengeId: again.challengeId,
        response: device.assert(again.options),
      });
      expect(stepped.statusCode, stepped.body).toBe(200);
      expect(stepped.json().validUntil).toEqual(expect.any(String));

      const foreign = expectProblem(await shopper.client.delete(`/v1/me/passkeys/${other.passkeyId}`), 404);
      const missing = expectProblem(
        await shopper.client.delete(`/v1/me/passkeys/psk_${'0'.repeat(26)}`),
        404,
      );
      expect({ ...foreign, requestId: null }).toEqual({ ...missing, requestId: null });
      expect((await other.shopper.client.get('/v1/me/passkeys')).json().items).toHaveLength(1);

      sent.length = 0;
      expect((await shopper.client.delete(`/v1/me/passkeys/${passkeyId}`)).statusCode).toBe(204);
      expect(sent).toContainEqual(expect.objectContaining({ change: 'passkey_removed' }));
      expect((await shopper.client.get('/v1/me/passkeys')).json().items).toEqual([]);
      expectRejected(await passwordless(device));
    });

    it('step-up options need a passkey on the account', async () => {
      const shopper = await signUp(test);
      const response = await shopper.client.post('/v1/auth/step-up/passkey/options');
      expect(expectProblem(response, 409).code).toBe('IDENTITY_MFA_NOT_ENROLLED');
    });
  });

  describe('refusals', () => {
    let victim: { shopper: Shopper; device: SoftAuthenticator; passkeyId: string };
    beforeAll(async () => {
      victim = await shopperWithPasskey();
    });

    it('an assertion made for another origin (a phishing site) or another RP ID is refused', async () => {
      const { device } = victim;
      expectRejected(
        await passwordless(device, (o) => device.assert(o, { origin: 'https://bulwark-login.example' })),
      );
      expectRejected(await passwordless(device, (o) => device.assert(o, { rpId: 'bulwark-login.example' })));
      expectRejected(await passwordless(device, (o) => device.assert(o, { type: 'webauthn.create' })));
      // Registration too.
      const started = (await victim.shopper.client.post('/v1/me/passkeys/options')).json();
      const phished = authenticator().register(started.options, { origin: 'https://evil.example' });
      expectRejected(
        await victim.shopper.client.post('/v1/me/passkeys', {
          challengeId: started.challengeId,
          response: phished,
        }),
      );
      const started2 = (await victim.shopper.client.post('/v1/me/passkeys/options')).json();
      const otherRp = authenticator().register(started2.options, { rpId: 'evil.example' });
      expectRejected(
        await victim.shopper.client.post('/v1/me/passkeys', {
          challengeId: started2.challengeId,
          response: otherRp,
        }),
      );
      expect((await victim.shopper.client.get('/v1/me/passkeys')).json().items).toHaveLength(1);
    });

    it('a challenge works once: a replayed assertion and a second answer are refused', async () => {
      const { device } = victim;
      const { challengeId, options } = (await test.anonymous.post('/v1/auth/passkey/options')).json();
      const body = { challengeId, response: device.assert(options) };
      expect((await test.anonymous.post('/v1/auth/passkey/token', body)).statusCode).toBe(200);
      expectRejected(await test.anonymous.post('/v1/auth/passkey/token', body));
      expectRejected(
        await test.anonymous.post('/v1/auth/passkey/token', {
          challengeId,
          response: device.assert(options),
        }),
      );
      // A challenge answered for a different one is refused, and burns the one it was sent with.
      const fresh = (await test.anonymous.post('/v1/auth/passkey/options')).json();
      expectRejected(
        await test.anonymous.post('/v1/auth/passkey/token', {
          challengeId: fresh.challengeId,
          response: device.assert(options),
        }),
      );
      expectRejected(
        await test.anonymous.post('/v1/auth/passkey/token', {
          challengeId: fresh.challengeId,
          response: device.assert(fresh.options),
        }),
      );
    });

    it('a challenge expires after two minutes', async () => {
      const { device } = victim;
      const { challengeId, options } = (await test.anonymous.post('/v1/auth/passkey/options')).json();
      clock.offsetMs += 121_000;
      try {
        const late = await test.anonymous.post('/v1/auth/passkey/token', {
          challengeId,
          response: device.assert(options),
        });
        const problem = expectRejected(late, 'IDENTITY_PASSKEY_CHALLENGE_EXPIRED');
        expect(problem.errors?.[0]?.field).toBe('body.challengeId');
      } finally {
        clock.offsetMs = 0;
      }
    });

    it('a challenge for one step does not serve another', async () => {
      const { shopper, device } = victim;
      const step = (await shopper.client.post('/v1/auth/step-up/passkey/options')).json();
      expectRejected(
        await test.anonymous.post('/v1/auth/passkey/token', {
          challengeId: step.challengeId,
          response: device.assert(step.options),
        }),
      );
    });

    it('an assertion signed by another key, or naming an unknown credential, is refused', async () => {
      const { device } = victim;
      const stray = SoftAuthenticator.strayKey();
      expectRejected(await passwordless(device, (o) => device.assert(o, { signWith: stray })));
      const stranger = authenticator();
      expectRejected(await passwordless(stranger, (o) => stranger.assert(o)));
      // The right key, but a user handle that is not the credential owner's.
      expectRejected(
        await passwordless(device, (o) =>
          device.assert(o, { userHandle: Buffer.alloc(32).toString('base64url') }),
        ),
      );
      expect((await passwordless(device)).statusCode).toBe(200);
    });

    it('a signature counter that goes backwards is refused and flagged as a possible clone', async () => {
      const { shopper, device } = await shopperWithPasskey();
      expect((await passwordless(device, (o) => device.assert(o, { counter: 5 }))).statusCode).toBe(200);
      const cloned = await passwordless(device, (o) => device.assert(o, { counter: 3 }));
      expectRejected(cloned, 'IDENTITY_PASSKEY_CLONE_SUSPECTED');
      const same = await passwordless(device, (o) => device.assert(o, { counter: 5 }));
      expectRejected(same, 'IDENTITY_PASSKEY_CLONE_SUSPECTED');
      const listed = (await shopper.client.get('/v1/me/passkeys')).json().items[0];
      expect(listed.cloneSuspectedAt).not.toBeNull();
      // The counter was not moved by the refused uses; the genuine authenticator's next one still works.
      expect((await passwordless(device, (o) => device.assert(o, { counter: 6 }))).statusCode).toBe(200);
    });

    it('malformed payloads are 400s naming the field, before any challenge is used', async () => {
      const { device } = victim;
      const { challengeId, options } = (await test.anonymous.post('/v1/auth/passkey/options')).json();
      const good = device.assert(options);
      const cases: [unknown, string][] = [
        [{ ...good, type: 'password' }, 'body.response.type'],
        [
          { ...good, response: { ...good.response, signature: 'a+b/c=' } },
          'body.response.response.signature',
        ],
        [
          { ...good, response: { ...good.response, signature: undefined } },
          'body.response.response.signature',
        ],
        [{ ...good, extra: 1 }, 'body.response.extra'],
        [{ ...good, id: 'x'.repeat(2000) }, 'body.response.id'],
        [
          { ...good, response: { ...good.response, clientDataJSON: 'A'.repeat(5000) } },
          'body.response.response.clientDataJSON',
        ],
      ];
      for (const [response, field] of cases) {
        const refused = expectProblem(
          await test.anonymous.post('/v1/auth/passkey/token', { challengeId, response }),
          400,
        );
        expect(refused.code).toBe('PLATFORM_VALIDATION_FAILED');
        expect(refused.errors?.[0]?.field, field).toBe(field);
      }
      expect(
        (await test.anonymous.post('/v1/auth/passkey/token', { challengeId, response: good })).statusCode,
      ).toBe(200);
    });
  });

  describe('hostile input', () => {
    const b64url = fc
      .uint8Array({ minLength: 1, maxLength: 300 })
      .map((bytes) => Buffer.from(bytes).toString('base64url'));
    const cborish = fc
      .record({
        fmt: fc.oneof(fc.constant('none'), fc.constant('packed'), fc.string({ maxLength: 12 })),
        attStmt: fc.dictionary(
          fc.string({ maxLength: 5 }),
          fc.oneof(fc.integer(), fc.uint8Array({ maxLength: 40 })),
        ),
        authData: fc.uint8Array({ maxLength: 300 }),
      })
      .map(({ fmt, attStmt, authData }) => {
        const map = new Map<string, unknown>([
          ['fmt', fmt],
          ['attStmt', new Map(Object.entries(attStmt))],
          ['authData', authData],
        ]);
        return Buffer.from(isoCBOR.encode(map as never)).toString('base64url');
      });

    it('random and mutated assertions never produce a 500', async () => {
      const { device } = await shopperWithPasskey();
      const fields = ['clientDataJSON', 'authenticatorData', 'signature', 'userHandle'] as const;
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom(...fields),
          fc.oneof(b64url, fc.string({ maxLength: 50 }), fc.constant(''), fc.jsonValue()),
          fc.boolean(),
          async (field, value, flipBit) => {
            const { challengeId, options } = (await test.anonymous.post('/v1/auth/passkey/options')).json();
            const good = device.assert(options, { counter: 0 });
            const response: Record<string, unknown> = { ...good.response };
            if (flipBit && typeof good.response[field] === 'string') {
              const bytes = Buffer.from(good.response[field] as string, 'base64url');
              if (bytes.length > 0) bytes[bytes.length >> 1] = (bytes[bytes.length >> 1] ?? 0) ^ 0x01;
              response[field] = bytes.toString('base64url');
            } else {
              response[field] = value;
            }
            const answer = await test.anonymous.post('/v1/auth/passkey/token', {
              challengeId,
              response: { ...good, response },
            });
            // A null or absent user handle is a valid answer; everything else mutated must be refused.
            if (answer.statusCode === 200) expect(field === 'userHandle' && value === null).toBe(true);
            expectNoServerError(answer, field);
          },
        ),
        { numRuns: 60 },
      );
    });

    it('random attestation objects and client data never produce a 500', async () => {
      const shopper = await signUp(test);
      await fc.assert(
        fc.asyncProperty(
          cborish,
          fc.oneof(
            fc.jsonValue().map((v) => Buffer.from(JSON.stringify(v)).toString('base64url')),
            fc.constant(null),
          ),
          async (attestation, clientData) => {
            const { challengeId, options } = (await shopper.client.post('/v1/me/passkeys/options')).json();
            const good = authenticator().register(options);
            const answer = await shopper.client.post('/v1/me/passkeys', {
              challengeId,
              response: {
                ...good,
                response: {
                  ...good.response,
                  attestationObject: attestation,
                  ...(clientData ? { clientDataJSON: clientData } : {}),
                },
              },
            });
            expect(answer.statusCode).toBeGreaterThanOrEqual(400);
            expectNoServerError(answer);
          },
        ),
        { numRuns: 60 },
      );
    });

    it('arbitrary JSON bodies on every passkey route are 4xx problems', async () => {
      const { shopper } = await shopperWithPasskey();
      const routes: [Client, string][] = [
        [test.anonymous, '/v1/auth/passkey/token'],
        [test.anonymous, '/v1/auth/passkey/login'],
        [test.anonymous, '/v1/auth/mfa/passkey-options'],
        [test.anonymous, '/v1/auth/token/mfa/passkey'],
        [test.anonymous, '/v1/auth/login/mfa/passkey'],
        [shopper.client, '/v1/me/passkeys'],
        [shopper.client, '/v1/auth/step-up/passkey'],
      ];
      await fc.assert(
        fc.asyncProperty(fc.constantFrom(...routes), fc.jsonValue(), async ([client, url], body) => {
          const answer = await client.post(url, JSON.stringify(body), { 'content-type': 'application/json' });
          expect(answer.statusCode, `${url} ${answer.body}`).toBeGreaterThanOrEqual(400);
          expectNoServerError(answer, url);
        }),
        { numRuns: 80 },
      );
      expect(test.logs.filter((line) => line.includes('"level":50'))).toEqual([]);
    });
  });
});
