import type { Generated, Kysely, Selectable } from 'kysely';

export interface PasskeysTable {
  id: string;
  userId: string;
  /** base64url, as assertions name it. */
  credentialId: string;
  /** COSE public key, base64url. */
  publicKey: string;
  counter: Generated<number>;
  /** Comma-separated transports, '' when the authenticator named none. */
  transports: Generated<string>;
  deviceType: 'singleDevice' | 'multiDevice';
  backedUp: boolean;
  userVerified: boolean;
  lastUserVerified: boolean | null;
  nameEnc: string;
  createdAt: Generated<Date>;
  lastUsedAt: Date | null;
  cloneSuspectedAt: Date | null;
}

export type ChallengePurpose = 'register' | 'login' | 'second_factor' | 'step_up';

export interface WebauthnChallengesTable {
  id: string;
  userId: string | null;
  purpose: ChallengePurpose;
  challenge: string;
  createdAt: Date;
  expiresAt: Date;
  usedAt: Date | null;
}

export interface PasskeyTables {
  passkeys: PasskeysTable;
  webauthnChallenges: WebauthnChallengesTable;
  users: { id: string };
}

export type PasskeysDb = Kysely<PasskeyTables>;
export type PasskeyRow = Selectable<PasskeysTable>;
