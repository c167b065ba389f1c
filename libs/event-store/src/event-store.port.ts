/**
 * The event store port: the only way the product reads or writes events.
 * Adapters: SQLite (embedded default), EventStoreDB and PostgreSQL (deployed; chosen by
 * EVENTSTORE_CONNECTION_STRING, see index.ts). All pass event-store.contract.ts.
 *
 * Versions count events: a stream with n events has version n; its events carry streamVersion 1..n.
 * A ServiceCall's GraphQL `version` is exactly this number.
 */

/** Metadata stored with every event. `at` is the business time of the change (the command's `now`). */
export interface EventMetadata {
  at: string;
  /** the command's idempotency key; a command whose key is already in the stream appends nothing */
  idempotencyKey?: string;
  /** who caused it: `apikey:<name>`, `workflow`, `system` */
  actor?: string;
  correlationId?: string;
  causationId?: string;
  [key: string]: unknown;
}

export interface EventData {
  type: string;
  data: Record<string, unknown>;
  metadata: EventMetadata;
}

export interface RecordedEvent extends EventData {
  streamId: string;
  /** 1-based position of the event in its stream (= the stream's version once it is appended) */
  streamVersion: number;
  /**
   * position in the global log; strictly increasing in log order. Not necessarily consecutive, not
   * even inside one append (EventStoreDB, PostgreSQL): only the last one is reported by an append.
   */
  position: number;
  /** when the store recorded it (ISO 8601) */
  recordedAt: string;
}

/** What the appender believes the stream's version is. */
export type ExpectedVersion =
  | typeof NO_STREAM
  | typeof ANY_VERSION
  | number; // exact version (number of events already in the stream); 0 is the same as NO_STREAM

export const NO_STREAM = 'no_stream' as const;
export const ANY_VERSION = 'any' as const;

/** Whether a stream at version `current` is what the appender expected. */
export function versionMatches(expected: ExpectedVersion, current: number): boolean {
  if (expected === ANY_VERSION) return true;
  if (typeof expected === 'number') return expected === current;
  return current === 0; // NO_STREAM
}

/** An exact expected version is a non-negative integer; anything else is a programming error. */
export function assertValidExpectedVersion(expected: ExpectedVersion): void {
  if (typeof expected === 'number' && !(Number.isInteger(expected) && expected >= 0)) {
    throw new RangeError(`expected version must be a non-negative integer, got ${expected}`);
  }
}

export interface AppendResult {
  /** the stream's version after the append */
  nextVersion: number;
  /** global position of the last appended event (a projection that reached it has seen this append) */
  position: number;
}

/** Thrown by appendToStream when the expected version does not match. */
export class WrongExpectedVersionError extends Error {
  constructor(
    readonly streamId: string,
    readonly expected: ExpectedVersion,
    readonly actual: number,
  ) {
    super(`stream ${streamId}: expected version ${String(expected)}, actual ${actual}`);
    this.name = 'WrongExpectedVersionError';
  }
}

export type EventHandler = (event: RecordedEvent) => Promise<void> | void;

export interface Subscription {
  /** stops delivery; resolves when the handler is no longer running */
  stop(): Promise<void>;
}

export interface SubscribeOptions {
  /** deliver events with position > fromPosition; 0 (or omitted) = from the start */
  fromPosition?: number;
  /** called when the subscription fails for good (after the handler threw, delivery stops) */
  onError?: (error: unknown) => void;
}

export abstract class EventStore {
  /**
   * Appends atomically; all events or none. Empty `events` appends nothing and reports the current version
   * (the expected version is still checked; `position` is then that of the stream's last event, 0 if none).
   *
   * A WrongExpectedVersionError means nothing was written. Any other error is ambiguous: over a network
   * (EventStoreDB, PostgreSQL) the append may have been committed before the answer was lost. A caller
   * that would undo something because an append failed must first read the stream again (the
   * idempotency key in the metadata tells whether the append landed).
   */
  abstract appendToStream(streamId: string, events: EventData[], expectedVersion: ExpectedVersion): Promise<AppendResult>;
  /** All events of a stream, oldest first, from streamVersion > fromVersion. Unknown stream: []. */
  abstract readStream(streamId: string, fromVersion?: number): Promise<RecordedEvent[]>;
  /** The stream's newest event (its streamVersion is the stream's version); undefined for an unknown stream. */
  abstract readLastEvent(streamId: string): Promise<RecordedEvent | undefined>;
  /** Events of the global log with position > fromPosition, oldest first, at most `limit`. */
  abstract readAll(fromPosition: number, limit: number): Promise<RecordedEvent[]>;
  /** Catch up from fromPosition, then stay live. Handler calls are sequential and in log order. */
  abstract subscribeToAll(handler: EventHandler, options?: SubscribeOptions): Subscription;
  /** Position of the last event in the global log (0 when empty). */
  abstract lastPosition(): Promise<number>;
  /**
   * Which event store this is: an id the store wrote once, when it was created (or, for a store of a
   * release before identities, when this release first opened it). Whoever keeps positions elsewhere
   * (the read models' and the dispatcher's checkpoints) keeps this id beside them and, at start,
   * refuses when it differs or when a checkpoint lies past lastPosition(): the store was replaced or
   * restored from a backup, and the positions mean something else now.
   */
  abstract identity(): Promise<string>;
  abstract close(): Promise<void>;
}
