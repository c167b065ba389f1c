import { Agent, AgentCommand, agentExists, AgentEvent, agentStreamId, ConflictError, decideAgent, evolveAgent, foldAgent, NotFoundError } from '@app/domain';
import { EventStore, RecordedEvent, WrongExpectedVersionError } from '@app/event-store';
import { Injectable } from '@nestjs/common';

export interface AgentCommandOptions {
  /** `apikey:<name>`, `workflow` or `system` */
  actor: string;
  /** the same key again (same actor, same agent) appends nothing and returns the agent as it is */
  idempotencyKey?: string;
  /** refuse with CONFLICT unless the agent is at this version */
  expectedVersion?: number;
  now?: Date;
}

export interface AgentCommandResult {
  agent: Agent;
  /** the events this command appended (or appended the first time, for a repeated idempotency key) */
  events: RecordedEvent[];
  /** global position the read models must reach to show this result */
  position: number;
}

/** Attempts when another writer appended to the agent's stream between our read and our append. */
const MAX_ATTEMPTS = 10;

/**
 * The agent aggregate's store access: read the stream, fold, decide, append with the expected
 * version. A lost race is decided again on the fresh state, so two routings that both saw the last
 * free slot cannot both take it: the second re-decides against a full agent and is refused.
 */
@Injectable()
export class AgentRepository {
  constructor(private readonly store: EventStore) {}

  /** The agent as its stream has it now (not the read model, which may lag); undefined when unknown. */
  async load(agentId: string): Promise<Agent | undefined> {
    const state = foldAgent(await this.store.readStream(agentStreamId(agentId)));
    return agentExists(state) ? state : undefined;
  }

  async execute(agentId: string, command: AgentCommand, options: AgentCommandOptions): Promise<AgentCommandResult> {
    const streamId = agentStreamId(agentId);
    const scopedKey = options.idempotencyKey ? `${options.actor}:${options.idempotencyKey}` : undefined;
    for (let attempt = 1; ; attempt++) {
      const recorded = await this.store.readStream(streamId);
      const state = foldAgent(recorded);
      const last = recorded.length ? recorded[recorded.length - 1].position : 0;
      if (scopedKey && agentExists(state)) {
        const earlier = recorded.filter((e) => e.metadata.idempotencyKey === scopedKey);
        if (earlier.length > 0) return { agent: state, events: earlier, position: last };
      }
      if (options.expectedVersion !== undefined && options.expectedVersion !== state.version) {
        throw new ConflictError(`expected version ${options.expectedVersion}, but the agent is at version ${state.version}`, state.version, 'expectedVersion');
      }
      const now = options.now ?? new Date();
      const events = decideAgent(state, command, { now, actor: options.actor });
      if (events.length === 0) {
        if (!agentExists(state)) throw new Error('a command on a missing agent must be refused by the decider');
        return { agent: state, events: [], position: last };
      }
      const metadata = { at: now.toISOString(), actor: options.actor, ...(scopedKey ? { idempotencyKey: scopedKey } : {}) };
      try {
        const appended = await this.store.appendToStream(
          streamId,
          events.map((e) => ({ type: e.type, data: e.data as Record<string, unknown>, metadata })),
          state.version,
        );
        const agent = events.reduce(evolveAgent, state);
        if (!agentExists(agent)) throw new Error('an appended agent must exist');
        const first = appended.position - events.length + 1;
        return { agent, position: appended.position, events: events.map((e, i) => recordedOf(streamId, e, state.version + i + 1, first + i, metadata)) };
      } catch (error) {
        if (!(error instanceof WrongExpectedVersionError)) throw error;
        if (options.expectedVersion !== undefined) throw new ConflictError('the agent was changed concurrently; read it again and retry', error.actual, 'expectedVersion');
        if (attempt >= MAX_ATTEMPTS) throw new ConflictError('the agent kept changing concurrently; retry later', error.actual);
      }
    }
  }

  /**
   * Adds a call to the agent's load. Refused (ConflictError) when the agent is not AVAILABLE, absent
   * at `now`, or (without `override`) full; a call already held is a no-op.
   */
  takeCall(agentId: string, callId: string, options: { override?: boolean; now?: Date; actor?: string } = {}): Promise<AgentCommandResult> {
    return this.execute(agentId, { type: 'TakeCall', data: { callId, override: options.override ?? false } }, { actor: options.actor ?? 'workflow', now: options.now });
  }

  /** Removes a call from the agent's load (resolved, rerouted, reassigned); a call not held is a no-op. */
  releaseCall(agentId: string, callId: string, reason: string, options: { now?: Date; actor?: string } = {}): Promise<AgentCommandResult> {
    return this.execute(agentId, { type: 'ReleaseCall', data: { callId, reason } }, { actor: options.actor ?? 'workflow', now: options.now });
  }

  /** Like load, but NOT_FOUND for an unknown agent (field names what the caller sent). */
  async get(agentId: string, field = 'agentId'): Promise<Agent> {
    const agent = await this.load(agentId);
    if (!agent) throw new NotFoundError(`agent ${agentId} not found`, field);
    return agent;
  }
}

function recordedOf(streamId: string, e: AgentEvent, streamVersion: number, position: number, metadata: RecordedEvent['metadata']): RecordedEvent {
  return { streamId, type: e.type, data: e.data as Record<string, unknown>, metadata, streamVersion, position, recordedAt: metadata.at };
}
