/**
 * PostgreSQL for specs. `npm test` (scripts/test.mjs with scripts/postgres.mjs) starts one server for
 * the whole run and passes its URL as TEST_DATABASE_URL (a superuser on its `postgres` database); a
 * spec never uses that database itself but creates its own with createTestDatabase(), so files and
 * tests do not see each other's tables. Without a server (a machine without the PostgreSQL binaries,
 * or Jest run directly) the specs are skipped with the reason in their title.
 */
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';

/** The test server's URL, or undefined when there is none. */
export function testDatabaseUrl(): string | undefined {
  return process.env.TEST_DATABASE_URL || undefined;
}

/** Why PostgreSQL specs are skipped (undefined when a server is there). */
export function postgresSkipReason(): string | undefined {
  if (testDatabaseUrl()) return undefined;
  return (
    process.env.TEST_DATABASE_SKIP_REASON ??
    'TEST_DATABASE_URL is not set: run the tests with `npm test` (e.g. `npm test -- libs/event-store`), which starts PostgreSQL'
  );
}

/** describe() when a test PostgreSQL is there; otherwise a skipped describe whose title says why. */
export function describeWithPostgres(name: string, body: () => void): void {
  const reason = postgresSkipReason();
  if (!reason) {
    describe(name, body);
    return;
  }
  describe.skip(`${name} (skipped: ${reason})`, () => {
    it('needs PostgreSQL', () => undefined);
  });
}

export interface TestDatabase {
  /** postgres://… of the new database */
  url: string;
  name: string;
  /** drops the database, closing any connection still open to it */
  drop(): Promise<void>;
}

/** A new, empty database on the test server, named after `label` plus a random suffix. */
export async function createTestDatabase(label: string): Promise<TestDatabase> {
  const serverUrl = testDatabaseUrl();
  if (!serverUrl) throw new Error(postgresSkipReason());
  const slug = label.toLowerCase().replace(/[^a-z0-9]+/g, '_').slice(0, 40);
  const name = `t_${slug}_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
  await withClient(serverUrl, (c) => c.query(`CREATE DATABASE "${name}"`));
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    drop: () => withClient(serverUrl, (c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)).then(() => undefined),
  };
}

async function withClient<T>(url: string, use: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end();
  }
}
