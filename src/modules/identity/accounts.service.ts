import type { Config } from '../../config/index.ts';
import type { Clock } from '../../platform/clock.ts';
import { normalizeEmail, normalizePhone, problemsForContact } from '../../platform/contact-fields.ts';
import type { AnyDb } from '../../platform/db/index.ts';
import { isUniqueViolation, withTransaction } from '../../platform/db/index.ts';
import { newId, type UserId } from '../../platform/ids.ts';
import type { FetcherFactory } from '../../platform/outbound/index.ts';
import type { PasswordHasher, Vault } from '../vault/index.ts';
import { IdentityErrors } from './identity.errors.ts';
import type { IdentityDb, UserRow } from './identity.tables.ts';
import { passwordPolicyFor } from './password-policy/index.ts';
import type { StaffRole } from './principal.ts';
import {
  findLoginSubject,
  findUserByEmailIndex,
  findUserById,
  insertUser,
  updateUser,
} from './users.repository.ts';

export interface AccountsDeps {
  readonly db: AnyDb;
  readonly vault: Vault;
  readonly hasher: PasswordHasher;
  readonly clock: Clock;
  readonly config: Config;
  /** Makes the fetcher of the password policy's breach check; the production one by default. */
  readonly outbound?: FetcherFactory;
}

export interface NewAccount {
  readonly email: string;
  readonly password: string;
  readonly fullName: string;
  readonly phone?: string | null;
  readonly country: string;
  readonly language?: string;
}

export interface Profile {
  readonly id: UserId;
  readonly kind: 'shopper' | 'staff';
  readonly role: StaffRole | null;
  readonly email: string;
  readonly fullName: string;
  readonly phone: string | null;
  readonly country: string;
  readonly language: string;
  readonly createdAt: Date;
}

export const PASSWORD_LIMITS = { shopper: { min: 8, max: 128 }, staff: { min: 12, max: 128 } } as const;

export type ProfileChanges = Partial<Pick<NewAccount, 'fullName' | 'phone' | 'country' | 'language'>>;

