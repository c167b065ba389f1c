import { UseFilters } from '@nestjs/common';
import { Args, Resolver, Subscription } from '@nestjs/graphql';
import { Roles } from '../../auth/roles.decorator';
import { parseCursor } from '../projected-alerts';
import { SubscriptionErrors } from '../subscription-errors.filter';
import { ProcessAlert } from './process-alert.model';
import { ProcessAlerts } from './process-alerts';

@Resolver()
@UseFilters(SubscriptionErrors)
export class ProcessAlertsResolver {
  constructor(private readonly alerts: ProcessAlerts) {}

  @Subscription(() => ProcessAlert, {
    description:
      'MANAGER. One alert for every step that becomes FAILED from now on: failed by a person (failStep) or ' +
      'by the system when an automated step ran out of retries (automated: true). A manager who reads too slowly loses the oldest alerts first. ' +
      'With after (the cursor of the last alert received, on any replica), first every alert raised since: a reconnect loses none.',
    resolve: (alert: ProcessAlert) => alert,
  })
  @Roles('MANAGER')
  processAlerts(
    @Args('after', { type: () => String, nullable: true, description: 'the cursor of the last alert received: every alert since comes first' }) after?: string | null,
  ): AsyncIterableIterator<ProcessAlert> {
    return this.alerts.subscribe(after == null ? undefined : parseCursor(after));
  }
}
