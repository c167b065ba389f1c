import { Client, Pool } from 'pg';
import {
  ANY_VERSION,
  AppendResult,
  EventData,
  EventHandler,
  EventMetadata,
  EventStore,
  ExpectedVersion,
  NO_STREAM,
  RecordedEvent,
  SubscribeOptions,
  Subscription,
  WrongExpectedVersionError,
  assertValidExpectedVersion,
  versionMatches,
} from './event-store.port';
import { CATCH_UP_BATCH, PollingSubscription } from './polling-subscription';
import { DeadPositions, finalPrefix, missingRanges } from './postgres.gaps';
import { migrate, SCHEMA } from './postgres.schema';

export interface PostgresEventStoreOptions {
  /** postgres://user:password@host:5432/database (postgresql:// too) */
  connectionString: string;
  /** connections in the pool (default 10) */
  maxConnections?: number;
  /** how often a live subscription looks for new events when no notification woke it (default 100 ms) */
  pollIntervalMs?: number;
}

/** NOTIFY channel: an append happened (payload empty; readers look for themselves). */
const CHANNEL = 'event_store_appended';
const APPLICATION_NAME = 'service-call-event-store';

interface EventRow {
  position: string;
  stream_id: string;
  stream_version: string;
  type: string;
  // json columns: parsed by pg, written by append() from the same types
  data: Record<string, unknown>;
  metadata: EventMetadata;
  recorded_at: Date;
}

const COLUMNS = 'position, stream_id, stream_version, type, data, metadata, recorded_at';

const toRecorded = (row: EventRow): RecordedEvent => ({
  streamId: row.stream_id,
  streamVersion: Number(row.stream_version),
  position: Number(row.position),
  type: row.type,
  data: row.data,
  metadata: row.metadata,
  recordedAt: row.recorded_at.toISOString(),
});

/**
 * The event store on PostgreSQL (13 or newer, for xid8 snapshots; tested with 15): a table of events
 * with a global position drawn from a sequence, one row per stream holding its version, and an append
 * function that checks the expected version and inserts in one statement (schema and migrations:
 * postgres.schema.ts).
 *
 * The global log and the sequence-gap problem. Positions are handed out when an append inserts, but
 * become visible when it commits, and appends commit in any order: a reader may see position 8 while
 * position 7 still belongs to a transaction that has not committed. A reader that moved on to 8 would
 * never see 7. Two known answers:
 * - Emmett stores each event's transaction id (xid8) and reads only events of transactions older than
 *   the oldest one still running (`transaction_id < pg_snapshot_xmin(pg_current_snapshot())`), in
 *   (transaction id, position) order. Exact, but the log's order is then the transaction ids' order,
 *   not the positions', so a position alone is no longer a checkpoint (Emmett's checkpoints became a
 *   pair), and any long transaction on the server, in any database, holds every reader back.
 * - Marten's async daemon keeps a high-water mark: the highest position below which no gap is left,
 *   and reads only up to it. A gap is either a running transaction (wait) or a rolled-back one (never
 *   filled). Marten decided that by age, skipping a gap older than a threshold, which skips the events
 *   of a transaction slower than that; its 9.16.1 release added a check for a live transaction first.
 * This adapter keeps Marten's high-water mark, because the port promises one number per event that
 * grows in log order (readAll and subscribeToAll resume from it, read-your-writes compares it), and
 * decides gaps exactly, with PostgreSQL's transaction snapshots instead of a clock:
 * 1. An append locks (or creates) its stream's row before it draws positions, so it has a transaction
 *    id before it holds any position. The sequence has CACHE 1, so positions are drawn in time order.
 * 2. A reader reads the events after its position together with the statement's own snapshot
 *    (pg_current_snapshot(), the same snapshot the rows were read in). It delivers events up to the
 *    first missing position, never past it.
 * 3. A missing position below a visible one was drawn before that snapshot, so the transaction holding
 *    it had ended by then (committed: visible; rolled back: empty for good) or is in the snapshot's
 *    list of running transactions. Once every transaction of that list has ended (checked with
 *    pg_visible_in_snapshot), a position still missing is dead and is skipped from then on; when no
 *    transaction was running at all, at once.
 * A reader thus waits only when it meets a gap while transactions run, and only for those transactions.
 * Gaps come from appends that failed after drawing positions (rare: a version conflict is found before
 * any position is drawn) and from a crash (PostgreSQL may skip up to 32 sequence values).
 *
 * Live subscriptions are woken by NOTIFY after each append (and, in this process, directly), and poll
 * as a fallback. Idempotency keys are the command layer's: they travel in the metadata, as written.
 */
