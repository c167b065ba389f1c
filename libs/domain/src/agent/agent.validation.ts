import { normaliseCategory } from '../process/process-template.decider';
import { AGENT_SKILL_KINDS, AGENT_SKILL_LEVEL, AgentSkill } from '../routing/routing.types';
import { validateBusinessHours } from '../sla/business-hours';
import { ValidationError } from '../shared/domain-error';
import { isoInstant, LIMITS, oneOf, optionalText, requiredText } from '../shared/validation';
import type { AgentProfile } from './agent.types';

export const AGENT_LIMITS = { capacity: { min: 1, max: 1000 }, listItems: 100, idLength: 64 } as const;

/** A manager-chosen agent id: lowercase letters, digits and hyphens (generated ids look like `agt_01j…`). */
const CHOSEN_ID = /^[a-z0-9][a-z0-9-]*$/;
/** Any agent id the system accepts in a lookup: chosen ids and generated `agt_<26 chars>` ids. */
const ANY_ID = /^[a-z0-9][a-z0-9_-]*$/;
/** "de", "en-gb", "zh-hant-tw": a primary language and lower-case subtags (BCP 47, lower-cased). */
const LANGUAGE = /^[a-z]{2,3}(-[a-z0-9]{2,8})*$/;
/** Region codes are free labels ("de-north", "berlin"); "*" covers all. */
const REGION = /^(\*|[a-z0-9][a-z0-9_-]*)$/;

export const isAgentId = (value: string): boolean => value.length <= AGENT_LIMITS.idLength && ANY_ID.test(value);

export function validateChosenAgentId(field: string, value: unknown): string {
  const id = requiredText(field, value, AGENT_LIMITS.idLength);
  if (!CHOSEN_ID.test(id)) throw new ValidationError(field, `${field} must be lowercase letters, digits and hyphens, e.g. "anna-berlin"`);
  return id;
}

/** registerAgent's input (without `id`, which the caller handles): every field, errors with their path. */
export function validateAgentInput(input: unknown): AgentProfile {
  const raw = asObject(input);
  return {
    name: requiredText('name', raw.name, LIMITS.name),
    regions: regions(raw.regions),
    skills: skills(raw.skills),
    languages: languages(raw.languages),
    roles: roles(raw.roles),
    capacity: capacity(raw.capacity),
    workingHours: validateBusinessHours(raw.workingHours, 'workingHours'),
  };
}

/**
 * updateAgent's input: only the fields present change (`workingHours: null` means around the clock
 * from now on, absent leaves it). Same rules and field paths as registration.
 */
export function validateAgentUpdate(input: unknown): Partial<AgentProfile> {
  const raw = asObject(input);
  const changes: Partial<AgentProfile> = {};
  const given = (key: string) => raw[key] !== undefined && (raw[key] !== null || key === 'workingHours');
  if (given('name')) changes.name = requiredText('name', raw.name, LIMITS.name);
  if (given('regions')) changes.regions = regions(raw.regions);
  if (given('skills')) changes.skills = skills(raw.skills);
  if (given('languages')) changes.languages = languages(raw.languages);
  if (given('roles')) changes.roles = roles(raw.roles);
  if (given('capacity')) changes.capacity = capacity(raw.capacity);
  if (given('workingHours')) changes.workingHours = validateBusinessHours(raw.workingHours, 'workingHours');
  return changes;
}

export interface AbsenceInput {
  from: string;
  to: string;
  reason: string;
  replacementAgentId: string | null;
}

