import { ConflictError, isFinished, UnassignTrigger } from '@app/domain';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { AgentRepository } from '../agents/agent.repository';
import { CommandResult, ServiceCallCommandProcessor } from '../commands/service-call-command.processor';
import { ServiceCallRepository } from '../commands/service-call.repository';
import { withStepKey } from '../shared/append-outcome';
import { alreadyRecorded } from '../shared/stream-command';
import { UnassignServiceCallCommand } from './unassign-service-call.command';

const RELEASE_REASONS: Record<UnassignTrigger, string> = { REROUTE: 'rerouted', ASSIGNEE_ABSENT: 'absent', ASSIGNEE_OFFLINE: 'offline' };

/**
 * The call records CallUnassigned (only if that agent still holds it), then the agent releases it
 * unless the call is with them after all: a stale slot on their stream is given back either way. A
 * repeated idempotency key answers with the first result and releases at most once. CallUnassigned is
 * always appended with a key, so an append that failed but was written counts as written (executeOnStream).
 */
@CommandHandler(UnassignServiceCallCommand)
export class UnassignServiceCallHandler implements ICommandHandler<UnassignServiceCallCommand, CommandResult> {
  constructor(
    private readonly calls: ServiceCallRepository,
    private readonly processor: ServiceCallCommandProcessor,
    private readonly agents: AgentRepository,
  ) {}

  async execute({ callId, unassignment, options }: UnassignServiceCallCommand): Promise<CommandResult> {
    const { trigger, reason, preferredAgentId = null } = unassignment;
    const { call, events } = await this.calls.getWithEvents(callId);
    if (unassignment.agentId === undefined && !alreadyRecorded(events, options)) {
      if (isFinished(call)) throw new ConflictError(`service call is ${call.status}`, call.version);
      if (!call.assignee) throw new ConflictError('the call waits for an agent; it is routed as soon as one is free', call.version);
    }
    const agentId = unassignment.agentId ?? call.assignee ?? '';
    const now = options.now ?? new Date();
    const result = await this.processor.execute(callId, { type: 'UnassignServiceCall', data: { trigger, reason, expectedAgentId: agentId, preferredAgentId } }, withStepKey({ ...options, now }, 'unassign'));
    if (!agentId || result.call.assignee === agentId) return result;
    const released = await this.agents.releaseCall(agentId, callId, RELEASE_REASONS[trigger], { actor: options.actor, idempotencyKey: options.idempotencyKey, now });
    return { ...result, position: Math.max(result.position, released.position) };
  }
}
