import type { Generated, Kysely, Selectable } from 'kysely';
import type { StaffRole } from './principal.ts';

export interface UsersTable {
  id: string;
  kind: 'shopper' | 'staff';
  role: StaffRole | null;
  status: Generated<'active' | 'locked' | 'deleted'>;
  emailIndex: string;
  emailEnc: string;
  fullNameEnc: string;
  phoneEnc: string | null;
  phoneIndex: string | null;
  country: string;
  language: Generated<string>;
  passwordHash: string;
  createdAt: Generated<Date>;
  updatedAt: Generated<Date>;
}

export interface SessionsTable {
  id: string;
  userId: string;
  kind: 'api' | 'web';
  tokenHash: string;
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
}

export interface LoginEventsTable {
  id: Generated<number>;
  userId: string;
  success: boolean;
  ipEnc: string;
  network: string;
  at: Generated<Date>;
}

export interface IdentityTables {
  users: UsersTable;
  sessions: SessionsTable;
  loginEvents: LoginEventsTable;
}

export type IdentityDb = Kysely<IdentityTables>;
export type UserRow = Selectable<UsersTable>;
export type SessionRow = Selectable<SessionsTable>;
