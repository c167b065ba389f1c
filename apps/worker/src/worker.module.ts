import { ConfigModule } from '@app/config';
import { CoordinationModule } from '@app/coordination';
import { OutboundModule } from '@app/outbound';
import { ReadModelsModule } from '@app/read-models';
import { ServiceCallsModule } from '@app/service-calls';
import { Module } from '@nestjs/common';
import { AutomatedActionRegistry } from './actions/automated-action.registry';
import { NotifyCustomerAction } from './actions/notify-customer.action';
import { ReviewCustomerHistoryAction } from './actions/review-customer-history.action';
import { ServiceCallActivitiesService } from './activities/service-call.activities';
import { AftercareActivitiesService } from './aftercare/aftercare.activities';
import { CallRouter } from './routing/call-router';
import { RoutingSupervisor } from './routing/routing-supervisor';
import { SlaDueTimers } from './sla/sla-due-timers';
import { TemporalWorkerService } from './temporal/temporal-worker.service';

@Module({
  imports: [ConfigModule, CoordinationModule, ServiceCallsModule, ReadModelsModule.forRoot({ project: false }), OutboundModule],
  providers: [ReviewCustomerHistoryAction, NotifyCustomerAction, AutomatedActionRegistry, ServiceCallActivitiesService, AftercareActivitiesService, SlaDueTimers, CallRouter, RoutingSupervisor, TemporalWorkerService],
  exports: [TemporalWorkerService],
})
export class WorkerModule {}