/** scheduleAbsence's input for agent `agentId`: from < to, `to` still ahead at `now`, a replacement other than the agent. */
export function validateAbsenceInput(input: unknown, agentId: string, now: Date): AbsenceInput {
  const raw = asObject(input);
  const from = isoInstant('from', raw.from);
  const to = isoInstant('to', raw.to);
  if (to.getTime() <= from.getTime()) throw new ValidationError('to', 'to must be later than from');
  if (to.getTime() <= now.getTime()) throw new ValidationError('to', 'to is in the past; the absence would never count');
  const reason = requiredText('reason', raw.reason, LIMITS.summary);
  const replacement = optionalText('replacementAgentId', raw.replacementAgentId, AGENT_LIMITS.idLength) ?? null;
  if (replacement !== null && !isAgentId(replacement)) throw new ValidationError('replacementAgentId', 'replacementAgentId is not an agent id');
  if (replacement === agentId) throw new ValidationError('replacementAgentId', 'an agent cannot replace themselves');
  return { from: from.toISOString(), to: to.toISOString(), reason, replacementAgentId: replacement };
}

function asObject(input: unknown): Record<string, unknown> {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw new ValidationError('input', 'input must be an object');
  return input as Record<string, unknown>;
}

function list(field: string, value: unknown): unknown[] {
  if (!Array.isArray(value)) throw new ValidationError(field, `${field} must be a list`);
  if (value.length > AGENT_LIMITS.listItems) throw new ValidationError(field, `${field} has more than ${AGENT_LIMITS.listItems} entries`);
  return value;
}

/** Trimmed, lower-cased, duplicates dropped (order kept). */
function labels(field: string, value: unknown, pattern: RegExp, example: string): string[] {
  const result = list(field, value).map((item, i) => {
    const text = requiredText(`${field}[${i}]`, item, LIMITS.shortText).toLowerCase();
    if (!pattern.test(text)) throw new ValidationError(`${field}[${i}]`, `${field}[${i}] must look like ${example}`);
    return text;
  });
  return [...new Set(result)];
}

function regions(value: unknown): string[] {
  const result = labels('regions', value, REGION, '"de-north" (letters, digits, hyphens) or "*" for every region');
  // an agent without a region could never be routed a call: a mistake rather than a choice
  if (result.length === 0) throw new ValidationError('regions', 'regions must name at least one region, or "*" for every region');
  return result;
}

function languages(value: unknown): string[] {
  return labels('languages', value, LANGUAGE, 'a language tag such as "de" or "en-gb"');
}

/** Step roles as templates name them; trimmed, duplicates (ignoring case) dropped. */
function roles(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  const seen = new Set<string>();
  return list('roles', value).flatMap((item, i) => {
    const role = requiredText(`roles[${i}]`, item, LIMITS.shortText);
    const key = normaliseCategory(role);
    if (seen.has(key)) return [];
    seen.add(key);
    return [role];
  });
}

function skills(value: unknown): AgentSkill[] {
  const seen = new Map<string, number>();
  return list('skills', value).map((item, i): AgentSkill => {
    const path = `skills[${i}]`;
    if (typeof item !== 'object' || item === null) throw new ValidationError(path, `${path} must be an object`);
    const raw = item as Record<string, unknown>;
    const kind = oneOf(`${path}.kind`, raw.kind, AGENT_SKILL_KINDS);
    const key = requiredText(`${path}.key`, raw.key, LIMITS.shortText);
    const level = raw.level;
    if (typeof level !== 'number' || !Number.isInteger(level) || level < AGENT_SKILL_LEVEL.min || level > AGENT_SKILL_LEVEL.max) {
      throw new ValidationError(`${path}.level`, `${path}.level must be a whole number from ${AGENT_SKILL_LEVEL.min} to ${AGENT_SKILL_LEVEL.max}`);
    }
    const identity = `${kind}:${normaliseCategory(key)}`;
    const earlier = seen.get(identity);
    if (earlier !== undefined) throw new ValidationError(`${path}.key`, `${path} repeats skills[${earlier}] (${kind} ${key})`);
    seen.set(identity, i);
    return { kind, key, level };
  });
}

function capacity(value: unknown): number {
  const { min, max } = AGENT_LIMITS.capacity;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new ValidationError('capacity', `capacity must be a whole number of concurrent calls from ${min} to ${max}`);
  }
  return value;
}
