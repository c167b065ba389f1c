import { ConflictError } from '@app/domain';
import { EventStore, RecordedEvent, WrongExpectedVersionError } from '@app/event-store';
import { streamIfLanded } from './append-outcome';

/** Who runs a command on an aggregate's stream, and how. */
export interface StreamCommandOptions {
  /** `apikey:<name>`, `workflow`, `routing` or `system` */
  actor: string;
  /** the same key again (same actor, same stream) appends nothing and returns the first result */
  idempotencyKey?: string;
  /** refuse with CONFLICT unless the aggregate is at this version */
  expectedVersion?: number;
  now?: Date;
  /** the agent an AGENT key stands for: the decider lets them work only what is theirs */
  agentId?: string;
}

/**
 * Appends tried when other writers keep winning the race for a stream (each lost race means one of
 * them made progress). One cap for every aggregate.
 */
const MAX_APPEND_ATTEMPTS = 10;

/** The key a command's idempotency key is stored under: keys are per actor, so two callers never share one. */
function scopedIdempotencyKey(options: Pick<StreamCommandOptions, 'actor' | 'idempotencyKey'>): string | undefined {
  return options.idempotencyKey ? `${options.actor}:${options.idempotencyKey}` : undefined;
}

/** Whether this command (same actor, same idempotency key) already ran on the stream these events are from. */
export function alreadyRecorded(recorded: readonly RecordedEvent[], options: Pick<StreamCommandOptions, 'actor' | 'idempotencyKey'>): boolean {
  const scopedKey = scopedIdempotencyKey(options);
  return scopedKey !== undefined && recorded.some((e) => e.metadata.idempotencyKey === scopedKey);
}

/** An event-sourced aggregate as the write side sees it: its stream, its pure fold and decider. */
export interface AggregateDefinition<State, Existing extends State, Command, Event extends { type: string; data: unknown }> {
  /** what it is called in messages: "call", "agent" */
  noun: string;
  fold(events: readonly RecordedEvent[]): State;
  decide(command: Command, state: State, ctx: { now: Date; actor: string; agentId?: string }): Event[];
  evolve(state: State, event: Event): State;
  exists(state: State): state is Existing;
  /** the error when the append race is lost for good (`pinned`: the caller gave expectedVersion) */
  lostRace(actualVersion: number, pinned: boolean): Error;
}

/**
 * An event as the command that appended it knows it. The store reports the global position of an
 * append's last event only (the others' need not be consecutive), and not when it recorded them: the
 * last event has its position, the others none, none has recordedAt. Events of a repeated idempotency
 * key were read from the stream and have both.
 */
export type CommandEvent = Omit<RecordedEvent, 'position' | 'recordedAt'> & { position?: number; recordedAt?: string };

export interface StreamCommandResult<Existing> {
  state: Existing;
  /** the events this command appended (or appended the first time, for a repeated idempotency key) */
  events: CommandEvent[];
  /** global position the read models must reach to show this result */
  position: number;
}

/**
 * The one way a command changes an aggregate: read the stream, fold, decide, append with the expected
 * version. A lost race is decided again on the fresh state unless the caller pinned a version. A
 * repeated idempotency key returns the events of its first run.
 */
export async function executeOnStream<State, Existing extends State, Command, Event extends { type: string; data: unknown }>(
  store: EventStore,
  aggregate: AggregateDefinition<State, Existing, Command, Event>,
  streamId: string,
  command: Command,
  options: StreamCommandOptions,
): Promise<StreamCommandResult<Existing>> {
  const scopedKey = scopedIdempotencyKey(options);
  for (let attempt = 1; ; attempt++) {
    const recorded = await store.readStream(streamId);
    const state = aggregate.fold(recorded);
    const last = recorded.length ? recorded[recorded.length - 1].position : 0;
    if (scopedKey && aggregate.exists(state)) {
      const earlier = recorded.filter((e) => e.metadata.idempotencyKey === scopedKey);
      if (earlier.length > 0) return { state, events: earlier, position: last };
    }
    const version = recorded.length;
    if (options.expectedVersion !== undefined && options.expectedVersion !== version) {
      throw new ConflictError(`expected version ${options.expectedVersion}, but the ${aggregate.noun} is at version ${version}`, version, 'expectedVersion');
    }
    const now = options.now ?? new Date();
    const events = aggregate.decide(command, state, { now, actor: options.actor, ...(options.agentId !== undefined ? { agentId: options.agentId } : {}) });
    if (events.length === 0) {
      if (!aggregate.exists(state)) throw new Error(`a command on a missing ${aggregate.noun} must be refused by the decider`);
      return { state, events: [], position: last };
    }
    const metadata = { at: now.toISOString(), actor: options.actor, ...(scopedKey ? { idempotencyKey: scopedKey } : {}) };
    try {
      const appended = await store.appendToStream(
        streamId,
        events.map((e) => ({ type: e.type, data: e.data as Record<string, unknown>, metadata })),
        version,
      );
      const after = events.reduce((s, e) => aggregate.evolve(s, e), state);
      if (!aggregate.exists(after)) throw new Error(`an appended ${aggregate.noun} must exist`);
      // only the last event's position is known (the one read-your-writes waits for): no other is made up
      return {
        state: after,
        position: appended.position,
        events: events.map((e, i) => ({
          streamId,
          type: e.type,
          data: e.data as Record<string, unknown>,
          metadata,
          streamVersion: version + i + 1,
          ...(i === events.length - 1 ? { position: appended.position } : {}),
        })),
      };
    } catch (error) {
      if (!(error instanceof WrongExpectedVersionError)) {
        // ambiguous: it may have been written. With a key, the stream tells (its first run's result, as
        // for a repeated key); without one, nothing can tell and the error stands.
        const landed = scopedKey ? await streamIfLanded(store, streamId, scopedKey, error) : undefined;
        if (!landed) throw error;
        const state = aggregate.fold(landed);
        if (!aggregate.exists(state)) throw new Error(`an appended ${aggregate.noun} must exist`);
        return { state, events: landed.filter((e) => e.metadata.idempotencyKey === scopedKey), position: landed[landed.length - 1].position };
      }
      const pinned = options.expectedVersion !== undefined;
      if (pinned || attempt >= MAX_APPEND_ATTEMPTS) throw aggregate.lostRace(error.actual, pinned);
    }
  }
}
