import type { AnyDb } from '../../../platform/db/index.ts';
import { type Accounts, actorFor, type Principal } from '../../identity/index.ts';
import type { RevealGrant, StoredField, Vault } from '../../vault/index.ts';
import type { Addresses } from '../addresses/addresses.service.ts';
import { CommerceErrors } from '../commerce.errors.ts';
import type { CommerceDb } from '../commerce.tables.ts';
import { ownerFilter } from '../scope.ts';

export const REVEALABLE = ['fullName', 'email', 'phone', 'addresses'] as const;
export type RevealableField = (typeof REVEALABLE)[number];

export interface CustomersDeps {
  readonly db: AnyDb;
  readonly vault: Vault;
  readonly accounts: Accounts;
  readonly addresses: Addresses;
}

/**
 * What support staff see of a customer: masked by default (first name and last initial, `j***@…`,
 * `+48 *** *** 4567`, city and country), the clear values only through a reveal with a reason.
 */
export function createCustomers(deps: CustomersDeps) {
  const notFound = () => CommerceErrors.COMMERCE_NOT_FOUND('No such customer.');

  async function stored(principal: Principal, customerId: string) {
    ownerFilter(principal, 'customers:read');
    const profile = await deps.accounts.storedProfile(customerId);
    if (!profile) throw notFound();
    return { profile, addresses: await deps.addresses.stored(customerId) };
  }

  return {
    async masked(principal: Principal, customerId: string) {
      const { profile, addresses } = await stored(principal, customerId);
      const { fullName, email, phone } = profile.fields;
      const masked = await deps.vault.masked(deps.db, customerId, {
        fullName: { ...fullName, kind: 'name' },
        email: { ...email, kind: 'email' },
        phone: { ...phone, kind: 'phone' },
      });
      const orders = await (deps.db as unknown as CommerceDb)
        .selectFrom('orders')
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .where('userId', '=', customerId)
        .executeTakeFirstOrThrow();
      return {
        id: profile.id,
        country: profile.country,
        createdAt: profile.createdAt,
        fullName: masked.fullName ?? '',
        email: masked.email ?? '',
        phone: masked.phone ?? null,
        orderCount: Number(orders.n),
        addresses: await Promise.all(
          addresses.map(async (address) => ({
            id: address.id,
            country: address.country,
            city:
              (
                await deps.vault.masked(deps.db, customerId, {
                  city: { ...address.fields.city, kind: 'address' },
                })
              ).city ?? '',
          })),
        ),
      };
    },

    /**
     * Clear values of the chosen fields, through the vault's reveal: permission, budget, trail, event.
     * `grant` carries an approved bulk export's lift of the budget to the shield (which checks it).
     */
    async reveal(
      principal: Principal,
      customerId: string,
      fields: readonly RevealableField[],
      reason: string,
      grant?: RevealGrant,
    ) {
      const { profile, addresses } = await stored(principal, customerId);
      const wanted: Record<string, StoredField> = {};
      for (const name of fields) {
        if (name !== 'addresses') wanted[name] = profile.fields[name];
      }
      if (fields.includes('addresses')) {
        for (const address of addresses) {
          for (const [key, field] of Object.entries(address.fields)) wanted[`${address.id}.${key}`] = field;
        }
      }
      const clear = await deps.vault.reveal(deps.db, {
        actor: actorFor(principal),
        subjectId: customerId,
        permission: 'customers:reveal',
        purpose: reason,
        fields: wanted,
        ...(grant ? { grant } : {}),
      });
      return {
        id: profile.id,
        ...(fields.includes('fullName') ? { fullName: clear.fullName ?? '' } : {}),
        ...(fields.includes('email') ? { email: clear.email ?? '' } : {}),
        ...(fields.includes('phone') ? { phone: clear.phone ?? null } : {}),
        ...(fields.includes('addresses')
          ? {
              addresses: addresses.map((address) => ({
                id: address.id,
                country: address.country,
                recipientName: clear[`${address.id}.recipientName`] ?? '',
                phone: clear[`${address.id}.phone`] ?? '',
                line1: clear[`${address.id}.line1`] ?? '',
                line2: clear[`${address.id}.line2`] ?? null,
                city: clear[`${address.id}.city`] ?? '',
                region: clear[`${address.id}.region`] ?? null,
                postalCode: clear[`${address.id}.postalCode`] ?? '',
              })),
            }
          : {}),
      };
    },

    async lookUp(principal: Principal, contact: { email?: string; phone?: string }) {
      ownerFilter(principal, 'customers:read');
      const ids = await deps.accounts.findByContact(contact);
      return Promise.all(ids.map((id) => this.masked(principal, id)));
    },
  };
}

export type Customers = ReturnType<typeof createCustomers>;
