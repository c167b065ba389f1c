import { isAgentId, NotFoundError, validateAbsenceInput } from '@app/domain';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { AgentCommandResult, AgentRepository } from './agent.repository';
import { ChangeAgentCommand } from './change-agent.command';

@CommandHandler(ChangeAgentCommand)
export class ChangeAgentHandler implements ICommandHandler<ChangeAgentCommand, AgentCommandResult> {
  constructor(private readonly agents: AgentRepository) {}

  async execute({ agentId, command, options }: ChangeAgentCommand): Promise<AgentCommandResult> {
    if (!isAgentId(agentId)) throw new NotFoundError(`agent ${agentId} not found`, 'agentId');
    if (command.type === 'ScheduleAbsence') await this.checkReplacement(agentId, command.data.input, options.now ?? new Date());
    return this.agents.execute(agentId, command, options);
  }

  /** A named replacement must be a registered agent: the decider sees one stream only, so this is checked here. */
  private async checkReplacement(agentId: string, input: unknown, now: Date): Promise<void> {
    const { replacementAgentId } = validateAbsenceInput(input, agentId, now);
    if (replacementAgentId !== null && !(await this.agents.load(replacementAgentId))) {
      throw new NotFoundError(`replacement agent ${replacementAgentId} not found`, 'replacementAgentId');
    }
  }
}
