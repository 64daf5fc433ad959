import path from 'node:path';
import type { Container } from '../container.ts';
import type { SystemPrincipal } from '../modules/identity/index.ts';
import { archiveClosedPeriod } from '../modules/trail/index.ts';
import type { Progress } from './operator-commands.ts';

/** Operator commands on the trail (`bulwark trail …`), run locally or through the admin socket. */
export type TrailCommand =
  | { readonly name: 'trail.verify' }
  | { readonly name: 'trail.checkpoint' }
  | {
      readonly name: 'trail.scope';
      readonly principals: readonly string[];
      readonly from: string;
      readonly to: string;
    }
  | { readonly name: 'trail.archive'; readonly directory?: string };

const OPERATOR: SystemPrincipal = { kind: 'system', purpose: 'operator' };
const DAY_MS = 86_400_000;

export async function runTrailCommand(container: Container, command: TrailCommand, onProgress: Progress) {
  const { trail } = container;
  switch (command.name) {
    case 'trail.verify': {
      const report = await trail.verify(onProgress);
      // Recorded after the walk, so the entry is not part of what it vouches for; never onto a broken
      // chain, which must stay as found for the investigation.
      if (report.ok) {
        await trail.append({
          actor: { kind: 'system', id: 'system:operator', role: 'system', session: null, network: null },
          action: 'trail.verified',
          purpose: `verified ${report.entries} entries up to ${report.lastSeq}`,
          result: 'success',
        });
      }
      return report;
    }
    case 'trail.checkpoint':
      return (await trail.checkpoint()) ?? { seq: null };
    case 'trail.scope': {
      const from = new Date(command.from);
      const to = new Date(command.to);
      if (Number.isNaN(from.getTime()) || Number.isNaN(to.getTime()) || from >= to) {
        throw new Error('--from and --to must be ISO 8601 times, --from first');
      }
      if (
        command.principals.length === 0 ||
        command.principals.some((id) => !/^(usr|key)_[0-9a-z]{26}$/.test(id))
      ) {
        throw new Error('--principals must list user or API key IDs');
      }
      return trail.scope(OPERATOR, command.principals, from, to);
    }
    case 'trail.archive': {
      const now = container.clock.now();
      const cutoff = new Date(now.getTime() - container.config.trailRetentionDays * DAY_MS);
      const directory = command.directory ?? path.join(container.config.dataDir, 'trail-archive');
      const result = await archiveClosedPeriod(trail.db, trail.signer, directory, cutoff, now);
      if (result.file) {
        await trail.append({
          actor: { kind: 'system', id: 'system:operator', role: 'system', session: null, network: null },
          action: 'trail.archived',
          purpose: `entries ${result.fromSeq} to ${result.upToSeq} archived to ${path.basename(result.file)}; ${result.pruned} pruned`,
          result: 'success',
        });
      }
      return result;
    }
    default:
      throw new Error('unknown trail command');
  }
}
