import type { AnyDb } from '../../platform/db/index.ts';
import { withTransaction } from '../../platform/db/index.ts';
import type { EventBus } from '../../platform/events.ts';
import type { App } from '../../platform/http/app-types.ts';
import type { UserId } from '../../platform/ids.ts';
import type { Accounts } from './accounts.service.ts';
import { staffOf } from './authentication.hook.ts';
import { IdentityErrors } from './identity.errors.ts';
import { StaffParams, StaffRoleBody, StaffRoleChanged } from './identity.schemas.ts';
import type { Sessions } from './sessions.service.ts';

/**
 * Admins change staff roles after a fresh authentication, never their own (an admin who could would need
 * no second admin to escalate). The member's sessions end, so the new role holds from their next login;
 * the change is recorded in the trail (`role.changed`) and announced for detection.
 */
export function registerStaffRoleRoutes(
  app: App,
  deps: { db: AnyDb; accounts: Accounts; sessions: Sessions; events?: EventBus },
): void {
  app.put('/v1/admin/staff/:id/role', {
    config: { access: { permission: 'staff:manage', stepUp: true } },
    schema: {
      tags: ['admin'],
      summary: 'Change a staff member’s role',
      description:
        'Ends the member’s sessions. Refused for one’s own account. The reason is recorded in the trail.',
      params: StaffParams,
      body: StaffRoleBody,
      response: { 200: StaffRoleChanged },
    },
    handler: async (request) => {
      const admin = staffOf(request);
      const userId = request.params.id as UserId;
      if (userId === admin.userId) {
        throw IdentityErrors.IDENTITY_OWN_ROLE('Another admin has to change your role.');
      }
      const { role } = request.body;
      const previousRole = await withTransaction(deps.db, async (trx) => {
        const before = await deps.accounts.changeStaffRole(trx, userId, role);
        if (before !== role) await deps.sessions.revokeAll(userId, trx);
        return before;
      });
      if (previousRole !== role) {
        deps.events?.emit('identity.role_changed', {
          actorId: admin.userId,
          userId,
          from: previousRole,
          to: role,
        });
      }
      return { id: userId, role, previousRole };
    },
  });
}
