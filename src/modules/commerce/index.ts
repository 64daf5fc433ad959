/**
 * Commerce: addresses, product links, orders and their state machine, warehouse QC, parcels and the
 * wallet ledger: the data a shopping agent holds, every query scoped by the principal.
 */
import type { Config } from '../../config/index.ts';
import type { Clock } from '../../platform/clock.ts';
import type { AnyDb } from '../../platform/db/index.ts';
import type { App } from '../../platform/http/app-types.ts';
import type { FetcherFactory } from '../../platform/outbound/index.ts';
import type { Accounts, LoginHistory, Sessions } from '../identity/index.ts';
import type { Vault } from '../vault/index.ts';
import { registerAddressRoutes } from './addresses/addresses.routes.ts';
import { type Addresses, createAddresses } from './addresses/addresses.service.ts';
import { registerCustomerRoutes } from './customers/customers.routes.ts';
import { type Customers, createCustomers } from './customers/customers.service.ts';
import { registerDataRightsRoutes } from './data-rights/data-rights.routes.ts';
import { createDataRights } from './data-rights/data-rights.service.ts';
import { registerResolveRoutes } from './links/resolve.routes.ts';
import { createProductResolver, type MarketplaceFakes } from './links/resolver.ts';
import { registerShopperOrderRoutes } from './orders/orders.routes.ts';
import { createOrders, type Orders } from './orders/orders.service.ts';
import { registerStaffOrderRoutes } from './orders/staff-orders.routes.ts';
import { registerParcelRoutes } from './parcels/parcels.routes.ts';
import { createParcels, type Parcels } from './parcels/parcels.service.ts';
import { registerWalletRoutes } from './wallet/wallet.routes.ts';
import { createWallet, type Wallet } from './wallet/wallet.service.ts';
import { createQcPhotos, type QcPhotos } from './warehouse/qc-photos.service.ts';

export { CommerceErrors } from './commerce.errors.ts';
export { parseProductLink } from './links/index.ts';
export type { MarketplaceFakes } from './links/resolver.ts';
export { ORDER_STATUSES, ORDER_TRANSITIONS, type OrderStatus } from './orders/order-states.ts';
export { PARCEL_STATUSES, type ParcelStatus } from './parcels/parcel-states.ts';

export interface CommerceDeps {
  readonly db: AnyDb;
  readonly vault: Vault;
  readonly clock: Clock;
  readonly config: Config;
  readonly accounts: Accounts;
  readonly sessions: Sessions;
  readonly logins: LoginHistory;
  /** Makes the fetchers the product resolver reads marketplaces with. */
  readonly outbound: FetcherFactory;
  /** WARNING: test-only. Item data served by fakes instead of the marketplaces. */
  readonly marketplaceFakes?: MarketplaceFakes;
}

export interface Commerce {
  readonly addresses: Addresses;
  readonly orders: Orders;
  readonly photos: QcPhotos;
  readonly parcels: Parcels;
  readonly wallet: Wallet;
  readonly customers: Customers;
  registerRoutes(app: App): void;
}

export function createCommerce(deps: CommerceDeps): Commerce {
  const addresses = createAddresses(deps);
  const orders = createOrders(deps);
  const photos = createQcPhotos(deps);
  const parcels = createParcels({ ...deps, orders, addresses });
  const wallet = createWallet(deps);
  const customers = createCustomers({ ...deps, addresses });
  const rights = createDataRights({ ...deps, addresses, orders, parcels, wallet });
  const resolver = createProductResolver(deps);
  return {
    addresses,
    orders,
    photos,
    parcels,
    wallet,
    customers,
    registerRoutes(app) {
      registerAddressRoutes(app, addresses);
      registerShopperOrderRoutes(app, orders, photos);
      registerResolveRoutes(app, resolver);
      registerStaffOrderRoutes(app, orders, photos, deps.config);
      registerParcelRoutes(app, parcels);
      registerWalletRoutes(app, wallet);
      registerCustomerRoutes(app, customers);
      registerDataRightsRoutes(app, rights);
    },
  };
}
