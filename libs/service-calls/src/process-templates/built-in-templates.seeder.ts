import { BUILT_IN_TEMPLATES, processTemplateStreamId, SYSTEM_ACTOR, validateProcessTemplateInput } from '@app/domain';
import { EventStore } from '@app/event-store';
import { Injectable, OnModuleInit } from '@nestjs/common';
import { executeOnStream } from '../shared/stream-command';
import { processTemplateStream } from './process-template.streams';

/**
 * Makes each built-in template version 1 of an ordinary template stream, once: a stream that exists
 * (seeded before, or redefined by a manager) is left alone. The API and the worker both run this at
 * start-up; of two concurrent seeders, the one that loses the append race finds the template there.
 */
export async function seedBuiltInTemplates(store: EventStore, now: Date = new Date()): Promise<number> {
  let appended = 0;
  for (const builtIn of BUILT_IN_TEMPLATES) {
    const definition = validateProcessTemplateInput(builtIn);
    const { events } = await executeOnStream(store, processTemplateStream(builtIn.key), processTemplateStreamId(builtIn.key), { definition, onlyIfNew: true }, { actor: SYSTEM_ACTOR, now });
    appended += events.length;
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
