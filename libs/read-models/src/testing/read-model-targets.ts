import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { sql } from 'kysely';
import { createTestDatabase, postgresSkipReason, TestDatabase } from '../../../../test/support/postgres';
import { closeReadModelDatabase, isReadModelDatabaseClosed, openReadModelDatabase, ReadModelDatabase, ReadModelDialect } from '../read-model.database';

/** Where a read-model spec runs: a fresh, migrated database per open(), removed again by close(). */
export interface ReadModelTarget {
  readonly dialect: ReadModelDialect;
  open(): Promise<ReadModelDatabase>;
  /** another connection to the same database, as a second replica has; close it with closeReadModelDatabase (close() removes the database) */
  connectAgain(db: ReadModelDatabase): Promise<ReadModelDatabase>;
  close(db: ReadModelDatabase): Promise<void>;
}

const sqliteFiles = new WeakMap<ReadModelDatabase, string>();
const FILE = 'read-models.sqlite';

/** A new SQLite file in a temporary folder. */
export const SQLITE_TARGET: ReadModelTarget = {
  dialect: 'sqlite',
  async open() {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'read-models-'));
    const db = await openReadModelDatabase(path.join(dir, FILE));
    sqliteFiles.set(db, dir);
    return db;
  },
  async connectAgain(db) {
    return openReadModelDatabase(path.join(sqliteFiles.get(db)!, FILE));
  },
  async close(db) {
    await closeReadModelDatabase(db);
    const dir = sqliteFiles.get(db);
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  },
};

/**
 * PostgreSQL: a test database of the spec file's own on the test server (made at the first open(),
 * dropped after the file's tests), and in it a schema per open(), so the tests never see each other's
 * rows. Registers its afterAll: call it while the file's tests are being defined.
 */
export function postgresTarget(): ReadModelTarget {
  let database: Promise<TestDatabase> | undefined;
  let n = 0;
  afterAll(async () => {
    if (database) await (await database).drop();
  });
  return {
    dialect: 'postgres',
    async open() {
      const { url } = await (database ??= createTestDatabase('read_models'));
      return openReadModelDatabase(url, { schema: `read_models_${++n}` });
    },
    async connectAgain(db) {
      const { url } = await database!;
      return openReadModelDatabase(url, { schema: await schemaOf(db) });
    },
    async close(db) {
      if (isReadModelDatabaseClosed(db)) return;
      await sql`drop schema if exists ${sql.id(await schemaOf(db))} cascade`.execute(db);
      await closeReadModelDatabase(db);
    },
  };
}

async function schemaOf(db: ReadModelDatabase): Promise<string> {
  const { rows } = await sql<{ schema: string }>`select current_schema() as schema`.execute(db);
  return rows[0].schema;
}

/**
 * The dialects the read-model specs run on (`describe.each(readModelTargets())('... ($dialect)')`):
 * SQLite always, PostgreSQL when the test server is there (`npm test` starts one); otherwise the
 * calling file shows a skipped test that says why.
 */
export function readModelTargets(): ReadModelTarget[] {
  const skipped = postgresSkipReason();
  if (!skipped) return [SQLITE_TARGET, postgresTarget()];
  describe.skip(`on PostgreSQL (skipped: ${skipped})`, () => {
    it('needs PostgreSQL', () => undefined);
  });
  return [SQLITE_TARGET];
}
