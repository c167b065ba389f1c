import { Command } from '@nestjs/cqrs';
import { AgentCommandOptions, AgentCommandResult } from './agent.repository';

/** Registers an agent (MANAGER). `input.id` picks the id; without it one is generated (`agt_…`). */
export class RegisterAgentCommand extends Command<AgentCommandResult> {
  constructor(
    readonly input: Record<string, unknown>,
    readonly options: Omit<AgentCommandOptions, 'expectedVersion'>,
  ) {
    super();
  }
}
