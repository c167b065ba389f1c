import { ServiceCall, ValidationError } from '@app/domain';
import { MAX_SLA_RISKS, SlaRisksStore } from '@app/read-models';
import { Args, Int, Query, Resolver } from '@nestjs/graphql';
import { Roles } from '../auth/roles.decorator';
import { ServiceCallModel } from '../service-calls/models/service-call.model';

@Resolver(() => ServiceCallModel)
export class SlaRisksResolver {
  constructor(private readonly risks: SlaRisksStore) {}

  @Query(() => [ServiceCallModel], {
    description:
      'MANAGER. Open calls whose SLA is AT_RISK or BREACHED now, soonest due first (breached ones, longest overdue, lead). ' +
      'Calls waiting for the customer are left out unless a target was breached before the wait; RESOLVED and CLOSED calls too.',
  })
  @Roles('MANAGER')
  slaRisks(@Args('first', { type: () => Int, nullable: true, defaultValue: 50 }) first: number = 50): Promise<ServiceCall[]> {
    if (first < 1 || first > MAX_SLA_RISKS) throw new ValidationError('first', `first must be between 1 and ${MAX_SLA_RISKS}`);
    return this.risks.atRisk(new Date(), first);
  }
}
