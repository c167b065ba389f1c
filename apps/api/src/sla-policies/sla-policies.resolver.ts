import { ApiKey } from '@app/config';
import { SlaPoliciesStore } from '@app/read-models';
import { DefineSlaPolicyCommand } from '@app/service-calls';
import { CommandBus } from '@nestjs/cqrs';
import { Args, Mutation, Query, Resolver } from '@nestjs/graphql';
import { actorOf, Caller } from '../auth/caller.decorator';
import { Roles } from '../auth/roles.decorator';
import { TemplateResults } from '../process-templates/template-results.service';
import { SlaPolicy, SlaPolicyInput } from './sla-policy.model';

@Resolver(() => SlaPolicy)
export class SlaPoliciesResolver {
  constructor(
    private readonly policies: SlaPoliciesStore,
    private readonly commandBus: CommandBus,
    private readonly results: TemplateResults,
  ) {}

  @Query(() => [SlaPolicy], { description: 'the newest definition of every SLA policy, by key' })
  @Roles('MANAGER')
  async slaPolicies(): Promise<SlaPolicy[]> {
    return (await this.policies.latest()).map(({ at, ...policy }) => ({ ...policy, definedAt: at }));
  }

  @Mutation(() => Boolean, { description: 'Defines an SLA policy; the same key again replaces it for calls opened from now on (open calls keep theirs). true once in place.' })
  @Roles('MANAGER')
  async defineSlaPolicy(@Args('input') input: SlaPolicyInput, @Caller() caller: ApiKey): Promise<boolean> {
    const result = await this.commandBus.execute(new DefineSlaPolicyCommand(input, { actor: actorOf(caller) }));
    return this.results.settle(result.position, true);
  }
}
