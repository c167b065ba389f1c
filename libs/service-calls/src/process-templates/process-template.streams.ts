import {
  CategoryProcessSet,
  ConflictError,
  defineProcessTemplate,
  ProcessTemplateDefined,
  ProcessTemplateDefinition,
  setCategoryProcess,
} from '@app/domain';
import { RecordedEvent } from '@app/event-store';
import { AggregateDefinition } from '../shared/stream-command';

// The template and category-mapping streams as aggregates for executeOnStream: each is small (one
// event per version or per change), so the fold is a count and the newest event.

/** A template's stream: how many versions, and the newest definition. */
export interface TemplateStream {
  version: number;
  latest?: ProcessTemplateDefined['data'];
}
type DefinedTemplate = TemplateStream & { latest: ProcessTemplateDefined['data'] };

/** Define the next version; `onlyIfNew` (the built-in seeder) leaves a template that exists alone. */
export interface DefineTemplate {
  definition: ProcessTemplateDefinition;
  onlyIfNew?: boolean;
}

export function processTemplateStream(key: string): AggregateDefinition<TemplateStream, DefinedTemplate, DefineTemplate, ProcessTemplateDefined> {
  const evolve = (state: TemplateStream, event: ProcessTemplateDefined): TemplateStream => ({ version: state.version + 1, latest: event.data });
  return {
    noun: `process template ${key}`,
    fold: (events) => events.reduce((state, e) => evolve(state, asEvent<ProcessTemplateDefined>(e)), { version: 0 } as TemplateStream),
    decide: ({ definition, onlyIfNew }, state, ctx) => (onlyIfNew && state.version > 0 ? [] : [defineProcessTemplate(definition, state.version, ctx)]),
    evolve,
    exists: (state): state is DefinedTemplate => state.latest !== undefined,
    lostRace: (actual, pinned) =>
      pinned
        ? new ConflictError(`process template ${key} was defined concurrently; read it again and retry`, actual, 'expectedVersion')
        : new ConflictError(`process template ${key} kept changing concurrently; retry`, actual, 'key'),
  };
}

/** A category's mapping stream: the template key it maps to now (the newest event wins). */
export interface CategoryMapping {
  version: number;
  processKey?: string;
}
type MappedCategory = CategoryMapping & { processKey: string };

export interface MapCategory {
  mapping: { category: string; processKey: string };
  /** whether `mapping.processKey` names a defined template (templates are never removed) */
  templateExists: boolean;
}

export function categoryProcessStream(category: string): AggregateDefinition<CategoryMapping, MappedCategory, MapCategory, CategoryProcessSet> {
  const evolve = (state: CategoryMapping, event: CategoryProcessSet): CategoryMapping => ({ version: state.version + 1, processKey: event.data.processKey });
  return {
    noun: `category ${category}`,
    fold: (events) => events.reduce((state, e) => evolve(state, asEvent<CategoryProcessSet>(e)), { version: 0 } as CategoryMapping),
    decide: ({ mapping, templateExists }, state, ctx) => setCategoryProcess(mapping, { current: state.processKey, templateExists }, ctx),
    evolve,
    exists: (state): state is MappedCategory => state.processKey !== undefined,
    // another manager mapped the category meanwhile: it was decided again against theirs (last writer wins) until now
    lostRace: (actual) => new ConflictError(`category ${category} kept changing concurrently; retry`, actual, 'category'),
  };
}

function asEvent<E extends { type: string; data: unknown }>(recorded: RecordedEvent): E {
  return { type: recorded.type, data: recorded.data } as E;
}
