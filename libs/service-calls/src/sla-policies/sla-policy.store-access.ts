import { defineSlaPolicy, SLA_POLICY_KEYS_STREAM, SlaPolicy, slaPolicyStreamId } from '@app/domain';
import { AppendResult, EventStore, NO_STREAM, WrongExpectedVersionError } from '@app/event-store';

/** Attempts when someone else appended to the same stream between our read and our append. */
const MAX_ATTEMPTS = 10;

/**
 * Adds a key to `SlaPolicyKeys` unless it is there. Appends expecting the version read, so two
 * concurrent registrations of different keys both land (the loser re-reads) and one key lands once.
 */
export async function registerSlaPolicyKey(store: EventStore, key: string, actor: string, now: Date): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const events = await store.readStream(SLA_POLICY_KEYS_STREAM);
    if (events.some((e) => e.data.key === key)) return;
    try {
      await store.appendToStream(
        SLA_POLICY_KEYS_STREAM,
        [{ type: 'SlaPolicyKeyRegistered', data: { key }, metadata: { at: now.toISOString(), actor } }],
        events.length === 0 ? NO_STREAM : events.length,
      );
      return;
    } catch (error) {
      if (!(error instanceof WrongExpectedVersionError) || attempt >= MAX_ATTEMPTS) throw error;
    }
  }
}

/**
 * Appends the next definition of a policy: registers the key first (so the catalog finds it), then
 * appends expecting the version just read. `onlyIfNew` (the seeder) leaves an existing policy alone.
 */
export async function appendSlaPolicy(
  store: EventStore,
  policy: SlaPolicy,
  ctx: { actor: string; now: Date; onlyIfNew?: boolean },
): Promise<(AppendResult & { version: number }) | undefined> {
  const streamId = slaPolicyStreamId(policy.key);
  await registerSlaPolicyKey(store, policy.key, ctx.actor, ctx.now);
  for (let attempt = 1; ; attempt++) {
    const current = (await store.readLastEvent(streamId))?.streamVersion ?? 0;
    if (ctx.onlyIfNew && current > 0) return undefined;
    const event = defineSlaPolicy(current, policy, ctx);
    try {
      const appended = await store.appendToStream(
        streamId,
        [{ type: event.type, data: event.data, metadata: { at: event.data.at, actor: ctx.actor } }],
        current === 0 ? NO_STREAM : current,
      );
      return { ...appended, version: event.data.version };
    } catch (error) {
      if (!(error instanceof WrongExpectedVersionError) || attempt >= MAX_ATTEMPTS) throw error;
    }
  }
}
