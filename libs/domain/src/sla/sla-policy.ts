import { normaliseCategory } from '../process/process-template.decider';
import { PRIORITIES, Priority } from '../shared/priority';
import { ValidationError } from '../shared/domain-error';
import { optionalIsoDuration, parseIsoDuration } from '../shared/duration';
import { LIMITS, oneOf, optionalText, requiredText } from '../shared/validation';
import { BusinessHours, BusinessHoursInput, validateBusinessHours } from './business-hours';

export const DEFAULT_WARN_AT = 0.8;

/** What a manager sends (GraphQL's SlaPolicyInput); optional parts may be null. */
export interface SlaPolicyInput {
  key: string;
  priority?: string | null;
  category?: string | null;
  firstResponseTarget?: string | null;
  resolutionTarget: string;
  warnAt?: number | null;
  businessHours?: BusinessHoursInput | null;
}

/**
 * A valid SLA policy. Targets are ISO 8601 durations of business time (normalised text, as given);
 * `priority`/`category` null match any; `businessHours` null is around the clock. Plain data, fit for events.
 */
export interface SlaPolicy {
  key: string;
  priority: Priority | null;
  /** Trimmed as given; compared with normaliseCategory (case-insensitive). */
  category: string | null;
  /** null: the policy sets no first-response target. */
  firstResponseTarget: string | null;
  resolutionTarget: string;
  /** Share of a target elapsed (in business time) at which the call is AT_RISK; 0 < warnAt < 1. */
  warnAt: number;
  businessHours: BusinessHours | null;
}

/** Validates a policy; errors carry the field path inside the input (`resolutionTarget`, `businessHours.weekly[0].from`). */
export function validateSlaPolicy(input: unknown): SlaPolicy {
  if (typeof input !== 'object' || input === null) throw new ValidationError('input', 'input must be an object');
  const raw = input as Record<string, unknown>;
  const key = requiredText('key', raw.key, LIMITS.key);
  const priority = raw.priority === undefined || raw.priority === null ? null : oneOf('priority', raw.priority, PRIORITIES);
  const category = optionalText('category', raw.category, LIMITS.shortText) ?? null;

  const firstResponseTarget = positiveTarget('firstResponseTarget', optionalIsoDuration('firstResponseTarget', raw.firstResponseTarget));
  const resolution = optionalIsoDuration('resolutionTarget', raw.resolutionTarget);
  if (resolution === undefined) throw new ValidationError('resolutionTarget', 'resolutionTarget is required, e.g. P2D');
  const resolutionTarget = positiveTarget('resolutionTarget', resolution) as string;
  if (firstResponseTarget && (parseIsoDuration(firstResponseTarget) as number) > (parseIsoDuration(resolutionTarget) as number)) {
    throw new ValidationError('firstResponseTarget', 'firstResponseTarget must not be longer than resolutionTarget');
  }

  let warnAt = DEFAULT_WARN_AT;
  if (raw.warnAt !== undefined && raw.warnAt !== null) {
    if (typeof raw.warnAt !== 'number' || !Number.isFinite(raw.warnAt) || raw.warnAt <= 0 || raw.warnAt >= 1) {
      throw new ValidationError('warnAt', 'warnAt must be a number greater than 0 and less than 1, e.g. 0.8');
    }
    warnAt = raw.warnAt;
  }

  return {
    key,
    priority,
    category,
    firstResponseTarget: firstResponseTarget ?? null,
    resolutionTarget,
    warnAt,
    businessHours: validateBusinessHours(raw.businessHours, 'businessHours'),
  };
}

function positiveTarget(field: string, target: string | undefined): string | undefined {
  if (target !== undefined && parseIsoDuration(target) === 0) throw new ValidationError(field, `${field} must be longer than zero`);
  return target;
}

/** How specific a policy is: category and priority 3, priority 2, category 1, neither (the default) 0. */
export function slaPolicySpecificity(policy: Pick<SlaPolicy, 'priority' | 'category'>): number {
  return (policy.priority !== null ? 2 : 0) + (policy.category !== null ? 1 : 0);
}

/**
 * The policy that applies to a call: among the policies that match (a null priority/category matches
 * any; categories compare trimmed and case-insensitively), the most specific wins. Two equally
 * specific matches (different keys, same priority and category) are broken by the smaller key in
 * code-unit order, so the choice never depends on the order of the list. undefined when none matches.
 */
export function selectSlaPolicy<P extends Pick<SlaPolicy, 'key' | 'priority' | 'category'>>(
  policies: readonly P[],
  call: { category: string; priority: Priority },
): P | undefined {
  const category = normaliseCategory(call.category);
  let best: P | undefined;
  for (const policy of policies) {
    if (policy.priority !== null && policy.priority !== call.priority) continue;
    if (policy.category !== null && normaliseCategory(policy.category) !== category) continue;
    if (
      !best ||
      slaPolicySpecificity(policy) > slaPolicySpecificity(best) ||
      (slaPolicySpecificity(policy) === slaPolicySpecificity(best) && policy.key < best.key)
    ) {
      best = policy;
    }
  }
  return best;
}
