import { ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import Database from 'better-sqlite3';
import * as path from 'node:path';
import { describeEventStoreContract } from './event-store.contract';
import { NO_STREAM, RecordedEvent, WrongExpectedVersionError } from './event-store.port';
import { SqliteEventStore } from './sqlite.event-store';
import { sqliteTestDir } from './testing/sqlite-test-dir';

const sqlite = sqliteTestDir('event-store-', { scope: 'all' });
const newPath = (): string => sqlite.file(`${randomUUID()}.sqlite`);

describeEventStoreContract('SQLite', async () => new SqliteEventStore({ path: newPath() }));

describe('SqliteEventStore', () => {
  const event = { type: 'Appended', data: {}, metadata: { at: '2025-01-01T00:00:00.000Z' } };

  it('numbers a new log from position 1, and keeps it across reopening', async () => {
    const file = newPath();
    const first = new SqliteEventStore({ path: file, synchronous: 'FULL' });
    expect(await first.lastPosition()).toBe(0);
    expect(await first.appendToStream('s', [event, event], NO_STREAM)).toEqual({ nextVersion: 2, position: 2 });
    await first.close();

    const reopened = new SqliteEventStore({ path: file });
    expect((await reopened.readAll(0, 10)).map((e) => e.position)).toEqual([1, 2]);
    expect(await reopened.appendToStream('s', [event], 2)).toEqual({ nextVersion: 3, position: 3 });
    await reopened.close();
  });

  it('has an identity, written once for the file: the same after reopening, another for another file, also for a file written before identities', async () => {
    const file = newPath();
    const first = new SqliteEventStore({ path: file });
    const identity = await first.identity();
    await first.close();
    const reopened = new SqliteEventStore({ path: file });
    expect(await reopened.identity()).toBe(identity);
    await reopened.close();
    const other = new SqliteEventStore({ path: newPath() });
    expect(await other.identity()).not.toBe(identity);
    await other.close();

    // a file of a release before identities has the events and streams tables only
    const older = newPath();
    const raw = new Database(older);
    raw.exec('CREATE TABLE events (position INTEGER PRIMARY KEY AUTOINCREMENT, stream_id TEXT NOT NULL, stream_version INTEGER NOT NULL, type TEXT NOT NULL, data TEXT NOT NULL, metadata TEXT NOT NULL, recorded_at TEXT NOT NULL, UNIQUE (stream_id, stream_version))');
    raw.close();
    const upgraded = new SqliteEventStore({ path: older });
    const given = await upgraded.identity();
    await upgraded.close();
    const again = new SqliteEventStore({ path: older });
    expect(await again.identity()).toBe(given);
    await again.close();
  });

  it('commits appends of one tick together, yet each succeeds or fails on its own', async () => {
    const store = new SqliteEventStore({ path: newPath() });
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    const outcomes = await Promise.allSettled([
      store.appendToStream('a', [event], NO_STREAM),
      store.appendToStream('b', [event, { ...event, data: circular }], NO_STREAM),
      store.appendToStream('a', [event], NO_STREAM),
      store.appendToStream('c', [event, event], NO_STREAM),
      store.appendToStream('a', [event], 1),
    ]);
    const ends = store.close(); // appends requested before close() are still committed
    const late = store.appendToStream('d', [event], NO_STREAM);
    await ends;
    await expect(late).resolves.toEqual({ nextVersion: 1, position: 5 });

    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'rejected', 'fulfilled', 'fulfilled']);
    expect(outcomes.map((o) => (o.status === 'fulfilled' ? o.value : (o.reason as Error).name))).toEqual([
      { nextVersion: 1, position: 1 },
      'TypeError',
      'WrongExpectedVersionError',
      { nextVersion: 2, position: 3 },
      { nextVersion: 2, position: 4 },
    ]);
  });

  it('keeps every acknowledged append, with no gaps or torn appends, when the writer is killed with SIGKILL', async () => {
    const file = newPath();
    const child = runChild({ MODE: 'append', DB_PATH: file, STREAM_ID: 's', COUNT: '0', EVENTS_PER_APPEND: '3' });
    await start([child]);
    await waitFor(() => acknowledgedVersions(child).length >= 300);
    child.process.kill('SIGKILL');
    await child.exited;
    const acknowledged = Math.max(...acknowledgedVersions(child));

    const store = new SqliteEventStore({ path: file });
    const events = await store.readAll(0, 1_000_000);
    await store.close();
    expect(events.length).toBeGreaterThanOrEqual(acknowledged);
    expect(events.length % 3).toBe(0);
    expect(events.map((e) => e.streamVersion)).toEqual(range(1, events.length));
    expect(events.map((e) => e.position)).toEqual(range(1, events.length));
  });

  it('lets two processes append to one stream without losing or duplicating a version', async () => {
    const file = newPath();
    await new SqliteEventStore({ path: file }).close(); // create the schema before both start
    const children = [1, 2].map(() => runChild({ MODE: 'append', DB_PATH: file, STREAM_ID: 's', COUNT: '300' }));
    await start(children);
    expect(await Promise.all(children.map((c) => c.exited))).toEqual([0, 0]);

    const acknowledged = children.flatMap(acknowledgedVersions);
    expect(acknowledged.sort((a, b) => a - b)).toEqual(range(1, 600));
    const conflicts = children.flatMap((c) => c.lines.filter((l) => l.startsWith('conflicts ')));
    expect(conflicts.map((l) => Number(l.split(' ')[1])).reduce((x, y) => x + y)).toBeGreaterThan(0); // they did overlap
    const store = new SqliteEventStore({ path: file });
    expect((await store.readStream('s')).map((e) => e.streamVersion)).toEqual(range(1, 600));
    await store.close();
  });

  describe('two instances on one file, as the API and worker processes have', () => {
    let a: SqliteEventStore;
    let b: SqliteEventStore;
    beforeEach(() => {
      const file = newPath();
      a = new SqliteEventStore({ path: file });
      b = new SqliteEventStore({ path: file });
    });
    afterEach(async () => {
      await Promise.all([a.close(), b.close()]);
    });

    it('interleaved appends to one stream neither lose nor duplicate versions', async () => {
      const appendMany = async (store: SqliteEventStore, writer: string): Promise<void> => {
        let version = 0;
        for (let i = 0; i < 200; ) {
          try {
            version = (await store.appendToStream('s', [{ ...event, data: { writer, i } }], version)).nextVersion;
            i += 1;
          } catch (error) {
            if (!(error instanceof WrongExpectedVersionError)) throw error;
            version = error.actual;
          }
        }
      };
      await Promise.all([appendMany(a, 'a'), appendMany(b, 'b')]);

      const events = await a.readStream('s');
      expect(events.map((e) => e.streamVersion)).toEqual(range(1, 400));
      for (const writer of ['a', 'b']) {
        const mine = events.filter((e) => e.data.writer === writer).map((e) => e.data.i);
        expect(mine).toEqual(range(0, 199));
      }
    });

    it('a subscriber on one instance sees appends made through the other (the polling path)', async () => {
      const got: RecordedEvent[] = [];
      const sub = a.subscribeToAll((e) => void got.push(e));
      await b.appendToStream('s', [event, event], NO_STREAM);
      await waitFor(() => got.length === 2, 1000);
      await b.appendToStream('s', [event], 2);
      await waitFor(() => got.length === 3, 1000);
      await sub.stop();
      expect(got.map((e) => e.position)).toEqual([1, 2, 3]);
    });
  });

  it('catches up over many batches in order', async () => {
    const store = new SqliteEventStore({ path: newPath() });
    for (let i = 0; i < 1234; i += 1) await store.appendToStream(`s-${i % 7}`, [event], 'any');
    const positions: number[] = [];
    const sub = store.subscribeToAll((e) => void positions.push(e.position), { fromPosition: 10 });
    await waitFor(() => positions.length === 1224);
    await store.close(); // close() also stops the subscription
    await sub.stop();
    expect(positions).toEqual(range(11, 1234));
  });

  it('lets the process exit once the store is closed, even with a subscription left running', async () => {
    const child = runChild({ MODE: 'subscribe-then-close', DB_PATH: newPath() });
    expect(await child.exited).toBe(0);
    expect(child.lines).toEqual(['done']);
  });
});