export class PostgresEventStore extends EventStore {
  private readonly pool: Pool;
  private readonly pollIntervalMs: number;
  private readonly dead = new DeadPositions();
  private readonly subscriptions = new Set<PollingSubscription>();
  /** appends and notifications in flight, which close() lets finish */
  private readonly pending = new Set<Promise<unknown>>();
  private schema?: Promise<void>;
  private listener?: Listener;
  private notifying = false;
  private notifyAgain = false;
  private closed = false;
  private closing?: Promise<void>;

  constructor(private readonly options: PostgresEventStoreOptions) {
    super();
    this.pollIntervalMs = options.pollIntervalMs ?? 100;
    this.pool = new Pool({
      connectionString: options.connectionString,
      max: options.maxConnections ?? 10,
      application_name: APPLICATION_NAME,
      connectionTimeoutMillis: 10_000,
      // an append is one statement; a connection idle inside a transaction is a bug, and would hold readers back
      idle_in_transaction_session_timeout: 60_000,
      allowExitOnIdle: true,
    });
    // A connection lost while idle in the pool (a server restart) is replaced on the next use. After
    // close() (pool.end() does not wait for the server to see the connections go) it does not matter.
    this.pool.on('error', (error) => this.closed || console.warn(`event store: an idle PostgreSQL connection failed: ${error.message}`));
    this.ensureSchema().catch(() => undefined); // started now; a failure is reported to the first caller, who retries
  }

  override async appendToStream(streamId: string, events: EventData[], expectedVersion: ExpectedVersion): Promise<AppendResult> {
    assertValidExpectedVersion(expectedVersion);
    // Serialized before anything is sent: a value JSON cannot hold (a cycle, a BigInt) fails this append alone.
    const types = events.map((e) => e.type);
    const data = events.map((e) => JSON.stringify(e.data));
    const metadata = events.map((e) => JSON.stringify(e.metadata));
    return this.track(this.append(streamId, expectedVersion, types, data, metadata));
  }

  override async readStream(streamId: string, fromVersion = 0): Promise<RecordedEvent[]> {
    await this.ensureSchema();
    const { rows } = await this.pool.query<EventRow>(
      `SELECT ${COLUMNS} FROM ${SCHEMA}.events WHERE stream_id = $1 AND stream_version > $2 ORDER BY stream_version`,
      [streamId, fromVersion],
    );
    return rows.map(toRecorded);
  }

  override async readLastEvent(streamId: string): Promise<RecordedEvent | undefined> {
    await this.ensureSchema();
    const { rows } = await this.pool.query<EventRow>(
      `SELECT ${COLUMNS} FROM ${SCHEMA}.events WHERE stream_id = $1 ORDER BY stream_version DESC LIMIT 1`,
      [streamId],
    );
    return rows.length ? toRecorded(rows[0]) : undefined;
  }

  /** Never past a position that a running transaction may still fill: may wait for such a transaction to end. */
  override async readAll(fromPosition: number, limit: number): Promise<RecordedEvent[]> {
    if (limit <= 0) return [];
    return this.readFinal(fromPosition, limit, () => this.closed);
  }

  /** The highest position committed (readers may still be waiting below it for a slower transaction). */
  override async lastPosition(): Promise<number> {
    await this.ensureSchema();
    const { rows } = await this.pool.query<{ position: string }>(`SELECT coalesce(max(position), 0) AS position FROM ${SCHEMA}.events`);
    return Number(rows[0].position);
  }

  async identity(): Promise<string> {
    await this.ensureSchema();
    const { rows } = await this.pool.query<{ store_id: string }>(`SELECT store_id::text FROM ${SCHEMA}.identity`);
    return rows[0].store_id;
  }

