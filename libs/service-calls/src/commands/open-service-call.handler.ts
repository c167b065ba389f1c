import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { ProcessTemplateCatalog } from '../process-templates/process-template.catalog';
import { SlaPolicyCatalog } from '../sla-policies/sla-policy.catalog';
import { OpenServiceCallCommand } from './open-service-call.command';
import { CommandResult, ServiceCallCommandProcessor } from './service-call-command.processor';
import { newCallId, newTrackingCode } from './tracking-code';

@CommandHandler(OpenServiceCallCommand)
export class OpenServiceCallHandler implements ICommandHandler<OpenServiceCallCommand, CommandResult> {
  constructor(
    private readonly processor: ServiceCallCommandProcessor,
    private readonly templates: ProcessTemplateCatalog,
    private readonly slaPolicies: SlaPolicyCatalog,
  ) {}

  async execute({ input, options }: OpenServiceCallCommand): Promise<CommandResult> {
    const callId = newCallId(options.actor, options.idempotencyKey);
    const process = await this.templates.resolve(input.processKey ?? undefined, input.category);
    // the input is validated by the decider; a malformed category or priority only matches the catch-all policies here
    const slaPolicy = await this.slaPolicies.select({
      category: typeof input.category === 'string' ? input.category : '',
      priority: input.priority ?? 'NORMAL',
    });
    const command = { type: 'OpenServiceCall' as const, data: { callId, trackingCode: newTrackingCode(), input, process, slaPolicy } };
    // a concurrent open with the same key loses the append race, re-reads, and answers with the winner's call
    return this.processor.execute(callId, command, options);
  }
}