const REPO_ROOT = path.resolve(__dirname, '../../..');
/** Registers a TypeScript loader (swc, no type check) in the child, then runs the child script. */
const RUN_TS = `
  const swc = require('@swc/core');
  const options = { swcrc: false, jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } };
  require.extensions['.ts'] = (module, file) => module._compile(swc.transformFileSync(file, options).code, file);
  require(${JSON.stringify(path.join(__dirname, 'testing', 'sqlite-child.ts'))});
`;

interface Child {
  process: ChildProcess;
  /** complete stdout lines so far */
  lines: string[];
  exited: Promise<number | null>;
}

function runChild(env: Record<string, string>): Child {
  const child = spawn(process.execPath, ['-e', RUN_TS], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines: string[] = [];
  let partial = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    const parts = (partial + chunk).split('\n');
    partial = parts.pop() ?? '';
    lines.push(...parts);
  });
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return { process: child, lines, exited };
}

/** Starts appending children together, once each has opened the store. */
async function start(children: Child[]): Promise<void> {
  await waitFor(() => children.every((c) => c.lines.includes('ready')));
  for (const c of children) c.process.stdin?.write('go\n');
}

const acknowledgedVersions = (child: Child): number[] => child.lines.filter((l) => /^\d+$/.test(l)).map(Number);

const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

async function waitFor(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}
