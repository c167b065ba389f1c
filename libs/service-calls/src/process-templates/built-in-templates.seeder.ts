import {
  BUILT_IN_TEMPLATES,
  defineProcessTemplate,
  processTemplateStreamId,
  SYSTEM_ACTOR,
  validateProcessTemplateInput,
} from '@app/domain';
import { EventStore, NO_STREAM, WrongExpectedVersionError } from '@app/event-store';
import { Injectable, OnModuleInit } from '@nestjs/common';

/**
 * Makes each built-in template version 1 of an ordinary template stream, once: a stream that exists
 * (seeded before, or redefined by a manager) is left alone. The API and the worker both run this at
 * start-up; with NO_STREAM only one append can win, and the loser has nothing left to do.
 */
export async function seedBuiltInTemplates(store: EventStore, now: Date = new Date()): Promise<number> {
  let appended = 0;
  for (const builtIn of BUILT_IN_TEMPLATES) {
    const streamId = processTemplateStreamId(builtIn.key);
    if (await store.readLastEvent(streamId)) continue;
    const event = defineProcessTemplate(0, validateProcessTemplateInput(builtIn), { now, actor: SYSTEM_ACTOR });
    try {
      await store.appendToStream(streamId, [{ type: event.type, data: event.data, metadata: { at: event.data.at, actor: SYSTEM_ACTOR } }], NO_STREAM);
      appended += 1;
    } catch (error) {
      if (!(error instanceof WrongExpectedVersionError)) throw error;
    }
  }
  return appended;
}

@Injectable()
export class BuiltInTemplatesSeeder implements OnModuleInit {
  constructor(private readonly store: EventStore) {}

  async onModuleInit(): Promise<void> {
    await seedBuiltInTemplates(this.store);
  }
}
