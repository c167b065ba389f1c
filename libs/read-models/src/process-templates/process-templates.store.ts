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
  private readonly statements;

  constructor(db: ReadModelDatabase) {
    this.statements = {
      latest: db.prepare<[string], string>('SELECT doc FROM process_templates WHERE key = ? ORDER BY version DESC LIMIT 1').pluck(),
      byVersion: db.prepare<[string, number], string>('SELECT doc FROM process_templates WHERE key = ? AND version = ?').pluck(),
      // the primary key (key, version) serves both the grouping and the max: one pass over the index
      allLatest: db
        .prepare<[], string>(
          `SELECT t.doc FROM process_templates t
           JOIN (SELECT key, max(version) AS version FROM process_templates GROUP BY key) newest USING (key, version)
           ORDER BY t.key`,
        )
        .pluck(),
      versions: db.prepare<[string], string>('SELECT doc FROM process_templates WHERE key = ? ORDER BY version').pluck(),
      categoryMappings: db.prepare<[], { category: string; processKey: string; updatedAt: string }>(
        'SELECT category, process_key AS processKey, updated_at AS updatedAt FROM category_processes ORDER BY category',
      ),
    };
  }

  latest(key: string): ProcessTemplate | undefined {
    return parse(this.statements.latest.get(key));
  }

  byVersion(key: string, version: number): ProcessTemplate | undefined {
    return parse(this.statements.byVersion.get(key, version));
  }

  /** The latest version of every template, by key. */
  allLatest(): ProcessTemplate[] {
    return this.statements.allLatest.all().map((doc) => JSON.parse(doc) as ProcessTemplate);
  }

  /** Every version of one template, oldest first ([] for an unknown key). */
  versions(key: string): ProcessTemplate[] {
    return this.statements.versions.all(key).map((doc) => JSON.parse(doc) as ProcessTemplate);
  }

  categoryMappings(): CategoryProcess[] {
    return this.statements.categoryMappings.all();
  }
}

const parse = (doc: string | undefined): ProcessTemplate | undefined => (doc === undefined ? undefined : (JSON.parse(doc) as ProcessTemplate));
