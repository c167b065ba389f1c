import { validateSlaPolicy } from '@app/domain';
import { EventStore } from '@app/event-store';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { DefineSlaPolicyCommand, DefineSlaPolicyResult } from './define-sla-policy.command';
import { appendSlaPolicy } from './sla-policy.store-access';

/** Validate (nothing is stored on an error), then append the key's next definition. Concurrent definitions both land, in order. */
@CommandHandler(DefineSlaPolicyCommand)
export class DefineSlaPolicyHandler implements ICommandHandler<DefineSlaPolicyCommand, DefineSlaPolicyResult> {
  constructor(private readonly store: EventStore) {}

  async execute({ input, options }: DefineSlaPolicyCommand): Promise<DefineSlaPolicyResult> {
    const policy = validateSlaPolicy(input);
    const appended = await appendSlaPolicy(this.store, policy, { actor: options.actor, now: options.now ?? new Date() });
    if (!appended) throw new Error('unreachable: a definition always appends');
    return { policy, version: appended.version, position: appended.position };
  }
}
