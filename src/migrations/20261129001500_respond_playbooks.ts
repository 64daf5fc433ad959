import type { MigrationDb } from './migration-db.ts';

/** Playbook runs on incidents: which playbook, and each step's outcome with who did it and when. */
export async function up(db: MigrationDb): Promise<void> {
  await db.schema
    .createTable('respond_playbook_steps')
    .addColumn('incident_id', 'text', (c) => c.notNull())
    .addColumn('playbook_id', 'text', (c) => c.notNull())
    .addColumn('step_id', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('actor_id', 'text')
    .addColumn('at', 'timestamptz')
    .addColumn('outcome', 'text')
    .addPrimaryKeyConstraint('respond_playbook_steps_pk', ['incident_id', 'playbook_id', 'step_id'])
    .execute();
}

export async function down(db: MigrationDb): Promise<void> {
  await db.schema.dropTable('respond_playbook_steps').execute();
}
