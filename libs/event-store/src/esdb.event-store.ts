import { randomUUID } from 'node:crypto';
import {
  ANY,
  AllStreamResolvedEvent,
  AppendExpectedRevision,
  BACKWARDS,
  END,
  EventStoreDBClient,
  excludeSystemEvents,
  jsonEvent,
  NO_STREAM as ESDB_NO_STREAM,
  Position,
  ResolvedEvent,
  START,
  StreamNotFoundError,
  WrongExpectedVersionError as EsdbWrongExpectedVersionError,
} from '@eventstore/db-client';
import {
  ANY_VERSION,
  AppendResult,
  EventData,
  EventHandler,
  EventMetadata,
  EventStore,
  ExpectedVersion,
  RecordedEvent,
  SubscribeOptions,
  Subscription,
  WrongExpectedVersionError,
} from './event-store.port';

type EsdbRecorded = NonNullable<ResolvedEvent['event']>;

/** The stream that holds which event store this is (identity()). */
export const IDENTITY_STREAM = 'event-store-identity';

/**
 * The deployed event store: EventStoreDB over gRPC.
 * Versions: ESDB revisions are 0-based event numbers, ours count events, so version = revision + 1.
 * Positions: the commit position of the event in $all. Since ESDB 20 every event of an append is its own
 * commit record, so commit positions are unique per event and increase in log order.
 */
export class EsdbEventStore extends EventStore {
  private readonly client: EventStoreDBClient;
  private readonly subscriptions = new Set<Subscription>();

  /** `client`: one made already (tests hand in a fake that behaves as the client does). */
  constructor(options: { connectionString: string; client?: EventStoreDBClient }) {
    super();
    this.client = options.client ?? EventStoreDBClient.connectionString(options.connectionString);
  }

  override async appendToStream(
    streamId: string,
    events: EventData[],
    expectedVersion: ExpectedVersion,
  ): Promise<AppendResult> {
    if (events.length === 0) return this.checkWithoutAppending(streamId, expectedVersion);
    try {
      const result = await this.client.appendToStream(
        streamId,
        events.map((e) => jsonEvent({ type: e.type, data: e.data, metadata: e.metadata })),
        { expectedRevision: toExpectedRevision(expectedVersion) },
      );
      return {
        nextVersion: Number(result.nextExpectedRevision) + 1,
        position: result.position ? Number(result.position.commit) : 0,
      };
    } catch (error) {
      if (error instanceof EsdbWrongExpectedVersionError) {
        const actual = error.actualVersion === ESDB_NO_STREAM ? 0 : Number(error.actualVersion) + 1;
        throw new WrongExpectedVersionError(streamId, expectedVersion, actual);
      }
      throw error;
    }
  }

  override async readStream(streamId: string, fromVersion = 0): Promise<RecordedEvent[]> {
    const events: RecordedEvent[] = [];
    const read = this.client.readStream(streamId, { fromRevision: fromVersion > 0 ? BigInt(fromVersion) : START });
    try {
      for await (const resolved of read) {
        if (resolved.event) events.push(toRecorded(resolved.event, streamPosition(resolved.event)));
      }
    } catch (error) {
      if (error instanceof StreamNotFoundError) return [];
      throw error;
    }
    return events;
  }

  override async readLastEvent(streamId: string): Promise<RecordedEvent | undefined> {
    const last = await this.lastOf(streamId);
    return last ? toRecorded(last, streamPosition(last)) : undefined;
  }

  override async readAll(fromPosition: number, limit: number): Promise<RecordedEvent[]> {
    const events: RecordedEvent[] = [];
    let from = fromPosition;
    // System events are filtered out here, so one page may not fill `limit`; read on until it does or $all ends.
    while (events.length < limit) {
      const pageSize = limit - events.length + 1; // + 1: reading from a position includes that position
      let seen = 0;
      for await (const resolved of this.client.readAll({ fromPosition: toPosition(from), maxCount: pageSize })) {
        seen += 1;
        const position = allPosition(resolved);
        if (position === undefined || position <= from) continue;
        from = position;
        const event = userEvent(resolved);
        if (event && events.length < limit) events.push(toRecorded(event, position));
      }
      if (seen < pageSize) break;
    }
    return events;
  }

  /**
   * The first event of the stream `event-store-identity`, appended by the first instance that found
   * none (expected: no stream; a concurrent first start reads the winner's). No reader of the product
   * takes it for a call's or an agent's event: its stream id names neither.
   */
  async identity(): Promise<string> {
    const recorded = async () => {
      try {
        for await (const resolved of cancelledWhenLeft(this.client.readStream(IDENTITY_STREAM, { fromRevision: START, maxCount: 1 }))) {
          if (resolved.event) return (resolved.event.data as { storeId: string }).storeId;
        }
      } catch (error) {
        if (!(error instanceof StreamNotFoundError)) throw error;
      }
      return undefined;
    };
    const existing = await recorded();
    if (existing) return existing;
    try {
      await this.client.appendToStream(IDENTITY_STREAM, jsonEvent({ type: 'EventStoreCreated', data: { storeId: randomUUID(), at: new Date().toISOString() } }), {
        expectedRevision: ESDB_NO_STREAM,
      });
    } catch (error) {
      if (!(error instanceof EsdbWrongExpectedVersionError)) throw error; // another instance wrote it first
    }
    const written = await recorded();
    if (!written) throw new Error(`${IDENTITY_STREAM} has no event after it was written`);
    return written;
  }

