import { bestRoleHolder, ConflictError, LIMITS, optionalText, routingRequestOf, stepAssignments } from '@app/domain';
import { Logger } from '@nestjs/common';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { AgentCommandResult, AgentRepository } from '../agents/agent.repository';
import { ServiceCallCommandProcessor } from '../commands/service-call-command.processor';
import { ServiceCallRepository } from '../commands/service-call.repository';
import { mayCompensate, withStepKey } from '../shared/append-outcome';
import { alreadyRecorded, CommandEvent } from '../shared/stream-command';
import { AgentRefusedCallError, AssignmentRequest, AssignServiceCallCommand, AssignServiceCallResult } from './assign-service-call.command';

/**
 * Two streams, one order: the agent takes the call (their stream appends with its expected version,
 * so two assignments cannot both take a last free slot), the call records CallAssigned, and the
 * agent who had the call releases it. When the call refuses, the agent gets the slot back; an append
 * that failed ambiguously (a network error after the store committed) counts as refused only once
 * the call's stream, read again, shows it did not land (executeOnStream). A repeated idempotency key
 * takes nobody and answers with the first result.
 */
@CommandHandler(AssignServiceCallCommand)
export class AssignServiceCallHandler implements ICommandHandler<AssignServiceCallCommand, AssignServiceCallResult> {
  private readonly logger = new Logger('AssignServiceCall');

  constructor(
    private readonly calls: ServiceCallRepository,
    private readonly processor: ServiceCallCommandProcessor,
    private readonly agents: AgentRepository,
  ) {}

  async execute({ callId, assignment, options }: AssignServiceCallCommand): Promise<AssignServiceCallResult> {
    const { call, events } = await this.calls.getWithEvents(callId);
    const now = options.now ?? new Date();
    const run = { ...options, now };
    if (alreadyRecorded(events, options)) {
      const result = await this.processor.execute(callId, { type: 'AssignServiceCall', data: { agentId: assignment.agentId, trigger: assignment.trigger } }, run);
      return { ...result, position: Math.max(result.position, await this.releasePrevious(result.events, callId, run)) };
    }
    // a note the call would refuse is refused before the agent takes anything
    const reason = optionalText('reason', assignment.reason, LIMITS.outcome);
    const taken = await this.take(assignment, callId, run);
    const agent = taken.agent;
    let result;
    try {
      const steps = stepAssignments(call, agent.id, agent.roles, bestRoleHolder(routingRequestOf(call), assignment.candidates, now));
      // always with a key: an append that failed but may have been written is read back, never undone blindly
      result = await this.processor.execute(callId, { type: 'AssignServiceCall', data: assignmentData(assignment, steps, reason) }, withStepKey(run, 'assign'));
    } catch (error) {
      // the call was not given to them: no capacity leaks (unless nobody can tell whether it was: then it stays)
      if (taken.events.length > 0 && mayCompensate(error)) {
        await this.agents.releaseCall(agent.id, callId, 'assignment-refused', { actor: run.actor, now }).catch((e: unknown) => this.logger.error(`release of ${agent.id} failed: ${String(e)}`));
      }
      throw error;
    }
    return { ...result, agent, position: Math.max(result.position, await this.releasePrevious(result.events, callId, run)) };
  }

  private async take(assignment: AssignmentRequest, callId: string, options: { actor: string; now: Date }): Promise<AgentCommandResult> {
    try {
      return await this.agents.takeCall(assignment.agentId, callId, { override: assignment.override, now: options.now, actor: options.actor });
    } catch (error) {
      throw error instanceof ConflictError ? new AgentRefusedCallError(assignment.agentId, error) : error;
    }
  }

  /** The agent who had the call gives it back (with the command's key: a repeat does it once); the position to wait for. */
  private async releasePrevious(events: readonly CommandEvent[], callId: string, options: { actor: string; idempotencyKey?: string; now: Date }): Promise<number> {
    const assigned = events.find((e) => e.type === 'CallAssigned')?.data as { agentId: string; previousAgentId: string | null } | undefined;
    if (!assigned?.previousAgentId || assigned.previousAgentId === assigned.agentId) return 0;
    return (await this.agents.releaseCall(assigned.previousAgentId, callId, 'reassigned', options)).position;
  }
}

function assignmentData({ agentId, trigger, reasons, runnerUp }: AssignmentRequest, steps: { stepKey: string; agentId: string }[], reason: string | undefined) {
  return { agentId, trigger, steps, ...(reasons ? { reasons } : {}), ...(runnerUp !== undefined ? { runnerUp } : {}), ...(reason ? { reason } : {}) };
}
