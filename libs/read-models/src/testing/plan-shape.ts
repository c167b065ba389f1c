import { ReadModelDialect } from '../read-model.database';

/** What a query plan (queryPlan's lines) does, in terms both dialects share: for the query-plan tests. */
export interface PlanShape {
  /** the indexes it walks, in plan order */
  indexes: string[];
  /** every index walk is a range (SQLite's SEARCH, PostgreSQL's Index Cond), not the whole index */
  range: boolean;
  /** it sorts rows (SQLite's TEMP B-TREE, PostgreSQL's Sort) */
  sorts: boolean;
  /** it reads a whole table (SQLite's SCAN without an index, PostgreSQL's Seq Scan) */
  tableScan: boolean;
}

export function planShape(dialect: ReadModelDialect, plan: readonly string[]): PlanShape {
  const text = plan.join('\n');
  const all = (pattern: RegExp) => [...text.matchAll(pattern)].map((m) => m[1]);
  if (dialect === 'sqlite') {
    const walks = plan.filter((line) => /USING (COVERING )?INDEX/.test(line));
    return {
      indexes: all(/USING (?:COVERING )?INDEX (\w+)/g),
      range: walks.length > 0 && walks.every((line) => line.startsWith('SEARCH ')),
      sorts: /TEMP B-TREE/.test(text),
      tableScan: plan.some((line) => /^SCAN \w+$/.test(line)),
    };
  }
  return {
    indexes: all(/(?:Index (?:Only )?Scan(?: Backward)? using|Bitmap Index Scan on) (\w+)/g),
    range: /Index Cond:/.test(text),
    sorts: /\bSort\b/.test(text),
    tableScan: /Seq Scan/.test(text),
  };
}
