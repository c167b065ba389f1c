import { AgentCommand } from '@app/domain';
import { Command } from '@nestjs/cqrs';
import { AgentCommandOptions, AgentCommandResult } from './agent.repository';

/** Any command on an existing agent: update, absences, availability (and the workflow's take/release). */
export class ChangeAgentCommand extends Command<AgentCommandResult> {
  constructor(
    readonly agentId: string,
    readonly command: Exclude<AgentCommand, { type: 'RegisterAgent' }>,
    readonly options: AgentCommandOptions,
  ) {
    super();
  }
}
