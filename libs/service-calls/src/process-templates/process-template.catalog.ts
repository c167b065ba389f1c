import {
  categoryProcessStreamId,
  DEFAULT_PROCESS_KEY,
  LIMITS,
  ProcessTemplate,
  ProcessTemplateDefined,
  processTemplateOf,
  processTemplateStreamId,
  requiredText,
  ValidationError,
} from '@app/domain';
import { EventStore } from '@app/event-store';
import { Injectable } from '@nestjs/common';

/**
 * Which process a new call runs: the template the call names, else the one its category maps to,
 * else `standard-complaint`; always that template's latest version, read from the event store (not
 * the read models, which may lag behind a definition that just returned).
 *
 * Cost per open: one or two single-row reads by primary key (the category's mapping, the template's
 * newest event), no stream replay however many versions a template has.
 */
@Injectable()
export class ProcessTemplateCatalog {
  constructor(private readonly store: EventStore) {}

  async resolve(processKey: string | undefined | null, category: string | undefined | null): Promise<ProcessTemplate> {
    const key =
      processKey !== undefined && processKey !== null
        ? requiredText('processKey', processKey, LIMITS.shortText)
        : ((await this.mappedProcessKey(category)) ?? DEFAULT_PROCESS_KEY);
    const template = await this.latest(key);
    if (!template) throw new ValidationError('processKey', `unknown process template "${key}"`);
    return template;
  }

  /** The newest version of a template, undefined when the key was never defined. */
  async latest(key: string): Promise<ProcessTemplate | undefined> {
    const last = await this.store.readLastEvent(processTemplateStreamId(key));
    return last?.type === 'ProcessTemplateDefined' ? processTemplateOf(last.data as ProcessTemplateDefined['data']) : undefined;
  }

  /** The template key a category maps to, if any. */
  async mappedProcessKey(category: string | undefined | null): Promise<string | undefined> {
    // a blank category has no mapping; the call's own validation reports it
    if (typeof category !== 'string' || category.trim() === '') return undefined;
    const last = await this.store.readLastEvent(categoryProcessStreamId(category));
    return last?.type === 'CategoryProcessSet' ? String(last.data.processKey) : undefined;
  }
}
