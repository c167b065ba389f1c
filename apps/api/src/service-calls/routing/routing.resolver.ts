import { ApiKey } from '@app/config';
import { isFinished, ServiceCall, ValidationError } from '@app/domain';
import { AgentsStore, MAX_ROUTING_QUEUE, RoutingQueueStore } from '@app/read-models';
import { AssignServiceCallCommand, UnassignServiceCallCommand } from '@app/service-calls';
import { CommandBus } from '@nestjs/cqrs';
import { Args, Int, Mutation, Parent, Query, ResolveField, Resolver } from '@nestjs/graphql';
import { Caller } from '../../auth/caller.decorator';
import { Roles, STEP_ROLES } from '../../auth/roles.decorator';
import { DateTime } from '../../graphql/date-time.scalar';
import { CallResults } from '../call-results.service';
import { commandOptions } from '../command-options';
import { ServiceCallModel } from '../models/service-call.model';
import { Assignment, AssignServiceCallArgs, Callback, RequestCallbackArgs, RerouteServiceCallArgs, WaitingCall } from './routing.model';

/**
 * A manager's hand in routing (assign over the policy, reroute), a customer's callback request, and
 * the queue of calls waiting for an agent. The agent's and the call's streams are coordinated by the
 * commands' handlers in libs/service-calls (AssignServiceCallHandler, UnassignServiceCallHandler).
 */
@Resolver(() => ServiceCallModel)
export class RoutingResolver {
  constructor(
    private readonly results: CallResults,
    private readonly commandBus: CommandBus,
    private readonly agents: AgentsStore,
    private readonly queue: RoutingQueueStore,
  ) {}

  @Mutation(() => ServiceCallModel, {
    description:
      "MANAGER. Gives the call to this agent over routing's choice, also past their capacity (never to an AWAY, OFFLINE or absent agent: CONFLICT). " +
      "Open human steps go to the agent, or to the best agent holding a step's role the agent does not hold. The agent who had the call is released.",
  })
  @Roles('MANAGER')
  async assignServiceCall(@Args() { callId, agentId, reason, expectedVersion, idempotencyKey }: AssignServiceCallArgs, @Caller() caller: ApiKey): Promise<ServiceCall> {
    const assignment = { agentId, trigger: 'MANUAL' as const, override: true, ...(reason != null ? { reason } : {}), candidates: await this.agents.candidates() };
    return this.results.settle(await this.commandBus.execute(new AssignServiceCallCommand(callId, assignment, commandOptions(caller, expectedVersion, idempotencyKey))));
  }

  @Mutation(() => ServiceCallModel, {
    description:
      "MANAGER. Takes the call's agent off it (released) and lets routing find another one, never the same. " +
      'A call without an agent is refused (CONFLICT): it waits for an agent and is routed as soon as one is free.',
  })
  @Roles('MANAGER')
  async rerouteServiceCall(@Args() { callId, reason, expectedVersion, idempotencyKey }: RerouteServiceCallArgs, @Caller() caller: ApiKey): Promise<ServiceCall> {
    return this.results.settle(await this.commandBus.execute(new UnassignServiceCallCommand(callId, { trigger: 'REROUTE', reason }, commandOptions(caller, expectedVersion, idempotencyKey))));
  }

  @Mutation(() => ServiceCallModel, {
    description:
      'A customer waiting on a voice channel (PHONE, CALLBACK) asks to be called back inside [windowFrom, windowTo) (at most 14 days). ' +
      'The call is flagged; the agent who takes it inside the window gets a READY "call back" step. CONFLICT on other channels or once an agent has the call.',
  })
  @Roles(...STEP_ROLES)
  requestCallback(@Args() { callId, phone, windowFrom, windowTo, expectedVersion, idempotencyKey }: RequestCallbackArgs, @Caller() caller: ApiKey): Promise<ServiceCall> {
    return this.results.change(callId, { type: 'RequestCallback', data: { phone, windowFrom, windowTo } }, caller, expectedVersion, idempotencyKey);
  }

  @Query(() => [WaitingCall], { description: 'MANAGER. Calls waiting for an agent, in serving order: SLA due time soonest first, then the oldest' })
  @Roles('MANAGER')
  async routingQueue(@Args('first', { type: () => Int, defaultValue: 50 }) first: number): Promise<WaitingCall[]> {
    if (!Number.isInteger(first) || first < 1 || first > MAX_ROUTING_QUEUE) throw new ValidationError('first', `first must be between 1 and ${MAX_ROUTING_QUEUE}`);
    return (await this.queue.waiting(first)).map(({ request, ...w }) => ({ ...w, category: request.category, region: request.region, language: request.language }));
  }
}

/** The routing side of ServiceCall (the read model's document is the folded call: nothing else to store). */
@Resolver(() => ServiceCallModel)
export class ServiceCallRoutingFieldsResolver {
  @ResolveField(() => String, { nullable: true, description: "the customer's language, e.g. de, en-gb (routing prefers agents who speak it)" })
  language(@Parent() call: ServiceCall): string | null {
    return call.language ?? null;
  }

  @ResolveField(() => [Assignment], { description: 'every routing decision and manager assignment, oldest first, with its reasons' })
  assignments(@Parent() call: ServiceCall): Assignment[] {
    return call.assignments;
  }

  // a finished call waits for nobody, whatever its last CallQueued said
  @ResolveField(() => DateTime, { nullable: true, description: 'waiting for an agent since (routing found nobody eligible); null once assigned' })
  queuedAt(@Parent() call: ServiceCall): string | null {
    return isFinished(call) ? null : (call.queuedAt ?? null);
  }

  @ResolveField(() => [String], { nullable: true, description: 'why routing found nobody, while the call waits' })
  queueReasons(@Parent() call: ServiceCall): string[] | null {
    return isFinished(call) ? null : (call.queueReasons ?? null);
  }

  @ResolveField(() => Callback, { nullable: true, description: "the customer's callback request" })
  callback(@Parent() call: ServiceCall): Callback | null {
    return call.callback ?? null;
  }
}
