import { ConflictError, isFinished } from '@app/domain';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { AgentRepository } from '../agents/agent.repository';
import { CommandResult, ServiceCallCommandProcessor } from '../commands/service-call-command.processor';
import { ServiceCallRepository } from '../commands/service-call.repository';
import { alreadyRecorded } from '../shared/stream-command';
import { RerouteServiceCallCommand } from './reroute-service-call.command';

/**
 * The call records CallUnassigned (only if the agent read still holds it), then that agent releases
 * it. A call without an agent, or a finished one, is refused: it is routed as soon as an agent is free.
 * A repeated idempotency key answers with the first result and releases once.
 */
@CommandHandler(RerouteServiceCallCommand)
export class RerouteServiceCallHandler implements ICommandHandler<RerouteServiceCallCommand, CommandResult> {
  constructor(
    private readonly calls: ServiceCallRepository,
    private readonly processor: ServiceCallCommandProcessor,
    private readonly agents: AgentRepository,
  ) {}

  async execute({ callId, reason, options }: RerouteServiceCallCommand): Promise<CommandResult> {
    const { call, events } = await this.calls.getWithEvents(callId);
    if (!alreadyRecorded(events, options)) {
      if (isFinished(call)) throw new ConflictError(`service call is ${call.status}`, call.version);
      if (!call.assignee) throw new ConflictError('the call waits for an agent; it is routed as soon as one is free', call.version);
    }
    const now = options.now ?? new Date();
    const result = await this.processor.execute(
      callId,
      { type: 'UnassignServiceCall', data: { trigger: 'REROUTE', reason, expectedAgentId: call.assignee ?? '' } },
      { ...options, now },
    );
    const unassigned = result.events.find((e) => e.type === 'CallUnassigned')?.data as { agentId: string } | undefined;
    if (!unassigned) return result;
    const released = await this.agents.releaseCall(unassigned.agentId, callId, 'rerouted', { actor: options.actor, idempotencyKey: options.idempotencyKey, now });
    return { ...result, position: Math.max(result.position, released.position) };
  }
}
