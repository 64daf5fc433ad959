import { can, type Permission, type Principal } from '../identity/index.ts';
import { CommerceErrors } from './commerce.errors.ts';

/**
 * Whose records a principal may touch: a shopper only their own; staff everyone's when their role grants
 * `permission`; the system everyone's. A principal without the right gets "not found", never "forbidden",
 * so IDs of records it may not see cannot be confirmed.
 */
export function ownerFilter(principal: Principal, permission: Permission): { userId: string } | 'all' {
  if (principal.kind === 'shopper') return { userId: principal.userId };
  if (can(principal, permission)) return 'all';
  throw CommerceErrors.COMMERCE_NOT_FOUND('No such record.');
}
