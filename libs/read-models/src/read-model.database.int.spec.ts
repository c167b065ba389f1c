import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { sqliteTestDir } from '../../event-store/src/testing/sqlite-test-dir';
import { AppConfig } from '@app/config';
import { SqliteEventStore } from '@app/event-store';
import { createTestDatabase, describeWithPostgres, TestDatabase } from '../../../test/support/postgres';
import { seedBuiltInTemplates } from '@app/service-calls';
import { Global, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { sql } from 'kysely';
import {
  closeReadModelDatabase,
  dialectOf,
  isReadModelDatabaseClosed,
  openReadModelDatabase,
  PROJECTOR_CHECKPOINT,
  READ_MODEL_SCHEMA,
  readCheckpoint,
  ReadModelDatabase,
  writeCheckpoint,
} from './read-model.database';
import { ReadModelConnection, ReadModelsModule } from './read-models.module';
import { Projector } from './projector';
import { CallScenarios, minutesFrom } from './testing/call-scenarios';
import { SQLITE_TARGET } from './testing/read-model-targets';
import { createUserVersionEraFile } from './testing/user-version-era';

describe('read-model schema migrations (SQLite)', () => {
  const sqlite = sqliteTestDir('read-model-schema-');
  let events: SqliteEventStore;
  beforeEach(() => {
    events = sqlite.openEventStore();
  });

  const rows = (db: ReadModelDatabase) =>
    Promise.all([
      db.selectFrom('service_calls').selectAll().orderBy('id').execute(),
      db.selectFrom('phase_visits').selectAll().orderBy('call_id').orderBy('phase_key').execute(),
      db.selectFrom('process_templates').selectAll().orderBy('key').orderBy('version').execute(),
    ]);
  const projectAll = async (db: ReadModelDatabase) => {
    const projector = new Projector(db, events);
    await projector.start((e) => {
      throw e;
    });
    expect(await projector.waitFor(await events.lastPosition(), 5000)).toBe(true);
    await projector.stop();
  };

  it('a file the code before migrations wrote (schema version 10) opens, keeps the other checkpoints and is rebuilt from the log', async () => {
    const t = minutesFrom(new Date('2026-01-05T08:00:00.000Z'));
    const calls = new CallScenarios(events);
    await seedBuiltInTemplates(events, t(0));
    for (let i = 0; i < 3; i++) {
      const id = await calls.open(t(i));
      await calls.advance(id, t(i));
      await calls.work(id, t(i + 1), 'record-complaint', 'confirm-understanding'); // intake completed: a phase visit
    }
    const file = sqlite.file('read-models.sqlite');
    const old = createUserVersionEraFile(file);
    // read models of that era, projected to the end of the log (here: rows that would not survive a rebuild), and a stray table of an even older version
    old.prepare(
      `INSERT INTO service_calls (id, tracking_code, version, status, priority, category, category_key, process_key, opened_at, updated_at, doc)
       VALUES ('stale', 'TRK-STALE', 9, 'OPEN', 'NORMAL', 'x', 'x', 'standard-complaint', '2020-01-01T00:00:00.000Z', '2020-01-01T00:00:00.000Z', '{}')`,
    ).run();
    old.exec('CREATE TABLE call_summaries_v3 (id TEXT PRIMARY KEY)');
    old.prepare('INSERT INTO checkpoints (name, position) VALUES (?, ?), (?, ?)').run(PROJECTOR_CHECKPOINT, await events.lastPosition(), 'workflow-dispatcher', 17);
    old.close();

    const db = await openReadModelDatabase(file);
    expect(await readCheckpoint(db, PROJECTOR_CHECKPOINT)).toBe(0);
    expect(await readCheckpoint(db, 'workflow-dispatcher')).toBe(17);
    expect(await db.selectFrom('service_calls').select('id').execute()).toEqual([]);
    const tables = (await db.introspection.getTables()).map((table) => table.name);
    expect(tables).not.toContain('call_summaries_v3');
    expect(tables).toEqual(expect.arrayContaining(['service_calls', 'phase_visits', 'agents', 'routing_queue', 'routing_agents', 'checkpoints']));

    await projectAll(db);
    const fresh = await SQLITE_TARGET.open();
    await projectAll(fresh);
    const rebuilt = await rows(db);
    expect(rebuilt[0]).toHaveLength(3);
    expect(rebuilt[1]).toHaveLength(3);
    expect(rebuilt).toEqual(await rows(fresh));
    await SQLITE_TARGET.close(fresh);
    await closeReadModelDatabase(db);

    // the next start finds every migration done: nothing is rebuilt again
    const again = await openReadModelDatabase(file);
    expect(await readCheckpoint(again, PROJECTOR_CHECKPOINT)).toBe(await events.lastPosition());
    expect(await rows(again)).toEqual(rebuilt);
    await closeReadModelDatabase(again);
  });

  it('a file at the newest schema is left as it is', async () => {
    const file = sqlite.file('read-models.sqlite');
    const first = await openReadModelDatabase(file);
    await writeCheckpoint(first, PROJECTOR_CHECKPOINT, 42);
    await closeReadModelDatabase(first);
    const again = await openReadModelDatabase(file);
    expect(await readCheckpoint(again, PROJECTOR_CHECKPOINT)).toBe(42);
    expect((await again.selectFrom(sql<{ name: string }>`kysely_migration`.as('m')).select('name').orderBy('name').execute()).map((m) => m.name)).toEqual([
      '0001-checkpoints',
      '0002-projections',
      '0003-checkpoints-owner',
      '0004-routing-agents',
    ]);
    await closeReadModelDatabase(again);
  });

  it('migrating waits for another process that holds the write lock, then finds the migrations done', async () => {
    const file = sqlite.file('read-models.sqlite');
    await closeReadModelDatabase(await openReadModelDatabase(file));
    fs.rmSync(file);
    // another process (as the worker starting beside the API) creates the file and holds its write lock for a moment
    const other = spawn(process.execPath, ['-e', HOLD_WRITE_LOCK, file], { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise((resolve) => other.stdout.once('data', resolve));
    const started = Date.now();
    const db = await openReadModelDatabase(file);
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(await readCheckpoint(db, 'held')).toBe(1);
    expect(await db.selectFrom('service_calls').select('id').execute()).toEqual([]);
    await closeReadModelDatabase(db);
    await new Promise((resolve) => other.once('exit', resolve));
  });
});

/** Opens the file with better-sqlite3, writes a checkpoint in an immediate transaction and commits it 300 ms later. */
const HOLD_WRITE_LOCK = `
const db = new (require('better-sqlite3'))(process.argv[1]);
db.pragma('journal_mode = WAL');
db.exec('BEGIN IMMEDIATE');
db.exec("CREATE TABLE IF NOT EXISTS checkpoints (name TEXT PRIMARY KEY, position INTEGER NOT NULL); INSERT INTO checkpoints VALUES ('held', 1)");
process.stdout.write('locked');
setTimeout(() => { db.exec('COMMIT'); db.close(); }, 300);
`;

describeWithPostgres('read-model schema migrations (PostgreSQL)', () => {
  let database: TestDatabase;
  let url: string;
  const schema = 'read_models_migrations';
  const open = () => openReadModelDatabase(url, { schema });
  beforeAll(async () => {
    database = await createTestDatabase('read_model_migrations');
    url = database.url;
  });
  afterAll(() => database?.drop());
  afterEach(async () => {
    const db = await openReadModelDatabase(url, { schema, migrate: false });
    await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(db);
    await closeReadModelDatabase(db);
  });

  it('an API and a worker starting at once create the schema and migrate it once; the next start finds it done', async () => {
    const [api, worker] = await Promise.all([open(), open()]);
    await writeCheckpoint(api, PROJECTOR_CHECKPOINT, 42);
    expect(await readCheckpoint(worker, PROJECTOR_CHECKPOINT)).toBe(42);
    await Promise.all([closeReadModelDatabase(api), closeReadModelDatabase(worker)]);

    const again = await open();
    expect(await readCheckpoint(again, PROJECTOR_CHECKPOINT)).toBe(42);
    const migrations = await again.selectFrom(sql<{ name: string }>`kysely_migration`.as('m')).select('name').orderBy('name').execute();
    expect(migrations.map((m) => m.name)).toEqual(['0001-checkpoints', '0002-projections', '0003-checkpoints-owner', '0004-routing-agents']);
    // everything in the read models' own schema
    const { rows } = await sql<{ table_name: string }>`select table_name from information_schema.tables where table_schema = ${schema} order by table_name`.execute(again);
    expect(rows.map((r) => r.table_name)).toEqual(expect.arrayContaining(['checkpoints', 'kysely_migration', 'service_calls', 'routing_queue', 'routing_agents']));
    await closeReadModelDatabase(again);
  });

  it('the read-models module opens DATABASE_URL and closes it when the application stops', async () => {
    const config = new AppConfig({ DATABASE_URL: url });
    expect(config.readModelLocation).toBe(url);
    const app = await NestFactory.createApplicationContext(readModelsWith(config), { logger: false });
    const db = app.get(ReadModelConnection).db;
    expect(dialectOf(db)).toBe('postgres');
    expect((await sql<{ schema: string }>`select current_schema() as schema`.execute(db)).rows).toEqual([{ schema: READ_MODEL_SCHEMA }]);
    await writeCheckpoint(db, 'workflow-dispatcher', 7);
    expect(await readCheckpoint(db, 'workflow-dispatcher')).toBe(7);
    await app.close();
    expect(isReadModelDatabaseClosed(db)).toBe(true);
  });
});

describe('read-model database after a clean stop', () => {
  const sqlite = sqliteTestDir('read-model-close-');

  /** Many small commits, as the projector makes them: the write-ahead log grows. */
  async function project(db: ReadModelDatabase, n: number): Promise<void> {
    for (let i = 1; i <= n; i++) await writeCheckpoint(db, `projection-${i % 50}`, i);
  }

  it('closing checkpoints the write-ahead log into the file and truncates it, even while the worker still has the file open', async () => {
    const file = sqlite.file('read-models.sqlite');
    const api = await openReadModelDatabase(file);
    const worker = await openReadModelDatabase(file, { migrate: false });
    await project(api, 500);
    expect(fs.statSync(`${file}-wal`).size).toBeGreaterThan(0);

    await closeReadModelDatabase(api);
    expect(isReadModelDatabaseClosed(api)).toBe(true);
    expect(fs.statSync(`${file}-wal`).size).toBe(0);
    // everything is in the database file itself, and the other connection reads on
    expect(await readCheckpoint(worker, 'projection-1')).toBe(451);
    await closeReadModelDatabase(worker);
    await closeReadModelDatabase(api); // a second close is a no-op
  });

  it('the read-models module closes its database that way when the application stops', async () => {
    const config = new AppConfig({ DATA_DIR: sqlite.dir });
    const withConfig = await NestFactory.createApplicationContext(readModelsWith(config), { logger: false });
    const db = withConfig.get(ReadModelConnection).db;
    const worker = await openReadModelDatabase(config.readModelPath, { migrate: false });
    await project(db, 500);
    expect(fs.statSync(`${config.readModelPath}-wal`).size).toBeGreaterThan(0);

    await withConfig.close();
    expect(isReadModelDatabaseClosed(db)).toBe(true);
    expect(fs.statSync(`${config.readModelPath}-wal`).size).toBe(0);
    await closeReadModelDatabase(worker);
  });
});

function readModelsWith(config: AppConfig) {
  @Global()
  @Module({ providers: [{ provide: AppConfig, useValue: config }], exports: [AppConfig] })
  class ConfigForTest {}
  @Module({ imports: [ConfigForTest, ReadModelsModule.forRoot({ project: false })] })
  class ReadModelsApp {}
  return ReadModelsApp;
}
