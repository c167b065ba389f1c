import { ValidationError } from '../shared/domain-error';
import { LIMITS, requiredText } from '../shared/validation';
import { ProcessTemplate } from './process-template';
import { ProcessTemplateDefinition } from './process-template.validation';

/**
 * Process templates are versioned by their stream: `ProcessTemplate-<key>` holds one
 * ProcessTemplateDefined per version, and the event's version is its stream version. Versions never
 * change once defined; defining the key again appends the next one.
 */
export type ProcessTemplateDefined = {
  type: 'ProcessTemplateDefined';
  data: ProcessTemplateDefinition & { version: number; definedBy: string; at: string };
};

/** Which template a call category runs (unless the call names one); the latest event of the category's stream wins. */
export type CategoryProcessSet = {
  type: 'CategoryProcessSet';
  data: { category: string; processKey: string; by: string; at: string };
};

export type ProcessTemplateEvent = ProcessTemplateDefined | CategoryProcessSet;

export const PROCESS_TEMPLATE_STREAM_PREFIX = 'ProcessTemplate-';
export const CATEGORY_PROCESS_STREAM_PREFIX = 'CategoryProcess-';

export const processTemplateStreamId = (key: string): string => `${PROCESS_TEMPLATE_STREAM_PREFIX}${key}`;
/** Categories match case-insensitively and without surrounding blanks. */
export const normaliseCategory = (category: string): string => category.trim().toLowerCase();
export const categoryProcessStreamId = (category: string): string => `${CATEGORY_PROCESS_STREAM_PREFIX}${normaliseCategory(category)}`;

/**
 * Defines the next version of a template. `latestVersion` is the version the template's stream is at
 * (0: the key is new); the caller appends expecting exactly that version.
 */
export function defineProcessTemplate(
  definition: ProcessTemplateDefinition,
  latestVersion: number,
  ctx: { now: Date; actor: string },
): ProcessTemplateDefined {
  if (!Number.isInteger(latestVersion) || latestVersion < 0) throw new RangeError(`latestVersion must be a non-negative integer, got ${latestVersion}`);
  return { type: 'ProcessTemplateDefined', data: { ...definition, version: latestVersion + 1, definedBy: ctx.actor, at: ctx.now.toISOString() } };
}

/** The template a ProcessTemplateDefined event stored. */
export function processTemplateOf(event: ProcessTemplateDefined['data']): ProcessTemplate {
  const { at, definedBy, ...template } = event;
  return { ...template, createdAt: at, definedBy };
}

/**
 * Maps a category to a template. `current` is the key the category maps to now (undefined: none);
 * `templateExists` says whether `mapping.processKey` names a defined template. Setting the mapping it
 * already has changes nothing.
 */
export function setCategoryProcess(
  mapping: { category: string; processKey: string },
  { current, templateExists }: { current: string | undefined; templateExists: boolean },
  ctx: { now: Date; actor: string },
): CategoryProcessSet[] {
  if (!templateExists) throw new ValidationError('processKey', `unknown process template "${mapping.processKey}"`);
  if (current === mapping.processKey) return [];
  return [{ type: 'CategoryProcessSet', data: { ...mapping, by: ctx.actor, at: ctx.now.toISOString() } }];
}

/** Checks and trims a mapping's input; the category keeps its case here (matching ignores it). */
export function validateCategoryProcess(input: { category: unknown; processKey: unknown }): { category: string; processKey: string } {
  // the same bound as a call's category, so every category a call can have can be mapped
  const category = requiredText('category', input.category, LIMITS.shortText);
  const processKey = requiredText('processKey', input.processKey, LIMITS.shortText);
  return { category, processKey };
}
