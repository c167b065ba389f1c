import { ValidationError } from '../shared/domain-error';
import { optionalIsoDuration } from '../shared/duration';
import { LIMITS, optionalText, requiredText } from '../shared/validation';
import { AUTOMATED_ACTION_NAMES } from './automated-actions';
import { PhaseTemplate, ProcessTemplate, StepTemplate, Term } from './process-template';

/** What a manager sends to define a template (GraphQL's DefineProcessTemplateInput): optional parts may be null. */
export interface StepTemplateInput {
  key: string;
  name: string;
  instructions?: string | null;
  dependsOn?: readonly string[] | null;
  automated?: boolean | null;
  action?: string | null;
  role?: string | null;
  expectedDuration?: string | null;
}

export interface PhaseTemplateInput {
  key: string;
  name: string;
  steps: readonly StepTemplateInput[];
}

export interface TermInput {
  term: string;
  definition: string;
}

export interface ProcessTemplateInput {
  key: string;
  title: string;
  department: string;
  purpose: string;
  terms?: readonly TermInput[] | null;
  phases: readonly PhaseTemplateInput[];
}

/** A valid, normalised template without what the store adds (its version, when and by whom). */
export type ProcessTemplateDefinition = Omit<ProcessTemplate, 'version' | 'createdAt' | 'definedBy'>;

/** Bounds on a template's size: a procedure people follow, and a copy of it travels with every call. */
export const PROCESS_TEMPLATE_LIMITS = {
  phases: 50,
  stepsPerPhase: 100,
  terms: 100,
} as const;

// Keys appear in commands (`stepKey`), stream names and URLs: lowercase words joined by hyphens.
const KEY = /^[a-z0-9][a-z0-9-]*$/;

/**
 * Checks a template and returns it normalised: strings trimmed, `dependsOn` defaulting to [] with
 * repeats collapsed, `automated` defaulting to false, durations upper-cased. Throws ValidationError
 * whose field is the path of the mistake inside the input, e.g. `phases[1].steps[2].dependsOn`.
 */
export function validateProcessTemplateInput(input: ProcessTemplateInput): ProcessTemplateDefinition {
  if (typeof input !== 'object' || input === null) throw new ValidationError('input', 'input must be an object');
  const key = templateKey('key', input.key);
  const title = requiredText('title', input.title, LIMITS.name);
  const department = requiredText('department', input.department, LIMITS.name);
  const purpose = requiredText('purpose', input.purpose, LIMITS.longText);
  const terms = validateTerms(input.terms);
  const phases = validatePhases(input.phases);
  return { key, title, department, purpose, terms, phases };
}

/** A template, phase or step key: required, at most LIMITS.shortText characters, lowercase words and hyphens. */
export function templateKey(field: string, value: unknown): string {
  const key = requiredText(field, value, LIMITS.shortText);
  if (!KEY.test(key)) {
    throw new ValidationError(field, `${field} must be lowercase letters, digits and hyphens, starting with a letter or digit (e.g. inspect-problem), not "${key}"`);
  }
  return key;
}

function validateTerms(value: unknown): Term[] {
  if (value === undefined || value === null) return [];
  const list = arrayOf('terms', value);
  if (list.length > PROCESS_TEMPLATE_LIMITS.terms) throw new ValidationError('terms', `terms has more than ${PROCESS_TEMPLATE_LIMITS.terms} entries`);
  const seen = new Map<string, number>();
  return list.map((raw, i) => {
    const item = objectOf(`terms[${i}]`, raw);
    const term = requiredText(`terms[${i}].term`, item.term, LIMITS.name);
    const definition = requiredText(`terms[${i}].definition`, item.definition, LIMITS.longText);
    const earlier = seen.get(term.toLowerCase());
    if (earlier !== undefined) throw new ValidationError(`terms[${i}].term`, `terms[${i}].term "${term}" is already defined by terms[${earlier}]`);
    seen.set(term.toLowerCase(), i);
    return { term, definition };
  });
}

/** Where a step sits in the input, for error paths. */
interface StepAt {
  phase: number;
  step: number;
}

function validatePhases(value: unknown): PhaseTemplate[] {
  const list = arrayOf('phases', value);
  if (list.length === 0) throw new ValidationError('phases', 'a process needs at least one phase');
  if (list.length > PROCESS_TEMPLATE_LIMITS.phases) throw new ValidationError('phases', `phases has more than ${PROCESS_TEMPLATE_LIMITS.phases} entries`);

  const phaseKeys = new Map<string, number>();
  // step keys are unique in the whole process: commands name a step by its key alone
  const stepKeys = new Map<string, StepAt>();
  const phases = list.map((raw, p): PhaseTemplate => {
    const item = objectOf(`phases[${p}]`, raw);
    const key = templateKey(`phases[${p}].key`, item.key);
    const earlier = phaseKeys.get(key);
    if (earlier !== undefined) throw new ValidationError(`phases[${p}].key`, `phases[${p}].key "${key}" is already the key of phases[${earlier}]`);
    phaseKeys.set(key, p);
    const name = requiredText(`phases[${p}].name`, item.name, LIMITS.name);
    const rawSteps = arrayOf(`phases[${p}].steps`, item.steps);
    if (rawSteps.length === 0) throw new ValidationError(`phases[${p}].steps`, `phase "${key}" has no steps; a phase needs at least one`);
    if (rawSteps.length > PROCESS_TEMPLATE_LIMITS.stepsPerPhase) {
      throw new ValidationError(`phases[${p}].steps`, `phase "${key}" has more than ${PROCESS_TEMPLATE_LIMITS.stepsPerPhase} steps`);
    }
    const steps = rawSteps.map((rawStep, s) => {
      const step = validateStep(`phases[${p}].steps[${s}]`, rawStep);
      const other = stepKeys.get(step.key);
      if (other !== undefined) {
        throw new ValidationError(`phases[${p}].steps[${s}].key`, `step key "${step.key}" is already used by ${stepPath(other)}; step keys are unique in the whole process`);
      }
      stepKeys.set(step.key, { phase: p, step: s });
      return step;
    });
    return { key, name, steps };
  });

  phases.forEach((phase, p) =>
    phase.steps.forEach((step, s) => {
      for (const dep of step.dependsOn) {
        const at = stepKeys.get(dep);
        const field = `${stepPath({ phase: p, step: s })}.dependsOn`;
        if (at === undefined) throw new ValidationError(field, `step "${step.key}" depends on "${dep}", which is no step of this process`);
        if (at.phase !== p) {
          throw new ValidationError(
            field,
            `step "${step.key}" depends on "${dep}" of phase "${phases[at.phase].key}"; a step may only depend on steps of its own phase ("${phase.key}"), the phases before it are done anyway`,
          );
        }
      }
    }),
  );
  phases.forEach((phase, p) => {
    const cycle = findCycle(phase.steps);
    if (cycle) {
      const field = `${stepPath({ phase: p, step: cycle.at })}.dependsOn`;
      throw new ValidationError(field, `steps of phase "${phase.key}" wait for each other in a cycle: ${cycle.keys.join(' -> ')}`);
    }
  });
  return phases;
}

