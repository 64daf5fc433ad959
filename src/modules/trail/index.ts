/**
 * Trail: a tamper-evident audit trail of every sensitive read and privileged action (DESIGN §3, §6). One
 * hash chain in an append-only table, signed checkpoints kept in the database and outside it,
 * streaming verification that names the first bad entry, search and breach scope, retention archives.
 */
export { type ArchiveResult, archiveClosedPeriod, verifyArchive } from './archive.ts';
export type { ProblemKind, TrailProblem } from './chain-walker.ts';
export { CHECKPOINT_FILE, type CheckpointLine, checkpointFile, checkpointWebhook } from './checkpoints.ts';
export {
  type ActorKind,
  GENESIS_HASH,
  type TrailActor,
  type TrailEntry,
  type TrailRecord,
  type TrailResult,
} from './entry-codec.ts';
export { installTrailRecorder } from './http-recorder.ts';
export { TRAIL_ACTIONS, type TrailAction } from './trail.actions.ts';
export { TrailErrors } from './trail.errors.ts';
export { registerTrailRoutes } from './trail.routes.ts';
export { type Containment, createTrail, type Scope, type Trail, type TrailDeps } from './trail.service.ts';
export type { TrailTables } from './trail.tables.ts';
export { actorOfPrincipal } from './trail-context.ts';
export type { VerifyProgress, VerifyReport } from './verify.ts';
