import { Module } from '@nestjs/common';
import { ProcessAlerts } from './process-alerts/process-alerts';
import { ProcessAlertsResolver } from './process-alerts/process-alerts.resolver';
import { SlaAlerts } from './sla-alerts/sla-alerts';
import { SlaAlertsResolver } from './sla-alerts/sla-alerts.resolver';
import { ServiceCallChanges } from './service-call-updated/service-call-changes';
import { ServiceCallUpdatedResolver } from './service-call-updated/service-call-updated.resolver';
import { WebSocketTransport } from './websocket-transport';

/** GraphQL subscriptions over WebSocket (graphql-transport-ws), fed by the API's projector. */
@Module({
  providers: [WebSocketTransport, ServiceCallChanges, ServiceCallUpdatedResolver, ProcessAlerts, ProcessAlertsResolver, SlaAlerts, SlaAlertsResolver],
})
export class SubscriptionsModule {}
