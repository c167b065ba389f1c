import Database from 'better-sqlite3';
import { CompiledQuery, Kysely, PostgresDialect, SqliteAdapter, SqliteDatabase, SqliteDialect, SqliteDialectConfig, SqliteDriver, SqliteStatement, sql } from 'kysely';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Pool, types as pgTypes } from 'pg';
import { migrateReadModels } from './read-model.migrations';
import { ReadModelDialect } from './read-model.schema';
import { ReadModelTables } from './read-model.tables';

export { ReadModelDialect } from './read-model.schema';

/** The read models' database (or a transaction in it): one typed query layer over SQLite and PostgreSQL. */
export type ReadModelDatabase = Kysely<ReadModelTables>;

import { PROJECTOR_CHECKPOINT } from './read-model.migrations';
export { PROJECTOR_CHECKPOINT };

export interface OpenOptions {
  /** false: no schema changes (a second reader of a file another process keeps) */
  migrate?: boolean;
  /** SQLite: how long a statement waits for another process's write lock */
  busyTimeoutMs?: number;
  /** PostgreSQL: the schema that holds the read models (created at start) */
  schema?: string;
}

/** PostgreSQL's schema of the read models unless told otherwise: their own, beside whatever else shares the database. */
export const READ_MODEL_SCHEMA = 'read_models';

/**
 * Opens the read models and brings their schema to the newest version: a `postgres://` (or
 * `postgresql://`) URL is PostgreSQL (DATABASE_URL), anything else the path of the SQLite file.
 */
export async function openReadModelDatabase(target: string, options: OpenOptions = {}): Promise<ReadModelDatabase> {
  return isPostgresUrl(target) ? openPostgres(target, options) : openSqlite(target, options);
}

export function isPostgresUrl(target: string): boolean {
  return /^postgres(ql)?:\/\//i.test(target);
}

/**
 * The SQLite file of the read models (embedded default). WAL lets the worker read while the API's
 * projector writes. Read models are derived: `npm run rebuild-read-models` recreates them from the log.
 */
async function openSqlite(file: string, options: OpenOptions): Promise<ReadModelDatabase> {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const sqlite = new Database(file);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma(`busy_timeout = ${options.busyTimeoutMs ?? 5000}`);
  const db = new Kysely<ReadModelTables>({ dialect: new ImmediateSqliteDialect({ database: withStatementCache(sqlite) }) });
  if (options.migrate !== false) await migrateOrClose(db, 'sqlite');
  return db;
}

/**
 * PostgreSQL: a connection pool whose sessions see the read models' schema first (search_path), so the
 * queries and migrations are the same as SQLite's. Its 64-bit integers (positions, counts, durations)
 * come back as numbers, and `json` documents as the text that was written, as SQLite gives them.
 */
async function openPostgres(url: string, options: OpenOptions): Promise<ReadModelDatabase> {
  const schema = options.schema ?? READ_MODEL_SCHEMA;
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) throw new Error(`read-model schema name "${schema}": lowercase letters, digits and _ only`);
  const pool = new Pool({ connectionString: url, options: `-c search_path=${schema}`, types: POSTGRES_TYPES });
  const db = new Kysely<ReadModelTables>({ dialect: new PostgresDialect({ pool }) });
  if (options.migrate !== false) {
    try {
      await sql`create schema if not exists ${sql.id(schema)}`.execute(db);
    } catch (error) {
      // two processes creating it at once: one of them gets a duplicate key; the schema is there either way
      if ((error as { code?: string }).code !== '23505') {
        await db.destroy();
        throw error;
      }
    }
    await migrateOrClose(db, 'postgres', schema);
  }
  return db;
}

const INT8: number = pgTypes.builtins.INT8;
const JSON_TEXT: number = pgTypes.builtins.JSON;
const POSTGRES_TYPES = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary'): unknown => {
    if (oid === INT8) return Number; // positions, counts and durations stay far below 2^53
    if (oid === JSON_TEXT) return (text: string) => text;
    return pgTypes.getTypeParser(oid, format) as unknown;
  }) as typeof pgTypes.getTypeParser,
};

async function migrateOrClose(db: ReadModelDatabase, dialect: ReadModelDialect, schema?: string): Promise<void> {
  try {
    await migrateReadModels(db, dialect, schema);
  } catch (error) {
    await db.destroy();
    throw error;
  }
}

/** Which dialect a database (or a transaction in it) speaks. */
export function dialectOf(db: ReadModelDatabase): ReadModelDialect {
  return db.getExecutor().adapter instanceof SqliteAdapter ? 'sqlite' : 'postgres';
}

const closed = new WeakSet<ReadModelDatabase>();

