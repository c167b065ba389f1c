import { ApiKey } from '@app/config';
import { activeAbsence, Agent as DomainAgent, AgentAbsence as DomainAbsence, AgentAvailability, agentLoadRatio, isAgentId, LIMITS, optionalText, ValidationError } from '@app/domain';
import { AgentsStore, canTakeCallAt } from '@app/read-models';
import { AgentCommandOptions, AgentCommandResult, ChangeAgentCommand, newAbsenceId, RegisterAgentCommand } from '@app/service-calls';
import { CommandBus } from '@nestjs/cqrs';
import { Args, Float, ID, Int, Mutation, Parent, Query, ResolveField, Resolver } from '@nestjs/graphql';
import { actorOf, Caller } from '../auth/caller.decorator';
import { READ_ROLES, Roles } from '../auth/roles.decorator';
import { TemplateResults } from '../process-templates/template-results.service';
import { Agent, AgentAbsence, AgentAvailabilityEnum, AgentFilter, AgentLoad, RegisterAgentInput, ScheduleAbsenceInput, UpdateAgentInput } from './agent.model';

const versionArg = () => Args('expectedVersion', { type: () => Int, nullable: true, description: 'refuse with CONFLICT unless the agent is at this version' });
const keyArg = () => Args('idempotencyKey', { type: () => String, nullable: true, description: 'the same key again changes nothing and answers with the agent' });

/**
 * Agents over GraphQL: managers register and change them; every role reads them. Mutations answer
 * with the agent as of the change, once the read models show it (read-your-writes).
 */
@Resolver(() => Agent)
export class AgentsResolver {
  constructor(
    private readonly agents: AgentsStore,
    private readonly commandBus: CommandBus,
    private readonly results: TemplateResults,
  ) {}

  @Query(() => [Agent], { name: 'agents', description: 'agents by name; every filter given must hold' })
  @Roles(...READ_ROLES)
  agentsList(@Args('filter', { type: () => AgentFilter, nullable: true }) filter?: AgentFilter | null): Promise<DomainAgent[]> {
    return this.agents.list({ ...filter, availability: filter?.availability as AgentAvailability | null | undefined }, new Date());
  }

  @Query(() => Agent, { nullable: true })
  @Roles(...READ_ROLES)
  async agent(@Args('id', { type: () => ID }) id: string): Promise<DomainAgent | null> {
    return (isAgentId(id) && (await this.agents.get(id))) || null;
  }

  @Query(() => AgentLoad, { description: 'MANAGER. Per agent: open calls, load ratio, assignments today, median handling time; the spread of load across the team' })
  @Roles('MANAGER')
  async agentLoad(): Promise<AgentLoad> {
    const now = new Date();
    const { agents, ...team } = await this.agents.stats(now);
    return {
      ...team,
      agents: agents.map(({ medianHandlingMs, ...a }) => ({ ...a, medianHandlingSeconds: medianHandlingMs === undefined ? null : medianHandlingMs / 1000 })),
      at: now.toISOString(),
    };
  }

  @ResolveField(() => Int, { description: 'calls the agent holds now' })
  openCalls(@Parent() agent: DomainAgent): number {
    return agent.openCalls.length;
  }

  @ResolveField(() => [ID], { description: 'the calls the agent holds now, in the order taken' })
  openCallIds(@Parent() agent: DomainAgent): string[] {
    return agent.openCalls;
  }

  @ResolveField(() => Float, { description: 'openCalls / capacity (above 1 only after a manager override)' })
  loadRatio(@Parent() agent: DomainAgent): number {
    return agentLoadRatio(agent);
  }

  @ResolveField(() => AgentAbsence, { nullable: true, description: 'the absence in force now' })
  currentAbsence(@Parent() agent: DomainAgent): DomainAbsence | null {
    return activeAbsence(agent, new Date()) ?? null;
  }

  @ResolveField(() => Boolean, { description: 'could take a new call now: AVAILABLE, not absent, within working hours, below capacity' })
  availableNow(@Parent() agent: DomainAgent): boolean {
    return canTakeCallAt(agent, new Date());
  }

