import {
  callExists,
  ConflictError,
  decide,
  evolve,
  foldServiceCall,
  ServiceCall,
  ServiceCallCommand,
  ServiceCallEvent,
  ServiceCallState,
  serviceCallStreamId,
} from '@app/domain';
import { EventStore } from '@app/event-store';
import { AggregateDefinition, CommandEvent, executeOnStream, StreamCommandOptions } from '../shared/stream-command';
import { Injectable } from '@nestjs/common';

/** `actor`, `idempotencyKey` (same key again from the same actor on the same call: the first result), `expectedVersion`, `now`. */
export type CommandOptions = StreamCommandOptions;

export interface CommandResult {
  call: ServiceCall;
  /** the events this command produced (or produced the first time, for a repeated idempotency key); see CommandEvent for their positions */
  events: CommandEvent[];
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

/**
 * The one generic command handler of the service-call aggregate: read the stream, fold, decide,
 * append with the expected version. Retries on a concurrent append unless the caller pinned a version.
 */
@Injectable()
export class ServiceCallCommandProcessor {
  constructor(private readonly store: EventStore) {}

  async execute(callId: string, command: ServiceCallCommand, options: CommandOptions): Promise<CommandResult> {
    const { state, events, position } = await executeOnStream(this.store, SERVICE_CALL, serviceCallStreamId(callId), command, options);
    return { call: state, events, position };
  }
}

const SERVICE_CALL: AggregateDefinition<ServiceCallState, ServiceCall, ServiceCallCommand, ServiceCallEvent> = {
  noun: 'call',
  fold: foldServiceCall,
  decide,
  evolve,
  exists: callExists,
  lostRace: (actual) => new ConcurrentChangeError(actual),
};
