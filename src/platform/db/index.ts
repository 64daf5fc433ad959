export { type DataDirLock, DataDirLockedError, lockDataDir } from './data-dir-lock.ts';
export { type AnyDb, type Database, type DatabaseOptions, openDatabase, openPostgres } from './database.ts';
export { type MigrationOutcome, migrateToLatest, pendingMigrations } from './migrator.ts';
export { isUniqueViolation, withTransaction } from './transactions.ts';
