import { CategoryProcessSet, normaliseCategory, ProcessTemplateDefined, processTemplateOf } from '@app/domain';
import { RecordedEvent } from '@app/event-store';
import { Projection } from '../projection';
import { ReadModelDatabase } from '../read-model.database';

/**
 * Every version of every process template (one row per version: versions never change), and the
 * template each call category maps to. Idempotent: a redelivered definition finds its row and
 * changes nothing; a redelivered mapping writes what the row already holds.
 */
export class ProcessTemplatesProjection implements Projection {
  readonly tables = ['process_templates', 'category_processes'] as const;

  async apply(db: ReadModelDatabase, event: RecordedEvent): Promise<void> {
    if (event.type === 'ProcessTemplateDefined') {
      const data = event.data as ProcessTemplateDefined['data'];
      const template = processTemplateOf(data);
      await db
        .insertInto('process_templates')
        .values({ key: template.key, version: template.version, title: template.title, created_at: data.at, doc: JSON.stringify(template) })
        .onConflict((oc) => oc.columns(['key', 'version']).doNothing())
        .execute();
    } else if (event.type === 'CategoryProcessSet') {
      const { category, processKey, at } = event.data as CategoryProcessSet['data'];
      const mapping = { process_key: processKey, updated_at: at };
      await db
        .insertInto('category_processes')
        .values({ category: normaliseCategory(category), ...mapping })
        .onConflict((oc) => oc.column('category').doUpdateSet(mapping))
        .execute();
    }
  }
}
