import { randomUUID } from 'node:crypto';
import Database from 'better-sqlite3';
import {
  AppendResult,
  EventData,
  EventMetadata,
  EventHandler,
  EventStore,
  ExpectedVersion,
  RecordedEvent,
  SubscribeOptions,
  Subscription,
  WrongExpectedVersionError,
  assertValidExpectedVersion,
  versionMatches,
} from './event-store.port';
import { CATCH_UP_BATCH, PollingSubscription } from './polling-subscription';

export interface SqliteEventStoreOptions {
  path: string;
  /** NORMAL (default): an acknowledged append survives a process crash; FULL: also a power loss. */
  synchronous?: 'NORMAL' | 'FULL';
  /** how often live subscriptions look for appends made by other processes */
  pollIntervalMs?: number;
}

/** Writers in other processes hold the lock for well under a millisecond; waiting this long means trouble. */
const BUSY_TIMEOUT_MS = 5000;

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS events (
    position       INTEGER PRIMARY KEY AUTOINCREMENT,
    stream_id      TEXT    NOT NULL,
    stream_version INTEGER NOT NULL,
    type           TEXT    NOT NULL,
    data           TEXT    NOT NULL,
    metadata       TEXT    NOT NULL,
    recorded_at    TEXT    NOT NULL,
    UNIQUE (stream_id, stream_version)
  );
  CREATE TABLE IF NOT EXISTS streams (
    stream_id TEXT    PRIMARY KEY,
    version   INTEGER NOT NULL,
    position  INTEGER NOT NULL
  ) WITHOUT ROWID;
  -- which event store this is (EventStore.identity()): one row, written when the file is created, or
  -- when this release first opens a file an earlier one wrote
  CREATE TABLE IF NOT EXISTS identity (
    one_row    INTEGER PRIMARY KEY CHECK (one_row = 1),
    store_id   TEXT    NOT NULL,
    created_at TEXT    NOT NULL
  );
