import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { sql } from 'kysely';
import { closeReadModelDatabase, isReadModelDatabaseClosed, openReadModelDatabase, ReadModelDatabase, ReadModelDialect } from '../read-model.database';

/** Where a read-model spec runs: a fresh, migrated database per open(), removed again by close(). */
export interface ReadModelTarget {
  readonly dialect: ReadModelDialect;
  open(): Promise<ReadModelDatabase>;
  close(db: ReadModelDatabase): Promise<void>;
}

const sqliteFiles = new WeakMap<ReadModelDatabase, string>();

/** A new SQLite file in a temporary folder. */
export const SQLITE_TARGET: ReadModelTarget = {
  dialect: 'sqlite',
  async open() {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'read-models-'));
    const db = await openReadModelDatabase(path.join(dir, 'read-models.sqlite'));
    sqliteFiles.set(db, dir);
    return db;
  },
  async close(db) {
    await closeReadModelDatabase(db);
    const dir = sqliteFiles.get(db);
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  },
};

/**
 * PostgreSQL at `url`: each open() migrates a schema of its own (dropped again by close()), so specs
 * and tests never see each other's rows.
 */
export function postgresTarget(url: string): ReadModelTarget {
  let n = 0;
  return {
    dialect: 'postgres',
    open: () => openReadModelDatabase(url, { schema: `read_models_test_${process.pid}_${++n}_${Math.random().toString(36).slice(2, 8)}` }),
    async close(db) {
      if (isReadModelDatabaseClosed(db)) return;
      const { rows } = await sql<{ schema: string }>`select current_schema() as schema`.execute(db);
      await sql`drop schema if exists ${sql.id(rows[0].schema)} cascade`.execute(db);
      await closeReadModelDatabase(db);
    },
  };
}

// Tests are the one place besides configuration that may read the environment: they choose what to run against.
const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL;

/**
 * The dialects the read-model specs run on (`describe.each(readModelTargets())('... ($dialect)')`):
 * SQLite always, PostgreSQL when TEST_DATABASE_URL is set (otherwise the calling file shows a
 * skipped test that says so).
 */
export function readModelTargets(): ReadModelTarget[] {
  if (TEST_DATABASE_URL) return [SQLITE_TARGET, postgresTarget(TEST_DATABASE_URL)];
  describe.skip('on PostgreSQL (skipped: TEST_DATABASE_URL is not set)', () => {
    it('needs a reachable PostgreSQL, e.g. TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres', () => undefined);
  });
  return [SQLITE_TARGET];
}
