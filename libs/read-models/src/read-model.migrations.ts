import { Kysely, Migration, Migrator, sql } from 'kysely';
import { createCheckpointsOwnerTable, createCheckpointsTable, createProjectionTables, createRoutingAgentsTable, ReadModelDialect } from './read-model.schema';
import { ReadModelTables } from './read-model.tables';

/** The projector's checkpoint name. */
export const PROJECTOR_CHECKPOINT = 'read-models';

/**
 * The read models' schema, version by version, in name order. Add one for every change and never edit
 * one that has shipped. A migration that changes what a projection stores ends with
 * `startOverFromLog` (the read models are rebuilt from the log, as a bump of the schema version did);
 * one that only adds an index needs nothing more. The checkpoints of other readers (the worker's
 * dispatcher) are always kept.
 */
function migrations(dialect: ReadModelDialect): Record<string, Migration> {
  const migration = (up: (db: Kysely<ReadModelTables>) => Promise<void>): Migration => ({ up });
  return {
    '0001-checkpoints': migration((db) => createCheckpointsTable(db, dialect)),
    // the tables of schema version 10, the last one of the PRAGMA user_version era (SQLite files
    // written before migrations: their projection tables are dropped and rebuilt from the log)
    '0002-projections': migration(async (db) => {
      if (dialect === 'sqlite') await dropUserVersionEraTables(db);
      await createProjectionTables(db, dialect);
      await startOverFromLog(db);
    }),
    // the event store the checkpoints belong to: recorded at the next start (libs/read-models/src/checkpoints-owner.ts)
    '0003-checkpoints-owner': migration((db) => createCheckpointsOwnerTable(db, dialect)),
    // the agents as routing left them, shared by the workers' decisions (libs/read-models/src/agents/routing-agents.store.ts)
    '0004-routing-agents': migration((db) => createRoutingAgentsTable(db, dialect)),
  };
}

/**
 * Brings the database to the newest schema. Kysely's Migrator records what ran (kysely_migration) and
 * runs the rest in one transaction, under PostgreSQL's advisory lock or SQLite's write lock, so an API
 * and a worker starting together migrate once.
 */
export async function migrateReadModels(db: Kysely<ReadModelTables>, dialect: ReadModelDialect, schema?: string): Promise<void> {
  const migrator = new Migrator({
    db,
    provider: { getMigrations: () => Promise.resolve(migrations(dialect)) },
    // PostgreSQL: its bookkeeping in the read models' schema, and looked for there only (not in another schema of the database)
    ...(schema ? { migrationTableSchema: schema } : {}),
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName;
    const reason = error instanceof Error ? error.message : JSON.stringify(error);
    throw new Error(`read-model schema migration${failed ? ` ${failed}` : ''} failed: ${reason}`, { cause: error });
  }
}

/** The projections rebuild from the log: the projector's checkpoint goes back to the start (its tables must be empty or new). */
async function startOverFromLog(db: Kysely<ReadModelTables>): Promise<void> {
  await db.deleteFrom('checkpoints').where('name', '=', PROJECTOR_CHECKPOINT).execute();
}

/** A SQLite file of the user_version era held only the projection tables and the checkpoints. */
async function dropUserVersionEraTables(db: Kysely<ReadModelTables>): Promise<void> {
  const { rows } = await sql<{ name: string }>`
    select name from sqlite_master
    where type = 'table' and name not in ('checkpoints', 'kysely_migration', 'kysely_migration_lock') and name not like 'sqlite_%'`.execute(db);
  for (const { name } of rows) await db.schema.dropTable(name).execute();
}