`;

interface EventRow {
  position: number;
  stream_id: string;
  stream_version: number;
  type: string;
  data: string;
  metadata: string;
  recorded_at: string;
}

interface StreamRow {
  version: number;
  position: number;
}

function prepareStatements(db: Database.Database) {
  return {
    stream: db.prepare<[string], StreamRow>('SELECT version, position FROM streams WHERE stream_id = ?'),
    insert: db.prepare<[string, number, string, string, string, string]>(
      `INSERT INTO events (stream_id, stream_version, type, data, metadata, recorded_at)
       VALUES (?, ?, ?, ?, ?, ?)`,
    ),
    upsertStream: db.prepare<[string, number, number]>(
      `INSERT INTO streams (stream_id, version, position) VALUES (?, ?, ?)
       ON CONFLICT (stream_id) DO UPDATE SET version = excluded.version, position = excluded.position`,
    ),
    readStream: db.prepare<[string, number], EventRow>(
      'SELECT * FROM events WHERE stream_id = ? AND stream_version > ? ORDER BY stream_version',
    ),
    readLast: db.prepare<[string], EventRow>('SELECT * FROM events WHERE stream_id = ? ORDER BY stream_version DESC LIMIT 1'),
    readAll: db.prepare<[number, number], EventRow>('SELECT * FROM events WHERE position > ? ORDER BY position LIMIT ?'),
    lastPosition: db.prepare<[], number>('SELECT coalesce(max(position), 0) FROM events').pluck(),
  };
}

const toRecorded = (row: EventRow): RecordedEvent => ({
  streamId: row.stream_id,
  streamVersion: row.stream_version,
  position: row.position,
  type: row.type,
  // written by append() from the same types, as JSON
  data: JSON.parse(row.data) as EventData['data'],
  metadata: JSON.parse(row.metadata) as EventMetadata,
  recordedAt: row.recorded_at,
});

interface QueuedAppend {
  streamId: string;
  /** serialized before queuing: a value JSON cannot hold fails this append alone, before any write */
  events: { type: string; data: string; metadata: string }[];
  expected: ExpectedVersion;
  resolve: (result: AppendResult) => void;
  reject: (error: unknown) => void;
}

type Outcome = { result: AppendResult } | { error: unknown };

/**
 * The embedded event store: one SQLite file in WAL mode, shared by the API and worker processes.
 *
 * Appends take the write lock up front (BEGIN IMMEDIATE), so the version check and the insert are one
 * atomic step across processes, and global positions are handed out in commit order: a reader that has
 * seen position p can never later find a new event below p.
 *
 * Group commit: appends made in the same event-loop turn are committed in one transaction, each inside
 * its own savepoint (a conflict fails that append alone). One commit, so one fsync with FULL, serves
 * them all; this is what keeps FULL usable under concurrent load.
 */
export class SqliteEventStore extends EventStore {
  private readonly db: Database.Database;
  private readonly pollIntervalMs: number;
  private readonly subscriptions = new Set<PollingSubscription>();
  private readonly statements: ReturnType<typeof prepareStatements>;
  private readonly commitBatch: Database.Transaction<(batch: QueuedAppend[]) => Outcome[]>;
  private readonly appendOne: Database.Transaction<(append: QueuedAppend) => AppendResult>;
  private queue: QueuedAppend[] = [];

  constructor(options: SqliteEventStoreOptions) {
    super();
    this.pollIntervalMs = options.pollIntervalMs ?? 10;
    // The busy timeout applies to everything below too: the schema may wait for another process's lock.
    this.db = new Database(options.path, { timeout: BUSY_TIMEOUT_MS });
    this.db.pragma('journal_mode = WAL');
    this.db.pragma(`synchronous = ${options.synchronous === 'FULL' ? 'FULL' : 'NORMAL'}`);
    this.db
      .transaction(() => {
        this.db.exec(SCHEMA);
        this.db.prepare('INSERT OR IGNORE INTO identity (one_row, store_id, created_at) VALUES (1, ?, ?)').run(randomUUID(), new Date().toISOString());
      })
      .immediate();
    this.statements = prepareStatements(this.db);
    this.appendOne = this.db.transaction((append: QueuedAppend) => this.appendInLock(append));
    this.commitBatch = this.db.transaction((batch: QueuedAppend[]) => batch.map((a) => this.tryAppend(a)));
  }

  override async appendToStream(
    streamId: string,
    events: EventData[],
    expectedVersion: ExpectedVersion,
  ): Promise<AppendResult> {
    assertValidExpectedVersion(expectedVersion);
    const serialized = events.map((e) => ({
      type: e.type,
      data: JSON.stringify(e.data),
      metadata: JSON.stringify(e.metadata),
    }));
    return new Promise((resolve, reject) => {
      const queued = this.queue.push({ streamId, events: serialized, expected: expectedVersion, resolve, reject });
      if (queued === 1) setImmediate(() => this.commitQueued());
    });
  }

  override async readStream(streamId: string, fromVersion = 0): Promise<RecordedEvent[]> {
    return this.statements.readStream.all(streamId, fromVersion).map(toRecorded);
  }

  override async readLastEvent(streamId: string): Promise<RecordedEvent | undefined> {
    const row = this.statements.readLast.get(streamId);
    return row ? toRecorded(row) : undefined;
  }

  override async readAll(fromPosition: number, limit: number): Promise<RecordedEvent[]> {
    return this.readAllSync(fromPosition, limit);
  }

  async identity(): Promise<string> {
    return (this.db.prepare('SELECT store_id FROM identity').get() as { store_id: string }).store_id;
  }

  override async lastPosition(): Promise<number> {
    return this.statements.lastPosition.get() ?? 0;
  }

  /**
   * Live subscriptions keep the process alive (a projector process may have nothing else to do);
   * stop() or close() releases them.
   */
  override subscribeToAll(handler: EventHandler, options: SubscribeOptions = {}): Subscription {
    const sub = new PollingSubscription(
      (from) => this.readAllSync(from, CATCH_UP_BATCH),
      handler,
      options,
      this.pollIntervalMs,
      () => this.subscriptions.delete(sub),
    );
    this.subscriptions.add(sub);
    return sub;
  }

  override async close(): Promise<void> {
    await Promise.all([...this.subscriptions].map((sub) => sub.stop()));
    if (!this.db.open) return;
    this.commitQueued();
    this.db.close();
  }

  private readAllSync(fromPosition: number, limit: number): RecordedEvent[] {
    return this.statements.readAll.all(fromPosition, limit).map(toRecorded);
  }

  private commitQueued(): void {
    const batch = this.queue;
    this.queue = [];
    if (batch.length === 0) return;
    let outcomes: Outcome[];
    try {
      outcomes = this.commitBatch.immediate(batch);
    } catch (error) {
      for (const append of batch) append.reject(error); // the transaction rolled back: nothing was written
      return;
    }
    if (outcomes.some((o) => 'result' in o)) for (const sub of this.subscriptions) sub.wake();
    outcomes.forEach((o, i) => ('result' in o ? batch[i].resolve(o.result) : batch[i].reject(o.error)));
  }

  private tryAppend(append: QueuedAppend): Outcome {
    try {
      return { result: this.appendOne(append) };
    } catch (error) {
      // Some errors (disk full, I/O) make SQLite roll back the whole transaction: then the batch fails.
      if (!this.db.inTransaction) throw error;
      return { error };
    }
  }

  /** Runs inside BEGIN IMMEDIATE: no other connection can append until the batch commits. */
  private appendInLock({ streamId, events, expected }: QueuedAppend): AppendResult {
    const stream = this.statements.stream.get(streamId);
    const current = stream?.version ?? 0;
    if (!versionMatches(expected, current)) throw new WrongExpectedVersionError(streamId, expected, current);
    if (events.length === 0) return { nextVersion: current, position: stream?.position ?? 0 };

    const recordedAt = new Date().toISOString();
    let version = current;
    let position = 0;
    for (const event of events) {
      version += 1;
      const inserted = this.statements.insert.run(streamId, version, event.type, event.data, event.metadata, recordedAt);
      position = Number(inserted.lastInsertRowid);
    }
    this.statements.upsertStream.run(streamId, version, position);
    return { nextVersion: version, position };
  }
}



