import { Command } from '@nestjs/cqrs';
import { CommandOptions, CommandResult } from '../commands/service-call-command.processor';

/** A manager takes the call's agent off it; the call's workflow routes it again, never to the same agent. */
export class RerouteServiceCallCommand extends Command<CommandResult> {
  constructor(
    readonly callId: string,
    readonly reason: string,
    readonly options: CommandOptions,
  ) {
    super();
  }
}
