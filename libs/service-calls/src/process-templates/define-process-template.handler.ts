import { processTemplateOf, processTemplateStreamId, validateProcessTemplateInput, ValidationError } from '@app/domain';
import { EventStore } from '@app/event-store';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { executeOnStream } from '../shared/stream-command';
import { DefineProcessTemplateCommand, DefineProcessTemplateResult } from './define-process-template.command';
import { processTemplateStream } from './process-template.streams';

/**
 * Validate, then append the key's next version expecting the version read (executeOnStream). Two
 * concurrent definitions of one key both land, as consecutive versions; a repeated idempotency key
 * answers with the version it defined.
 */
@CommandHandler(DefineProcessTemplateCommand)
export class DefineProcessTemplateHandler implements ICommandHandler<DefineProcessTemplateCommand, DefineProcessTemplateResult> {
  constructor(private readonly store: EventStore) {}

  async execute({ input, options }: DefineProcessTemplateCommand): Promise<DefineProcessTemplateResult> {
    const definition = validateProcessTemplateInput(input);
    const { expectedVersion } = options;
    if (expectedVersion !== undefined && !(Number.isInteger(expectedVersion) && expectedVersion >= 0)) {
      throw new ValidationError('expectedVersion', 'expectedVersion must be a whole number, 0 for a new template');
    }
    const { events, position } = await executeOnStream(this.store, processTemplateStream(definition.key), processTemplateStreamId(definition.key), { definition }, options);
    const [defined] = events;
    return { template: processTemplateOf(defined.data as Parameters<typeof processTemplateOf>[0]), position };
  }
}
