import { callSla, ServiceCall } from '@app/domain';
import { Parent, ResolveField, Resolver } from '@nestjs/graphql';
import { ServiceCallModel } from '../service-calls/models/service-call.model';
import { Sla } from './sla-policy.model';

/** `ServiceCall.sla`, computed at query time from the call's policy snapshot, receivedAt, pauses and first response. */
@Resolver(() => ServiceCallModel)
export class ServiceCallSlaResolver {
  @ResolveField(() => Sla)
  sla(@Parent() call: ServiceCall): Sla {
    return callSla(call, new Date());
  }
}
