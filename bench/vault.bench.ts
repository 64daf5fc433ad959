import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { loadConfig } from '../src/config/index.ts';
import { type Container, createContainer } from '../src/container.ts';
import { createAccounts, type NewAccount } from '../src/modules/identity/accounts.service.ts';
import { openField, sealField } from '../src/modules/vault/field-cipher.ts';
import { createPasswordHasher, ephemeralRootKey, type PasswordHasher } from '../src/modules/vault/index.ts';
import { randomDataKey } from '../src/modules/vault/secrets.ts';
import { normalizeEmail, normalizePhone, problemsForContact } from '../src/platform/contact-fields.ts';
import { withTransaction } from '../src/platform/db/index.ts';
import { newId } from '../src/platform/ids.ts';
import { measure, type Plan } from './measure.ts';
import { compared, type Result, round } from './report.ts';

/** A 40-byte field value, the size of a typical name or e-mail address. */
export const PLAINTEXT = 'Maria Kowalska-Nowak <maria.k@poczta.pl>';
const PASSWORD = 'correct horse battery staple';

export interface VaultPlans {
  readonly cipher: Plan;
  readonly vault: Plan;
  readonly shoppers: Plan;
}

export const VAULT_PLANS: Record<'quick' | 'full', VaultPlans> = {
  quick: {
    cipher: { warmupBatches: 3, batches: 9, batchSize: 5_000 },
    vault: { warmupBatches: 4, batches: 9, batchSize: 100 },
    shoppers: { warmupBatches: 3, batches: 7, batchSize: 20 },
  },
  full: {
    cipher: { warmupBatches: 5, batches: 21, batchSize: 20_000 },
    vault: { warmupBatches: 3, batches: 15, batchSize: 1_000 },
    shoppers: { warmupBatches: 2, batches: 15, batchSize: 100 },
  },
};

// Results are consumed so no loop can be optimised away.
let sink = 0;
const micros = (ns: number) => ns / 1_000;

