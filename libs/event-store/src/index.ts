import { EsdbEventStore } from './esdb.event-store';
import { EventStore } from './event-store.port';
import { PostgresEventStore } from './postgres.event-store';
import { SqliteEventStore } from './sqlite.event-store';

export * from './event-store.port';
export { EsdbEventStore } from './esdb.event-store';
export { PostgresEventStore } from './postgres.event-store';
export type { PostgresEventStoreOptions } from './postgres.event-store';
export { SqliteEventStore } from './sqlite.event-store';
export type { SqliteEventStoreOptions } from './sqlite.event-store';

export interface EventStoreOptions {
  /**
   * set in deployed mode: `postgres://…` or `postgresql://…` uses PostgreSQL, `esdb://…` or
   * `esdb+discover://…` EventStoreDB; unset: the embedded SQLite file
   */
  eventStoreConnectionString?: string;
  sqlitePath: string;
  synchronous?: 'NORMAL' | 'FULL';
}

export type EventStoreKind = 'sqlite' | 'postgres' | 'esdb';

/** Which adapter a connection string selects (by its scheme; an unknown one is refused at start). */
export function eventStoreKind(connectionString: string | undefined): EventStoreKind {
  const value = connectionString?.trim();
  if (!value) return 'sqlite';
  if (/^postgres(ql)?:\/\//i.test(value)) return 'postgres';
  if (/^esdb(\+discover)?:\/\//i.test(value)) return 'esdb';
  throw new Error(
    'EVENTSTORE_CONNECTION_STRING must start with postgres:// or postgresql:// (PostgreSQL) or esdb:// or esdb+discover:// (EventStoreDB)',
  );
}

export function createEventStore(options: EventStoreOptions): EventStore {
  const connectionString = options.eventStoreConnectionString?.trim();
  switch (eventStoreKind(connectionString)) {
    case 'postgres':
      return new PostgresEventStore({ connectionString: connectionString ?? '' });
    case 'esdb':
      return new EsdbEventStore({ connectionString: connectionString ?? '' });
    default:
      return new SqliteEventStore({ path: options.sqlitePath, synchronous: options.synchronous });
  }
}
