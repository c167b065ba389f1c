import { Agent, callbackWindowState, isFinished, mustWaitBehind, routeCall, RoutingCandidate, routingCandidateOf, routingRequestOf, ServiceCall, WORKFLOW_ACTOR } from '@app/domain';
import { Coordination } from '@app/coordination';
import { AgentsStore, RoutingAgentsStore, RoutingQueueStore, WaitingCall, waitingCallOf } from '@app/read-models';
import { AgentRefusedCallError, AgentRepository, AssignServiceCallCommand, ChangeServiceCallCommand, CommandEvent, ServiceCallRepository } from '@app/service-calls';
import { Injectable, Logger } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';

/** How long the agents read from the read model are reused (the agent stream still guards every take). */
const CANDIDATES_TTL_MS = 250;
/** Agents tried for one call before it is queued (each refusal means someone else took the slot first). */
const MAX_TAKE_ATTEMPTS = 5;

export interface Placement {
  /** the call's events this placement appended (CallAssigned, or CallQueued), none when nothing changed */
  events: CommandEvent[];
  outcome: 'ASSIGNED' | 'QUEUED' | 'NO_AGENTS' | 'UNCHANGED';
}

/** The critical section of routing decisions, across every worker of the deployment. */
export const ROUTING_SECTION = 'routing';

/**
 * Puts calls with agents. One decision at a time across the workers (ROUTING_SECTION): each sees the
 * loads every earlier one left, in this worker or another (the agents read model lags behind the log;
 * every agent routing changed is recorded as its stream answered, in RoutingAgentsStore, and each
 * decision takes per agent the newer of the two), so a burst of calls spreads evenly instead of piling
 * on the agent every decision saw idle. The agent's own stream is the guard (AssignServiceCallCommand
 * takes the call there first, and is refused for a full, away, offline or absent agent); then routing
 * decides again.
 */
@Injectable()
export class CallRouter {
  private readonly logger = new Logger('CallRouter');
  private cached?: { at: number; agents: Map<string, Agent> };
  /** told when a new call had to wait behind older ones that an agent could take now (the supervisor serves them) */
  onOlderCallsServable?: () => void;

  constructor(
    private readonly calls: ServiceCallRepository,
    private readonly agentsStore: AgentsStore,
    private readonly waitingStore: RoutingQueueStore,
    private readonly agents: AgentRepository,
    private readonly commandBus: CommandBus,
    private readonly coordination: Coordination,
    private readonly routed: RoutingAgentsStore,
  ) {}

  /** Runs `work` after every decision queued before it: decisions never interleave, in this worker or any other. */
  exclusive<T>(work: () => Promise<T>): Promise<T> {
    return this.coordination.exclusive(ROUTING_SECTION, work);
  }

  /** The workflow's routing for the call's round `round`; nothing when the call is no longer waiting for it. */
  route(callId: string, round: number): Promise<Placement> {
    return this.exclusive(async () => {
      const call = await this.calls.load(callId);
      if (!call || isFinished(call) || call.assignee || call.queuedAt || call.routingRound !== round) {
        return { events: [], outcome: 'UNCHANGED' };
      }
      const options = { actor: WORKFLOW_ACTOR, key: `route:${round}`, queueWhenNobody: true };
      if (await this.olderCallsFirst(call)) {
        // no newer call overtakes an older one of the same urgency: it waits, and the queue is served in order
        const queued = await this.queueUnless(call, ['older-calls-first'], options);
        this.onOlderCallsServable?.();
        return queued;
      }
      return this.place(call, options);
    });
  }

  /** Calls waiting now (callbacks only inside their window), in serving order. */
  async waitingCalls(now: Date): Promise<WaitingCall[]> {
    return (await this.waitingStore.waiting()).filter((w) => !w.callback || callbackWindowState(w.callback, now) !== 'BEFORE');
  }

  /** Whether the call must wait behind calls already waiting (no newer call overtakes an older one of the same urgency). */
  private async olderCallsFirst(call: ServiceCall): Promise<boolean> {
    const now = new Date();
    const self = waitingCallOf({ ...call, queuedAt: now.toISOString() }, now);
    const others = (await this.waitingCalls(now)).filter((w) => w.callId !== call.id);
    // nobody waiting (the usual case): no need to read the agents
    return !!self && others.length > 0 && mustWaitBehind(self, others, await this.candidates(), now);
  }

