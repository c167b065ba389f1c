import { NotFoundError, ServiceCall, ValidationError } from '@app/domain';
import { ServiceCallSummariesStore } from '@app/read-models';
import { isCallId } from '@app/service-calls';
import { UseFilters } from '@nestjs/common';
import { Args, ID, Resolver, Subscription } from '@nestjs/graphql';
import { READ_ROLES, Roles } from '../../auth/roles.decorator';
import { ServiceCallModel } from '../../service-calls/models/service-call.model';
import { SubscriptionErrors } from '../subscription-errors.filter';
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
  serviceCallUpdated(@Args('id', { type: () => ID }) id: string): AsyncIterableIterator<ServiceCall> {
    if (!isCallId(id)) throw new ValidationError('id', `"${id}" is not a service call id`);
    // Subscribe and read in one synchronous step: the projector publishes a change right after it
    // commits it to the read model, so every version up to the one read here was published before
    // we listened and every later one is published after. No gap and no repeat after the current state.
    const queue = this.changes.subscribe(id);
    const current = this.summaries.byId(id);
    if (!current) {
      queue.close();
      throw new NotFoundError(`service call ${id} not found`, 'id');
    }
    queue.push(current);
    return queue;
  }
}
