import { BACKWARDS, END, EventStoreDBClient, Position } from '@eventstore/db-client';
import { EsdbEventStore } from './esdb.event-store';

/**
 * The adapter's reads against a fake of @eventstore/db-client 6 that behaves as its ReadStream does:
 * a read runs on the server until it has sent `maxCount` events (Number.MAX_SAFE_INTEGER when not
 * given) or is cancelled; a for-await loop left early ends only the wrapper. No EventStoreDB server
 * runs on the build machines; the contract suite runs against one wherever EVENTSTORE_CONNECTION_STRING is set.
 */
interface FakeEvent {
  event: { streamId: string; type: string; isJson: boolean; revision: bigint; position: Position; data: unknown; metadata: unknown; created: Date };
  commitPosition: bigint;
}

class FakeClient {
  /** reads the server still runs: not ended and not cancelled */
  readonly open = new Set<object>();
  readonly maxCounts: (number | undefined)[] = [];

  constructor(private readonly log: FakeEvent[]) {}

  readAll(options: { direction?: unknown; fromPosition?: Position | typeof END; maxCount?: number }) {
    this.maxCounts.push(options.maxCount);
    const backwards = options.direction === BACKWARDS;
    const from = options.fromPosition;
    // backwards from a position includes it (the harder case for a reader paging back)
    let events = backwards ? [...this.log].reverse() : this.log;
    if (from && from !== END && typeof from === 'object') events = events.filter((e) => (backwards ? e.commitPosition <= from.commit : e.commitPosition >= from.commit));
    events = events.slice(0, options.maxCount ?? Number.MAX_SAFE_INTEGER);
    const read = { cancelled: false, cancel: async () => void ((read.cancelled = true), this.open.delete(read)) };
    this.open.add(read);
    const open = this.open;
    return Object.assign(read, {
      async *[Symbol.asyncIterator]() {
        for (const e of events) {
          if (read.cancelled) return;
          yield e;
        }
        open.delete(read); // the server sent everything it was asked for
      },
    });
  }
}

const event = (n: number, streamId: string, type: string): FakeEvent => ({
  event: { streamId, type, isJson: !streamId.startsWith('$'), revision: BigInt(n), position: { commit: BigInt(n * 100), prepare: BigInt(n * 100) }, data: {}, metadata: {}, created: new Date(0) },
  commitPosition: BigInt(n * 100),
});

function storeOn(log: FakeEvent[]): { store: EsdbEventStore; client: FakeClient } {
  const client = new FakeClient(log);
  return { store: new EsdbEventStore({ connectionString: 'esdb://fake:2113', client: client as unknown as EventStoreDBClient }), client };
}

describe('EsdbEventStore against a fake client', () => {
  it('lastPosition reads $all in bounded pages, past system events at its end, and leaves no read open', async () => {
    const log = [
      ...Array.from({ length: 100 }, (_, i) => event(i + 1, `service-call-${i}`, 'ServiceCallOpened')),
      // stats and other system events written after the last user event
      ...Array.from({ length: 75 }, (_, i) => event(101 + i, '$stats-127.0.0.1:2113', '$statsCollected')),
    ];
    const { store, client } = storeOn(log);
    for (let probe = 0; probe < 20; probe++) expect(await store.lastPosition()).toBe(100 * 100);
    expect(client.open.size).toBe(0);
    expect(client.maxCounts.every((n) => n !== undefined && n <= 32)).toBe(true);
  });

  it('lastPosition is 0 for a store with system events only, and 0 for an empty one', async () => {
    for (const log of [[], Array.from({ length: 70 }, (_, i) => event(i + 1, '$settings', '$metadata'))]) {
      const { store, client } = storeOn(log);
      expect(await store.lastPosition()).toBe(0);
      expect(client.open.size).toBe(0);
    }
  });
});
