import { type AnyDb, isUniqueViolation, withTransaction } from '../../../platform/db/index.ts';
import { PlatformErrors } from '../../../platform/errors.ts';
import type { CommerceDb, LedgerTransactionRow } from '../commerce.tables.ts';
import { findTransactionByKey, walletAccountFor } from './ledger.ts';

export interface MoneyMove<T> {
  readonly userId: string;
  readonly idempotencyKey: string;
  /** What the request asks for, e.g. `order_payment:ord_…`; the same key with another fingerprint is refused. */
  readonly fingerprint: string;
  /** Does the work and posts the ledger transaction with this key, all in `trx`. */
  readonly perform: (trx: CommerceDb) => Promise<T>;
  /** Rebuilds the original answer when the key was already used for this same request. */
  readonly replay: (trx: CommerceDb, done: LedgerTransactionRow) => Promise<T>;
}

/**
 * Runs a money movement at most once per idempotency key. A retry after a timeout, a double click or a
 * concurrent duplicate gets the first answer back and is never charged twice.
 */
export async function moveMoneyOnce<T>(
  db: AnyDb,
  move: MoneyMove<T>,
): Promise<{ result: T; replayed: boolean }> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await withTransaction(db, async (trx) => {
        const cdb = trx as unknown as CommerceDb;
        // Every money movement touches the user's wallet: locking it first serializes them per user, so
        // a concurrent duplicate waits here and then finds the first one's key.
        await walletAccountFor(cdb, move.userId);
        const done = await findTransactionByKey(cdb, move.userId, move.idempotencyKey);
        if (done) {
          if (done.requestFingerprint !== move.fingerprint) {
            throw PlatformErrors.PLATFORM_IDEMPOTENCY_KEY_REUSED(
              'This Idempotency-Key was already used for a different request; use a new key.',
            );
          }
          return { result: await move.replay(cdb, done), replayed: true };
        }
        return { result: await move.perform(cdb), replayed: false };
      });
    } catch (error) {
      // A concurrent request with the same key committed first: go round once more to replay it.
      if (attempt === 0 && isUniqueViolation(error)) continue;
      throw error;
    }
  }
}
