import { Agent, AgentCommand, agentExists, AgentEvent, AgentState, agentStreamId, ConflictError, decideAgent, evolveAgent, foldAgent, WORKFLOW_ACTOR } from '@app/domain';
import { EventStore } from '@app/event-store';
import { Injectable } from '@nestjs/common';
import { AggregateDefinition, CommandEvent, executeOnStream, StreamCommandOptions } from '../shared/stream-command';

/** `actor`, `idempotencyKey` (same key again from the same actor on the same agent: the first result), `expectedVersion`, `now`. */
export type AgentCommandOptions = StreamCommandOptions;

export interface AgentCommandResult {
  agent: Agent;
  /** the events this command appended (or appended the first time, for a repeated idempotency key) */
  events: CommandEvent[];
  /** global position the read models must reach to show this result */
  position: number;
}

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
    const { state, events, position } = await executeOnStream(this.store, AGENT, agentStreamId(agentId), command, options);
    return { agent: state, events, position };
  }

  /**
   * Adds a call to the agent's load. Refused (ConflictError) when the agent is not AVAILABLE, absent
   * at `now`, or (without `override`) full; a call already held is a no-op.
   */
  takeCall(agentId: string, callId: string, options: { override?: boolean; now?: Date; actor?: string } = {}): Promise<AgentCommandResult> {
    return this.execute(agentId, { type: 'TakeCall', data: { callId, override: options.override ?? false } }, { actor: options.actor ?? WORKFLOW_ACTOR, now: options.now });
  }

  /**
   * Removes a call from the agent's load (resolved, rerouted, reassigned); a call not held is a no-op.
   * With the idempotency key of the command that caused it, a repeat of that command releases once
   * (the key is scoped to the call: one key, e.g. routing's per absence, may release many calls).
   */
  releaseCall(agentId: string, callId: string, reason: string, options: { now?: Date; actor?: string; idempotencyKey?: string } = {}): Promise<AgentCommandResult> {
    const { actor = WORKFLOW_ACTOR, now, idempotencyKey } = options;
    return this.execute(agentId, { type: 'ReleaseCall', data: { callId, reason } }, { actor, now, ...(idempotencyKey ? { idempotencyKey: `${idempotencyKey}:release:${callId}` } : {}) });
  }
}

const AGENT: AggregateDefinition<AgentState, Agent, AgentCommand, AgentEvent> = {
  noun: 'agent',
  fold: foldAgent,
  decide: decideAgent,
  evolve: evolveAgent,
  exists: agentExists,
  lostRace: (actual, pinned) =>
    pinned
      ? new ConflictError('the agent was changed concurrently; read it again and retry', actual, 'expectedVersion')
      : new ConflictError('the agent kept changing concurrently; retry later', actual),
};
