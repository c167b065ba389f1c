import type { ServiceCall } from '@app/domain';
import { ApiKey } from '@app/config';
import { Args, Mutation, Resolver } from '@nestjs/graphql';
import { Caller } from '../../auth/caller.decorator';
import { Roles, STEP_ROLES } from '../../auth/roles.decorator';
import { CallResults } from '../call-results.service';
import { ServiceCallModel } from '../models/service-call.model';
import { CompleteStepInput } from './complete-step.input';

@Resolver(() => ServiceCallModel)
export class CompleteStepResolver {
  constructor(private readonly results: CallResults) {}

  @Mutation(() => ServiceCallModel, { description: 'READY or IN_PROGRESS -> COMPLETED; dependents become READY' })
  @Roles(...STEP_ROLES)
  completeStep(@Args('input') input: CompleteStepInput, @Caller() caller: ApiKey): Promise<ServiceCall> {
    return this.results.change(
      input.callId,
      { type: 'CompleteStep', data: { stepKey: input.stepKey, outcome: input.outcome ?? undefined } },
      caller,
      input.expectedVersion,
      input.idempotencyKey,
    );
  }
}
