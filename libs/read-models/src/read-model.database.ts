import Database from 'better-sqlite3';
import * as fs from 'node:fs';
import * as path from 'node:path';

export type ReadModelDatabase = Database.Database;

/**
 * Bump when a projection's tables or documents change shape: on open, a file at an older version has
 * its projection tables dropped and the projector's checkpoint reset, so the read models rebuild
 * themselves from the log. Other checkpoints (the worker's dispatcher) are kept.
 */
export const READ_MODEL_SCHEMA_VERSION = 2;
/** The projector's checkpoint name. */
export const PROJECTOR_CHECKPOINT = 'read-models';

const CHECKPOINTS = 'CREATE TABLE IF NOT EXISTS checkpoints (name TEXT PRIMARY KEY, position INTEGER NOT NULL);';

// Every projection's tables. Add new tables here (and bump READ_MODEL_SCHEMA_VERSION when changing existing ones).
const SCHEMA = `
CREATE TABLE IF NOT EXISTS service_calls (
  id TEXT PRIMARY KEY,
  tracking_code TEXT NOT NULL UNIQUE,
  version INTEGER NOT NULL,
  status TEXT NOT NULL,
  priority TEXT NOT NULL,
  category TEXT NOT NULL,
  process_key TEXT NOT NULL,
  active_phase TEXT,
  assignee TEXT,
  customer_email TEXT,
  customer_phone TEXT,
  opened_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  doc TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS service_calls_by_opened ON service_calls (opened_at DESC, id DESC);
CREATE INDEX IF NOT EXISTS service_calls_by_status ON service_calls (status, opened_at DESC, id DESC);
CREATE INDEX IF NOT EXISTS service_calls_by_email ON service_calls (customer_email) WHERE customer_email IS NOT NULL;
CREATE INDEX IF NOT EXISTS service_calls_by_phone ON service_calls (customer_phone) WHERE customer_phone IS NOT NULL;
-- process templates (kept by the templates' projection; the phase board reads the latest version's phases)
CREATE TABLE IF NOT EXISTS process_templates (key TEXT NOT NULL, version INTEGER NOT NULL, title TEXT NOT NULL, created_at TEXT NOT NULL, doc TEXT NOT NULL, PRIMARY KEY (key, version));
-- which template each call category runs (category trimmed, lower-cased)
CREATE TABLE IF NOT EXISTS category_processes (category TEXT PRIMARY KEY, process_key TEXT NOT NULL, updated_at TEXT NOT NULL);
`;

/**
 * The SQLite file of the read models (embedded default). WAL lets the worker read while the API's
 * projector writes. Read models are derived: `npm run rebuild-read-models` recreates them from the log.
 */
export function openReadModelDatabase(file: string, options: { readonly?: boolean } = {}): ReadModelDatabase {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
  if (!options.readonly) migrate(db);
  return db;
}

function migrate(db: ReadModelDatabase): void {
  db.transaction(() => {
    db.exec(CHECKPOINTS);
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version !== READ_MODEL_SCHEMA_VERSION) {
      const tables = db
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT IN ('checkpoints') AND name NOT LIKE 'sqlite_%'")
        .pluck()
        .all() as string[];
      for (const table of tables) db.exec(`DROP TABLE IF EXISTS "${table}"`);
      db.prepare('DELETE FROM checkpoints WHERE name = ?').run(PROJECTOR_CHECKPOINT);
      db.pragma(`user_version = ${READ_MODEL_SCHEMA_VERSION}`);
    }
    db.exec(SCHEMA);
  }).immediate();
}

export function readCheckpoint(db: ReadModelDatabase, name: string): number {
  const row = db.prepare('SELECT position FROM checkpoints WHERE name = ?').get(name) as { position: number } | undefined;
  return row?.position ?? 0;
}

export function writeCheckpoint(db: ReadModelDatabase, name: string, position: number): void {
  db.prepare('INSERT INTO checkpoints (name, position) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET position = excluded.position').run(name, position);
}
