import { ApiKey } from '@app/config';
import {
  bestRoleHolder,
  ConflictError,
  foldServiceCall,
  LIMITS,
  NotFoundError,
  optionalText,
  routingRequestOf,
  ServiceCall as DomainServiceCall,
  serviceCallStreamId,
  stepAssignments,
  ValidationError,
} from '@app/domain';
import { EventStore, RecordedEvent } from '@app/event-store';
import { AgentsStore, MAX_ROUTING_QUEUE, RoutingQueueStore } from '@app/read-models';
import { AgentRepository, ChangeServiceCallCommand, CommandOptions, CommandResult } from '@app/service-calls';
import { Logger } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { Args, Int, Mutation, Parent, Query, ResolveField, Resolver } from '@nestjs/graphql';
import { actorOf, Caller } from '../../auth/caller.decorator';
import { Roles, STEP_ROLES } from '../../auth/roles.decorator';
import { DateTime } from '../../graphql/date-time.scalar';
import { CallResults } from '../call-results.service';
import { commandOptions } from '../command-options';
import { ServiceCall } from '../models/service-call.model';
import { Assignment, AssignServiceCallArgs, Callback, RequestCallbackArgs, RerouteServiceCallArgs, WaitingCall } from './routing.model';

const FINISHED = new Set(['RESOLVED', 'CLOSED', 'CANCELLED']);

/**
 * A manager's hand in routing (assign over the policy, reroute), a customer's callback request, and
 * the queue of calls waiting for an agent. The agent's own stream guards their load: a manual
 * assignment takes the call there first (override: past capacity, never to an AWAY, OFFLINE or absent
 * agent), and only then records it on the call; the agent who had it releases it afterwards.
 */
@Resolver(() => ServiceCall)
export class RoutingResolver {
  private readonly logger = new Logger('Routing');

  constructor(
    private readonly results: CallResults,
    private readonly commandBus: CommandBus,
    private readonly store: EventStore,
    private readonly agentRepository: AgentRepository,
    private readonly agents: AgentsStore,
    private readonly queue: RoutingQueueStore,
  ) {}

  @Mutation(() => ServiceCall, {
    description:
      "MANAGER. Gives the call to this agent over routing's choice, also past their capacity (never to an AWAY, OFFLINE or absent agent: CONFLICT). " +
      "Open human steps go to the agent, or to the best agent holding a step's role the agent does not hold. The agent who had the call is released.",
  })
  @Roles('MANAGER')
  async assignServiceCall(@Args() { callId, agentId, reason, expectedVersion, idempotencyKey }: AssignServiceCallArgs, @Caller() caller: ApiKey): Promise<DomainServiceCall> {
    const actor = actorOf(caller);
    const options = commandOptions(actor, expectedVersion, idempotencyKey);
    const note = optionalText('reason', reason, LIMITS.outcome);
    const { call, repeated } = await this.loadCall(callId, options);
    let result: CommandResult;
    if (repeated) {
      result = await this.execute(callId, { type: 'AssignServiceCall', data: { agentId, trigger: 'MANUAL' } }, options);
    } else {
      const agent = await this.agentRepository.get(agentId);
      // refused for AWAY / OFFLINE / absent agents; a call they hold already is a no-op
      const taken = await this.agentRepository.takeCall(agentId, callId, { override: true, actor });
      try {
        const steps = stepAssignments(call, agent.id, agent.roles, bestRoleHolder(routingRequestOf(call), this.agents.candidates(), new Date()));
        result = await this.execute(callId, { type: 'AssignServiceCall', data: { agentId: agent.id, trigger: 'MANUAL', steps, ...(note ? { reason: note } : {}) } }, options);
      } catch (error) {
        // the call was not given to them: no capacity leaks
        if (taken.events.length > 0) await this.release(agentId, callId, 'assignment-refused', actor).catch((e) => this.logger.error(`release of ${agentId} failed: ${String(e)}`));
        throw error;
      }
    }
    const assigned = dataOf<{ agentId: string; previousAgentId: string | null }>(result.events, 'CallAssigned');
    let position = result.position;
    if (assigned?.previousAgentId && assigned.previousAgentId !== assigned.agentId) {
      position = Math.max(position, (await this.release(assigned.previousAgentId, callId, 'reassigned', actor, options.idempotencyKey)).position);
    }
    return this.results.settle({ ...result, position });
  }