export function createAccounts(deps: AccountsDeps) {
  const emailIndex = (email: string) => deps.vault.blindIndex('email', normalizeEmail(email));

  /**
   * The password policy: PASSWORD_LIMITS, then the bundled common/breached list, zxcvbn with the user's
   * own words (e-mail, its local part, full name), then HIBP when configured. Rejects with
   * IDENTITY_WEAK_PASSWORD naming the reason.
   */
  function checkPassword(password: string, kind: 'shopper' | 'staff', userInputs: readonly string[]) {
    return passwordPolicyFor(deps.config, deps.outbound).check(password, PASSWORD_LIMITS[kind], userInputs);
  }

  function checkProfile(input: { phone?: string | null; country?: string }): void {
    const errors = problemsForContact(input);
    if (errors.length > 0)
      throw IdentityErrors.IDENTITY_INVALID_PROFILE('Some profile fields are not valid.', { errors });
  }

  async function writeUser(
    db: AnyDb,
    input: NewAccount,
    kind: 'shopper' | 'staff',
    role: StaffRole | null,
    passwordHash: string,
  ) {
    const id = newId('user');
    const field = (column: string) => ({ ownerId: id, table: 'users', column, rowId: id });
    const phone = input.phone ? normalizePhone(input.phone) : null;
    await deps.vault.ensureDataKey(db, id);
    await insertUser(db as IdentityDb, {
      id,
      kind,
      role,
      emailIndex: emailIndex(input.email),
      emailEnc: await deps.vault.seal(db, field('email'), normalizeEmail(input.email)),
      fullNameEnc: await deps.vault.seal(db, field('full_name'), input.fullName.trim()),
      phoneEnc: await deps.vault.sealOptional(db, field('phone'), phone),
      phoneIndex: phone ? deps.vault.blindIndex('phone', phone) : null,
      country: input.country,
      language: input.language ?? 'en',
      passwordHash,
    });
    return id;
  }

  async function toProfile(db: AnyDb, row: UserRow): Promise<Profile> {
    const field = (column: string) => ({ table: 'users', column, rowId: row.id });
    return {
      id: row.id as UserId,
      kind: row.kind,
      role: row.role,
      email: await deps.vault.openOwn(db, row.id, field('email'), row.emailEnc),
      fullName: await deps.vault.openOwn(db, row.id, field('full_name'), row.fullNameEnc),
      phone: await deps.vault.openOwnOptional(db, row.id, field('phone'), row.phoneEnc),
      country: row.country,
      language: row.language,
      createdAt: row.createdAt,
    };
  }

  return {
    emailIndex,

    /**
     * Creates a shopper. An e-mail already in use is not an error the caller may see (that would reveal
     * who has an account): the result says so only to the server, and the work done is the same.
     */
    async registerShopper(input: NewAccount): Promise<{ created: boolean; userId: UserId | null }> {
      await checkPassword(input.password, 'shopper', [input.email, input.fullName]);
      checkProfile(input);
      // Hashing happens outside the transaction: no connection (or PGlite's one) waits on Argon2id.
      const passwordHash = await deps.hasher.hash(input.password);
      try {
        const userId = await withTransaction(deps.db, (trx) =>
          writeUser(trx, input, 'shopper', null, passwordHash),
        );
        return { created: true, userId };
      } catch (error) {
        // The e-mail is taken. The same work was done and rolled back, so neither the answer nor its
        // timing tells the caller that the account exists.
        if (isUniqueViolation(error)) return { created: false, userId: null };
        throw error;
      }
    },

    /** Creates a staff account; `enrol` runs in the same transaction (to set up its second factor). */
    async createStaff(
      input: NewAccount & { role: StaffRole },
      enrol?: (trx: AnyDb, id: UserId) => Promise<void>,
    ): Promise<UserId> {
      await checkPassword(input.password, 'staff', [input.email, input.fullName]);
      checkProfile(input);
      const passwordHash = await deps.hasher.hash(input.password);
      try {
        return await withTransaction(deps.db, async (trx) => {
          const id = await writeUser(trx, input, 'staff', input.role, passwordHash);
          await enrol?.(trx, id);
          return id;
        });
      } catch (error) {
        if (isUniqueViolation(error)) {
          throw IdentityErrors.IDENTITY_EMAIL_TAKEN(
            'A staff member or shopper already uses this e-mail address.',
          );
        }
        throw error;
      }
    },

    /**
     * A shopper's protected profile fields as stored (ciphertexts and where they live), for masking or a
     * reveal by the vault; null when there is no such shopper.
     */
    async storedProfile(userId: string) {
      const row = await findUserById(deps.db as IdentityDb, userId);
      if (row?.kind !== 'shopper') return null;
      const field = (column: string, ciphertext: string | null) => ({
        table: 'users',
        column,
        rowId: row.id,
        ciphertext,
      });
      return {
        id: row.id as UserId,
        country: row.country,
        createdAt: row.createdAt,
        fields: {
          fullName: field('full_name', row.fullNameEnc),
          email: field('email', row.emailEnc),
          phone: field('phone', row.phoneEnc),
        },
      };
    },

    async profile(userId: UserId): Promise<Profile | null> {
      const row = await findUserById(deps.db as IdentityDb, userId);
      return row ? toProfile(deps.db, row) : null;
    },

    async updateProfile(userId: UserId, changes: ProfileChanges): Promise<Profile> {
      checkProfile(changes);
      return withTransaction(deps.db, async (trx) => {
        const field = (column: string) => ({ ownerId: userId, table: 'users', column, rowId: userId });
        const update: Record<string, unknown> = { updatedAt: deps.clock.now() };
        if (changes.fullName !== undefined)
          update.fullNameEnc = await deps.vault.seal(trx, field('full_name'), changes.fullName.trim());
        if (changes.phone !== undefined) {
          const phone = changes.phone ? normalizePhone(changes.phone) : null;
          update.phoneEnc = await deps.vault.sealOptional(trx, field('phone'), phone);
          update.phoneIndex = phone ? deps.vault.blindIndex('phone', phone) : null;
        }
        if (changes.country !== undefined) update.country = changes.country;
        if (changes.language !== undefined) update.language = changes.language;
        await updateUser(trx as IdentityDb, userId, update);
        const row = await findUserById(trx as IdentityDb, userId);
        if (!row) throw IdentityErrors.IDENTITY_UNAUTHENTICATED('The account no longer exists.');
        return toProfile(trx, row);
      });
    },

    /**
     * Checks an e-mail and password with one full Argon2id verification either way. `user` is the
     * account the e-mail names (for the login history), `ok` whether the login may proceed.
     */
    async verifyCredentials(
      email: string,
      password: string,
    ): Promise<{ user: UserRow | null; ok: boolean; factors: { totp: boolean; passkeys: number } }> {
      const found = await findLoginSubject(deps.db as IdentityDb, emailIndex(email));
      const ok = await deps.hasher.verify(found?.passwordHash ?? null, password);
      if (!found) return { user: null, ok: false, factors: { totp: false, passkeys: 0 } };
      const { hasTotp, passkeyCount, ...user } = found;
      return {
        user,
        ok: ok && user.status === 'active',
        factors: { totp: hasTotp === true, passkeys: Number(passkeyCount) },
      };
    },

    /**
     * Closes an account for good, inside the caller's transaction: the e-mail is freed, every session
     * revoked, and the row keeps only what the books need (ID, country, dates). The caller shreds the key.
     */
    async close(trx: AnyDb, userId: UserId): Promise<void> {
      const now = deps.clock.now();
      await (trx as IdentityDb)
        .updateTable('users')
        .set({
          status: 'deleted',
          emailIndex: `deleted:${userId}`,
          phoneIndex: null,
          passwordHash: 'deleted',
          updatedAt: now,
        })
        .where('id', '=', userId)
        .execute();
      await (trx as IdentityDb)
        .updateTable('sessions')
        .set({ revokedAt: now })
        .where('userId', '=', userId)
        .where('revokedAt', 'is', null)
        .execute();
    },

    /** Staff look-up by exact e-mail or phone, through the blind indexes: no plaintext is searched. */
    async findByContact(contact: { email?: string; phone?: string }): Promise<UserId[]> {
      let query = (deps.db as IdentityDb)
        .selectFrom('users')
        .select('id')
        .where('kind', '=', 'shopper')
        .limit(20);
      if (contact.email) query = query.where('emailIndex', '=', emailIndex(contact.email));
      const phone = contact.phone ? normalizePhone(contact.phone) : null;
      if (contact.phone)
        query = query.where('phoneIndex', '=', phone ? deps.vault.blindIndex('phone', phone) : '');
      return (await query.execute()).map((row) => row.id as UserId);
    },

    /**
     * IDs of shoppers whose accounts are not closed: those among `ids`, or those in `country`, at most
     * `limit`, in ID order. IDs only: what a bulk export request fixes before anyone approves it.
     */
    /** Each person's country (ISO 3166-1 alpha-2), for breach jurisdictions; unknown IDs are left out. */
    /** Where each person lives and which language they read (neither is sealed: both are coarse settings). */
    async localesOf(userIds: readonly string[]): Promise<Map<string, { country: string; language: string }>> {
      const found = new Map<string, { country: string; language: string }>();
      for (let at = 0; at < userIds.length; at += 1_000) {
        const rows = await (deps.db as IdentityDb)
          .selectFrom('users')
          .select(['id', 'country', 'language'])
          .where('id', 'in', userIds.slice(at, at + 1_000))
          .execute();
        for (const row of rows) found.set(row.id, { country: row.country, language: row.language });
      }
      return found;
    },

    async countriesOf(userIds: readonly string[]): Promise<Map<string, string>> {
      const locales = await this.localesOf(userIds);
      return new Map([...locales].map(([id, locale]) => [id, locale.country]));
    },

    /** Accounts of people (not closed): the size of what the platform processes. */
    async count(): Promise<number> {
      const row = await (deps.db as IdentityDb)
        .selectFrom('users')
        .select((eb) => eb.fn.countAll<string | number>().as('count'))
        .where('status', '<>', 'deleted')
        .executeTakeFirstOrThrow();
      return Number(row.count);
    },

    async shopperIds(query: { ids?: readonly string[]; country?: string }, limit: number): Promise<UserId[]> {
      if (query.ids?.length === 0) return [];
      let select = (deps.db as IdentityDb)
        .selectFrom('users')
        .select('id')
        .where('kind', '=', 'shopper')
        .where('status', '<>', 'deleted')
        .orderBy('id')
        .limit(limit);
      if (query.ids) select = select.where('id', 'in', [...query.ids]);
      if (query.country) select = select.where('country', '=', query.country);
      return (await select.execute()).map((row) => row.id as UserId);
    },

    /** The account's current e-mail, read with `db` (the caller's transaction); null when closed or unknown. */
    async addressOf(db: AnyDb, userId: UserId): Promise<string | null> {
      const row = await findUserById(db as IdentityDb, userId);
      if (!row || row.status === 'deleted') return null;
      return deps.vault.openOwn(db, row.id, { table: 'users', column: 'email', rowId: row.id }, row.emailEnc);
    },

    /** The person's anti-phishing phrase (null: none), for every message that goes to them. */
    async antiPhishingOf(db: AnyDb, userId: UserId): Promise<string | null> {
      const row = await findUserById(db as IdentityDb, userId);
      if (!row?.antiPhishingEnc || row.status === 'deleted') return null;
      const field = { table: 'users', column: 'anti_phishing', rowId: row.id };
      return deps.vault.openOwn(db, row.id, field, row.antiPhishingEnc);
    },

    /** Sets (or, with null, removes) the phrase. */
    async setAntiPhishing(userId: UserId, phrase: string | null): Promise<void> {
      const field = { ownerId: userId, table: 'users', column: 'anti_phishing', rowId: userId };
      await updateUser(deps.db as IdentityDb, userId, {
        antiPhishingEnc: phrase === null ? null : await deps.vault.seal(deps.db, field, phrase),
        updatedAt: deps.clock.now(),
      });
    },

    /** The account's row while it may log in (not locked or closed). */
    async activeUser(userId: UserId): Promise<UserRow | null> {
      const row = await findUserById(deps.db as IdentityDb, userId);
      return row?.status === 'active' ? row : null;
    },

    async activeUserByEmail(email: string): Promise<UserRow | null> {
      const row = await findUserByEmailIndex(deps.db as IdentityDb, emailIndex(email));
      return row?.status === 'active' ? row : null;
    },

    /** One full Argon2id check of the account's own password (step-up, changes, erasure). */
    async passwordMatches(userId: UserId, password: string): Promise<boolean> {
      const row = await findUserById(deps.db as IdentityDb, userId);
      return deps.hasher.verify(row?.status === 'active' ? row.passwordHash : null, password);
    },

    /** Checks a new password against the policy with the account's own details as context. */
    async acceptablePasswordHash(userId: UserId, password: string): Promise<string> {
      const profile = await this.profile(userId);
      const kind = profile?.kind ?? 'shopper';
      await checkPassword(password, kind, profile ? [profile.email, profile.fullName] : []);
      return deps.hasher.hash(password);
    },

    /** Sets a new password hash inside the caller's transaction; lifts any forced reset. */
    async setPasswordHash(trx: AnyDb, userId: UserId, passwordHash: string): Promise<void> {
      const now = deps.clock.now();
      await updateUser(trx as IdentityDb, userId, {
        passwordHash,
        mustResetPassword: false,
        passwordChangedAt: now,
        updatedAt: now,
      });
    },

    /** The kill switch: everyone but `exceptUserId` must reset their password at their next login. */
    async requirePasswordResetForEveryone(exceptUserId: UserId): Promise<number> {
      const result = await (deps.db as IdentityDb)
        .updateTable('users')
        .set({ mustResetPassword: true, updatedAt: deps.clock.now() })
        .where('status', '<>', 'deleted')
        .where('mustResetPassword', '=', false)
        .where('id', '!=', exceptUserId)
        .executeTakeFirst();
      return Number(result.numUpdatedRows);
    },

    async requirePasswordReset(trx: AnyDb, userId: UserId): Promise<void> {
      await updateUser(trx as IdentityDb, userId, { mustResetPassword: true, updatedAt: deps.clock.now() });
    },

    /**
     * Gives a staff member another role and returns the one they had. Locks the row, so two admins changing
     * the same member at once apply one after the other and each sees the role it replaced.
     */
    async changeStaffRole(trx: AnyDb, userId: UserId, role: StaffRole): Promise<StaffRole> {
      const row = await (trx as IdentityDb)
        .selectFrom('users')
        .select(['kind', 'role', 'status'])
        .where('id', '=', userId)
        .forUpdate()
        .executeTakeFirst();
      if (row?.kind !== 'staff' || !row.role || row.status === 'deleted') {
        throw IdentityErrors.IDENTITY_STAFF_NOT_FOUND('No staff member has that ID.');
      }
      if (row.role !== role)
        await updateUser(trx as IdentityDb, userId, { role, updatedAt: deps.clock.now() });
      return row.role;
    },

    /** Lifts a lock pending reset (security staff lifting detection's containment). */
    async clearPasswordReset(trx: AnyDb, userId: UserId): Promise<void> {
      await updateUser(trx as IdentityDb, userId, { mustResetPassword: false, updatedAt: deps.clock.now() });
    },

    /** Moves the account to a new e-mail address (both ends confirmed by the caller). */
    async setEmail(trx: AnyDb, userId: UserId, email: string): Promise<void> {
      const field = { ownerId: userId, table: 'users', column: 'email', rowId: userId };
      try {
        await updateUser(trx as IdentityDb, userId, {
          emailIndex: emailIndex(email),
          emailEnc: await deps.vault.seal(trx, field, normalizeEmail(email)),
          updatedAt: deps.clock.now(),
        });
      } catch (error) {
        if (isUniqueViolation(error)) {
          throw IdentityErrors.IDENTITY_EMAIL_TAKEN('Another account uses that e-mail address now.');
        }
        throw error;
      }
    },

    /**
     * After a successful login with `password`: replaces a stored hash made with another algorithm or
     * weaker parameters than the configured ones (see `needsRehash`); does nothing otherwise, so it is safe to
     * call on every login. Only the hash changes (not `passwordChangedAt`: the password is the same), and
     * only if it is still the one just verified, so a concurrent password change is never overwritten.
     */
    async upgradePasswordHash(userId: UserId, password: string, verifiedHash?: string): Promise<boolean> {
      // The caller usually holds the hash it just verified: then a current one costs no query at all.
      if (verifiedHash !== undefined && !deps.hasher.needsRehash(verifiedHash)) return false;
      const row = await findUserById(deps.db as IdentityDb, userId);
      if (row?.status !== 'active' || !deps.hasher.needsRehash(row.passwordHash)) return false;
      const passwordHash = await deps.hasher.hash(password);
      const result = await (deps.db as IdentityDb)
        .updateTable('users')
        .set({ passwordHash })
        .where('id', '=', userId)
        .where('passwordHash', '=', row.passwordHash)
        .executeTakeFirst();
      return result.numUpdatedRows > 0n;
    },
  };
}

export type Accounts = ReturnType<typeof createAccounts>;
