import Database from 'better-sqlite3';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { AppConfig } from '@app/config';
import { Global, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { sql } from 'kysely';
import {
  closeReadModelDatabase,
  isReadModelDatabaseClosed,
  openReadModelDatabase,
  PROJECTOR_CHECKPOINT,
  READ_MODEL_SCHEMA_VERSION,
  readCheckpoint,
  ReadModelDatabase,
  writeCheckpoint,
} from './read-model.database';
import { ReadModelConnection, ReadModelsModule } from './read-models.module';

describe('read-model database schema versions', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'read-model-schema-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('a file of an older schema is emptied and re-projected from the start; other checkpoints survive', async () => {
    const file = path.join(dir, 'read-models.sqlite');
    await closeReadModelDatabase(await openReadModelDatabase(file));
    const old = new Database(file);
    // an older shape of a projection table, with a row and the projector well advanced
    old.exec("DROP TABLE service_calls; CREATE TABLE service_calls (id TEXT PRIMARY KEY, doc TEXT); INSERT INTO service_calls VALUES ('c1', '{}')");
    old.exec(`INSERT OR REPLACE INTO checkpoints VALUES ('${PROJECTOR_CHECKPOINT}', 500), ('workflow-dispatcher', 480)`);
    old.pragma(`user_version = ${READ_MODEL_SCHEMA_VERSION - 1}`);
    old.close();

    const db = await openReadModelDatabase(file);
    expect((await sql<{ user_version: number }>`pragma user_version`.execute(db)).rows[0].user_version).toBe(READ_MODEL_SCHEMA_VERSION);
    expect(await readCheckpoint(db, PROJECTOR_CHECKPOINT)).toBe(0);
    expect(await readCheckpoint(db, 'workflow-dispatcher')).toBe(480);
    const columns = (await sql<{ name: string }>`pragma table_info(service_calls)`.execute(db)).rows.map((c) => c.name);
    expect(columns).toEqual(expect.arrayContaining(['tracking_code', 'active_phase', 'doc']));
    expect(await db.selectFrom('service_calls').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).toEqual({ n: 0 });
    await closeReadModelDatabase(db);
  });

  it('a file of the current schema is left as it is', async () => {
    const file = path.join(dir, 'read-models.sqlite');
    const first = await openReadModelDatabase(file);
    await writeCheckpoint(first, PROJECTOR_CHECKPOINT, 42);
    await closeReadModelDatabase(first);
    const again = await openReadModelDatabase(file);
    expect(await readCheckpoint(again, PROJECTOR_CHECKPOINT)).toBe(42);
    await closeReadModelDatabase(again);
  });
});

describe('read-model database after a clean stop', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'read-model-close-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** Many small commits, as the projector makes them: the write-ahead log grows. */
  async function project(db: ReadModelDatabase, n: number): Promise<void> {
    for (let i = 1; i <= n; i++) await writeCheckpoint(db, `projection-${i % 50}`, i);
  }

  it('closing checkpoints the write-ahead log into the file and truncates it, even while the worker still has the file open', async () => {
    const file = path.join(dir, 'read-models.sqlite');
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
    const config = new AppConfig({ DATA_DIR: dir });
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
