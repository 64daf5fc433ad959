import type { SessionId, UserId } from '../../platform/ids.ts';

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
  'staff:manage',
] as const;
export type Permission = (typeof PERMISSIONS)[number];

/** Least privilege per role (DESIGN §5). Nothing is granted by default. */
export const ROLE_PERMISSIONS: Readonly<Record<StaffRole, readonly Permission[]>> = {
  support: ['orders:read', 'customers:read', 'customers:reveal'],
  warehouse: ['orders:read', 'orders:process', 'parcels:process'],
  finance: ['orders:read', 'wallet:read'],
  security: ['security:read'],
  admin: ['orders:read', 'customers:read', 'customers:reveal', 'staff:manage'],
};

export interface ShopperPrincipal {
  readonly kind: 'shopper';
  readonly userId: UserId;
  readonly sessionId: SessionId;
  readonly via: 'bearer' | 'cookie';
}

export interface StaffPrincipal {
  readonly kind: 'staff';
  readonly userId: UserId;
  readonly sessionId: SessionId;
  readonly role: StaffRole;
  readonly via: 'bearer' | 'cookie';
}

/** Bulwark itself acting (seeding, operator commands): never reachable through HTTP. */
export interface SystemPrincipal {
  readonly kind: 'system';
  readonly purpose: string;
}

export type Principal = ShopperPrincipal | StaffPrincipal | SystemPrincipal;
export type ActingPrincipal = StaffPrincipal | SystemPrincipal;

export function can(principal: Principal, permission: Permission): boolean {
  if (principal.kind === 'system') return true;
  if (principal.kind === 'shopper') return false;
  return ROLE_PERMISSIONS[principal.role].includes(permission);
}

export function isPermission(value: string): value is Permission {
  return (PERMISSIONS as readonly string[]).includes(value);
}

/** Who did something, for timelines: never more than a kind and an opaque ID. */
export function actorOf(principal: Principal): { actorKind: string; actorId: string | null } {
  if (principal.kind === 'system') return { actorKind: 'system', actorId: null };
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
    id: principal.kind === 'system' ? `system:${principal.purpose}` : principal.userId,
    role: principal.kind === 'staff' ? principal.role : principal.kind,
    may: (permission) => isPermission(permission) && can(principal, permission),
  };
}