  override subscribeToAll(handler: EventHandler, options: SubscribeOptions = {}): Subscription {
    this.listener ??= new Listener(this.options.connectionString, () => this.wakeSubscriptions());
    const sub = new PollingSubscription(
      (after, stopped) => this.readFinal(after, CATCH_UP_BATCH, stopped),
      handler,
      options,
      this.pollIntervalMs,
      () => {
        this.subscriptions.delete(sub);
        if (this.subscriptions.size === 0) this.stopListening();
      },
    );
    this.subscriptions.add(sub);
    return sub;
  }

  /** Stops the subscriptions, lets appends already requested finish, then closes every connection. */
  override async close(): Promise<void> {
    this.closed = true;
    this.closing ??= (async () => {
      await Promise.all([...this.subscriptions].map((sub) => sub.stop()));
      while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
      this.stopListening();
      await this.pool.end();
    })();
    return this.closing;
  }

  private async append(
    streamId: string,
    expected: ExpectedVersion,
    types: string[],
    data: string[],
    metadata: string[],
  ): Promise<AppendResult> {
    await this.ensureSchema();
    if (types.length === 0) return this.checkWithoutAppending(streamId, expected);
    const expectedParam = expected === ANY_VERSION ? null : expected === NO_STREAM ? 0 : expected;
    let row: { ok: boolean; next_version: string; last_position: string };
    try {
      const result = await this.pool.query<typeof row>(
        `SELECT ok, next_version, last_position FROM ${SCHEMA}.append($1, $2, $3, $4, $5)`,
        [streamId, expectedParam, types, data, metadata],
      );
      row = result.rows[0];
    } catch (error) {
      // The stream's row lock makes this impossible; should it happen anyway, it is a lost race.
      if (isUniqueViolation(error)) throw new WrongExpectedVersionError(streamId, expected, await this.versionOf(streamId));
      throw error;
    }
    if (!row.ok) throw new WrongExpectedVersionError(streamId, expected, Number(row.next_version));
    this.wakeSubscriptions();
    this.notifyOthers();
    return { nextVersion: Number(row.next_version), position: Number(row.last_position) };
  }

  /** An empty append writes nothing, but still answers whether the caller's view of the stream is current. */
  private async checkWithoutAppending(streamId: string, expected: ExpectedVersion): Promise<AppendResult> {
    const { rows } = await this.pool.query<{ version: string; position: string }>(
      `SELECT version, position FROM ${SCHEMA}.streams WHERE stream_id = $1`,
      [streamId],
    );
    const current = rows.length ? Number(rows[0].version) : 0;
    if (!versionMatches(expected, current)) throw new WrongExpectedVersionError(streamId, expected, current);
    return { nextVersion: current, position: rows.length ? Number(rows[0].position) : 0 };
  }

  private async versionOf(streamId: string): Promise<number> {
    const { rows } = await this.pool.query<{ version: string }>(`SELECT version FROM ${SCHEMA}.streams WHERE stream_id = $1`, [streamId]);
    return rows.length ? Number(rows[0].version) : 0;
  }

  /**
   * Events after `after`, oldest first, at most `limit`, up to the first position that a transaction
   * still running may fill (the gap rule above). Returns [] only when there is nothing after `after`,
   * or when `stopped()` became true while waiting at a gap.
   */
  private async readFinal(after: number, limit: number, stopped: () => boolean): Promise<RecordedEvent[]> {
    await this.ensureSchema();
    /** after waiting for the transactions running at an earlier read: positions up to here still missing are dead */
    let settledUpTo = 0;
    for (;;) {
      const { rows, snapshot } = await this.readPage(after, limit);
      const positions = rows.map((r) => Number(r.position));
      const running = runningTransactions(snapshot);
      // no transaction was running: every position missing below the last one read is dead already
      if (running.length === 0 && positions.length > 0) settledUpTo = Math.max(settledUpTo, positions[positions.length - 1]);
      for (const range of missingRanges(positions, after)) {
        if (range.from <= settledUpTo) this.dead.add({ from: range.from, to: Math.min(range.to, settledUpTo) });
      }
      const { count, gap } = finalPrefix(positions, after, this.dead);
      if (count > 0 || !gap) return rows.slice(0, count).map(toRecorded);
      // The next event lies past a gap: wait until every transaction running at this read has ended;
      // the gap is then filled or dead for good, which the next read tells.
      await this.waitForTransactions(running, stopped);
      if (stopped()) return [];
      settledUpTo = positions[positions.length - 1];
    }
  }

