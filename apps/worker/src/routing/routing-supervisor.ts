import { activeAbsence, Agent, AGENT_STREAM_PREFIX, callbackWindowState, isFinished, isOpen, nextOpening, ROUTING_ACTOR, serveQueue, ServiceCall } from '@app/domain';
import { RecordedEvent } from '@app/event-store';
import { AgentsStore, PROJECTOR_CHECKPOINT, ReadModelConnection, readCheckpoint, RoutingQueueStore, ServiceCallSummariesStore } from '@app/read-models';
import { ChangeServiceCallCommand, ServiceCallRepository, UnassignServiceCallCommand } from '@app/service-calls';
import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { CallRouter } from './call-router';
import { WakeableSleep } from '../shared/wakeable-sleep';

/** Longest sleep between two looks at agents and queue, whatever is due (a backstop for missed triggers). */
const MAX_IDLE_MS = 30_000;
/** How long a look waits for the read models to show the event that triggered it. */
const READ_MODEL_WAIT_MS = 2_000;

/** Call events after which the queue may be served: a call started waiting, or asked for a callback. */
const QUEUE_EVENTS = new Set(['CallQueued', 'CallbackRequested', 'CallUnassigned']);

/**
 * The routing that no single call's workflow owns, run by the worker:
 * - an agent who is absent now (a scheduled absence has begun) or OFFLINE loses their open calls:
 *   each call records CallUnassigned (naming the absence's replacement), the agent releases it, and
 *   the call's workflow routes it again;
 * - the queue is served in order (SLA due time, then age) whenever capacity may have freed up: a call
 *   released, an agent changed, an absence over, working hours begun, a callback window opened.
 * Everything it does is derived from the events (read models), so a restart loses nothing: it looks
 * again at start, on every trigger from the dispatcher, at the next moment an agent's day or absence
 * changes, and at least every 30 s. Decisions go through the router's one-at-a-time lane.
 */
@Injectable()
export class RoutingSupervisor implements OnApplicationShutdown {
  private readonly logger = new Logger('RoutingSupervisor');
  private running = false;
  private loop?: Promise<void>;
  private dirty = true;
  private waitFor = 0;
  private readonly pause = new WakeableSleep();
  private lastSweep = 0;
  /**
   * How often the sweep runs (finished calls an agent still holds are released; open calls routing never
   * saw join the queue), and how old such a call must be (younger ones are still being routed by their workflow).
   */
  timing = { sweepEveryMs: 30_000, unroutedAfterMs: 30_000 };

  constructor(
    private readonly router: CallRouter,
    private readonly agentsStore: AgentsStore,
    private readonly queue: RoutingQueueStore,
    private readonly calls: ServiceCallRepository,
    private readonly commandBus: CommandBus,
    private readonly readModels: ReadModelConnection,
    private readonly summaries: ServiceCallSummariesStore,
  ) {
    router.onOlderCallsServable = () => this.capacityChanged();
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.dirty = true; // a new leader looks at once
    this.loop = this.run();
  }

  /** Stops looking (this worker no longer leads routing's supervision, or it shuts down). */
  async stop(): Promise<void> {
    this.running = false;
    this.pause.wake();
    await this.loop;
  }

  onApplicationShutdown(): Promise<void> {
    return this.stop();
  }

  /** Capacity may have freed up (a call released): look again soon. */
  capacityChanged(): void {
    this.dirty = true;
    this.pause.wake();
  }

  /** Every event the dispatcher reads: an agent's change, or a call starting to wait, makes it look again. */
  eventSeen(event: RecordedEvent): void {
    if (!event.streamId.startsWith(AGENT_STREAM_PREFIX) && !QUEUE_EVENTS.has(event.type)) return;
    this.waitFor = Math.max(this.waitFor, event.position);
    this.capacityChanged();
  }

  /** One look: take calls off unavailable agents, then serve the queue. Returns when to look again. */
  async lookOnce(now = new Date()): Promise<number> {
    await this.readModelsAt(this.waitFor);
    this.router.forgetCandidates(); // the read models now show what triggered this look
    await this.takeCallsOffUnavailableAgents(now);
    if (now.getTime() - this.lastSweep >= this.timing.sweepEveryMs) {
      this.lastSweep = now.getTime();
      await this.sweep(now);
    }
    await this.serveWaitingCalls(now);
    return await this.nextMoment(now);
  }

  private async run(): Promise<void> {
    while (this.running) {
      let nextAt = Date.now() + MAX_IDLE_MS;
      if (this.dirty) {
        this.dirty = false;
        try {
          nextAt = Math.min(nextAt, await this.lookOnce());
        } catch (error) {
          this.logger.warn(`routing look failed, trying again: ${String(error)}`);
          nextAt = Date.now() + 1_000;
          this.dirty = true;
        }
      }
      // a trigger that came during the look is not lost: look again at once
      if (!this.dirty) await this.pause.sleep(Math.max(10, nextAt - Date.now()));
      if (Date.now() >= nextAt) this.dirty = true;
    }
  }

