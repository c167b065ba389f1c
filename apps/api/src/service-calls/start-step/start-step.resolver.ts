import type { ServiceCall } from '@app/domain';
import { ApiKey } from '@app/config';
import { Args, Mutation, Resolver } from '@nestjs/graphql';
import { StepChangeArgs } from '../call-change.args';
import { Caller } from '../../auth/caller.decorator';
import { Roles, STEP_ROLES } from '../../auth/roles.decorator';
import { CallResults } from '../call-results.service';
import { ServiceCallModel } from '../models/service-call.model';

@Resolver(() => ServiceCallModel)
export class StartStepResolver {
  constructor(private readonly results: CallResults) {}

  @Mutation(() => ServiceCallModel, { description: 'READY -> IN_PROGRESS' })
  @Roles(...STEP_ROLES)
  startStep(@Args() { callId, stepKey, expectedVersion, idempotencyKey }: StepChangeArgs, @Caller() caller: ApiKey): Promise<ServiceCall> {
    return this.results.change(callId, { type: 'StartStep', data: { stepKey } }, caller, expectedVersion, idempotencyKey);
  }
}
