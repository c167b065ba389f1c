import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { closeReadModelDatabase, openReadModelDatabase, ReadModelDatabase, ReadModelDialect } from '../read-model.database';

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

/** The dialects the read-model specs run on (`describe.each(readModelTargets())`). */
export function readModelTargets(): ReadModelTarget[] {
  return [SQLITE_TARGET];
}
