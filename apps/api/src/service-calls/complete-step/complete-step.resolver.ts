import { ApiKey } from '@app/config';
import { ChangeServiceCallCommand } from '@app/service-calls';
import { Args, Mutation, Resolver } from '@nestjs/graphql';
import { CommandBus } from '@nestjs/cqrs';
import { actorOf, Caller } from '../../auth/caller.decorator';
import { Roles, STEP_ROLES } from '../../auth/roles.decorator';
import { CallResults } from '../call-results.service';
import { commandOptions } from '../command-options';
import { ServiceCall } from '../models/service-call.model';
import { CompleteStepInput } from './complete-step.input';

@Resolver(() => ServiceCall)
export class CompleteStepResolver {
  constructor(
    private readonly commandBus: CommandBus,
    private readonly results: CallResults,
  ) {}

  @Mutation(() => ServiceCall, { description: 'READY or IN_PROGRESS -> COMPLETED; dependents become READY' })
  @Roles(...STEP_ROLES)
  async completeStep(@Args('input') input: CompleteStepInput, @Caller() caller: ApiKey): Promise<ServiceCall> {
    const command = new ChangeServiceCallCommand(
      input.callId,
      { type: 'CompleteStep', data: { stepKey: input.stepKey, outcome: input.outcome ?? undefined } },
      commandOptions(actorOf(caller), input.expectedVersion, input.idempotencyKey),
    );
    return this.results.settle(await this.commandBus.execute(command));
  }
}
