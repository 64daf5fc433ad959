import type { Generated, Kysely, Selectable } from 'kysely';
import type { StaffRole } from './principal.ts';

export interface UsersTable {
  id: string;
  kind: 'shopper' | 'staff';
  role: StaffRole | null;
  status: Generated<'active' | 'locked' | 'deleted'>;
  emailIndex: string;
  emailEnc: string;
  /** The anti-phishing phrase, sealed (null: none chosen). */
  antiPhishingEnc: string | null;
  fullNameEnc: string;
  phoneEnc: string | null;
  phoneIndex: string | null;
  country: string;
  language: Generated<string>;
  passwordHash: string;
  mustResetPassword: Generated<boolean>;
  passwordChangedAt: Generated<Date>;
  createdAt: Generated<Date>;
  updatedAt: Generated<Date>;
}

export interface SessionsTable {
  id: string;
  userId: string;
  kind: 'api' | 'web';
  /** Web sessions: the cookie's digest. API sessions: null (access tokens are signed and name the session). */
  tokenHash: string | null;
  refreshHash: string | null;
  previousRefreshHash: string | null;
  csrfHash: string | null;
  userAgentEnc: string | null;
  ipEnc: string | null;
  network: string | null;
  createdAt: Generated<Date>;
  expiresAt: Date;
  refreshExpiresAt: Date | null;
  lastSeenAt: Generated<Date>;
  revokedAt: Date | null;
  authenticatedAt: Generated<Date>;
  methods: Generated<string>;
  enrolmentOnly: Generated<boolean>;
  deviceIndex: string | null;
  country: string | null;
}

export interface RefreshTokensTable {
  tokenHash: string;
  sessionId: string;
  createdAt: Generated<Date>;
  usedAt: Date | null;
}

export interface LoginEventsTable {
  id: Generated<number>;
  userId: string;
  success: boolean;
  ipEnc: string;
  network: string;
  at: Generated<Date>;
  method: Generated<string>;
  outcome: Generated<string>;
  userAgentEnc: string | null;
  deviceIndex: string | null;
  country: string | null;
}

export interface TotpFactorsTable {
  userId: string;
  secretEnc: string;
  confirmedAt: Date | null;
  lastStep: Generated<string>;
  createdAt: Generated<Date>;
}

export interface RecoveryCodesTable {
  codeIndex: string;
  userId: string;
  usedAt: Date | null;
  createdAt: Generated<Date>;
}

export type OneTimePurpose =
  | 'password_reset'
  | 'mfa_login'
  | 'not_me'
  | 'email_change_new'
  | 'email_change_old';

export interface OneTimeTokensTable {
  tokenHash: string;
  userId: string;
  purpose: OneTimePurpose;
  subjectId: string | null;
  detail: string | null;
  attempts: Generated<number>;
  createdAt: Generated<Date>;
  expiresAt: Date;
  usedAt: Date | null;
}

export interface EmailChangesTable {
  id: string;
  userId: string;
  newEmailEnc: string;
  newEmailIndex: string;
  oldConfirmedAt: Date | null;
  newConfirmedAt: Date | null;
  createdAt: Generated<Date>;
  expiresAt: Date;
  completedAt: Date | null;
}

export interface AuthThrottleTable {
  key: string;
  failures: number;
  lastFailureAt: Date;
  blockedUntil: Date;
}

export interface ApiKeysTable {
  id: string;
  prefix: string;
  secretHash: string;
  name: string;
  /** Space-separated permissions. */
  scopes: string;
  createdBy: string;
  createdAt: Generated<Date>;
  expiresAt: Date;
  revokedAt: Date | null;
  lastUsedAt: Date | null;
}

export interface IdentityTables {
  users: UsersTable;
  sessions: SessionsTable;
  loginEvents: LoginEventsTable;
  refreshTokens: RefreshTokensTable;
  totpFactors: TotpFactorsTable;
  recoveryCodes: RecoveryCodesTable;
  oneTimeTokens: OneTimeTokensTable;
  emailChanges: EmailChangesTable;
  authThrottle: AuthThrottleTable;
  apiKeys: ApiKeysTable;
}

export type IdentityDb = Kysely<IdentityTables>;
export type UserRow = Selectable<UsersTable>;
export type SessionRow = Selectable<SessionsTable>;
