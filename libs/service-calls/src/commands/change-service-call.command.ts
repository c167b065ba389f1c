import { ServiceCallCommand } from '@app/domain';
import { Command } from '@nestjs/cqrs';
import { CommandOptions, CommandResult } from './service-call-command.processor';

/** Any command on an existing call (start/complete a step, the process manager's commands). */
export class ChangeServiceCallCommand extends Command<CommandResult> {
  constructor(
    readonly callId: string,
    readonly command: Exclude<ServiceCallCommand, { type: 'OpenServiceCall' }>,
    readonly options: CommandOptions,
  ) {
    super();
  }
}
