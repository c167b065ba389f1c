import { UseFilters } from '@nestjs/common';
import { Resolver, Subscription } from '@nestjs/graphql';
import { Roles } from '../../auth/roles.decorator';
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
      'A manager who reads too slowly loses the oldest alerts first.',
    resolve: (alert: SlaAlert) => alert,
  })
  @Roles('MANAGER')
  slaAlerts(): AsyncIterableIterator<SlaAlert> {
    return this.alerts.subscribe();
  }
}
