import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { SqliteEventStore } from '../sqlite.event-store';

export interface SqliteTestDir {
  /** The temporary directory. Known once the hooks ran: read it in hooks and tests, not where this is called. */
  readonly dir: string;
  /** The path of a file in the directory. */
  file(name: string): string;
  /** A SqliteEventStore on `name` (events.sqlite) in the directory, closed at teardown. */
  openEventStore(name?: string): SqliteEventStore;
  /** Runs `step` at teardown: the steps the last registered first, then the directory is removed. */
  atTeardown(step: () => unknown): void;
}

/**
 * A temporary directory for the SQLite files of the file or `describe` that calls this (event store,
 * read models, a worker's DATA_DIR): made before each test and removed after it, or with
 * `scope: 'all'` made before the first test (beforeAll) and removed after the last (afterAll).
 * What a test opens in it is closed first, through atTeardown (openEventStore does so itself).
 */
export function sqliteTestDir(prefix: string, options: { scope?: 'each' | 'all' } = {}): SqliteTestDir {
  let dir: string | undefined;
  const teardown: (() => unknown)[] = [];
  const setUp = () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  };
  const tearDown = async () => {
    try {
      for (const step of teardown.splice(0).reverse()) await step();
    } finally {
      if (dir) fs.rmSync(dir, { recursive: true, force: true });
      dir = undefined;
    }
  };
  if (options.scope === 'all') {
    beforeAll(setUp);
    afterAll(tearDown);
  } else {
    beforeEach(setUp);
    afterEach(tearDown);
  }

  const testDir: SqliteTestDir = {
    get dir() {
      if (!dir) throw new Error(`sqliteTestDir('${prefix}'): the directory exists only while its tests run (in hooks and tests)`);
      return dir;
    },
    file: (name) => path.join(testDir.dir, name),
    openEventStore: (name = 'events.sqlite') => {
      const store = new SqliteEventStore({ path: testDir.file(name) });
      testDir.atTeardown(() => store.close());
      return store;
    },
    atTeardown: (step) => void teardown.push(step),
  };
  return testDir;
}