  /** A page of events after `after` and the snapshot they were read in (one statement, one snapshot). */
  private async readPage(after: number, limit: number): Promise<{ rows: EventRow[]; snapshot: string }> {
    const { rows } = await this.pool.query<Partial<EventRow> & { snapshot: string }>(
      `SELECT pg_current_snapshot()::text AS snapshot, e.*
         FROM (SELECT 1) AS one
         LEFT JOIN LATERAL (
           SELECT ${COLUMNS} FROM ${SCHEMA}.events WHERE position > $1 ORDER BY position LIMIT $2
         ) AS e ON true
        ORDER BY e.position`,
      [after, limit],
    );
    return { rows: rows.filter((r): r is EventRow & { snapshot: string } => r.position != null), snapshot: rows[0].snapshot };
  }

  /** Waits until none of these transactions (xid8 as text) is running any more. */
  private async waitForTransactions(running: string[], stopped: () => boolean): Promise<void> {
    for (let delayMs = 1; !stopped(); delayMs = Math.min(delayMs * 2, 50)) {
      const { rows } = await this.pool.query<{ running: string }>(
        'SELECT count(*) AS running FROM unnest($1::xid8[]) AS x WHERE NOT pg_visible_in_snapshot(x, pg_current_snapshot())',
        [running],
      );
      if (Number(rows[0].running) === 0) return;
      await sleep(delayMs);
    }
  }

  private ensureSchema(): Promise<void> {
    this.schema ??= migrate(this.pool).catch((error: unknown) => {
      this.schema = undefined; // tried again by the next call (the database may not have been up yet)
      throw error;
    });
    return this.schema;
  }

  private track<T>(promise: Promise<T>): Promise<T> {
    this.pending.add(promise);
    const done = () => this.pending.delete(promise);
    promise.then(done, done);
    return promise;
  }

  private wakeSubscriptions(): void {
    for (const sub of this.subscriptions) sub.wake();
  }

  /** Tells subscribers in other processes; at most one NOTIFY in flight, one more if appends came meanwhile. */
  private notifyOthers(): void {
    if (this.notifying) {
      this.notifyAgain = true;
      return;
    }
    this.notifying = true;
    this.notifyAgain = false;
    // Sent after the append's commit, not inside it: a NOTIFY in a transaction serializes commits.
    const sent = this.pool.query(`SELECT pg_notify('${CHANNEL}', '')`).then(
      () => undefined,
      () => undefined, // the subscribers' poll covers a lost notification
    );
    void this.track(sent).then(() => {
      this.notifying = false;
      if (this.notifyAgain && !this.closed) this.notifyOthers();
    });
  }

  private stopListening(): void {
    this.listener?.stop();
    this.listener = undefined;
  }
}

/** The transactions running when a snapshot (pg_snapshot as text: `xmin:xmax:xip,…`) was taken. */
function runningTransactions(snapshot: string): string[] {
  return (snapshot.split(':')[2] ?? '').split(',').filter(Boolean);
}

function isUniqueViolation(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === '23505';
}



const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * One LISTEN connection per store instance while it has subscriptions. A lost connection is opened
 * again after a second; when it is back, the subscriptions look for what they may have missed.
 */
class Listener {
  private client?: Client;
  private retry?: NodeJS.Timeout;
  private stopped = false;

  constructor(
    private readonly connectionString: string,
    private readonly onNotify: () => void,
  ) {
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.retry);
    this.client?.end().catch(() => undefined);
    this.client = undefined;
  }

  private connect(): void {
    const client = new Client({ connectionString: this.connectionString, application_name: APPLICATION_NAME });
    this.client = client;
    client.on('notification', () => this.onNotify());
    client.on('error', () => this.lost(client));
    client.on('end', () => this.lost(client));
    client
      .connect()
      .then(() => client.query(`LISTEN ${CHANNEL}`))
      .then(() => this.onNotify())
      .catch(() => this.lost(client));
  }

  private lost(client: Client): void {
    if (this.stopped || this.client !== client) return;
    this.client = undefined;
    client.end().catch(() => undefined);
    this.retry = setTimeout(() => this.connect(), 1000);
  }
}