  @Mutation(() => Agent, { description: 'MANAGER. Registers an agent; AVAILABLE from now on.' })
  @Roles('MANAGER')
  async registerAgent(@Args('input') input: RegisterAgentInput, @keyArg() idempotencyKey: string | null, @Caller() caller: ApiKey): Promise<DomainAgent> {
    const { actor, idempotencyKey: key } = agentOptions(actorOf(caller), null, idempotencyKey);
    return this.settle(await this.commandBus.execute(new RegisterAgentCommand({ ...input }, { actor, idempotencyKey: key })));
  }

  @Mutation(() => Agent, { description: 'MANAGER. Changes the fields given.' })
  @Roles('MANAGER')
  async updateAgent(
    @Args('input') input: UpdateAgentInput,
    @versionArg() expectedVersion: number | null,
    @keyArg() idempotencyKey: string | null,
    @Caller() caller: ApiKey,
  ): Promise<DomainAgent> {
    const { agentId, ...changes } = input;
    return this.change(agentId, { type: 'UpdateAgent', data: { input: changes } }, caller, expectedVersion, idempotencyKey);
  }

  @Mutation(() => Agent, { description: "MANAGER. Plans an absence; while it is in force the agent gets no calls and the agent's open calls are moved (to the replacement when eligible)." })
  @Roles('MANAGER')
  async scheduleAbsence(
    @Args('input') input: ScheduleAbsenceInput,
    @versionArg() expectedVersion: number | null,
    @keyArg() idempotencyKey: string | null,
    @Caller() caller: ApiKey,
  ): Promise<DomainAgent> {
    const { agentId, ...absence } = input;
    return this.change(agentId, { type: 'ScheduleAbsence', data: { absenceId: newAbsenceId(), input: absence } }, caller, expectedVersion, idempotencyKey);
  }

  @Mutation(() => Agent, { description: 'MANAGER. Cancels an absence not yet over; cancelling it again changes nothing.' })
  @Roles('MANAGER')
  async cancelAbsence(
    @Args('agentId', { type: () => ID }) agentId: string,
    @Args('absenceId', { type: () => ID }) absenceId: string,
    @versionArg() expectedVersion: number | null,
    @keyArg() idempotencyKey: string | null,
    @Caller() caller: ApiKey,
  ): Promise<DomainAgent> {
    return this.change(agentId, { type: 'CancelAbsence', data: { absenceId } }, caller, expectedVersion, idempotencyKey);
  }

  @Mutation(() => Agent, { description: 'MANAGER. AVAILABLE, AWAY or OFFLINE; the same again changes nothing.' })
  @Roles('MANAGER')
  async setAgentAvailability(
    @Args('agentId', { type: () => ID }) agentId: string,
    @Args('availability', { type: () => AgentAvailabilityEnum }) availability: string,
    @versionArg() expectedVersion: number | null,
    @keyArg() idempotencyKey: string | null,
    @Caller() caller: ApiKey,
  ): Promise<DomainAgent> {
    return this.change(agentId, { type: 'SetAgentAvailability', data: { availability } }, caller, expectedVersion, idempotencyKey);
  }

  private async change(
    agentId: string,
    command: ChangeAgentCommand['command'],
    caller: ApiKey,
    expectedVersion: number | null,
    idempotencyKey: string | null,
  ): Promise<DomainAgent> {
    const options = agentOptions(actorOf(caller), expectedVersion, idempotencyKey);
    return this.settle(await this.commandBus.execute(new ChangeAgentCommand(agentId, command, options)));
  }

  private settle(result: AgentCommandResult): Promise<DomainAgent> {
    return this.results.settle(result.position, result.agent);
  }
}

/** The options every agent mutation takes, checked at the edge. */
function agentOptions(actor: string, expectedVersion: number | null, idempotencyKey: string | null): AgentCommandOptions {
  if (expectedVersion !== null && expectedVersion !== undefined && expectedVersion < 1) {
    throw new ValidationError('expectedVersion', 'expectedVersion must be at least 1 (an agent has at least its registration)');
  }
  return { actor, expectedVersion: expectedVersion ?? undefined, idempotencyKey: optionalText('idempotencyKey', idempotencyKey, LIMITS.key) };
}
