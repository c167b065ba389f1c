import { ApiKey } from '@app/config';
import { ChangeServiceCallCommand } from '@app/service-calls';
import { Args, ID, Int, Mutation, Resolver } from '@nestjs/graphql';
import { CommandBus } from '@nestjs/cqrs';
import { actorOf, Caller } from '../../auth/caller.decorator';
import { Roles, STEP_ROLES } from '../../auth/roles.decorator';
import { CallResults } from '../call-results.service';
import { ServiceCall } from '../models/service-call.model';
import { commandOptions } from '../command-options';

@Resolver(() => ServiceCall)
export class StartStepResolver {
  constructor(
    private readonly commandBus: CommandBus,
    private readonly results: CallResults,
  ) {}

  @Mutation(() => ServiceCall, { description: 'READY -> IN_PROGRESS' })
  @Roles(...STEP_ROLES)
  async startStep(
    @Args('callId', { type: () => ID }) callId: string,
    @Args('stepKey') stepKey: string,
    @Caller() caller: ApiKey,
    @Args('expectedVersion', { type: () => Int, nullable: true }) expectedVersion?: number,
    @Args('idempotencyKey', { type: () => String, nullable: true }) idempotencyKey?: string,
  ): Promise<ServiceCall> {
    const command = new ChangeServiceCallCommand(
      callId,
      { type: 'StartStep', data: { stepKey } },
      commandOptions(actorOf(caller), expectedVersion, idempotencyKey),
    );
    return this.results.settle(await this.commandBus.execute(command));
  }
}
