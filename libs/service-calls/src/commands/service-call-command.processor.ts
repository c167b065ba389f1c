import {
  callExists,
  ConflictError,
  decide,
  evolve,
  foldServiceCall,
  ServiceCall,
  ServiceCallCommand,
  ServiceCallEvent,
  serviceCallStreamId,
} from '@app/domain';
import { EventStore, RecordedEvent, WrongExpectedVersionError } from '@app/event-store';
import { Injectable } from '@nestjs/common';

export interface CommandOptions {
  /** `apikey:<name>` or `workflow` */
  actor: string;
  /** same key again (from the same actor, on the same call) appends nothing and returns the same result */
  idempotencyKey?: string;
  /** refuse with CONFLICT unless the call is at this version */
  expectedVersion?: number;
  now?: Date;
}

export interface CommandResult {
  call: ServiceCall;
  /** the events this command produced (or produced the first time, for a repeated idempotency key) */
  events: RecordedEvent[];
  /** global position the read models must reach to show this result */
  position: number;
}

/**
 * The call kept changing under this command (other writers won every append race). Unlike other
 * conflicts, this is not a refusal of the command: trying again later can succeed.
 */
export class ConcurrentChangeError extends ConflictError {
  constructor(currentVersion: number) {
    super('the call was changed concurrently; read it again and retry', currentVersion);
    this.name = 'ConcurrentChangeError';
  }
}

/** Attempts when another writer appended to the same stream between our read and our append. */
const MAX_ATTEMPTS = 5;

/**
 * The one generic command handler of the service-call aggregate: read the stream, fold, decide,
 * append with the expected version. Retries on a concurrent append unless the caller pinned a version.
 */
@Injectable()
export class ServiceCallCommandProcessor {
  constructor(private readonly store: EventStore) {}

  async execute(callId: string, command: ServiceCallCommand, options: CommandOptions): Promise<CommandResult> {
    const streamId = serviceCallStreamId(callId);
    const scopedKey = options.idempotencyKey ? `${options.actor}:${options.idempotencyKey}` : undefined;
    for (let attempt = 1; ; attempt++) {
      const recorded = await this.store.readStream(streamId);
      const state = foldServiceCall(recorded);
      const last = recorded.length ? recorded[recorded.length - 1].position : 0;
      if (scopedKey) {
        const earlier = recorded.filter((e) => e.metadata.idempotencyKey === scopedKey);
        if (earlier.length > 0 && callExists(state)) return { call: state, events: earlier, position: last };
      }
      if (options.expectedVersion !== undefined && options.expectedVersion !== state.version) {
        throw new ConflictError(`expected version ${options.expectedVersion}, but the call is at version ${state.version}`, state.version, 'expectedVersion');
      }
      const now = options.now ?? new Date();
      const events = decide(command, state, { now, actor: options.actor });
      if (events.length === 0) {
        if (!callExists(state)) throw new Error('a command on a missing call must be refused by the decider');
        return { call: state, events: [], position: last };
      }
      const metadata = { at: now.toISOString(), actor: options.actor, ...(scopedKey ? { idempotencyKey: scopedKey } : {}) };
      try {
        const appended = await this.store.appendToStream(
          streamId,
          events.map((e) => ({ type: e.type, data: e.data as Record<string, unknown>, metadata })),
          state.version,
        );
        const call = events.reduce(evolve, state);
        if (!callExists(call)) throw new Error('an appended call must exist');
        const firstPosition = appended.position - events.length + 1;
        return {
          call,
          position: appended.position,
          events: events.map((e, i) => toRecorded(streamId, e, state.version + i + 1, firstPosition + i, metadata)),
        };
      } catch (error) {
        if (!(error instanceof WrongExpectedVersionError)) throw error;
        if (options.expectedVersion !== undefined || attempt >= MAX_ATTEMPTS) {
          throw new ConcurrentChangeError(error.actual);
        }
      }
    }
  }
}

// Positions of a multi-event append are consecutive in the SQLite store; in EventStoreDB they are not,
// but only the last one (the one read-your-writes waits for) is used for anything but display.
function toRecorded(streamId: string, e: ServiceCallEvent, streamVersion: number, position: number, metadata: RecordedEvent['metadata']): RecordedEvent {
  return { streamId, type: e.type, data: e.data as Record<string, unknown>, metadata, streamVersion, position, recordedAt: metadata.at };
}
