import { eventStoreKind } from './index';

describe('choosing the event store from EVENTSTORE_CONNECTION_STRING', () => {
  it('unset: the embedded SQLite file', () => {
    expect(eventStoreKind(undefined)).toBe('sqlite');
    expect(eventStoreKind('')).toBe('sqlite');
    expect(eventStoreKind('  ')).toBe('sqlite');
  });

  it('postgres:// and postgresql://: PostgreSQL', () => {
    expect(eventStoreKind('postgres://app:secret@db:5432/events')).toBe('postgres');
    expect(eventStoreKind('postgresql://db/events?sslmode=require')).toBe('postgres');
    expect(eventStoreKind('PostgreSQL://db/events')).toBe('postgres');
  });

  it('esdb:// and esdb+discover://: EventStoreDB', () => {
    expect(eventStoreKind('esdb://localhost:2113?tls=false')).toBe('esdb');
    expect(eventStoreKind('esdb+discover://cluster.example:2113')).toBe('esdb');
  });

  it('refuses anything else, naming what it accepts', () => {
    expect(() => eventStoreKind('postgress://db/events')).toThrow(/must start with postgres:\/\/ or postgresql:\/\/ .* or esdb:\/\//);
    expect(() => eventStoreKind('localhost:2113')).toThrow(/EVENTSTORE_CONNECTION_STRING/);
  });
});
