import { SlaPolicy } from './sla-policy';

/**
 * SLA policies are stored like process templates: `SlaPolicy-<key>` holds one SlaPolicyDefined per
 * definition; the newest replaces the earlier ones (a call keeps the copy it took when it opened).
 * The stream `SlaPolicyKeys` lists every key ever defined (one SlaPolicyKeyRegistered each), so the
 * policies can be found without scanning the log; a key is registered before its first definition
 * is appended, so a definition that returned is always reachable through the index.
 */
export type SlaPolicyDefined = {
  type: 'SlaPolicyDefined';
  // Pick makes a type alias, which (unlike the interface) fits an event's Record<string, unknown>
  data: Pick<SlaPolicy, keyof SlaPolicy> & { version: number; definedBy: string; at: string };
};

export type SlaPolicyKeyRegistered = { type: 'SlaPolicyKeyRegistered'; data: { key: string } };

export const SLA_POLICY_STREAM_PREFIX = 'SlaPolicy-';
export const SLA_POLICY_KEYS_STREAM = 'SlaPolicyKeys';
export const slaPolicyStreamId = (key: string): string => `${SLA_POLICY_STREAM_PREFIX}${key}`;

export const DEFAULT_SLA_POLICY_KEY = 'default';

/**
 * The built-in policy, stored at first start when no `default` exists: any category and priority,
 * first response within 4 hours, resolution within 5 days, around the clock, AT_RISK at 80 %.
 * Calls opened before SLA policies existed are measured against these values too.
 */
export const DEFAULT_SLA_POLICY: SlaPolicy = Object.freeze({
  key: DEFAULT_SLA_POLICY_KEY,
  priority: null,
  category: null,
  firstResponseTarget: 'PT4H',
  resolutionTarget: 'P5D',
  warnAt: 0.8,
  businessHours: null,
});

/** A policy stored with what a call needs to know of it; `latestVersion` is the version its stream is at (0: new key). */
export function defineSlaPolicy(latestVersion: number, policy: SlaPolicy, ctx: { now: Date; actor: string }): SlaPolicyDefined {
  if (!Number.isInteger(latestVersion) || latestVersion < 0) throw new RangeError(`latestVersion must be a non-negative integer, got ${latestVersion}`);
  return { type: 'SlaPolicyDefined', data: { ...policy, version: latestVersion + 1, definedBy: ctx.actor, at: ctx.now.toISOString() } };
}

/** The policy a SlaPolicyDefined event stored (without its bookkeeping). */
export function slaPolicyOf(data: SlaPolicyDefined['data']): SlaPolicy {
  const { key, priority, category, firstResponseTarget, resolutionTarget, warnAt, businessHours } = data;
  return { key, priority, category, firstResponseTarget, resolutionTarget, warnAt, businessHours };
}
