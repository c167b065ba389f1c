import { callExists, foldServiceCall, NotFoundError, ServiceCall, serviceCallStreamId } from '@app/domain';
import { EventStore, RecordedEvent } from '@app/event-store';
import { Injectable } from '@nestjs/common';

/**
 * A call as its stream has it now (not the read models, which may lag): the one place that reads and
 * folds a call's stream outside the write path (`ServiceCallCommandProcessor`).
 */
@Injectable()
export class ServiceCallRepository {
  constructor(private readonly store: EventStore) {}

  /** The call, undefined when there is none. */
  async load(callId: string): Promise<ServiceCall | undefined> {
    return (await this.loadWithEvents(callId))?.call;
  }

  /** The call and the events it was folded from (for what only the events say: who did what, with which key). */
  async loadWithEvents(callId: string): Promise<{ call: ServiceCall; events: RecordedEvent[] } | undefined> {
    const events = await this.store.readStream(serviceCallStreamId(callId));
    const call = foldServiceCall(events);
    return callExists(call) ? { call, events } : undefined;
  }

  /** Like loadWithEvents, but NOT_FOUND for an unknown call (`field` names what the caller sent). */
  async getWithEvents(callId: string, field = 'callId'): Promise<{ call: ServiceCall; events: RecordedEvent[] }> {
    const found = await this.loadWithEvents(callId);
    if (!found) throw new NotFoundError('service call not found', field);
    return found;
  }
}
