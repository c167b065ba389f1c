import { UseFilters } from '@nestjs/common';
import { Args, Resolver, Subscription } from '@nestjs/graphql';
import { Roles } from '../../auth/roles.decorator';
import { parseCursor } from '../projected-alerts';
import { SubscriptionErrors } from '../subscription-errors.filter';
import { SlaAlert } from './sla-alert.model';
import { SlaAlerts } from './sla-alerts';

@Resolver()
@UseFilters(SubscriptionErrors)
export class SlaAlertsResolver {
  constructor(private readonly alerts: SlaAlerts) {}

  @Subscription(() => SlaAlert, {
    description:
      "MANAGER. One alert each time a call's SLA target becomes AT_RISK (warnAt of the target elapsed) or BREACHED " +
      '(its due time passed; the call is escalated automatically), from now on. The same alerts go to WEBHOOK_URL, signed. ' +
      'A manager who reads too slowly loses the oldest alerts first. With after (the cursor of the last alert received, on any replica), ' +
      'first every alert raised since: a reconnect loses none.',
    resolve: (alert: SlaAlert) => alert,
  })
  @Roles('MANAGER')
  slaAlerts(
    @Args('after', { type: () => String, nullable: true, description: 'the cursor of the last alert received: every alert since comes first' }) after?: string | null,
  ): AsyncIterableIterator<SlaAlert> {
    return this.alerts.subscribe(after == null ? undefined : parseCursor(after));
  }
}
