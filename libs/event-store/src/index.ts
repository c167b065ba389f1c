import { EsdbEventStore } from './esdb.event-store';
import { EventStore } from './event-store.port';
import { SqliteEventStore } from './sqlite.event-store';

export * from './event-store.port';
export { EsdbEventStore } from './esdb.event-store';
export { SqliteEventStore } from './sqlite.event-store';
export type { SqliteEventStoreOptions } from './sqlite.event-store';

export interface EventStoreOptions {
  /** set in deployed mode: use EventStoreDB; otherwise the embedded SQLite file */
  eventStoreConnectionString?: string;
  sqlitePath: string;
  synchronous?: 'NORMAL' | 'FULL';
}

export function createEventStore(options: EventStoreOptions): EventStore {
  if (options.eventStoreConnectionString) {
    return new EsdbEventStore({ connectionString: options.eventStoreConnectionString });
  }
  return new SqliteEventStore({ path: options.sqlitePath, synchronous: options.synchronous });
}