export async function vaultBenchmarks(plans: VaultPlans): Promise<Result[]> {
  const results = [...(await fieldCipher(plans.cipher))];
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bulwark-bench-'));
  const container = await createContainer(loadConfig({ NODE_ENV: 'test', BULWARK_DATA_DIR: dataDir }), {
    inMemory: true,
    rootKey: ephemeralRootKey(),
  });
  try {
    await container.migrate();
    results.push(await sealThroughVault(container, plans.vault));
    results.push(...(await shopperCreate(container, plans.shoppers)));
    results.push(await blindIndex(container, plans.cipher));
  } finally {
    await container.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
  if (sink === 0) throw new Error('benchmarks produced nothing');
  return results;
}

async function fieldCipher(plan: Plan): Promise<Result[]> {
  const key = randomDataKey();
  const keyId = newId('dataKey');
  const ref = { table: 'users', column: 'full_name', rowId: newId('user') };
  const ciphertext = sealField(key, keyId, ref, PLAINTEXT);
  if (openField(key, ref, ciphertext) !== PLAINTEXT) throw new Error('field cipher does not round-trip');
  const copied = Buffer.from(PLAINTEXT).toString('base64url');

  const encrypt = await measure(
    {
      seal: (n) => {
        for (let i = 0; i < n; i++) sink += sealField(key, keyId, ref, PLAINTEXT).length;
      },
      copy: (n) => {
        for (let i = 0; i < n; i++) sink += Buffer.from(PLAINTEXT).toString('base64url').length;
      },
    },
    plan,
  );
  const decrypt = await measure(
    {
      open: (n) => {
        for (let i = 0; i < n; i++) sink += openField(key, ref, ciphertext)?.length ?? 0;
      },
      copy: (n) => {
        for (let i = 0; i < n; i++) sink += Buffer.from(copied, 'base64url').toString('utf8').length;
      },
    },
    plan,
  );
  return [
    ...compared('vault.field-encrypt', 'µs/field', micros(encrypt.seal), 'copy', micros(encrypt.copy)),
    ...compared('vault.field-decrypt', 'µs/field', micros(decrypt.open), 'copy', micros(decrypt.copy)),
  ];
}

/** `Vault.seal` for an owner whose data key is cached: one data-key query plus AES-GCM per field. */
async function sealThroughVault({ vault, database }: Container, plan: Plan): Promise<Result> {
  const ownerId = newId('user');
  const field = { ownerId, table: 'users', column: 'full_name', rowId: ownerId };
  await vault.ensureDataKey(database.db, ownerId);
  const sealed = await vault.seal(database.db, field, PLAINTEXT);
  if ((await vault.openOwn(database.db, ownerId, field, sealed)) !== PLAINTEXT) {
    throw new Error('vault does not round-trip');
  }
  const { seal } = await measure(
    {
      seal: async (n) => {
        for (let i = 0; i < n; i++) sink += (await vault.seal(database.db, field, PLAINTEXT)).length;
      },
    },
    plan,
  );
  return { name: 'vault.seal-through-vault', value: round(micros(seal)), unit: 'µs/field' };
}

/**
 * `registerShopper` minus Argon2id (a pre-computed hash stands in), against the same registration with
 * no vault: the same checks and the same values, inserted in plaintext into a copy of `users`.
 */
async function shopperCreate({ vault, database, clock, config }: Container, plan: Plan): Promise<Result[]> {
  const db = database.db;
  const real = await createPasswordHasher();
  const passwordHash = await real.hash(PASSWORD);
  const hasher: PasswordHasher = { ...real, hash: async () => passwordHash, verify: async () => false };
  const accounts = createAccounts({ db, vault, hasher, clock, config });
  // A regular table, not TEMPORARY: temporary tables skip the WAL, which would flatter the baseline.
  await sql`create table bench_users_plaintext (like users including all)`.execute(db);

  let next = 0;
  const shopper = (): NewAccount => ({
    email: `Shopper.${++next}@Example.test`,
    password: PASSWORD,
    fullName: 'Maria Kowalska',
    phone: '+48 601 234 567',
    country: 'PL',
  });
  const { encrypted, plaintext } = await measure(
    {
      encrypted: async (n) => {
        for (let i = 0; i < n; i++) {
          const { created } = await accounts.registerShopper(shopper());
          if (!created) throw new Error('shopper not created');
        }
      },
      plaintext: async (n) => {
        for (let i = 0; i < n; i++) {
          const input = shopper();
          if (problemsForContact(input).length > 0) throw new Error('invalid shopper');
          const email = normalizeEmail(input.email);
          const phone = input.phone ? normalizePhone(input.phone) : null;
          // The plaintext values go where registerShopper puts ciphertexts and blind indexes.
          await withTransaction(db, (trx) =>
            trx
              .insertInto('benchUsersPlaintext')
              .values({
                id: newId('user'),
                kind: 'shopper',
                role: null,
                emailIndex: email,
                emailEnc: email,
                fullNameEnc: input.fullName.trim(),
                phoneEnc: phone,
                phoneIndex: phone,
                country: input.country,
                language: 'en',
                passwordHash,
              })
              .execute(),
          );
        }
      },
    },
    plan,
  );
  await sql`drop table bench_users_plaintext`.execute(db);
  const perSecond = (ns: number) => 1e9 / ns;
  return compared(
    'vault.shopper-create',
    'shoppers/s',
    perSecond(encrypted),
    'shopper-create-plaintext',
    perSecond(plaintext),
  );
}

async function blindIndex({ vault }: Container, plan: Plan): Promise<Result> {
  const email = normalizeEmail('Shopper.1@Example.test');
  const { hmac } = await measure(
    {
      hmac: (n) => {
        for (let i = 0; i < n; i++) sink += vault.blindIndex('email', email).length;
      },
    },
    plan,
  );
  return { name: 'vault.blind-index', value: round(micros(hmac)), unit: 'µs/index' };
}