  @Mutation(() => ServiceCall, {
    description:
      "MANAGER. Takes the call's agent off it (released) and lets routing find another one, never the same. " +
      'A call without an agent is refused (CONFLICT): it waits for an agent and is routed as soon as one is free.',
  })
  @Roles('MANAGER')
  async rerouteServiceCall(@Args() { callId, reason, expectedVersion, idempotencyKey }: RerouteServiceCallArgs, @Caller() caller: ApiKey): Promise<DomainServiceCall> {
    const actor = actorOf(caller);
    const options = commandOptions(actor, expectedVersion, idempotencyKey);
    const { call, repeated } = await this.loadCall(callId, options);
    if (!repeated) {
      if (FINISHED.has(call.status)) throw new ConflictError(`service call is ${call.status}`, call.version);
      if (!call.assignee) throw new ConflictError('the call waits for an agent; it is routed as soon as one is free', call.version);
    }
    const result = await this.execute(callId, { type: 'UnassignServiceCall', data: { trigger: 'REROUTE', reason, expectedAgentId: call.assignee ?? '' } }, options);
    const unassigned = dataOf<{ agentId: string }>(result.events, 'CallUnassigned');
    let position = result.position;
    if (unassigned) position = Math.max(position, (await this.release(unassigned.agentId, callId, 'rerouted', actor, options.idempotencyKey)).position);
    return this.results.settle({ ...result, position });
  }

  @Mutation(() => ServiceCall, {
    description:
      'A customer waiting on a voice channel (PHONE, CALLBACK) asks to be called back inside [windowFrom, windowTo) (at most 14 days). ' +
      'The call is flagged; the agent who takes it inside the window gets a READY "call back" step. CONFLICT on other channels or once an agent has the call.',
  })
  @Roles(...STEP_ROLES)
  requestCallback(@Args() { callId, phone, windowFrom, windowTo, expectedVersion, idempotencyKey }: RequestCallbackArgs, @Caller() caller: ApiKey): Promise<DomainServiceCall> {
    return this.results.change(callId, { type: 'RequestCallback', data: { phone, windowFrom, windowTo } }, actorOf(caller), expectedVersion, idempotencyKey);
  }

  @Query(() => [WaitingCall], { description: 'MANAGER. Calls waiting for an agent, in serving order: SLA due time soonest first, then the oldest' })
  @Roles('MANAGER')
  routingQueue(@Args('first', { type: () => Int, defaultValue: 50 }) first: number): WaitingCall[] {
    if (!Number.isInteger(first) || first < 1 || first > MAX_ROUTING_QUEUE) throw new ValidationError('first', `first must be between 1 and ${MAX_ROUTING_QUEUE}`);
    return this.queue.waiting(first).map(({ request, ...w }) => ({ ...w, category: request.category, region: request.region, language: request.language }));
  }

  /** The call from its stream (not the read model), and whether this idempotency key was used on it already. */
  private async loadCall(callId: string, options: CommandOptions): Promise<{ call: DomainServiceCall; repeated: boolean }> {
    const recorded = await this.store.readStream(serviceCallStreamId(callId));
    if (recorded.length === 0) throw new NotFoundError('service call not found', 'callId');
    const scopedKey = options.idempotencyKey ? `${options.actor}:${options.idempotencyKey}` : undefined;
    return { call: foldServiceCall(recorded) as DomainServiceCall, repeated: scopedKey !== undefined && recorded.some((e) => e.metadata.idempotencyKey === scopedKey) };
  }

  private execute(callId: string, command: ConstructorParameters<typeof ChangeServiceCallCommand>[1], options: CommandOptions): Promise<CommandResult> {
    return this.commandBus.execute(new ChangeServiceCallCommand(callId, command, options));
  }

  /** Releases the call from an agent; with the mutation's key, a repeat does it once. */
  private release(agentId: string, callId: string, reason: string, actor: string, idempotencyKey?: string) {
    return this.agentRepository.execute(agentId, { type: 'ReleaseCall', data: { callId, reason } }, { actor, ...(idempotencyKey ? { idempotencyKey: `${idempotencyKey}:release` } : {}) });
  }
}

function dataOf<T>(events: readonly RecordedEvent[], type: string): T | undefined {
  return events.find((e) => e.type === type)?.data as T | undefined;
}

/** The routing side of ServiceCall (the read model's document is the folded call: nothing else to store). */
@Resolver(() => ServiceCall)
export class ServiceCallRoutingFieldsResolver {
  @ResolveField(() => String, { nullable: true, description: "the customer's language, e.g. de, en-gb (routing prefers agents who speak it)" })
  language(@Parent() call: DomainServiceCall): string | null {
    return call.language ?? null;
  }

  @ResolveField(() => [Assignment], { description: 'every routing decision and manager assignment, oldest first, with its reasons' })
  assignments(@Parent() call: DomainServiceCall): Assignment[] {
    return call.assignments ?? [];
  }

  @ResolveField(() => DateTime, { nullable: true, description: 'waiting for an agent since (routing found nobody eligible); null once assigned' })
  queuedAt(@Parent() call: DomainServiceCall): string | null {
    return call.queuedAt ?? null;
  }

  @ResolveField(() => [String], { nullable: true, description: 'why routing found nobody, while the call waits' })
  queueReasons(@Parent() call: DomainServiceCall): string[] | null {
    return call.queueReasons ?? null;
  }

  @ResolveField(() => Callback, { nullable: true, description: "the customer's callback request" })
  callback(@Parent() call: DomainServiceCall): Callback | null {
    return call.callback ?? null;
  }
}


