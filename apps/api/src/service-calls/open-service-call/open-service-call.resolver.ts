import { ApiKey } from '@app/config';
import { LIMITS, optionalText, ServiceCall } from '@app/domain';
import { OpenServiceCallCommand } from '@app/service-calls';
import { Args, Mutation, Resolver } from '@nestjs/graphql';
import { CommandBus } from '@nestjs/cqrs';
import { actorOf, Caller } from '../../auth/caller.decorator';
import { Roles, WRITE_ROLES } from '../../auth/roles.decorator';
import { CallResults } from '../call-results.service';
import { ServiceCallModel } from '../models/service-call.model';
import { OpenServiceCallInput } from './open-service-call.input';

@Resolver(() => ServiceCallModel)
export class OpenServiceCallResolver {
  constructor(
    private readonly commandBus: CommandBus,
    private readonly results: CallResults,
  ) {}

  @Mutation(() => ServiceCallModel, { description: 'Records a new call; its process starts at once.' })
  @Roles(...WRITE_ROLES)
  async openServiceCall(@Args('input') input: OpenServiceCallInput, @Caller() caller: ApiKey): Promise<ServiceCall> {
    const { idempotencyKey, ...fields } = input;
    const options = { actor: actorOf(caller), idempotencyKey: optionalText('idempotencyKey', idempotencyKey, LIMITS.key) };
    return this.results.settle(await this.commandBus.execute(new OpenServiceCallCommand(fields, options)));
  }
}
