import type { Clock } from '../../platform/clock.ts';
import { normalizeEmail } from '../../platform/contact-fields.ts';
import type { AnyDb } from '../../platform/db/index.ts';
import { withTransaction } from '../../platform/db/index.ts';
import { newId, type UserId } from '../../platform/ids.ts';
import { networkOf } from '../../platform/network.ts';
import type { Vault } from '../vault/index.ts';
import type { Accounts } from './accounts.service.ts';
import { IdentityErrors } from './identity.errors.ts';
import type { IdentityDb } from './identity.tables.ts';
import type { Messenger } from './messenger.ts';
import type { OneTimeTokens } from './one-time-tokens.ts';
import type { PersonPrincipal } from './principal.ts';
import type { ClientInfo } from './sessions.service.ts';
import { THROTTLE_POLICIES, type Throttle } from './throttle.ts';

const CHANGE_SECONDS = 60 * 60;

/**
 * Moving an account to another e-mail address takes two confirmations: from the new address (it is
 * yours) and from the current one (you mean it). Someone holding a stolen session alone cannot do it.
 */
export function createEmailChange(deps: {
  db: AnyDb;
  clock: Clock;
  vault: Vault;
  accounts: Accounts;
  tokens: OneTimeTokens;
  messenger: Messenger;
  throttle: Throttle;
}) {
  const guessKey = (client: ClientInfo) => ({
    key: `link:network:${networkOf(client.ip)}`,
    policy: THROTTLE_POLICIES.linkGuesses,
  });

  return {
    async request(principal: PersonPrincipal, newEmail: string): Promise<{ expiresAt: Date }> {
      const userId = principal.userId;
      const requestKey = { key: `email-change:${userId}`, policy: THROTTLE_POLICIES.resetRequests };
      await deps.throttle.check([requestKey]);
      await deps.throttle.fail([requestKey]);
      const email = normalizeEmail(newEmail);
      const id = newId('emailChange');
      const expiresAt = new Date(deps.clock.now().getTime() + CHANGE_SECONDS * 1000);
      await withTransaction(deps.db, async (trx) => {
        const field = { ownerId: userId, table: 'email_changes', column: 'new_email', rowId: id };
        await (trx as IdentityDb)
          .insertInto('emailChanges')
          .values({
            id,
            userId,
            newEmailEnc: await deps.vault.seal(trx, field, email),
            newEmailIndex: deps.accounts.emailIndex(email),
            expiresAt,
          })
          .execute();
        const toNew = await deps.tokens.issue(trx, userId, 'email_change_new', CHANGE_SECONDS, {
          subjectId: id,
        });
        const toOld = await deps.tokens.issue(trx, userId, 'email_change_old', CHANGE_SECONDS, {
          subjectId: id,
        });
        await deps.messenger.send(
          trx,
          { userId, address: email },
          { template: 'email_change_confirm', ...toNew },
        );
        await deps.messenger.send(trx, { userId }, { template: 'email_change_approve', ...toOld });
      });
      return { expiresAt };
    },

    /** One side confirms; when both have, the address changes and both addresses are told. */
    async confirm(client: ClientInfo, token: string): Promise<{ completed: boolean }> {
      await deps.throttle.check([guessKey(client)]);
      const invalid = () =>
        IdentityErrors.IDENTITY_INVALID_TOKEN('This link is wrong, expired or already used.');
      const purpose = (await deps.tokens.peek(deps.db, token, 'email_change_new'))
        ? 'email_change_new'
        : (await deps.tokens.peek(deps.db, token, 'email_change_old'))
          ? 'email_change_old'
          : null;
      // Counted before the transaction: the throttle writes through the root handle, which an open
      // embedded (PGlite) transaction would block for good.
      if (!purpose) {
        await deps.throttle.fail([guessKey(client)]);
        throw invalid();
      }
      return withTransaction(deps.db, async (trx) => {
        const used = await deps.tokens.consume(trx, token, purpose);
        const change = used?.subjectId
          ? await (trx as IdentityDb)
              .selectFrom('emailChanges')
              .selectAll()
              .where('id', '=', used.subjectId)
              .where('completedAt', 'is', null)
              .where('expiresAt', '>', deps.clock.now())
              .executeTakeFirst()
          : undefined;
        // A lost race or an expired change, not a guess: refused without counting.
        if (!used || !change) throw invalid();
        const now = deps.clock.now();
        const sides = {
          oldConfirmedAt: purpose === 'email_change_old' ? now : change.oldConfirmedAt,
          newConfirmedAt: purpose === 'email_change_new' ? now : change.newConfirmedAt,
        };
        const completed = sides.oldConfirmedAt !== null && sides.newConfirmedAt !== null;
        await (trx as IdentityDb)
          .updateTable('emailChanges')
          .set({ ...sides, completedAt: completed ? now : null })
          .where('id', '=', change.id)
          .execute();
        if (completed) await apply(trx, change.userId as UserId, change.id, change.newEmailEnc);
        return { completed };
      });
    },
  };

  async function apply(trx: AnyDb, userId: UserId, changeId: string, newEmailEnc: string): Promise<void> {
    const field = { table: 'email_changes', column: 'new_email', rowId: changeId };
    const newEmail = await deps.vault.openOwn(trx, userId, field, newEmailEnc);
    const oldEmail = await deps.accounts.addressOf(trx, userId);
    await deps.accounts.setEmail(trx, userId, newEmail);
    const notice = { template: 'security_change', change: 'email_changed', at: deps.clock.now() } as const;
    await deps.messenger.send(trx, { userId }, notice);
    if (oldEmail) await deps.messenger.send(trx, { address: oldEmail }, notice);
    await (trx as IdentityDb)
      .deleteFrom('emailChanges')
      .where('userId', '=', userId)
      .where('completedAt', 'is', null)
      .execute();
  }
}

export type EmailChange = ReturnType<typeof createEmailChange>;
