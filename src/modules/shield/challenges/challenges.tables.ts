import type { Kysely } from 'kysely';

/** A client address or network that must prove work before the credential routes answer it. */
export interface ShieldSuspectsTable {
  /** `addressKey` or `networkKey` form: `203.0.113.7`, `203.0.113.0/24`, `2001:db8:1:2::/64`. */
  source: string;
  /** Why, in the marker's words (a detection rule's name, or an operator's note). */
  reason: string;
  markedAt: Date;
  until: Date;
}

/** A challenge answered once: its token's digest, kept until the token would have expired anyway. */
export interface ShieldSpentChallengesTable {
  tokenDigest: string;
  expiresAt: Date;
}

export interface ChallengeTables {
  shieldSuspects: ShieldSuspectsTable;
  shieldSpentChallenges: ShieldSpentChallengesTable;
}

export type ChallengeDb = Kysely<ChallengeTables>;
