import { categoryProcessStreamId, ConflictError, processTemplateStreamId, setCategoryProcess, validateCategoryProcess } from '@app/domain';
import { EventStore, NO_STREAM, WrongExpectedVersionError } from '@app/event-store';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { SetCategoryProcessCommand, SetCategoryProcessResult } from './set-category-process.command';

const MAX_ATTEMPTS = 10;

@CommandHandler(SetCategoryProcessCommand)
export class SetCategoryProcessHandler implements ICommandHandler<SetCategoryProcessCommand, SetCategoryProcessResult> {
  constructor(private readonly store: EventStore) {}

  async execute({ category, processKey, options }: SetCategoryProcessCommand): Promise<SetCategoryProcessResult> {
    const mapping = validateCategoryProcess({ category, processKey });
    // templates are never removed: once it exists, the mapping stays valid
    const templateExists = (await this.store.readLastEvent(processTemplateStreamId(mapping.processKey))) !== undefined;
    const streamId = categoryProcessStreamId(mapping.category);
    for (let attempt = 1; ; attempt++) {
      const last = await this.store.readLastEvent(streamId);
      const current = last?.type === 'CategoryProcessSet' ? String(last.data.processKey) : undefined;
      const now = options.now ?? new Date();
      const events = setCategoryProcess(current, mapping, templateExists, { now, actor: options.actor });
      if (events.length === 0) return { changed: false, position: last?.position ?? 0 };
      const metadata = { at: now.toISOString(), actor: options.actor };
      try {
        const appended = await this.store.appendToStream(
          streamId,
          events.map((e) => ({ type: e.type, data: e.data, metadata })),
          last ? last.streamVersion : NO_STREAM,
        );
        return { changed: true, position: appended.position };
      } catch (error) {
        // another manager mapped the category meanwhile: decide again against theirs (last writer wins)
        if (!(error instanceof WrongExpectedVersionError)) throw error;
        if (attempt >= MAX_ATTEMPTS) throw new ConflictError(`category ${mapping.category} kept changing concurrently; retry`, error.actual, 'category');
      }
    }
  }
}
