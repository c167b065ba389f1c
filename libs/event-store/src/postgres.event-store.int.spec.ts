import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { createTestDatabase, describeWithPostgres, TestDatabase } from '../../../test/support/postgres';
import { describeEventStoreContract } from './event-store.contract';
import { ANY_VERSION, EventData, NO_STREAM, RecordedEvent, WrongExpectedVersionError } from './event-store.port';
import { PostgresEventStore } from './postgres.event-store';

// The PostgreSQL of the test run (npm test starts one; test/support/postgres.ts), a database per use.
describeWithPostgres('PostgresEventStore', () => {
  describe('on one database shared by the contract tests', () => {
    let db: TestDatabase;
    beforeAll(async () => {
      db = await createTestDatabase('event-store-contract');
    });
    afterAll(() => db.drop());

    describeEventStoreContract('PostgreSQL', async () => new PostgresEventStore({ connectionString: db.url }));
  });

  describe('each test on a fresh database', () => {
    let db: TestDatabase;
    const stores: PostgresEventStore[] = [];
    const open = (options: { pollIntervalMs?: number; maxConnections?: number } = {}): PostgresEventStore => {
      const store = new PostgresEventStore({ connectionString: db.url, ...options });
      stores.push(store);
      return store;
    };
    beforeEach(async () => {
      db = await createTestDatabase('event-store');
    });
    afterEach(async () => {
      await Promise.all(stores.splice(0).map((s) => s.close()));
      await db.drop();
    });

    it('creates its schema once, records the migration, and numbers a new log from position 1', async () => {
      const [a, b] = [open(), open()]; // two processes starting at once
      expect(await Promise.all([a.lastPosition(), b.lastPosition()])).toEqual([0, 0]);
      expect(await a.appendToStream('s', [event('A'), event('B')], NO_STREAM)).toEqual({ nextVersion: 2, position: 2 });
      expect(await query(db.url, 'SELECT version, description FROM event_store.migrations')).toEqual([
        { version: 1, description: 'streams, events, identity, append()' },
      ]);
      await a.close();
      expect((await open().readAll(0, 10)).map((e) => e.position)).toEqual([1, 2]);
    });

    it('refuses a database whose schema a newer release migrated', async () => {
      await open().lastPosition();
      await query(db.url, "INSERT INTO event_store.migrations (version, description) VALUES (99, 'from the future')");
      await expect(open().lastPosition()).rejects.toThrow(/schema is at version 99, newer than this release knows \(1\)/);
    });

    it('has an identity, written once when the store was created, the same for every instance', async () => {
      const first = await open().identity();
      expect(first).toMatch(/^[0-9a-f-]{36}$/);
      expect(await open().identity()).toBe(first);
      const other = await createTestDatabase('event-store-other');
      const elsewhere = new PostgresEventStore({ connectionString: other.url });
      try {
        expect(await elsewhere.identity()).not.toBe(first);
      } finally {
        await elsewhere.close();
        await other.drop();
      }
    });

    it('keeps the data exactly as written, key order included', async () => {
      const store = open();
      const data = { z: 1, a: { y: [3, 1, 2], b: 'x' }, m: null, big: 12345678901234, f: 0.1 + 0.2, s: 'nul \u0000 and \ud83d\ude00' };
      await store.appendToStream('s', [{ type: 'T', data, metadata: { at: 'now', b: 1, a: 2 } }], NO_STREAM);
      const [recorded] = await store.readStream('s');
      expect(JSON.stringify(recorded.data)).toBe(JSON.stringify(data));
      expect(Object.keys(recorded.metadata)).toEqual(['at', 'b', 'a']);
    });

    it('rejects data JSON cannot hold, before writing anything', async () => {
      const store = open();
      const circular: Record<string, unknown> = {};
      circular.self = circular;
      await expect(store.appendToStream('s', [event('A'), { ...event('B'), data: circular }], NO_STREAM)).rejects.toThrow(TypeError);
      await expect(store.appendToStream('s', [{ ...event('A'), data: { n: 1n } }], NO_STREAM)).rejects.toThrow(TypeError);
      expect(await store.appendToStream('s', [event('A')], NO_STREAM)).toEqual({ nextVersion: 1, position: 1 });
    });

    it('lets appends requested before close() finish', async () => {
      const store = open();
      const appends = Array.from({ length: 10 }, (_, i) => store.appendToStream(`s-${i}`, [event('A')], NO_STREAM));
      await store.close();
      expect((await Promise.all(appends)).map((r) => r.nextVersion)).toEqual(Array(10).fill(1));
      expect(await open().lastPosition()).toBe(10);
    });

    it('wakes a subscriber in another process by NOTIFY, without waiting for its poll', async () => {
      const reader = open({ pollIntervalMs: 60_000 });
      const writer = open();
      await writer.lastPosition();
      const got: RecordedEvent[] = [];
      const sub = reader.subscribeToAll((e) => void got.push(e));
      await waitFor(async () => (await query(db.url, "SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND query = 'LISTEN event_store_appended'")).length === 1);
      await sleep(20); // the subscription has read the empty log and sleeps
      const t0 = Date.now();
      await writer.appendToStream('s', [event('A')], NO_STREAM);
      await waitFor(() => got.length === 1, 2000);
      expect(Date.now() - t0).toBeLessThan(1000);
      await writer.appendToStream('s', [event('B')], 1);
      await waitFor(() => got.length === 2, 2000);
      await sub.stop();
      expect(got.map((e) => e.type)).toEqual(['A', 'B']);
    });

    describe('the global log with appends that commit out of order', () => {
      beforeEach(async () => {
        await open().lastPosition(); // the schema
        await query(db.url, HOLD_OR_FAIL_TRIGGER);
      });

      it('a reader waits for a slower transaction holding a lower position instead of skipping it', async () => {
        const [writer, reader] = [open(), open()];
        const slow = writer.appendToStream('slow', [{ ...event('Slow'), metadata: { at: 'now', holdMs: 600 } }], NO_STREAM);
        await waitFor(async () => (await query(db.url, "SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND wait_event = 'PgSleep'")).length === 1);
        const fast = await writer.appendToStream('fast', [event('Fast')], NO_STREAM);
        // what a reader that just follows the positions would see now: the later position, not the earlier
        expect(await query(db.url, 'SELECT position FROM event_store.events ORDER BY position')).toEqual([{ position: String(fast.position) }]);

        const t0 = Date.now();
        const read = await reader.readAll(0, 10);
        expect(Date.now() - t0).toBeGreaterThan(100); // it waited for the slow transaction
        const slowResult = await slow;
        expect(read.map((e) => [e.type, e.position])).toEqual([
          ['Slow', slowResult.position],
          ['Fast', fast.position],
        ]);
        expect(slowResult.position).toBeLessThan(fast.position);
      });

      it('passes positions of appends that rolled back, in readAll and in subscriptions', async () => {
        const [writer, reader] = [open(), open()];
        await writer.appendToStream('s', [event('A')], NO_STREAM);
        await expect(writer.appendToStream('s', [event('X'), { ...event('Y'), metadata: { at: 'now', fail: true } }], 1)).rejects.toThrow(
          /rolled back on purpose/,
        );
        await writer.appendToStream('s', [event('B')], 1);
        expect((await reader.readAll(0, 10)).map((e) => [e.type, e.position])).toEqual([
          ['A', 1],
          ['B', 4],
        ]);
        const got: string[] = [];
        const sub = reader.subscribeToAll((e) => void got.push(e.type));
        await waitFor(() => got.length === 2);
        await writer.appendToStream('s', [event('C')], 2);
        await waitFor(() => got.length === 3);
        await sub.stop();
        expect(got).toEqual(['A', 'B', 'C']);
      });

      it('20 writers x 50 appends on their own connections, some held open, some rolled back: readers see every event once, in order', async () => {
        const WRITERS = 20;
        const APPENDS = 50;
        const readers = { readAll: open(), subscription: open() };
        let writing = true;

        // A catch-up reader polling readAll from its last position, a live subscription, and, for
        // comparison, a naive reader that follows the positions without the gap rule.
        const polled: RecordedEvent[] = [];
        const polling = (async () => {
          for (let from = 0; ; ) {
            const page = await readers.readAll.readAll(from, 37);
            polled.push(...page);
            if (page.length > 0) from = page[page.length - 1].position;
            else if (!writing && from >= (await readers.readAll.lastPosition())) return;
            else await sleep(1);
          }
        })();
        const subscribed: RecordedEvent[] = [];
        const subscription = readers.subscription.subscribeToAll((e) => void subscribed.push(e));
        const naive: number[] = [];
        const naiveReading = (async () => {
          const client = new Client({ connectionString: db.url });
          await client.connect();
          try {
            for (let from = 0; writing; await sleep(1)) {
              const { rows } = await client.query<{ position: string }>(
                'SELECT position FROM event_store.events WHERE position > $1 ORDER BY position LIMIT 100',
                [from],
              );
              naive.push(...rows.map((r) => Number(r.position)));
              if (rows.length) from = naive[naive.length - 1];
            }
          } finally {
            await client.end();
          }
        })();

        const failures: unknown[] = [];
        let acknowledged = 0; // events of appends that succeeded
        const write = async (w: number): Promise<void> => {
          const store = open({ maxConnections: 2 });
          const versions = new Map<string, number>();
          for (let i = 0; i < APPENDS; i++) {
            const n = w * APPENDS + i;
            const shared = n % 5 === 0;
            const streamId = shared ? 'shared' : `writer-${w}-${i % 3}`;
            const first: EventData['metadata'] = { at: 'now', writer: w, i };
            if (n % 9 === 0) first.holdMs = 20 + ((w * 7 + i) % 60); // held open after drawing its positions
            if (n % 31 === 7) first.fail = true; // rolled back after drawing its positions
            const events = Array.from({ length: 1 + (i % 3) }, (_, k) => ({ type: 'Appended', data: { w, i, k }, metadata: k === 0 ? first : { at: 'now' } }));
            try {
              const result = await store.appendToStream(streamId, events, shared ? ANY_VERSION : (versions.get(streamId) ?? 0));
              if (!shared) versions.set(streamId, result.nextVersion);
              acknowledged += events.length;
            } catch (error) {
              if (error instanceof WrongExpectedVersionError || !first.fail) failures.push(error);
            }
          }
        };
        await Promise.all(Array.from({ length: WRITERS }, (_, w) => write(w)));
        writing = false;
        expect(failures).toEqual([]);

        const committed = (await query(db.url, 'SELECT position, stream_id, stream_version FROM event_store.events ORDER BY position')).map((r) => ({
          position: Number(r.position),
          streamId: String(r.stream_id),
          streamVersion: Number(r.stream_version),
        }));
        expect(committed).toHaveLength(acknowledged);
        const last = committed[committed.length - 1].position;
        expect(last).toBeGreaterThan(committed.length); // positions of rolled-back appends stay empty

        await polling;
        // generous: on two busy cores the subscription may trail the writers by seconds, and a reader at
        // a gap waits for every writing transaction of the server (xids are cluster-wide): one another
        // spec left open is ended by the pool's 60 s idle-in-transaction timeout
        await waitFor(() => subscribed.length >= committed.length, 150_000);
        await subscription.stop();
        await naiveReading;

        for (const seen of [polled, subscribed]) {
          expect(seen.map((e) => ({ position: e.position, streamId: e.streamId, streamVersion: e.streamVersion }))).toEqual(committed);
        }
        // every stream in version order, 1, 2, 3, ... (the shared one too, with 20 writers appending to it)
        const versionsSeen = new Map<string, number[]>();
        for (const e of subscribed) versionsSeen.set(e.streamId, [...(versionsSeen.get(e.streamId) ?? []), e.streamVersion]);
        for (const versions of versionsSeen.values()) expect(versions).toEqual(versions.map((_, i) => i + 1));
        // the problem was there to be solved: following the positions alone skipped events
        const naiveSeen = new Set(naive);
        expect(committed.filter((e) => e.position <= naive[naive.length - 1] && !naiveSeen.has(e.position)).length).toBeGreaterThan(0);
      }, 240_000);
    });
  });
});

/** Holds an append open after it drew its positions (metadata.holdMs), or rolls it back (metadata.fail). */
const HOLD_OR_FAIL_TRIGGER = `
  CREATE FUNCTION public.hold_or_fail() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN
    IF NEW.metadata->>'holdMs' IS NOT NULL THEN
      PERFORM pg_sleep((NEW.metadata->>'holdMs')::numeric / 1000);
    END IF;
    IF NEW.metadata->>'fail' IS NOT NULL THEN
      RAISE EXCEPTION 'rolled back on purpose';
    END IF;
    RETURN NEW;
  END $$;
  CREATE TRIGGER hold_or_fail AFTER INSERT ON event_store.events FOR EACH ROW EXECUTE FUNCTION public.hold_or_fail();
`;

function event(type: string): EventData {
  return { type, data: { id: randomUUID() }, metadata: { at: '2025-01-01T00:00:00.000Z' } };
}

async function query(url: string, text: string): Promise<Record<string, unknown>[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<Record<string, unknown>>(text)).rows;
  } finally {
    await client.end();
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await sleep(5);
  }
}
