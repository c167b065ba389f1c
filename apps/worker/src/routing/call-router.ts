import {
  Agent,
  bestRoleHolder,
  callbackWindowState,
  callExists,
  ConflictError,
  foldServiceCall,
  routeCall,
  routingCandidateOf,
  RoutingCandidate,
  routingRequestOf,
  mustWaitBehind,
  ServiceCall,
  serviceCallStreamId,
  stepAssignments,
  WORKFLOW_ACTOR,
} from '@app/domain';
import { EventStore, RecordedEvent } from '@app/event-store';
import { AgentsStore, RoutingQueueStore, WaitingCall, waitingCallOf } from '@app/read-models';
import { AgentRepository, ChangeServiceCallCommand } from '@app/service-calls';
import { Injectable, Logger } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';

/** How long the agents read from the read model are reused (the agent stream still guards every take). */
const CANDIDATES_TTL_MS = 250;
/** Agents tried for one call before it is queued (each refusal means someone else took the slot first). */
const MAX_TAKE_ATTEMPTS = 5;

const FINISHED = new Set(['RESOLVED', 'CLOSED', 'CANCELLED']);

export interface Placement {
  /** the call's events this placement appended (CallAssigned, or CallQueued), none when nothing changed */
  events: RecordedEvent[];
  outcome: 'ASSIGNED' | 'QUEUED' | 'NO_AGENTS' | 'UNCHANGED';
}

/**
 * Puts calls with agents. One decision at a time in this worker: each sees the loads every earlier
 * one left (the agents this worker changed are kept as their streams answered, newer than the read
 * model), so a burst of calls spreads evenly instead of piling on the agent every decision saw idle.
 * The agent's own stream is the guard: `takeCall` appends with its expected version and is refused
 * for a full, away, offline or absent agent; then routing decides again. Only then does the call
 * record CallAssigned, and when that fails the agent gets the slot back.
 */
@Injectable()
export class CallRouter {
  private readonly logger = new Logger('CallRouter');
  private lane: Promise<unknown> = Promise.resolve();
  private cached?: { at: number; agents: Map<string, Agent> };
  private readonly fresh = new Map<string, Agent>();
  /** told when a new call had to wait behind older ones that an agent could take now (the supervisor serves them) */
  onOlderCallsServable?: () => void;

  constructor(
    private readonly store: EventStore,
    private readonly agentsStore: AgentsStore,
    private readonly waitingStore: RoutingQueueStore,
    private readonly agents: AgentRepository,
    private readonly commandBus: CommandBus,
  ) {}

