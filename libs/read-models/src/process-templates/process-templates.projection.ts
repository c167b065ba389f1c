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
  readonly tables = ['process_templates', 'category_processes'];
  private readonly insertTemplate;
  private readonly upsertMapping;

  constructor(db: ReadModelDatabase) {
    this.insertTemplate = db.prepare(
      'INSERT INTO process_templates (key, version, title, created_at, doc) VALUES (?, ?, ?, ?, ?) ON CONFLICT (key, version) DO NOTHING',
    );
    this.upsertMapping = db.prepare(`
      INSERT INTO category_processes (category, process_key, updated_at) VALUES (?, ?, ?)
      ON CONFLICT (category) DO UPDATE SET process_key = excluded.process_key, updated_at = excluded.updated_at`);
  }

  apply(event: RecordedEvent): void {
    if (event.type === 'ProcessTemplateDefined') {
      const template = processTemplateOf(event.data as ProcessTemplateDefined['data']);
      this.insertTemplate.run(template.key, template.version, template.title, template.createdAt, JSON.stringify(template));
    } else if (event.type === 'CategoryProcessSet') {
      const { category, processKey, at } = event.data as CategoryProcessSet['data'];
      this.upsertMapping.run(normaliseCategory(category), processKey, at);
    }
  }
}
