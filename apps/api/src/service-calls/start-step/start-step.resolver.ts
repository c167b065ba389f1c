import { ApiKey } from '@app/config';
import { Args, ID, Int, Mutation, Resolver } from '@nestjs/graphql';
import { actorOf, Caller } from '../../auth/caller.decorator';
import { Roles, STEP_ROLES } from '../../auth/roles.decorator';
import { CallResults } from '../call-results.service';
import { ServiceCall } from '../models/service-call.model';

@Resolver(() => ServiceCall)
export class StartStepResolver {
  constructor(private readonly results: CallResults) {}

  @Mutation(() => ServiceCall, { description: 'READY -> IN_PROGRESS' })
  @Roles(...STEP_ROLES)
  startStep(
    @Args('callId', { type: () => ID }) callId: string,
    @Args('stepKey') stepKey: string,
    @Caller() caller: ApiKey,
    @Args('expectedVersion', { type: () => Int, nullable: true }) expectedVersion?: number,
    @Args('idempotencyKey', { type: () => String, nullable: true }) idempotencyKey?: string,
  ): Promise<ServiceCall> {
    return this.results.change(callId, { type: 'StartStep', data: { stepKey } }, actorOf(caller), expectedVersion, idempotencyKey);
  }
}
