import type { AnyDb } from '../../../platform/db/index.ts';
import { withTransaction } from '../../../platform/db/index.ts';
import type { Accounts, LoginHistory, Sessions, ShopperPrincipal } from '../../identity/index.ts';
import { IdentityErrors } from '../../identity/index.ts';
import type { Vault } from '../../vault/index.ts';
import type { Addresses } from '../addresses/addresses.service.ts';
import { CommerceErrors } from '../commerce.errors.ts';
import type { CommerceDb } from '../commerce.tables.ts';
import { ORDER_STATUSES, type OrderStatus } from '../orders/order-states.ts';
import type { Orders } from '../orders/orders.service.ts';
import type { Parcels } from '../parcels/parcels.service.ts';
import type { Wallet } from '../wallet/wallet.service.ts';

export interface DataRightsDeps {
  readonly db: AnyDb;
  readonly vault: Vault;
  readonly accounts: Accounts;
  readonly sessions: Sessions;
  readonly logins: LoginHistory;
  readonly addresses: Addresses;
  readonly orders: Orders;
  readonly parcels: Parcels;
  readonly wallet: Wallet;
}

// Orders whose money or goods are still moving (every state but a draft and the endings): the account
// cannot close until they settle.
const SETTLED: readonly OrderStatus[] = ['draft', 'delivered', 'withdrawn', 'cancelled', 'refunded'];
const IN_FLIGHT = ORDER_STATUSES.filter((status) => !SETTLED.includes(status));
const PAGE = 100;

/** The shopper's rights over their data: a full export, and erasure by destroying their data key. */
export function createDataRights(deps: DataRightsDeps) {
  const db = deps.db as unknown as CommerceDb;

  async function everyPage<T extends { createdAt: Date; id: string }>(
    load: (after: { createdAt: Date; id: string } | null) => Promise<T[]>,
  ): Promise<T[]> {
    const all: T[] = [];
    let after: { createdAt: Date; id: string } | null = null;
    for (;;) {
      const rows = await load(after);
      all.push(...rows.slice(0, PAGE));
      const last = rows[PAGE - 1];
      if (rows.length <= PAGE || !last) return all;
      after = { createdAt: last.createdAt, id: last.id };
    }
  }

  return {
    /** Everything Bulwark holds about the shopper, decrypted for the shopper (GDPR Art. 15 and 20). */
    async export(principal: ShopperPrincipal) {
      const page = { limit: PAGE };
      return {
        exportedAt: new Date(),
        profile: await deps.accounts.profile(principal.userId),
        addresses: await deps.addresses.list(principal),
        orders: await everyPage((after) => deps.orders.list(principal, { ...page, after })),
        parcels: await everyPage((after) => deps.parcels.list(principal, { ...page, after })),
        wallet: {
          ...(await deps.wallet.balance(principal.userId)),
          transactions: await everyPage((after) => deps.wallet.history(principal.userId, PAGE, after)),
        },
        sessions: await deps.sessions.list(principal.userId),
        logins: await deps.logins.list(principal.userId, 1000),
      };
    },

    /**
     * Erasure: checks the password, refuses while orders or money are in flight, then in one transaction
     * closes the account, deletes the address book and destroys the data key. Orders and the ledger stay
     * (bookkeeping law) but every personal field on them is now unreadable.
     */
    async erase(principal: ShopperPrincipal, password: string): Promise<void> {
      const profile = await deps.accounts.profile(principal.userId);
      const check = profile ? await deps.accounts.verifyCredentials(profile.email, password) : null;
      if (!check?.ok) throw IdentityErrors.IDENTITY_INVALID_CREDENTIALS('The password is wrong.');
      const busy = await db
        .selectFrom('orders')
        .select('id')
        .where('userId', '=', principal.userId)
        .where('status', 'in', [...IN_FLIGHT])
        .limit(1)
        .executeTakeFirst();
      const { balance } = await deps.wallet.balance(principal.userId);
      if (busy || balance > 0) {
        throw CommerceErrors.COMMERCE_ACCOUNT_BUSY(
          'Orders or wallet money are still in flight: wait for them to settle or ask support to refund the balance.',
        );
      }
      const keyId = await withTransaction(deps.db, async (trx) => {
        await deps.accounts.close(trx, principal.userId);
        await (trx as unknown as CommerceDb)
          .deleteFrom('addresses')
          .where('userId', '=', principal.userId)
          .execute();
        await (trx as unknown as CommerceDb)
          .updateTable('orders')
          .set({ status: 'withdrawn' })
          .where('userId', '=', principal.userId)
          .where('status', '=', 'draft')
          .execute();
        return deps.vault.shred(trx, principal.userId);
      });
      if (keyId) deps.vault.confirmShred(keyId, principal.userId);
    },
  };
}

export type DataRights = ReturnType<typeof createDataRights>;