  /** Runs `work` after every decision queued before it (decisions of this worker never interleave). */
  exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = this.lane.then(work, work);
    this.lane = run.catch(() => undefined);
    return run;
  }

  /** The workflow's routing for the call's round `round`; nothing when the call is no longer waiting for it. */
  route(callId: string, round: number): Promise<Placement> {
    return this.exclusive(async () => {
      const call = await this.loadCall(callId);
      if (!call || FINISHED.has(call.status) || call.assignee || call.queuedAt || (call.routingRound ?? 1) !== round) {
        return { events: [], outcome: 'UNCHANGED' };
      }
      const options = { actor: WORKFLOW_ACTOR, key: `route:${round}`, queueWhenNobody: true };
      if (this.olderCallsFirst(call)) {
        // no newer call overtakes an older one of the same urgency: it waits, and the queue is served in order
        const events = await this.change(call.id, { type: 'QueueServiceCall', data: { reasons: ['older-calls-first'] } }, options, `queue:${round}`);
        this.onOlderCallsServable?.();
        return { events, outcome: 'QUEUED' };
      }
      return this.place(call, options);
    });
  }

  /** Calls waiting now (callbacks only inside their window), in serving order. */
  waitingCalls(now: Date): WaitingCall[] {
    return this.waitingStore.waiting().filter((w) => !w.callback || callbackWindowState(w.callback, now) !== 'BEFORE');
  }

  /** Whether the call must wait behind calls already waiting (no newer call overtakes an older one of the same urgency). */
  private olderCallsFirst(call: ServiceCall): boolean {
    const now = new Date();
    const self = waitingCallOf({ ...call, queuedAt: now.toISOString() }, now);
    return !!self && mustWaitBehind(self, this.waitingCalls(now), this.candidates(), now);
  }

  /**
   * Routes `call` (as read just now): the best eligible agent takes it, then the call records
   * CallAssigned. Nobody eligible: CallQueued when `queueWhenNobody` (the call waits to be served).
   */
  async place(
    call: ServiceCall,
    options: { actor: string; key: string; queueWhenNobody: boolean; trigger?: 'QUEUE'; expectedVersion?: number },
  ): Promise<Placement> {
    const agents = this.candidates();
    if (agents.length === 0) return { events: [], outcome: 'NO_AGENTS' };
    const request = routingRequestOf(call);
    const now = new Date();
    for (let attempt = 1; attempt <= MAX_TAKE_ATTEMPTS; attempt++) {
      const decision = routeCall(request, this.candidates(), now);
      if (decision.outcome === 'QUEUED') {
        if (!options.queueWhenNobody) return { events: [], outcome: 'QUEUED' };
        const events = await this.change(call.id, { type: 'QueueServiceCall', data: { reasons: decision.reasons } }, options, `queue:${call.routingRound ?? 1}`);
        return { events, outcome: 'QUEUED' };
      }
      let agent: Agent;
      try {
        agent = (await this.agents.takeCall(decision.agentId, call.id, { now, actor: options.actor })).agent;
        this.remember(agent);
      } catch (error) {
        if (!(error instanceof ConflictError)) throw error;
        // someone else got the slot, or the agent just went away: decide again on the agent as it is now
        const current = await this.agents.load(decision.agentId);
        if (current) this.remember(current);
        continue;
      }
      const runnerUp = decision.runnerUp
        ? { agentId: decision.runnerUp.agentId, reasons: [`load:${decision.runnerUp.score.openCalls}/${decision.runnerUp.score.capacity}`, `skill:${decision.runnerUp.score.skillLevel}`] }
        : null;
      const steps = stepAssignments(call, agent.id, agent.roles, bestRoleHolder(request, this.candidates(), now));
      try {
        const events = await this.change(
          call.id,
          {
            type: 'AssignServiceCall',
            data: { agentId: agent.id, trigger: options.trigger ?? call.routingTrigger ?? 'OPENED', reasons: decision.reasons, runnerUp, steps },
          },
          options,
          options.key,
        );
        return { events, outcome: 'ASSIGNED' };
      } catch (error) {
        // the call changed meanwhile (resolved, assigned by a manager): the agent gets the slot back
        await this.release(agent.id, call.id, 'not assigned').catch(() => undefined);
        throw error;
      }
    }
    this.logger.warn(`call ${call.id}: every agent routing chose was taken first (${MAX_TAKE_ATTEMPTS} tries); it is routed again when the queue is served`);
    if (!options.queueWhenNobody) return { events: [], outcome: 'QUEUED' };
    const events = await this.change(call.id, { type: 'QueueServiceCall', data: { reasons: ['contended'] } }, options, `queue:${call.routingRound ?? 1}`);
    return { events, outcome: 'QUEUED' };
  }

  /** The agent gives the call's slot back (a no-op when they do not hold it). */
  async release(agentId: string, callId: string, reason: string): Promise<void> {
    const { agent } = await this.agents.releaseCall(agentId, callId, reason, { actor: WORKFLOW_ACTOR });
    this.remember(agent);
  }

  /** The call's events after `afterVersion`, oldest first. */
  async eventsAfter(callId: string, afterVersion: number): Promise<RecordedEvent[]> {
    return this.store.readStream(serviceCallStreamId(callId), afterVersion);
  }

  /** Routing candidates: the read model's agents, with the ones this worker changed as their streams answered. */
  candidates(): RoutingCandidate[] {
    const now = Date.now();
    if (!this.cached || now - this.cached.at > CANDIDATES_TTL_MS) {
      this.cached = { at: now, agents: new Map(this.agentsStore.all().map((a) => [a.id, a])) };
    }
    const merged = new Map(this.cached.agents);
    for (const [id, agent] of this.fresh) {
      const stored = merged.get(id);
      if (!stored || stored.version < agent.version) merged.set(id, agent);
      else this.fresh.delete(id); // the read model has caught up
    }
    return [...merged.values()].map(routingCandidateOf);
  }

  /** The next decision reads the agents from the read model again (they changed). */
  forgetCandidates(): void {
    this.cached = undefined;
  }

  private remember(agent: Agent): void {
    const known = this.fresh.get(agent.id);
    if (!known || known.version < agent.version) this.fresh.set(agent.id, agent);
  }


  private async loadCall(callId: string): Promise<ServiceCall | undefined> {
    const state = foldServiceCall(await this.store.readStream(serviceCallStreamId(callId)));
    return callExists(state) ? state : undefined;
  }

  private async change(
    callId: string,
    command: ConstructorParameters<typeof ChangeServiceCallCommand>[1],
    options: { actor: string; expectedVersion?: number },
    idempotencyKey: string,
  ): Promise<RecordedEvent[]> {
    const result = await this.commandBus.execute(
      new ChangeServiceCallCommand(callId, command, { actor: options.actor, idempotencyKey, ...(options.expectedVersion !== undefined ? { expectedVersion: options.expectedVersion } : {}) }),
    );
    return result.events;
  }
}
