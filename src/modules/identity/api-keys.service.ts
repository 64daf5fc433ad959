import type { Clock } from '../../platform/clock.ts';
import type { AnyDb } from '../../platform/db/index.ts';
import { type ApiKeyId, newId } from '../../platform/ids.ts';
import { constantTimeEqual, digestToken, randomString, randomToken } from '../vault/index.ts';
import { IdentityErrors } from './identity.errors.ts';
import type { IdentityDb } from './identity.tables.ts';
import { type Permission, SERVICE_SCOPES, type ServicePrincipal, type StaffPrincipal } from './principal.ts';

/** `bw_sk_<prefix>_<secret>`: the prefix is public (listings, leak scanners), the secret is 256 bits. */
const KEY_PATTERN = /^bw_sk_([a-z0-9]{12})_([A-Za-z0-9_-]{43})$/;
const MAX_DAYS = 365;
const PREFIX_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

export interface NewApiKey {
  readonly name: string;
  readonly scopes: readonly string[];
  readonly expiresInDays: number;
}

/**
 * API keys for services: shown once, stored as a SHA-256 digest (the secret has 256 bits, so no slow
 * hash is needed), with a visible prefix, scopes that are a subset of staff permissions, an expiry that
 * always exists, and revocation that takes effect on the next request.
 */
export function createApiKeys(deps: { db: AnyDb; clock: Clock }) {
  const db = deps.db as IdentityDb;

  const view = (row: {
    id: string;
    prefix: string;
    name: string;
    scopes: string;
    createdAt: Date;
    expiresAt: Date;
    revokedAt: Date | null;
    lastUsedAt: Date | null;
  }) => ({
    id: row.id,
    prefix: `bw_sk_${row.prefix}`,
    name: row.name,
    scopes: row.scopes.split(' '),
    createdAt: row.createdAt,
    expiresAt: row.expiresAt,
    revokedAt: row.revokedAt,
    lastUsedAt: row.lastUsedAt,
  });

  return {
    async create(creator: StaffPrincipal, input: NewApiKey) {
      const unknown = input.scopes.filter((scope) => !(SERVICE_SCOPES as readonly string[]).includes(scope));
      if (unknown.length > 0 || input.scopes.length === 0) {
        throw IdentityErrors.IDENTITY_INVALID_SCOPES(
          `A key may carry only these scopes: ${SERVICE_SCOPES.join(', ')}.`,
          {
            errors: [
              {
                field: 'body.scopes',
                message: unknown.length
                  ? `unknown or not allowed: ${unknown.join(', ')}`
                  : 'must not be empty',
              },
            ],
          },
        );
      }
      const days = Math.min(MAX_DAYS, input.expiresInDays);
      const prefix = randomString(PREFIX_ALPHABET, 12);
      const key = randomToken(`bw_sk_${prefix}`);
      const row = {
        id: newId('apiKey'),
        prefix,
        secretHash: digestToken(key),
        name: input.name,
        scopes: [...new Set(input.scopes)].join(' '),
        createdBy: creator.userId,
        expiresAt: new Date(deps.clock.now().getTime() + days * 86400_000),
      };
      await db.insertInto('apiKeys').values(row).execute();
      return { ...view({ ...row, createdAt: deps.clock.now(), revokedAt: null, lastUsedAt: null }), key };
    },

    async list() {
      const rows = await db
        .selectFrom('apiKeys')
        .selectAll()
        .orderBy('createdAt', 'desc')
        .limit(500)
        .execute();
      return rows.map(view);
    },

    async revoke(id: string): Promise<void> {
      const result = await db
        .updateTable('apiKeys')
        .set({ revokedAt: deps.clock.now() })
        .where('id', '=', id)
        .where('revokedAt', 'is', null)
        .executeTakeFirst();
      if (result.numUpdatedRows === 0n)
        throw IdentityErrors.IDENTITY_API_KEY_NOT_FOUND('No such live API key.');
    },

    isApiKey: (token: string) => token.startsWith('bw_sk_'),

    async authenticate(token: string): Promise<ServicePrincipal | null> {
      const match = KEY_PATTERN.exec(token);
      if (!match) return null;
      const now = deps.clock.now();
      const row = await db
        .selectFrom('apiKeys')
        .selectAll()
        .where('prefix', '=', match[1] as string)
        .where('revokedAt', 'is', null)
        .where('expiresAt', '>', now)
        .executeTakeFirst();
      if (!row || !constantTimeEqual(row.secretHash, digestToken(token))) return null;
      if (!row.lastUsedAt || now.getTime() - row.lastUsedAt.getTime() > 60_000) {
        await db.updateTable('apiKeys').set({ lastUsedAt: now }).where('id', '=', row.id).execute();
      }
      return { kind: 'service', keyId: row.id as ApiKeyId, scopes: row.scopes.split(' ') as Permission[] };
    },
  };
}

export type ApiKeys = ReturnType<typeof createApiKeys>;
