import { callSla, ServiceCall as DomainServiceCall } from '@app/domain';
import { Parent, ResolveField, Resolver } from '@nestjs/graphql';
import { ServiceCall } from '../service-calls/models/service-call.model';
import { Sla } from './sla-policy.model';

/** `ServiceCall.sla`, computed at query time from the call's policy snapshot, receivedAt, pauses and first response. */
@Resolver(() => ServiceCall)
export class ServiceCallSlaResolver {
  @ResolveField(() => Sla)
  sla(@Parent() call: DomainServiceCall): Sla {
    return callSla(call, new Date());
  }
}
