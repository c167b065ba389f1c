import { AliasedRawBuilder, CompiledQuery, Compilable, sql } from 'kysely';
import { dialectOf, ReadModelDatabase, ReadModelDialect } from './read-model.database';
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

/** Stands for a parameter while a prepared query is built; replaced by its value on every run. */
class Parameter {
  constructor(readonly name: string) {}
}

export interface PreparedQuery<P, R> {
  /** the rows (none for a write) */
  execute(db: ReadModelDatabase, values: P): Promise<R[]>;
}

/**
 * A query built with the query builder once per dialect and then run with new values: the projector
 * runs the same few statements for every event, and building and compiling them each time cost about
 * as much as the database's own work. `build` gets stand-ins for the values named in `names` (every
 * key of P, checked by the compiler), typed as the values; use them as plain values only (not
 * `= null`, which the builder would turn into `is null`).
 */
export function prepare<P extends object, R>(names: { readonly [K in keyof P]-?: true }, build: (db: ReadModelDatabase, p: P) => Compilable<R>): PreparedQuery<P, R> {
  const compiled = new Map<ReadModelDialect, CompiledQuery<R>>();
  const standIns = Object.fromEntries(Object.keys(names).map((name) => [name, new Parameter(name)])) as P;
  return {
    async execute(db, values) {
      const dialect = dialectOf(db);
      let query = compiled.get(dialect);
      if (!query) compiled.set(dialect, (query = build(db, standIns).compile()));
      const parameters = query.parameters.map((p) => (p instanceof Parameter ? (values as Record<string, unknown>)[p.name] : p));
      return (await db.executeQuery<R>({ ...query, parameters })).rows;
    },
  };
}