  private async takeCallsOffUnavailableAgents(now: Date): Promise<void> {
    for (const agent of await this.agentsStore.all()) {
      if (agent.openCalls.length === 0) continue;
      const absence = activeAbsence(agent, now);
      if (!absence && agent.availability !== 'OFFLINE') continue;
      for (const callId of agent.openCalls) {
        const trigger = absence ? 'ASSIGNEE_ABSENT' : 'ASSIGNEE_OFFLINE';
        const reason = absence ? `absent: ${absence.reason}` : 'offline';
        // once per absence (or per time the agent went offline), whoever looks
        const key = absence ? `unassign:${agent.id}:${absence.id}` : `unassign:${agent.id}:offline@${agent.version}`;
        const preferredAgentId = absence?.replacementAgentId ?? null;
        await this.commandBus.execute(new UnassignServiceCallCommand(callId, { trigger, reason, agentId: agent.id, preferredAgentId }, { actor: ROUTING_ACTOR, idempotencyKey: key }));
        this.logger.log(`call ${callId} taken off ${agent.id} (${reason}); its workflow routes it again`);
      }
    }
  }

  /**
   * Repairs what no event asks for: an agent still holding a finished call (a release lost in a crash,
   * or a call whose workflow predates routing) gets the slot back, and an open call routing never saw
   * (opened before any agent existed, or before routing was released) joins the queue. A call whose
   * routing round began less than `unroutedAfterMs` ago (opened, taken off an absent agent, reopened)
   * is left to its own workflow, which is about to route it with the round's own trigger.
   */
  private async sweep(now: Date): Promise<void> {
    const agents = await this.agentsStore.all();
    if (agents.length === 0) return;
    for (const agent of agents) {
      if (agent.openCalls.length === 0) continue;
      const statuses = await this.summaries.statuses(agent.openCalls);
      for (const callId of agent.openCalls) {
        if (isFinished({ status: statuses.get(callId) ?? '' })) await this.router.release(agent.id, callId, 'call finished');
      }
    }
    const before = new Date(now.getTime() - this.timing.unroutedAfterMs).toISOString();
    for (const callId of await this.summaries.unroutedOpenCalls(before)) {
      await this.router.exclusive(async () => {
        const found = await this.calls.loadWithEvents(callId);
        if (!found) return;
        const { call, events } = found;
        if (call.assignee || call.queuedAt || isFinished(call) || roundStartedAt(call, events) >= before) return;
        await this.commandBus.execute(
          new ChangeServiceCallCommand(
            callId,
            { type: 'QueueServiceCall', data: { reasons: ['not-routed-when-opened'] } },
            { actor: ROUTING_ACTOR, idempotencyKey: `queue:${call.routingRound ?? 1}`, expectedVersion: call.version },
          ),
        );
      }).catch((error: unknown) => this.logger.warn(`call ${callId} not queued by the sweep (next sweep tries again): ${String(error)}`));
    }
  }

  /** Serves the queue in its order; each call is re-read from its stream and changed only at that version. */
  private async serveWaitingCalls(now: Date): Promise<void> {
    const waiting = await this.router.waitingCalls(now);
    if (waiting.length === 0) return;
    await this.router.exclusive(async () => {
      const { assignments } = serveQueue(waiting, await this.router.candidates(), now);
      for (const { callId } of assignments) {
        const state = await this.calls.load(callId);
        if (!state || state.assignee || !state.queuedAt) continue;
        const round = state.routingRound;
        // routed again against the loads as they are now (the plan above counted on its own picks)
        const placed = await this.router.place(state, {
          actor: ROUTING_ACTOR,
          key: `serve:${round}`,
          queueWhenNobody: false,
          trigger: 'QUEUE',
          expectedVersion: state.version,
        });
        if (placed.outcome === 'ASSIGNED') this.logger.log(`queued call ${callId} assigned`);
      }
    });
  }

  /** The next moment capacity may appear by itself: an absence starts or ends, an agent's day begins, a callback window opens. */
  private async nextMoment(now: Date): Promise<number> {
    const t = now.getTime();
    let next = t + MAX_IDLE_MS;
    const waiting = (await this.queue.count()) > 0;
    for (const agent of await this.agentsStore.all()) {
      for (const a of agent.absences) {
        if (a.cancelledAt) continue;
        for (const moment of [Date.parse(a.from), Date.parse(a.to)]) if (moment > t && moment < next) next = moment;
      }
      // an agent off work now comes back at their next opening
      if (waiting && agent.workingHours && !isOpen(now, agent.workingHours)) next = Math.min(next, Math.max(t + 1, opensAt(agent, now)));
    }
    for (const w of waiting ? await this.queue.waiting() : []) {
      if (w.callback && callbackWindowState(w.callback, now) === 'BEFORE') next = Math.min(next, Date.parse(w.callback.windowFrom));
    }
    return next;
  }

  private async readModelsAt(position: number): Promise<void> {
    const deadline = Date.now() + READ_MODEL_WAIT_MS;
    while ((await readCheckpoint(this.readModels.db, PROJECTOR_CHECKPOINT)) < position && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  }
}

/** When the call's current routing round began: its opening, or its last CallUnassigned or reopening. */
function roundStartedAt(call: ServiceCall, events: readonly RecordedEvent[]): string {
  const started = events.filter((e) => e.type === 'CallUnassigned' || e.type === 'ServiceCallReopened').at(-1);
  return started ? String(started.data.at) : call.openedAt;
}

/** When the agent's working hours next begin (now, when they are at work). */
function opensAt(agent: Agent, now: Date): number {
  return nextOpening(now, agent.workingHours).getTime();
}
