import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { openReadModelDatabase, PROJECTOR_CHECKPOINT, READ_MODEL_SCHEMA_VERSION, readCheckpoint, writeCheckpoint } from './read-model.database';

describe('read-model database schema versions', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'read-model-schema-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('a file of an older schema is emptied and re-projected from the start; other checkpoints survive', () => {
    const file = path.join(dir, 'read-models.sqlite');
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
    const file = path.join(dir, 'read-models.sqlite');
    const first = openReadModelDatabase(file);
    writeCheckpoint(first, PROJECTOR_CHECKPOINT, 42);
    first.close();
    const again = openReadModelDatabase(file);
    expect(readCheckpoint(again, PROJECTOR_CHECKPOINT)).toBe(42);
    again.close();
  });
});
