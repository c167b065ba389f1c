import { ConflictError } from '@app/domain';
import { AppendResult, EventData, EventHandler, EventStore, ExpectedVersion, RecordedEvent, SubscribeOptions, Subscription } from '@app/event-store';
import { sqliteTestDir } from '../../../event-store/src/testing/sqlite-test-dir';
import { AggregateDefinition, executeOnStream } from './stream-command';

/** A real SQLite store whose global positions have gaps, as EventStoreDB's (byte offsets) and PostgreSQL's can. */
class SparsePositions extends EventStore {
  constructor(private readonly inner: EventStore) {
    super();
  }
  private spread = (e: RecordedEvent): RecordedEvent => ({ ...e, position: e.position * 10 });
  async appendToStream(streamId: string, events: EventData[], expectedVersion: ExpectedVersion): Promise<AppendResult> {
    const result = await this.inner.appendToStream(streamId, events, expectedVersion);
    return { ...result, position: result.position * 10 };
  }
  async readStream(streamId: string, fromVersion?: number): Promise<RecordedEvent[]> {
    return (await this.inner.readStream(streamId, fromVersion)).map(this.spread);
  }
  async readLastEvent(streamId: string): Promise<RecordedEvent | undefined> {
    const last = await this.inner.readLastEvent(streamId);
    return last && this.spread(last);
  }
  async readAll(fromPosition: number, limit: number): Promise<RecordedEvent[]> {
    return (await this.inner.readAll(Math.floor(fromPosition / 10), limit)).map(this.spread);
  }
  subscribeToAll(handler: EventHandler, options?: SubscribeOptions): Subscription {
    return this.inner.subscribeToAll((e) => handler(this.spread(e)), { ...options, fromPosition: Math.floor((options?.fromPosition ?? 0) / 10) });
  }
  async lastPosition(): Promise<number> {
    return (await this.inner.lastPosition()) * 10;
  }
  identity(): Promise<string> {
    return this.inner.identity();
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

type Tally = { count: number };
type Ticked = { type: 'Ticked'; data: { n: number } };
const TALLY: AggregateDefinition<Tally, Tally, { ticks: number }, Ticked> = {
  noun: 'tally',
  fold: (events) => ({ count: events.length }),
  decide: (command, state) => Array.from({ length: command.ticks }, (_, i) => ({ type: 'Ticked' as const, data: { n: state.count + i + 1 } })),
  evolve: (state) => ({ count: state.count + 1 }),
  exists: (state): state is Tally => state.count >= 0,
  lostRace: (actual) => new ConflictError('lost', actual),
};

describe('executeOnStream: the events a command returns', () => {
  const sqlite = sqliteTestDir('stream-command-');

  it('carry no made-up positions: the last has the one the store reported (read-your-writes waits for it), the others none', async () => {
    const store = new SparsePositions(sqlite.openEventStore());
    await executeOnStream(store, TALLY, 'tally-other', { ticks: 2 }, { actor: 'system' });
    const result = await executeOnStream(store, TALLY, 'tally-1', { ticks: 3 }, { actor: 'system', idempotencyKey: 'k' });
    const stored = await store.readStream('tally-1');

    expect(result.position).toBe(await store.lastPosition());
    expect(result.events.map((e) => e.streamVersion)).toEqual([1, 2, 3]);
    expect(result.events.map((e) => e.position)).toEqual([undefined, undefined, stored[2].position]);
    for (const [i, event] of result.events.entries()) {
      if (event.position !== undefined) expect(event.position).toBe(stored[i].position);
      if (event.recordedAt !== undefined) expect(event.recordedAt).toBe(stored[i].recordedAt);
    }

    // the same key again: the events as the stream has them, every position real
    const again = await executeOnStream(store, TALLY, 'tally-1', { ticks: 3 }, { actor: 'system', idempotencyKey: 'k' });
    expect(again.events).toEqual(stored);
    expect(again.position).toBe(result.position);
  });
});
