import { DEFAULT_SLA_POLICY, SYSTEM_ACTOR } from '@app/domain';
import { EventStore } from '@app/event-store';
import { Injectable, OnModuleInit } from '@nestjs/common';
import { appendSlaPolicy } from './sla-policy.store-access';

/**
 * Stores the built-in `default` policy once, when its stream does not exist, so every call finds a
 * policy. A manager may redefine it; the seeder then leaves it alone. API and worker both run it.
 */
export async function seedDefaultSlaPolicy(store: EventStore, now: Date = new Date()): Promise<boolean> {
  const appended = await appendSlaPolicy(store, { ...DEFAULT_SLA_POLICY }, { actor: SYSTEM_ACTOR, now, onlyIfNew: true });
  return appended !== undefined;
}

@Injectable()
export class DefaultSlaPolicySeeder implements OnModuleInit {
  constructor(private readonly store: EventStore) {}

  async onModuleInit(): Promise<void> {
    await seedDefaultSlaPolicy(this.store);
  }
}
