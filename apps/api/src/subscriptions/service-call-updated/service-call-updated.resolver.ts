import { NotFoundError, ServiceCall, ValidationError } from '@app/domain';
import { ServiceCallSummariesStore } from '@app/read-models';
import { isCallId } from '@app/service-calls';
import { UseFilters } from '@nestjs/common';
import { Args, ID, Resolver, Subscription } from '@nestjs/graphql';
import { READ_ROLES, Roles } from '../../auth/roles.decorator';
import { ServiceCallModel } from '../../service-calls/models/service-call.model';
import { SubscriptionErrors } from '../subscription-errors.filter';
import { SubscriberQueue } from '../fan-out';
import { ServiceCallChanges } from './service-call-changes';

@Resolver()
@UseFilters(SubscriptionErrors)
export class ServiceCallUpdatedResolver {
  constructor(
    private readonly changes: ServiceCallChanges,
    private readonly summaries: ServiceCallSummariesStore,
  ) {}

  @Subscription(() => ServiceCallModel, {
    description:
      'The call as it is now, then again after every change (phases, steps, notes, status) once a query would show it; ' +
      'versions strictly increase. A client that reads too slowly skips to the newest state (versions jump; `history` has every change). ' +
      'BAD_USER_INPUT for a malformed id, NOT_FOUND for an unknown call.',
    resolve: (call: ServiceCall) => call,
  })
  @Roles(...READ_ROLES)
  async serviceCallUpdated(@Args('id', { type: () => ID }) id: string): Promise<AsyncIterableIterator<ServiceCall>> {
    if (!isCallId(id)) throw new ValidationError('id', `"${id}" is not a service call id`);
    // Listen first, then read: every version after the one read is published after we listened. The
    // read may race the projector (a version committed while we read is published too, maybe before
    // the read answers), so the queue's versions up to the one read are skipped: no gap, no repeat.
    const queue = this.changes.subscribe(id);
    const current = await this.summaries.byId(id).catch((error: unknown) => {
      queue.close();
      throw error;
    });
    if (!current) {
      queue.close();
      throw new NotFoundError(`service call ${id} not found`, 'id');
    }
    return fromVersion(current, queue);
  }
}

/** `current`, then the queue's later versions only, in order; ending it ends the queue. */
function fromVersion(current: ServiceCall, queue: SubscriberQueue<ServiceCall>): AsyncIterableIterator<ServiceCall> {
  let first: ServiceCall | undefined = current;
  let last = current.version;
  const iterator: AsyncIterableIterator<ServiceCall> = {
    async next(): Promise<IteratorResult<ServiceCall>> {
      if (first) {
        const value = first;
        first = undefined;
        return { value, done: false };
      }
      for (;;) {
        const result = await queue.next();
        if (result.done) return result;
        if (result.value.version > last) {
          last = result.value.version;
          return result;
        }
      }
    },
    return: () => queue.return(),
    [Symbol.asyncIterator]: () => iterator,
  };
  return iterator;
}
