import type { Clock } from '../../../platform/clock.ts';
import { normalizePhone, problemsForContact } from '../../../platform/contact-fields.ts';
import { type AnyDb, withTransaction } from '../../../platform/db/index.ts';
import { type AddressId, newId, type UserId } from '../../../platform/ids.ts';
import type { ShopperPrincipal } from '../../identity/index.ts';
import type { StoredField, Vault } from '../../vault/index.ts';
import { CommerceErrors } from '../commerce.errors.ts';
import type { AddressRow, CommerceDb } from '../commerce.tables.ts';

export interface AddressInput {
  readonly label?: string | null;
  readonly recipientName: string;
  readonly phone: string;
  readonly line1: string;
  readonly line2?: string | null;
  readonly city: string;
  readonly region?: string | null;
  readonly postalCode: string;
  readonly country: string;
  readonly isDefault?: boolean;
}

export interface Address extends Required<AddressInput> {
  readonly id: AddressId;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

const MAX_ADDRESSES = 20;
const ENCRYPTED = [
  'label',
  'recipientName',
  'phone',
  'line1',
  'line2',
  'city',
  'region',
  'postalCode',
] as const;
type EncryptedField = (typeof ENCRYPTED)[number];
const COLUMN: Record<EncryptedField, string> = {
  label: 'label',
  recipientName: 'recipient_name',
  phone: 'phone',
  line1: 'line1',
  line2: 'line2',
  city: 'city',
  region: 'region',
  postalCode: 'postal_code',
};

export function createAddresses(deps: { db: AnyDb; vault: Vault; clock: Clock }) {
  const db = deps.db as unknown as CommerceDb;
  const field = (userId: string, rowId: string, key: EncryptedField) => ({
    ownerId: userId,
    table: 'addresses',
    column: COLUMN[key],
    rowId,
  });

  async function sealAll(trx: AnyDb, userId: string, rowId: string, given: Partial<AddressInput>) {
    const input = given.phone ? { ...given, phone: normalizePhone(given.phone) ?? given.phone } : given;
    const sealed: Record<string, string | null> = {};
    for (const key of ENCRYPTED) {
      if (input[key] !== undefined)
        sealed[`${key}Enc`] = await deps.vault.sealOptional(trx, field(userId, rowId, key), input[key]);
    }
    return sealed;
  }

  async function toAddress(trx: AnyDb, row: AddressRow): Promise<Address> {
    const open = (key: EncryptedField, value: string | null) =>
      deps.vault.openOwnOptional(
        trx,
        row.userId,
        { table: 'addresses', column: COLUMN[key], rowId: row.id },
        value,
      );
    return {
      id: row.id as AddressId,
      label: await open('label', row.labelEnc),
      recipientName: (await open('recipientName', row.recipientNameEnc)) ?? '',
      phone: (await open('phone', row.phoneEnc)) ?? '',
      line1: (await open('line1', row.line1Enc)) ?? '',
      line2: await open('line2', row.line2Enc),
      city: (await open('city', row.cityEnc)) ?? '',
      region: await open('region', row.regionEnc),
      postalCode: (await open('postalCode', row.postalCodeEnc)) ?? '',
      country: row.country,
      isDefault: row.isDefault,
      createdAt: row.createdAt,
      updatedAt: row.updatedAt,
    };
  }

  function check(input: Partial<AddressInput>): void {
    const errors = problemsForContact(input);
    if (errors.length > 0) {
      throw CommerceErrors.COMMERCE_INVALID_ADDRESS('Some address fields are not valid.', { errors });
    }
  }

  // Every read is scoped by the owner: another shopper's address is "not found", exactly like a missing one.
  const ownRow = (trx: CommerceDb, owner: UserId, id: string) =>
    trx
      .selectFrom('addresses')
      .selectAll()
      .where('userId', '=', owner)
      .where('id', '=', id)
      .executeTakeFirst();

  const notFound = () => CommerceErrors.COMMERCE_NOT_FOUND('No such address.');

  async function clearDefault(trx: CommerceDb, owner: UserId, except: string) {
    await trx
      .updateTable('addresses')
      .set({ isDefault: false })
      .where('userId', '=', owner)
      .where('id', '<>', except)
      .execute();
  }

  return {
    /** A shopper's addresses as stored, one set of protected fields per address, for masking or reveal. */
    async stored(userId: string) {
      const rows = await db
        .selectFrom('addresses')
        .selectAll()
        .where('userId', '=', userId)
        .orderBy('createdAt')
        .execute();
      return rows.map((row) => ({
        id: row.id,
        country: row.country,
        fields: Object.fromEntries(
          ENCRYPTED.filter((key) => key !== 'label').map((key) => [
            key,
            {
              table: 'addresses',
              column: COLUMN[key],
              rowId: row.id,
              ciphertext: row[`${key}Enc`] as string | null,
            },
          ]),
        ) as Record<Exclude<EncryptedField, 'label'>, StoredField>,
      }));
    },

    async list(principal: ShopperPrincipal): Promise<Address[]> {
      const rows = await db
        .selectFrom('addresses')
        .selectAll()
        .where('userId', '=', principal.userId)
        .orderBy('createdAt', 'asc')
        .limit(MAX_ADDRESSES)
        .execute();
      return Promise.all(rows.map((row) => toAddress(deps.db, row)));
    },

    async get(principal: ShopperPrincipal, id: string, trx: AnyDb = deps.db): Promise<Address> {
      const row = await ownRow(trx as unknown as CommerceDb, principal.userId, id);
      if (!row) throw notFound();
      return toAddress(trx, row);
    },

    async create(principal: ShopperPrincipal, input: AddressInput): Promise<Address> {
      check(input);
      return withTransaction(deps.db, async (trx) => {
        const cdb = trx as unknown as CommerceDb;
        const count = await cdb
          .selectFrom('addresses')
          .select((eb) => eb.fn.countAll<string>().as('n'))
          .where('userId', '=', principal.userId)
          .executeTakeFirstOrThrow();
        if (Number(count.n) >= MAX_ADDRESSES) {
          throw CommerceErrors.COMMERCE_ADDRESS_LIMIT(
            `An address book holds at most ${MAX_ADDRESSES} addresses.`,
          );
        }
        const id = newId('address');
        const isDefault = input.isDefault ?? Number(count.n) === 0;
        await cdb
          .insertInto('addresses')
          .values({
            id,
            userId: principal.userId,
            country: input.country,
            isDefault,
            ...((await sealAll(trx, principal.userId, id, input)) as Pick<
              AddressRow,
              'recipientNameEnc' | 'phoneEnc' | 'line1Enc' | 'cityEnc' | 'postalCodeEnc'
            >),
          })
          .execute();
        if (isDefault) await clearDefault(cdb, principal.userId, id);
        const row = await ownRow(cdb, principal.userId, id);
        return toAddress(trx, row as AddressRow);
      });
    },

    async update(principal: ShopperPrincipal, id: string, changes: Partial<AddressInput>): Promise<Address> {
      check(changes);
      return withTransaction(deps.db, async (trx) => {
        const cdb = trx as unknown as CommerceDb;
        if (!(await ownRow(cdb, principal.userId, id))) throw notFound();
        const { country, isDefault } = changes;
        await cdb
          .updateTable('addresses')
          .set({
            ...(await sealAll(trx, principal.userId, id, changes)),
            ...(country !== undefined ? { country } : {}),
            ...(isDefault !== undefined ? { isDefault } : {}),
            updatedAt: deps.clock.now(),
          })
          .where('userId', '=', principal.userId)
          .where('id', '=', id)
          .execute();
        if (isDefault) await clearDefault(cdb, principal.userId, id);
        return toAddress(trx, (await ownRow(cdb, principal.userId, id)) as AddressRow);
      });
    },

    async remove(principal: ShopperPrincipal, id: string): Promise<void> {
      const result = await db
        .deleteFrom('addresses')
        .where('userId', '=', principal.userId)
        .where('id', '=', id)
        .executeTakeFirst();
      if (result.numDeletedRows === 0n) throw notFound();
    },
  };
}

export type Addresses = ReturnType<typeof createAddresses>;
