import type { Container } from '../container.ts';
import { STAFF_ROLES, type StaffRole } from '../modules/identity/index.ts';
import { migrateToLatest } from '../platform/db/index.ts';
import { seedDemo } from './seed-demo.ts';

/** What an operator can ask of Bulwark, locally or through a running server's admin socket. */
export type OperatorCommand =
  | { readonly name: 'migrate' }
  | { readonly name: 'seed'; readonly users: number }
  | {
      readonly name: 'staff.create';
      readonly email: string;
      readonly role: StaffRole;
      readonly password: string;
      readonly fullName?: string;
    };

export const MAX_SEED_USERS = 10_000;

export async function runOperatorCommand(container: Container, command: OperatorCommand): Promise<unknown> {
  switch (command.name) {
    case 'migrate':
      return migrateToLatest(container.database.db);
    case 'seed': {
      if (!Number.isInteger(command.users) || command.users < 1 || command.users > MAX_SEED_USERS) {
        throw new Error(`--users must be a whole number from 1 to ${MAX_SEED_USERS}`);
      }
      return seedDemo(container, command.users);
    }
    case 'staff.create': {
      if (!(STAFF_ROLES as readonly string[]).includes(command.role)) {
        throw new Error(`--role must be one of ${STAFF_ROLES.join(', ')}`);
      }
      const id = await container.identity.accounts.createStaff({
        email: command.email,
        password: command.password,
        role: command.role,
        fullName: command.fullName ?? command.email.split('@')[0] ?? 'Staff',
        country: 'CN',
      });
      return { id, email: command.email, role: command.role, totpSecret: null };
    }
    default:
      throw new Error('unknown command');
  }
}
