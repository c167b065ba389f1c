import { ConflictError, defineSlaPolicy, SLA_POLICY_KEYS_STREAM, SlaPolicy, SlaPolicyDefined, SlaPolicyKeyRegistered, slaPolicyStreamId } from '@app/domain';
import { EventStore } from '@app/event-store';
import { AggregateDefinition, executeOnStream } from '../shared/stream-command';

// The SLA policy streams as aggregates for executeOnStream: `SlaPolicyKeys` (every key ever defined,
// so the catalog finds them) and `SlaPolicy-<key>` (one event per definition).

interface PolicyKeys {
  version: number;
  keys: ReadonlySet<string>;
}

const NO_KEYS: PolicyKeys = { version: 0, keys: new Set() };

const POLICY_KEYS: AggregateDefinition<PolicyKeys, PolicyKeys, { key: string }, SlaPolicyKeyRegistered> = {
  noun: 'SLA policy key list',
  fold: (events) => events.reduce((state, e) => POLICY_KEYS.evolve(state, { type: 'SlaPolicyKeyRegistered', data: { key: String(e.data.key) } }), NO_KEYS),
  decide: ({ key }, state) => (state.keys.has(key) ? [] : [{ type: 'SlaPolicyKeyRegistered', data: { key } }]),
  evolve: (state, event) => ({ version: state.version + 1, keys: new Set([...state.keys, event.data.key]) }),
  exists: (state): state is PolicyKeys => state.version > 0,
  lostRace: (actual) => new ConflictError('SLA policies kept being defined concurrently; retry', actual),
};

/** Define the next version of a policy; `onlyIfNew` (the seeder) leaves an existing policy alone. */
interface DefinePolicy {
  policy: SlaPolicy;
  onlyIfNew?: boolean;
}

function policyStream(key: string): AggregateDefinition<{ version: number }, { version: number }, DefinePolicy, SlaPolicyDefined> {
  return {
    noun: `SLA policy ${key}`,
    fold: (events) => ({ version: events.length }),
    decide: ({ policy, onlyIfNew }, state, ctx) => (onlyIfNew && state.version > 0 ? [] : [defineSlaPolicy(state.version, policy, ctx)]),
    evolve: (state) => ({ version: state.version + 1 }),
    exists: (state): state is { version: number } => state.version > 0,
    lostRace: (actual) => new ConflictError(`SLA policy ${key} kept changing concurrently; retry`, actual, 'key'),
  };
}

/**
 * Appends the next definition of a policy: registers the key first (so the catalog finds it), then
 * appends expecting the version just read. `onlyIfNew` (the seeder) leaves an existing policy alone.
 * Concurrent definitions of one key both land, in order; of different keys, both keys are registered.
 */
export async function appendSlaPolicy(
  store: EventStore,
  policy: SlaPolicy,
  ctx: { actor: string; now: Date; onlyIfNew?: boolean },
): Promise<{ version: number; position: number } | undefined> {
  const options = { actor: ctx.actor, now: ctx.now };
  await executeOnStream(store, POLICY_KEYS, SLA_POLICY_KEYS_STREAM, { key: policy.key }, options);
  const { state, events, position } = await executeOnStream(store, policyStream(policy.key), slaPolicyStreamId(policy.key), { policy, onlyIfNew: ctx.onlyIfNew }, options);
  return events.length > 0 ? { version: state.version, position } : undefined;
}
