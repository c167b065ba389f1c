import { NotFoundError } from '@app/domain';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { ChangeServiceCallCommand } from './change-service-call.command';
import { CommandResult, ServiceCallCommandProcessor } from './service-call-command.processor';
import { isCallId } from './tracking-code';

@CommandHandler(ChangeServiceCallCommand)
export class ChangeServiceCallHandler implements ICommandHandler<ChangeServiceCallCommand, CommandResult> {
  constructor(private readonly processor: ServiceCallCommandProcessor) {}

  execute({ callId, command, options }: ChangeServiceCallCommand): Promise<CommandResult> {
    if (!isCallId(callId)) throw new NotFoundError(`service call ${callId} not found`, 'callId');
    return this.processor.execute(callId, command, options);
  }
}