  /**
   * Routes `call` (as read just now): the best eligible agent takes it and the call records CallAssigned
   * (AssignServiceCallCommand: one saga for routing and managers). An agent who refuses (someone else
   * got the slot, or they just went away) is decided again on their stream's answer. Nobody eligible:
   * CallQueued when `queueWhenNobody` (the call waits to be served).
   */
  async place(
    call: ServiceCall,
    options: { actor: string; key: string; queueWhenNobody: boolean; trigger?: 'QUEUE'; expectedVersion?: number },
  ): Promise<Placement> {
    const request = routingRequestOf(call);
    const now = new Date();
    for (let attempt = 1; attempt <= MAX_TAKE_ATTEMPTS; attempt++) {
      const candidates = await this.candidates();
      if (candidates.length === 0) return { events: [], outcome: 'NO_AGENTS' };
      const decision = routeCall(request, candidates, now);
      if (decision.outcome === 'QUEUED') return this.queueUnless(call, decision.reasons, options);
      const runnerUp = decision.runnerUp
        ? { agentId: decision.runnerUp.agentId, reasons: [`load:${decision.runnerUp.score.openCalls}/${decision.runnerUp.score.capacity}`, `skill:${decision.runnerUp.score.skillLevel}`] }
        : null;
      const assignment = { agentId: decision.agentId, trigger: options.trigger ?? call.routingTrigger ?? 'OPENED', override: false, reasons: decision.reasons, runnerUp, candidates };
      try {
        const result = await this.commandBus.execute(
          new AssignServiceCallCommand(call.id, assignment, { actor: options.actor, idempotencyKey: options.key, now, ...(options.expectedVersion !== undefined ? { expectedVersion: options.expectedVersion } : {}) }),
        );
        if (result.agent) await this.remember(result.agent);
        return { events: result.events, outcome: 'ASSIGNED' };
      } catch (error) {
        if (!(error instanceof AgentRefusedCallError)) throw error;
        const current = await this.agents.load(decision.agentId);
        if (current) await this.remember(current);
      }
    }
    this.logger.warn(`call ${call.id}: every agent routing chose was taken first (${MAX_TAKE_ATTEMPTS} tries); it is routed again when the queue is served`);
    return this.queueUnless(call, ['contended'], options);
  }

  /** CallQueued for the call's round (`queueWhenNobody`), or nothing: the queue already holds it. */
  private async queueUnless(call: ServiceCall, reasons: string[], options: { actor: string; queueWhenNobody: boolean; expectedVersion?: number }): Promise<Placement> {
    if (!options.queueWhenNobody) return { events: [], outcome: 'QUEUED' };
    const { actor, expectedVersion } = options;
    const result = await this.commandBus.execute(
      new ChangeServiceCallCommand(call.id, { type: 'QueueServiceCall', data: { reasons } }, { actor, idempotencyKey: `queue:${call.routingRound}`, ...(expectedVersion !== undefined ? { expectedVersion } : {}) }),
    );
    return { events: result.events, outcome: 'QUEUED' };
  }

  /**
   * The agent gives the call's slot back (a no-op when they do not hold it). Outside the critical
   * section: the decisions after the release is recorded see the room (none undoes it, see RoutingAgentsStore).
   */
  async release(agentId: string, callId: string, reason: string): Promise<void> {
    const { agent } = await this.agents.releaseCall(agentId, callId, reason, { actor: WORKFLOW_ACTOR });
    await this.remember(agent);
  }

  /** Routing candidates: the read model's agents, each as routing (any worker's) left them when that is newer. */
  async candidates(): Promise<RoutingCandidate[]> {
    const now = Date.now();
    if (!this.cached || now - this.cached.at > CANDIDATES_TTL_MS) {
      this.cached = { at: now, agents: new Map((await this.agentsStore.all()).map((a) => [a.id, a])) };
    }
    return (await this.routed.newest(this.cached.agents)).map(routingCandidateOf);
  }

  /** The next decision reads the agents from the read model again (they changed). */
  forgetCandidates(): void {
    this.cached = undefined;
  }

  /**
   * The agent as their stream answered routing, for every later decision in every worker. Not recorded
   * (the database failed): the stream has it all the same, and decisions see it once the read model does.
   */
  private async remember(agent: Agent): Promise<void> {
    try {
      await this.routed.record(agent);
    } catch (error) {
      this.logger.warn(`agent ${agent.id} at version ${agent.version} not recorded for routing (decisions see it once the read model does): ${String(error)}`);
    }
  }
}
