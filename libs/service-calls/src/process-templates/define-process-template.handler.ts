import {
  ConflictError,
  defineProcessTemplate,
  ProcessTemplateDefined,
  processTemplateOf,
  processTemplateStreamId,
  validateProcessTemplateInput,
  ValidationError,
} from '@app/domain';
import { EventStore, NO_STREAM, RecordedEvent, WrongExpectedVersionError } from '@app/event-store';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { DefineProcessTemplateCommand, DefineProcessTemplateResult } from './define-process-template.command';

/** Attempts when another manager defined the same key between our read and our append. */
const MAX_ATTEMPTS = 10;

/**
 * Validate, read the template's stream, decide the next version, append expecting the version read.
 * Two concurrent definitions of one key both land, as consecutive versions.
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
    const streamId = processTemplateStreamId(definition.key);
    const scopedKey = options.idempotencyKey ? `${options.actor}:${options.idempotencyKey}` : undefined;

    for (let attempt = 1; ; attempt++) {
      let latest: RecordedEvent | undefined;
      if (scopedKey) {
        // only a command with a key needs the whole stream: to find its own earlier version
        const events = await this.store.readStream(streamId);
        const earlier = events.find((e) => e.metadata.idempotencyKey === scopedKey);
        if (earlier) return { template: processTemplateOf(earlier.data as ProcessTemplateDefined['data']), position: earlier.position };
        latest = events[events.length - 1];
      } else {
        latest = await this.store.readLastEvent(streamId);
      }
      const current = latest?.streamVersion ?? 0;
      if (expectedVersion !== undefined && expectedVersion !== current) throw stale(definition.key, expectedVersion, current);

      const now = options.now ?? new Date();
      const event = defineProcessTemplate(current, definition, { now, actor: options.actor });
      const metadata = { at: event.data.at, actor: options.actor, ...(scopedKey ? { idempotencyKey: scopedKey } : {}) };
      try {
        const appended = await this.store.appendToStream(streamId, [{ type: event.type, data: event.data, metadata }], current === 0 ? NO_STREAM : current);
        return { template: processTemplateOf(event.data), position: appended.position };
      } catch (error) {
        if (!(error instanceof WrongExpectedVersionError)) throw error;
        if (expectedVersion !== undefined) throw stale(definition.key, expectedVersion, error.actual);
        if (attempt >= MAX_ATTEMPTS) {
          throw new ConflictError(`process template ${definition.key} kept changing concurrently; retry`, error.actual, 'key');
        }
      }
    }
  }
}

function stale(key: string, expected: number, current: number): ConflictError {
  return new ConflictError(`expected process template ${key} at version ${expected}, but it is at version ${current}`, current, 'expectedVersion');
}
