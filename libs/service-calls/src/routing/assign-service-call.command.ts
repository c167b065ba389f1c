import { Agent, AssignServiceCallData, ConflictError, RoutingCandidate } from '@app/domain';
import { Command } from '@nestjs/cqrs';
import { CommandOptions, CommandResult } from '../commands/service-call-command.processor';

/** Who gets the call, and how routing or a manager came to it. */
export interface AssignmentRequest extends Omit<AssignServiceCallData, 'steps'> {
  /** a manager's assignment: past the agent's capacity (never to an AWAY, OFFLINE or absent agent) */
  override: boolean;
  /** the agents a step's role may go to when the assignee does not hold that role */
  candidates: readonly RoutingCandidate[];
}

export interface AssignServiceCallResult extends CommandResult {
  /** the agent as their stream answered the take (newer than the read models); none on a repeated idempotency key */
  agent?: Agent;
}

/**
 * Gives a call to an agent: the agent's stream takes it first (their capacity is the guard), then the
 * call records CallAssigned, then the agent who had it releases it. One saga for routing and managers.
 */
export class AssignServiceCallCommand extends Command<AssignServiceCallResult> {
  constructor(
    readonly callId: string,
    readonly assignment: AssignmentRequest,
    readonly options: CommandOptions,
  ) {
    super();
  }
}

/** The agent's stream refused the call (full, away, offline, absent, or kept changing): routing may try another agent. */
export class AgentRefusedCallError extends ConflictError {
  constructor(
    readonly agentId: string,
    refusal: ConflictError,
  ) {
    super(refusal.message, refusal.currentVersion, refusal.field);
    this.name = 'AgentRefusedCallError';
  }
}