/**
 * Closes the database after a clean stop. SQLite: the write-ahead log is copied into the database and
 * truncated first (TRUNCATE waits for readers), so no -wal file of megabytes is left behind, even while
 * another process (the worker) still has the database open and SQLite's own last-close checkpoint cannot run.
 * A second close does nothing.
 */
export async function closeReadModelDatabase(db: ReadModelDatabase): Promise<void> {
  if (closed.has(db)) return;
  closed.add(db);
  if (dialectOf(db) === 'sqlite') await sql`pragma wal_checkpoint(TRUNCATE)`.execute(db);
  await db.destroy();
}

export function isReadModelDatabaseClosed(db: ReadModelDatabase): boolean {
  return closed.has(db);
}

/**
 * Taken first in every transaction that projects (inside it): PostgreSQL lets several API replicas
 * project at once, and they would lock the same rows in different orders (deadlocks); they take turns
 * instead, and each skips what another already applied. SQLite's write lock does this by itself.
 */
export async function lockProjection(trx: ReadModelDatabase): Promise<void> {
  if (dialectOf(trx) === 'postgres') await sql`select pg_advisory_xact_lock(hashtext(${PROJECTOR_CHECKPOINT}))`.execute(trx);
}

export async function readCheckpoint(db: ReadModelDatabase, name: string): Promise<number> {
  const row = await db.selectFrom('checkpoints').select('position').where('name', '=', name).executeTakeFirst();
  return row?.position ?? 0;
}

export async function writeCheckpoint(db: ReadModelDatabase, name: string, position: number): Promise<void> {
  await db
    .insertInto('checkpoints')
    .values({ name, position })
    .onConflict((oc) => oc.column('name').doUpdateSet({ position: (eb) => eb.ref('excluded.position') }))
    .execute();
}

/** Moves a checkpoint forward only: replicas that apply the same log in turns never take it back. */
export async function advanceCheckpoint(db: ReadModelDatabase, name: string, position: number): Promise<void> {
  const greatest = dialectOf(db) === 'postgres' ? sql<number>`greatest(checkpoints.position, excluded.position)` : sql<number>`max(checkpoints.position, excluded.position)`;
  await db
    .insertInto('checkpoints')
    .values({ name, position })
    .onConflict((oc) => oc.column('name').doUpdateSet({ position: greatest }))
    .execute();
}

/**
 * BEGIN IMMEDIATE: the API and the worker both write to the file (the projector, the dispatcher's
 * checkpoint). A deferred transaction that reads first and then writes fails at once with SQLITE_BUSY
 * when the other process committed in between (no busy wait for a stale snapshot), which stopped the
 * projector for good; an immediate one takes the write lock first and waits for it (busy_timeout).
 */
class ImmediateSqliteDialect extends SqliteDialect {
  constructor(private readonly sqliteConfig: SqliteDialectConfig) {
    super(sqliteConfig);
  }

  /**
   * SQLite's DDL is transactional. Kysely assumes one connection per file and says otherwise; saying
   * so makes its Migrator run the migrations in one (immediate) transaction, which also makes an API
   * and a worker opening the same file migrate it one after the other.
   */
  override createAdapter(): SqliteAdapter {
    return new (class extends SqliteAdapter {
      override get supportsTransactionalDdl(): boolean {
        return true;
      }
    })();
  }

  override createDriver(): SqliteDriver {
    return new (class extends SqliteDriver {
      override async beginTransaction(connection: Parameters<SqliteDriver['beginTransaction']>[0]): Promise<void> {
        await connection.executeQuery(CompiledQuery.raw('begin immediate'));
      }
    })(this.sqliteConfig);
  }
}

/**
 * Kysely prepares every query it runs; better-sqlite3 statements are reusable, so each distinct SQL
 * text is prepared once (the projector runs the same few statements for every event). SQLite has no
 * booleans: they are bound as 1/0.
 */
function withStatementCache(db: Database.Database): SqliteDatabase {
  const statements = new Map<string, SqliteStatement>();
  return {
    close: () => db.close(),
    prepare(text: string): SqliteStatement {
      let statement = statements.get(text);
      if (!statement) {
        if (statements.size >= 1000) statements.clear(); // page queries vary with their filters: keep the cache bounded
        const prepared = db.prepare(text);
        const bind = (parameters: readonly unknown[]) => parameters.map((p) => (typeof p === 'boolean' ? Number(p) : p));
        statement = {
          reader: prepared.reader,
          all: (parameters) => prepared.all(bind(parameters)),
          run: (parameters) => prepared.run(bind(parameters)),
          iterate: (parameters) => prepared.iterate(bind(parameters)),
        };
        statements.set(text, statement);
      }
      return statement;
    },
  };
}