function validateStep(path: string, raw: unknown): StepTemplate {
  const item = objectOf(path, raw);
  const key = templateKey(`${path}.key`, item.key);
  const name = requiredText(`${path}.name`, item.name, LIMITS.name);
  const instructions = optionalText(`${path}.instructions`, item.instructions, LIMITS.longText);
  const role = optionalText(`${path}.role`, item.role, LIMITS.shortText);
  const expectedDuration = optionalIsoDuration(`${path}.expectedDuration`, item.expectedDuration);
  if (item.automated !== undefined && item.automated !== null && typeof item.automated !== 'boolean') {
    throw new ValidationError(`${path}.automated`, `${path}.automated must be true or false`);
  }
  const automated = item.automated === true;
  const action = validateAction(`${path}.action`, key, automated, item.action);
  const dependsOn = validateDependsOn(`${path}.dependsOn`, item.dependsOn);
  // only the fields that are set, so a stored template reads like one written by hand
  return {
    key,
    name,
    ...(instructions !== undefined && { instructions }),
    dependsOn,
    automated,
    ...(action !== undefined && { action }),
    ...(role !== undefined && { role }),
    ...(expectedDuration !== undefined && { expectedDuration }),
  };
}

function validateAction(field: string, stepKey: string, automated: boolean, value: unknown): string | undefined {
  const action = optionalText(field, value, LIMITS.shortText);
  const known = AUTOMATED_ACTION_NAMES.join(', ');
  if (!automated) {
    if (action !== undefined) throw new ValidationError(field, `step "${stepKey}" names action "${action}" but is not automated; set automated: true or remove the action`);
    return undefined;
  }
  if (action === undefined) throw new ValidationError(field, `automated step "${stepKey}" must name an action, one of: ${known}`);
  if (!AUTOMATED_ACTION_NAMES.includes(action)) throw new ValidationError(field, `unknown action "${action}" on step "${stepKey}"; known actions: ${known}`);
  return action;
}

function validateDependsOn(field: string, value: unknown): string[] {
  if (value === undefined || value === null) return [];
  const list = arrayOf(field, value);
  const keys = list.map((dep) => {
    if (typeof dep !== 'string') throw new ValidationError(field, `${field} must list step keys`);
    return dep.trim();
  });
  return [...new Set(keys)];
}

/**
 * A dependency cycle among a phase's steps, if there is one: the keys along it, first key repeated
 * at the end ("a -> b -> a": a waits for b, b for a), starting at the step listed first; `at` is
 * that step's index.
 */
export function findCycle(steps: readonly Pick<StepTemplate, 'key' | 'dependsOn'>[]): { keys: string[]; at: number } | undefined {
  const index = new Map(steps.map((s, i) => [s.key, i]));
  const state = new Array<'new' | 'open' | 'done'>(steps.length).fill('new');
  const path: number[] = [];

  const visit = (i: number): number[] | undefined => {
    state[i] = 'open';
    path.push(i);
    for (const dep of steps[i].dependsOn) {
      const j = index.get(dep);
      if (j === undefined || state[j] === 'done') continue;
      if (state[j] === 'open') return path.slice(path.indexOf(j));
      const found = visit(j);
      if (found) return found;
    }
    path.pop();
    state[i] = 'done';
    return undefined;
  };

  for (let i = 0; i < steps.length; i++) {
    if (state[i] !== 'new') continue;
    const cycle = visit(i);
    if (cycle) {
      // start at the step listed first, so the message does not depend on where the search began
      const first = cycle.indexOf(Math.min(...cycle));
      const rotated = [...cycle.slice(first), ...cycle.slice(0, first)];
      return { keys: [...rotated, rotated[0]].map((s) => steps[s].key), at: rotated[0] };
    }
  }
  return undefined;
}

function stepPath(at: StepAt): string {
  return `phases[${at.phase}].steps[${at.step}]`;
}

function arrayOf(field: string, value: unknown): readonly unknown[] {
  if (!Array.isArray(value)) throw new ValidationError(field, `${field} must be a list`);
  return value;
}

function objectOf(field: string, value: unknown): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ValidationError(field, `${field} must be an object`);
  return value as Record<string, unknown>;
}
