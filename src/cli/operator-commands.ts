import type { Container } from '../container.ts';
import { STAFF_ROLES, type StaffRole } from '../modules/identity/index.ts';
import { keyStatus, rotateMasterKey, SIGNING_KEY_GRACE_SECONDS } from '../modules/vault/index.ts';
import { seedDemo } from './seed-demo.ts';
import { runTrailCommand, type TrailCommand } from './trail-commands.ts';

/** What an operator can ask of Bulwark, locally or through a running server's admin socket. */
export type OperatorCommand =
  | { readonly name: 'migrate' }
  | { readonly name: 'seed'; readonly users: number }
  | { readonly name: 'keys.rotate' }
  | { readonly name: 'keys.status' }
  | { readonly name: 'keys.rotateSigning' }
  | TrailCommand
  | {
      readonly name: 'suspects.mark';
      readonly source: string;
      readonly minutes: number;
      readonly reason: string;
    }
  | { readonly name: 'suspects.clear'; readonly source: string }
  | { readonly name: 'suspects.list' }
  | {
      readonly name: 'staff.create';
      readonly email: string;
      readonly role: StaffRole;
      readonly password: string;
      readonly fullName?: string;
    };

export const MAX_SEED_USERS = 10_000;

/** Progress of long work, reported as it goes (through the admin socket as NDJSON lines). */
export type Progress = (progress: { done: number; total: number; label: string }) => void;

export async function runOperatorCommand(
  container: Container,
  command: OperatorCommand,
  onProgress: Progress = () => {},
): Promise<unknown> {
  if (command.name.startsWith('trail.'))
    return runTrailCommand(container, command as TrailCommand, onProgress);
  switch (command.name) {
    case 'keys.rotate':
      return rotateMasterKey(
        container.database.db,
        { ...container, provider: container.vault.provider },
        ({ version, done, total }) =>
          onProgress({ done, total, label: `re-wrapping data keys under master key v${version}` }),
      );
    case 'keys.rotateSigning':
      return {
        kid: await container.signer.rotateSigningKey(),
        previousVerifiesForSeconds: SIGNING_KEY_GRACE_SECONDS,
      };
    case 'keys.status':
      return keyStatus(container.database.db, container.vault.provider, container.shredLog.keyIds().length);
    case 'migrate':
      return container.migrate();
    case 'suspects.mark': {
      if (!Number.isInteger(command.minutes) || command.minutes < 1) {
        throw new Error('--minutes must be a whole number of minutes, at least 1');
      }
      if (command.reason.trim().length === 0) throw new Error('--reason must say why');
      return container.suspects.mark(command.source, command.reason.trim(), command.minutes * 60);
    }
    case 'suspects.clear':
      return { cleared: await container.suspects.clear(command.source) };
    case 'suspects.list':
      return container.suspects.list();
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
      const { id, totpSecret } = await container.identity.createStaff({
        email: command.email,
        password: command.password,
        role: command.role,
        fullName: command.fullName ?? command.email.split('@')[0] ?? 'Staff',
        country: 'CN',
      });
      return { id, email: command.email, role: command.role, totpSecret };
    }
    default:
      throw new Error('unknown command');
  }
}
