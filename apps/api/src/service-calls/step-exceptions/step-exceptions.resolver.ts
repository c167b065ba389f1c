import type { ServiceCall } from '@app/domain';
import { ApiKey } from '@app/config';
import { Args, Mutation, Resolver } from '@nestjs/graphql';
import { StepChangeArgs, StepReasonArgs } from '../call-change.args';
import { Caller } from '../../auth/caller.decorator';
import { Roles, STEP_ROLES } from '../../auth/roles.decorator';
import { CallResults } from '../call-results.service';
import { ServiceCallModel } from '../models/service-call.model';

/** Exceptions in a process: a step skipped, failed, or tried again. */
@Resolver(() => ServiceCallModel)
export class StepExceptionsResolver {
  constructor(private readonly results: CallResults) {}

  @Mutation(() => ServiceCallModel, {
    description:
      'MANAGER. The step counts as done for its dependents (PENDING, READY, IN_PROGRESS or FAILED -> SKIPPED); the reason becomes its outcome. ' +
      'A step of a later phase may be skipped ahead of time.',
  })
  @Roles('MANAGER')
  skipStep(@Args() { callId, stepKey, reason, expectedVersion, idempotencyKey }: StepReasonArgs, @Caller() caller: ApiKey): Promise<ServiceCall> {
    return this.results.change(callId, { type: 'SkipStep', data: { stepKey, reason } }, caller, expectedVersion, idempotencyKey);
  }

  @Mutation(() => ServiceCallModel, {
    description:
      'READY or IN_PROGRESS -> FAILED; the reason becomes its outcome. The phase waits until retryStep or skipStep. ' +
      'Automated steps are failed by the system when their retries run out.',
  })
  @Roles(...STEP_ROLES)
  failStep(@Args() { callId, stepKey, reason, expectedVersion, idempotencyKey }: StepReasonArgs, @Caller() caller: ApiKey): Promise<ServiceCall> {
    return this.results.change(callId, { type: 'FailStep', data: { stepKey, reason } }, caller, expectedVersion, idempotencyKey);
  }

  @Mutation(() => ServiceCallModel, { description: 'FAILED -> READY, as a new attempt; an automated step is run again by the system.' })
  @Roles(...STEP_ROLES)
  retryStep(@Args() { callId, stepKey, expectedVersion, idempotencyKey }: StepChangeArgs, @Caller() caller: ApiKey): Promise<ServiceCall> {
    return this.results.change(callId, { type: 'RetryStep', data: { stepKey } }, caller, expectedVersion, idempotencyKey);
  }
}