  /**
   * The newest user event's position: $all read backwards a page at a time (system events, such as
   * stats, may lie at its end). Each read is bounded and cancelled when left, because leaving a
   * for-await loop ends only the client's wrapper, not the gRPC call: every /health probe would leave
   * a read open on the connection.
   */
  override async lastPosition(): Promise<number> {
    let from: Position | typeof END = END;
    for (;;) {
      let seen = 0;
      let oldest: Position | undefined;
      for await (const resolved of cancelledWhenLeft(this.client.readAll({ direction: BACKWARDS, fromPosition: from, maxCount: LAST_POSITION_PAGE }))) {
        seen += 1;
        if (userEvent(resolved)) return allPosition(resolved) ?? 0;
        oldest = resolved.event?.position ?? oldest;
      }
      if (seen < LAST_POSITION_PAGE || !oldest) return 0; // the start of $all: no user event at all
      from = oldest;
    }
  }

  override subscribeToAll(handler: EventHandler, options: SubscribeOptions = {}): Subscription {
    const from = options.fromPosition ?? 0;
    const stream = this.client.subscribeToAll({ fromPosition: toPosition(from), filter: excludeSystemEvents() });
    let stopped = false;

    const run = async (): Promise<void> => {
      try {
        for await (const resolved of stream) {
          if (stopped) break;
          const position = allPosition(resolved);
          const event = userEvent(resolved);
          // ESDB starts after `fromPosition`; the check keeps the port's promise even if a server differs.
          if (!event || position === undefined || position <= from) continue;
          await handler(toRecorded(event, position));
        }
      } catch (error) {
        if (!stopped) (options.onError ?? reportUnhandled)(error);
      } finally {
        stopped = true;
        await stream.unsubscribe().catch(() => undefined);
      }
    };
    const done = run();

    const subscription: Subscription = {
      stop: async () => {
        stopped = true;
        await stream.unsubscribe().catch(() => undefined);
        await done;
        this.subscriptions.delete(subscription);
      },
    };
    this.subscriptions.add(subscription);
    return subscription;
  }

  override async close(): Promise<void> {
    await Promise.all([...this.subscriptions].map((sub) => sub.stop()));
    await this.client.dispose();
  }

  /** An empty append writes nothing, but still answers whether the caller's view of the stream is current. */
  private async checkWithoutAppending(streamId: string, expected: ExpectedVersion): Promise<AppendResult> {
    const last = await this.lastOf(streamId);
    const current = last ? Number(last.revision) + 1 : 0;
    const matches = expected === ANY_VERSION || (typeof expected === 'number' ? expected === current : current === 0);
    if (!matches) throw new WrongExpectedVersionError(streamId, expected, current);
    return { nextVersion: current, position: last ? streamPosition(last) : 0 };
  }

  private async lastOf(streamId: string): Promise<EsdbRecorded | undefined> {
    let last: EsdbRecorded | undefined;
    try {
      for await (const resolved of this.client.readStream(streamId, { direction: BACKWARDS, fromRevision: END, maxCount: 1 })) {
        last = resolved.event;
      }
    } catch (error) {
      if (!(error instanceof StreamNotFoundError)) throw error;
    }
    return last;
  }
}

/** Events $all is read backwards by at a time, looking for the newest user event. */
const LAST_POSITION_PAGE = 32;

/** A read that is cancelled on the server too when the loop over it ends early (or at all: then a no-op). */
async function* cancelledWhenLeft<T>(read: AsyncIterable<T> & { cancel(): Promise<void> }): AsyncGenerator<T> {
  try {
    yield* read;
  } finally {
    await read.cancel().catch(() => undefined);
  }
}

function toExpectedRevision(expected: ExpectedVersion): AppendExpectedRevision {
  if (expected === ANY_VERSION) return ANY;
  if (expected === 0 || typeof expected !== 'number') return ESDB_NO_STREAM;
  return BigInt(expected - 1);
}

/** Reading $all from a commit position: with one commit record per event, prepare = commit. */
function toPosition(position: number): Position | typeof START {
  return position > 0 ? { commit: BigInt(position), prepare: BigInt(position) } : START;
}

function allPosition(resolved: AllStreamResolvedEvent): number | undefined {
  const commit = resolved.event?.position.commit ?? resolved.commitPosition;
  return commit === undefined ? undefined : Number(commit);
}

/** Servers before 22.6 send no position on stream reads; ulong.MaxValue also means "unknown". */
function streamPosition(event: EsdbRecorded): number {
  const commit = event.position?.commit;
  return commit === undefined || commit >= 2n ** 63n ? 0 : Number(commit);
}

/** Our events: JSON, outside system streams, not system or link types. */
function userEvent(resolved: AllStreamResolvedEvent): AllStreamResolvedEvent['event'] {
  const event = resolved.event;
  if (!event || !event.isJson || event.type.startsWith('$') || event.streamId.startsWith('$')) return undefined;
  return event;
}

function toRecorded(event: EsdbRecorded, position: number): RecordedEvent {
  return {
    streamId: event.streamId,
    streamVersion: Number(event.revision) + 1,
    position,
    type: event.type,
    data: event.data as Record<string, unknown>,
    metadata: event.metadata as EventMetadata,
    recordedAt: event.created.toISOString(),
  };
}

function reportUnhandled(error: unknown): void {
  console.error('event store subscription stopped after an error', error);
}
