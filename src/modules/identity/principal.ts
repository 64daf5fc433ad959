import type { ApiKeyId, SessionId, UserId } from '../../platform/ids.ts';

export const STAFF_ROLES = ['support', 'warehouse', 'finance', 'security', 'admin'] as const;
export type StaffRole = (typeof STAFF_ROLES)[number];

export const PERMISSIONS = [
  'customers:reveal',
  'orders:read',
  'orders:process',
  'parcels:process',
  'customers:read',
  'wallet:read',
  'security:read',
  // Lifting detection's containments (an unblocked network, an unlocked account).
  'security:contain',
  'staff:manage',
] as const;
export type Permission = (typeof PERMISSIONS)[number];

/** Least privilege per role (DESIGN §5). Nothing is granted by default. */
export const ROLE_PERMISSIONS: Readonly<Record<StaffRole, readonly Permission[]>> = {
  support: ['orders:read', 'customers:read', 'customers:reveal'],
  warehouse: ['orders:read', 'orders:process', 'parcels:process'],
  finance: ['orders:read', 'wallet:read'],
  security: ['security:read', 'security:contain'],
  admin: ['orders:read', 'customers:read', 'customers:reveal', 'staff:manage'],
};

/** What every person's session carries: who, through which session, and how recently they proved it. */
interface SessionBound {
  readonly userId: UserId;
  readonly sessionId: SessionId;
  readonly via: 'bearer' | 'cookie';
  /** The last login or step-up of this session. */
  readonly authenticatedAt: Date;
  /** A staff member without a second factor yet: may enrol one and nothing else. */
  readonly enrolmentOnly: boolean;
}

export interface ShopperPrincipal extends SessionBound {
  readonly kind: 'shopper';
}

export interface StaffPrincipal extends SessionBound {
  readonly kind: 'staff';
  readonly role: StaffRole;
}

/** A service calling with an API key: only the permissions its key names. */
export interface ServicePrincipal {
  readonly kind: 'service';
  readonly keyId: ApiKeyId;
  readonly scopes: readonly Permission[];
}

export type PersonPrincipal = ShopperPrincipal | StaffPrincipal;
export type CallerPrincipal = PersonPrincipal | ServicePrincipal;

/** Bulwark itself acting (seeding, operator commands): never reachable through HTTP. */
export interface SystemPrincipal {
  readonly kind: 'system';
  readonly purpose: string;
}

export type Principal = CallerPrincipal | SystemPrincipal;
export type ActingPrincipal = StaffPrincipal | ServicePrincipal | SystemPrincipal;

/** Permissions an API key may carry: never staff or key management, never a PII reveal (no step-up). */
export const SERVICE_SCOPES = PERMISSIONS.filter(
  (permission) =>
    permission !== 'staff:manage' && permission !== 'customers:reveal' && permission !== 'security:contain',
);

export function can(principal: Principal, permission: Permission): boolean {
  if (principal.kind === 'system') return true;
  if (principal.kind === 'shopper') return false;
  if (principal.kind === 'service') return principal.scopes.includes(permission);
  return ROLE_PERMISSIONS[principal.role].includes(permission);
}

export function isPermission(value: string): value is Permission {
  return (PERMISSIONS as readonly string[]).includes(value);
}

/** Who did something, for timelines: never more than a kind and an opaque ID. */
export function actorOf(principal: Principal): { actorKind: string; actorId: string | null } {
  if (principal.kind === 'system') return { actorKind: 'system', actorId: null };
  if (principal.kind === 'service') return { actorKind: 'service', actorId: principal.keyId };
  return {
    actorKind: principal.kind === 'staff' ? `staff:${principal.role}` : 'shopper',
    actorId: principal.userId,
  };
}

/** The principal as the vault sees it when it asks for someone else's data: an ID, a role, a check. */
export function actorFor(principal: Principal): {
  id: string;
  role: string;
  may(permission: string): boolean;
} {
  return {
    id: idOf(principal),
    role: principal.kind === 'staff' ? principal.role : principal.kind,
    may: (permission) => isPermission(permission) && can(principal, permission),
  };
}

function idOf(principal: Principal): string {
  if (principal.kind === 'system') return `system:${principal.purpose}`;
  if (principal.kind === 'service') return principal.keyId;
  return principal.userId;
}
