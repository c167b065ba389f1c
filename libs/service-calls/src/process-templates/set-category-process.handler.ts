import { categoryProcessStreamId, processTemplateStreamId, validateCategoryProcess } from '@app/domain';
import { EventStore } from '@app/event-store';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { executeOnStream } from '../shared/stream-command';
import { categoryProcessStream } from './process-template.streams';
import { SetCategoryProcessCommand, SetCategoryProcessResult } from './set-category-process.command';

@CommandHandler(SetCategoryProcessCommand)
export class SetCategoryProcessHandler implements ICommandHandler<SetCategoryProcessCommand, SetCategoryProcessResult> {
  constructor(private readonly store: EventStore) {}

  async execute({ category, processKey, options }: SetCategoryProcessCommand): Promise<SetCategoryProcessResult> {
    const mapping = validateCategoryProcess({ category, processKey });
    // templates are never removed: once it exists, the mapping stays valid
    const templateExists = (await this.store.readLastEvent(processTemplateStreamId(mapping.processKey))) !== undefined;
    const { events, position } = await executeOnStream(
      this.store,
      categoryProcessStream(mapping.category),
      categoryProcessStreamId(mapping.category),
      { mapping, templateExists },
      options,
    );
    return { changed: events.length > 0, position };
  }
}
