import { UnassignTrigger } from '@app/domain';
import { Command } from '@nestjs/cqrs';
import { CommandOptions, CommandResult } from '../commands/service-call-command.processor';

export interface Unassignment {
  /** REROUTE (a manager), ASSIGNEE_ABSENT or ASSIGNEE_OFFLINE (routing) */
  trigger: UnassignTrigger;
  reason: string;
  /**
   * The agent to take off the call (routing: the absent or offline agent, whose stream holds the call).
   * Omitted (a manager's reroute): whoever has the call now; a call without an agent, or a finished one, is refused.
   */
  agentId?: string;
  /** the absence's replacement, whom routing prefers for the next round */
  preferredAgentId?: string | null;
}

/** Takes the agent off the call (CallUnassigned) and has them release it; the call's workflow routes it again, never to them. */
export class UnassignServiceCallCommand extends Command<CommandResult> {
  constructor(
    readonly callId: string,
    readonly unassignment: Unassignment,
    readonly options: CommandOptions,
  ) {
    super();
  }
}
