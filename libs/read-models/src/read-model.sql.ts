import { AliasedRawBuilder, CompiledQuery, Compilable, sql } from 'kysely';
import { dialectOf, ReadModelDatabase } from './read-model.database';
import { ReadModelTables } from './read-model.tables';

/**
 * A table read through one named index. SQLite's planner gets `INDEXED BY` (without statistics it may
 * prefer another index and sort); PostgreSQL has no hints, and its planner picks the index by itself
 * (the query-plan tests check it does). Compiles to `"t" as "t" [indexed by "i"]`, so the query
 * builder types the columns as the table's.
 */
export function throughIndex<T extends keyof ReadModelTables>(db: ReadModelDatabase, table: T, index: string): AliasedRawBuilder<ReadModelTables[T], T> {
  const alias = dialectOf(db) === 'sqlite' ? sql`${sql.table(table)} indexed by ${sql.id(index)}` : sql.table(table);
  return sql<ReadModelTables[T]>`${sql.table(table)}`.as<T>(alias);
}

/**
 * The database's plan for a query, one line per step, for the query-plan tests: SQLite's EXPLAIN QUERY
 * PLAN details (`SEARCH t USING INDEX i (...)`), PostgreSQL's EXPLAIN lines (`Index Scan using i on t`).
 */
export async function queryPlan(db: ReadModelDatabase, query: Compilable | CompiledQuery): Promise<string[]> {
  const compiled = 'compile' in query ? query.compile() : query;
  if (dialectOf(db) === 'sqlite') {
    const { rows } = await db.executeQuery<{ detail: string }>(CompiledQuery.raw(`explain query plan ${compiled.sql}`, [...compiled.parameters]));
    return rows.map((r) => r.detail);
  }
  // test tables are tiny, and reading a few rows straight from the table would be cheapest: rule that out
  // as a table of real size does (sorts are not ruled out, so a plan that needs one still shows it)
  return db.transaction().execute(async (trx) => {
    await sql`set local enable_seqscan = off`.execute(trx);
    await sql`set local enable_bitmapscan = off`.execute(trx);
    await sql`set local enable_sort = off`.execute(trx);
    const { rows } = await trx.executeQuery<{ 'QUERY PLAN': string }>(CompiledQuery.raw(`explain ${compiled.sql}`, [...compiled.parameters]));
    return rows.map((r) => r['QUERY PLAN']);
  });
}
