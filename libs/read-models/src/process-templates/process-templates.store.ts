import { ProcessTemplate } from '@app/domain';
import { ReadModelDatabase } from '../read-model.database';

export interface CategoryProcess {
  /** trimmed and lower-cased: categories match whatever their case */
  category: string;
  processKey: string;
  updatedAt: string;
}

/** Queries over the process templates' read model. Templates come back with createdAt and definedBy. */
export class ProcessTemplatesStore {
  constructor(private readonly db: ReadModelDatabase) {}

  async latest(key: string): Promise<ProcessTemplate | undefined> {
    const row = await this.db.selectFrom('process_templates').select('doc').where('key', '=', key).orderBy('version', 'desc').limit(1).executeTakeFirst();
    return parse(row?.doc);
  }

  async byVersion(key: string, version: number): Promise<ProcessTemplate | undefined> {
    const row = await this.db.selectFrom('process_templates').select('doc').where('key', '=', key).where('version', '=', version).executeTakeFirst();
    return parse(row?.doc);
  }

  /** The latest version of every template, by key. */
  async allLatest(): Promise<ProcessTemplate[]> {
    // the primary key (key, version) serves both the grouping and the max: one pass over the index
    const rows = await this.db
      .selectFrom('process_templates as t')
      .innerJoin(
        (eb) => eb.selectFrom('process_templates').select((e) => ['key', e.fn.max('version').as('version')]).groupBy('key').as('newest'),
        (join) => join.onRef('newest.key', '=', 't.key').onRef('newest.version', '=', 't.version'),
      )
      .select('t.doc')
      .orderBy('t.key')
      .execute();
    return rows.map((r) => JSON.parse(r.doc) as ProcessTemplate);
  }

  /** Every version of one template, oldest first ([] for an unknown key). */
  async versions(key: string): Promise<ProcessTemplate[]> {
    const rows = await this.db.selectFrom('process_templates').select('doc').where('key', '=', key).orderBy('version').execute();
    return rows.map((r) => JSON.parse(r.doc) as ProcessTemplate);
  }

  categoryMappings(): Promise<CategoryProcess[]> {
    return this.db.selectFrom('category_processes').select(['category', 'process_key as processKey', 'updated_at as updatedAt']).orderBy('category').execute();
  }
}

const parse = (doc: string | undefined): ProcessTemplate | undefined => (doc === undefined ? undefined : (JSON.parse(doc) as ProcessTemplate));
