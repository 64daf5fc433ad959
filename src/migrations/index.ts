import type { Migration } from 'kysely';
import * as vaultDataKeys from './20261128000100_vault_create_data_keys.ts';
import * as identityUsers from './20261128000200_identity_create_users_sessions.ts';
import * as commerceOrders from './20261128000300_commerce_create_addresses_orders.ts';
import * as commerceLedger from './20261128000400_commerce_create_ledger.ts';
import * as identityFactors from './20261129000100_identity_factors_and_recovery.ts';
import * as vaultSigningKeys from './20261129000200_vault_signing_keys.ts';
import * as notifyOutbox from './20261129000300_notify_outbox.ts';
import * as identityPasskeys from './20261129000400_identity_passkeys.ts';

import * as commerceWithdrawals from './20261129000500_commerce_withdrawals.ts';
import * as shieldPiiBudgets from './20261129000600_shield_pii_budgets.ts';
import * as shieldChallenges from './20261129000650_shield_challenges.ts';
import * as trailEntries from './20261129000700_trail_create_entries.ts';
import * as watchAlerts from './20261129000800_watch_create_alerts.ts';
import * as watchDeliveries from './20261129000900_watch_create_deliveries.ts';
import * as respondIncidents from './20261129001000_respond_create_incidents.ts';
import * as respondScope from './20261129001100_respond_create_scope.ts';
import * as antiPhishing from './20261129001200_identity_anti_phishing.ts';
import * as respondNotices from './20261129001300_respond_create_notices.ts';
import * as routeFreezes from './20261129001400_shield_route_freezes.ts';
import * as respondPlaybooks from './20261129001500_respond_playbooks.ts';
import * as drillRuns from './20261129001600_drill_runs.ts';
import * as drillSchedule from './20261129001700_drill_schedule.ts';
/** Every migration, by name; names sort in the order they must run. Never edit one that has shipped. */
export const migrations: Record<string, Migration> = {
  '20261128000100_vault_create_data_keys': vaultDataKeys,
  '20261128000200_identity_create_users_sessions': identityUsers,
  '20261128000300_commerce_create_addresses_orders': commerceOrders,
  '20261128000400_commerce_create_ledger': commerceLedger,
  '20261129000100_identity_factors_and_recovery': identityFactors,
  '20261129000200_vault_signing_keys': vaultSigningKeys,
  '20261129000300_notify_outbox': notifyOutbox,
  '20261129000400_identity_passkeys': identityPasskeys,
  '20261129000500_commerce_withdrawals': commerceWithdrawals,
  '20261129000600_shield_pii_budgets': shieldPiiBudgets,
  '20261129000650_shield_challenges': shieldChallenges,
  '20261129000700_trail_create_entries': trailEntries,
  '20261129000800_watch_create_alerts': watchAlerts,
  '20261129000900_watch_create_deliveries': watchDeliveries,
  '20261129001000_respond_create_incidents': respondIncidents,
  '20261129001100_respond_create_scope': respondScope,
  '20261129001200_identity_anti_phishing': antiPhishing,
  '20261129001300_respond_create_notices': respondNotices,
  '20261129001400_shield_route_freezes': routeFreezes,
  '20261129001500_respond_playbooks': respondPlaybooks,
  '20261129001600_drill_runs': drillRuns,
  '20261129001700_drill_schedule': drillSchedule,
};
