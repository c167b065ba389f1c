import { validateChosenAgentId } from '@app/domain';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { newAgentId } from './agent-id';
import { AgentCommandResult, AgentRepository } from './agent.repository';
import { RegisterAgentCommand } from './register-agent.command';

@CommandHandler(RegisterAgentCommand)
export class RegisterAgentHandler implements ICommandHandler<RegisterAgentCommand, AgentCommandResult> {
  constructor(private readonly agents: AgentRepository) {}

  async execute({ input, options }: RegisterAgentCommand): Promise<AgentCommandResult> {
    const { id, ...profile } = input;
    const agentId = id === undefined || id === null ? newAgentId(options.actor, options.idempotencyKey) : validateChosenAgentId('id', id);
    // the profile is validated by the decider; a taken id is a CONFLICT (unless it is this key's own retry)
    return this.agents.execute(agentId, { type: 'RegisterAgent', data: { agentId, input: profile } }, options);
  }
}
