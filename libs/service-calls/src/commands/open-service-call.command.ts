import { OpenServiceCallInput } from '@app/domain';
import { Command } from '@nestjs/cqrs';
import { CommandOptions, CommandResult } from './service-call-command.processor';

export class OpenServiceCallCommand extends Command<CommandResult> {
  constructor(
    readonly input: OpenServiceCallInput & { processKey?: string },
    readonly options: CommandOptions,
  ) {
    super();
  }
}
