import * as fs from 'node:fs';
import { AppConfig } from '@app/config';
import { Global, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { sqliteTestDir } from '../../event-store/src/testing/sqlite-test-dir';
import {
  closeReadModelDatabase,
  openReadModelDatabase,
  PROJECTOR_CHECKPOINT,
  READ_MODEL_SCHEMA_VERSION,
  readCheckpoint,
  ReadModelDatabase,
  writeCheckpoint,
} from './read-model.database';
import { ReadModelConnection, ReadModelsModule } from './read-models.module';

describe('read-model database schema versions', () => {
  const sqlite = sqliteTestDir('read-model-schema-');

  it('a file of an older schema is emptied and re-projected from the start; other checkpoints survive', () => {
    const file = sqlite.file('read-models.sqlite');
    const old = openReadModelDatabase(file);
    // an older shape of a projection table, with a row and the projector well advanced
    old.exec('DROP TABLE service_calls; CREATE TABLE service_calls (id TEXT PRIMARY KEY, doc TEXT)');
    old.prepare("INSERT INTO service_calls VALUES ('c1', '{}')").run();
    writeCheckpoint(old, PROJECTOR_CHECKPOINT, 500);
    writeCheckpoint(old, 'workflow-dispatcher', 480);
    old.pragma(`user_version = ${READ_MODEL_SCHEMA_VERSION - 1}`);
    old.close();

    const db = openReadModelDatabase(file);
    expect(db.pragma('user_version', { simple: true })).toBe(READ_MODEL_SCHEMA_VERSION);
    expect(readCheckpoint(db, PROJECTOR_CHECKPOINT)).toBe(0);
    expect(readCheckpoint(db, 'workflow-dispatcher')).toBe(480);
    const columns = (db.prepare('PRAGMA table_info(service_calls)').all() as { name: string }[]).map((c) => c.name);
    expect(columns).toEqual(expect.arrayContaining(['tracking_code', 'active_phase', 'doc']));
    expect(db.prepare('SELECT COUNT(*) FROM service_calls').pluck().get()).toBe(0);
    db.close();
  });

  it('a file of the current schema is left as it is', () => {
    const file = sqlite.file('read-models.sqlite');
    const first = openReadModelDatabase(file);
    writeCheckpoint(first, PROJECTOR_CHECKPOINT, 42);
    first.close();
    const again = openReadModelDatabase(file);
    expect(readCheckpoint(again, PROJECTOR_CHECKPOINT)).toBe(42);
    again.close();
  });
});

describe('read-model database after a clean stop', () => {
  const sqlite = sqliteTestDir('read-model-close-');

  /** Many small commits, as the projector makes them: the write-ahead log grows. */
  function project(db: ReadModelDatabase, n: number): void {
    for (let i = 1; i <= n; i++) writeCheckpoint(db, `projection-${i % 50}`, i);
  }

  it('closing checkpoints the write-ahead log into the file and truncates it, even while the worker still has the file open', () => {
    const file = sqlite.file('read-models.sqlite');
    const api = openReadModelDatabase(file);
    const worker = openReadModelDatabase(file, { readonly: true });
    project(api, 500);
    expect(fs.statSync(`${file}-wal`).size).toBeGreaterThan(0);

    closeReadModelDatabase(api);
    expect(api.open).toBe(false);
    expect(fs.statSync(`${file}-wal`).size).toBe(0);
    // everything is in the database file itself, and the other connection reads on
    expect(readCheckpoint(worker, 'projection-1')).toBe(451);
    worker.close();
    closeReadModelDatabase(api); // a second close is a no-op
  });

  it('the read-models module closes its database that way when the application stops', async () => {
    const config = new AppConfig({ DATA_DIR: sqlite.dir });
    const withConfig = await NestFactory.createApplicationContext(readModelsWith(config), { logger: false });
    const db = withConfig.get(ReadModelConnection).db;
    const worker = openReadModelDatabase(config.readModelPath, { readonly: true });
    project(db, 500);
    expect(fs.statSync(`${config.readModelPath}-wal`).size).toBeGreaterThan(0);

    await withConfig.close();
    expect(db.open).toBe(false);
    expect(fs.statSync(`${config.readModelPath}-wal`).size).toBe(0);
    worker.close();
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
