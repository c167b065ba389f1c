import { AppendResult, EventData, EventHandler, EventStore, ExpectedVersion, RecordedEvent, SubscribeOptions, Subscription } from '../event-store.port';

/**
 * How the next matching append fails, as a networked store (EventStoreDB, PostgreSQL) can fail:
 * - `after-commit`: written, then the answer is lost (deadline exceeded, connection reset);
 * - `before-commit`: not written;
 * - `after-commit-unreadable`: written, answer lost, and the next read of that stream fails too.
 */
export type AppendFailure = 'after-commit' | 'before-commit' | 'after-commit-unreadable';

/**
 * An event store (a real one underneath) whose appends fail on demand with an error that is not a
 * version conflict: the port calls such errors ambiguous, and this is what they look like to a caller.
 */
export class FailingAppends extends EventStore {
  private armed?: { failure: AppendFailure; matches: (streamId: string, events: EventData[]) => boolean };
  private unreadable?: string;
  /** how many appends failed so far */
  failures = 0;

  constructor(private readonly inner: EventStore) {
    super();
  }

  /** The next append that `matches` fails as `failure` (once). */
  failNext(failure: AppendFailure, matches: (streamId: string, events: EventData[]) => boolean): void {
    this.armed = { failure, matches };
  }

  async appendToStream(streamId: string, events: EventData[], expectedVersion: ExpectedVersion): Promise<AppendResult> {
    const armed = this.armed;
    if (!armed || !armed.matches(streamId, events)) return this.inner.appendToStream(streamId, events, expectedVersion);
    this.armed = undefined;
    this.failures++;
    if (armed.failure !== 'before-commit') await this.inner.appendToStream(streamId, events, expectedVersion);
    if (armed.failure === 'after-commit-unreadable') this.unreadable = streamId;
    throw new Error(`4 DEADLINE_EXCEEDED: append to ${streamId} (${armed.failure})`);
  }

  readStream(streamId: string, fromVersion?: number): Promise<RecordedEvent[]> {
    if (this.unreadable === streamId) {
      this.unreadable = undefined;
      return Promise.reject(new Error(`14 UNAVAILABLE: read of ${streamId}`));
    }
    return this.inner.readStream(streamId, fromVersion);
  }

  readLastEvent(streamId: string): Promise<RecordedEvent | undefined> {
    return this.inner.readLastEvent(streamId);
  }

  readAll(fromPosition: number, limit: number): Promise<RecordedEvent[]> {
    return this.inner.readAll(fromPosition, limit);
  }

  subscribeToAll(handler: EventHandler, options?: SubscribeOptions): Subscription {
    return this.inner.subscribeToAll(handler, options);
  }

  lastPosition(): Promise<number> {
    return this.inner.lastPosition();
  }

  identity(): Promise<string> {
    return this.inner.identity();
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
