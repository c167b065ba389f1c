import { Expression, Kysely, sql, SqlBool } from 'kysely';
import type { ReadModelTables } from './read-model.tables';

export type ReadModelDialect = 'sqlite' | 'postgres';

type ColumnType = 'text' | 'integer' | 'bigint' | 'real' | 'boolean' | 'json';
type DataType = Parameters<ReturnType<Kysely<ReadModelTables>['schema']['createTable']>['addColumn']>[1];

/**
 * Column types per dialect. PostgreSQL: text compares byte-wise (collation "C") as in SQLite, so
 * ordering, paging cursors and ISO instants behave the same whatever the database's locale; counts,
 * positions and durations are 64-bit; documents are `json`, which keeps the text exactly as written.
 */
function columnTypes(dialect: ReadModelDialect): Record<ColumnType, DataType> {
  return dialect === 'postgres'
    ? { text: sql`text collate "C"`, integer: 'integer', bigint: 'bigint', real: 'double precision', boolean: 'boolean', json: 'json' }
    : { text: 'text', integer: 'integer', bigint: 'integer', real: 'real', boolean: 'integer', json: 'text' };
}

/** `WITHOUT ROWID` (SQLite only): the primary key is the table, no second b-tree. */
function withoutRowid(dialect: ReadModelDialect): Expression<unknown> {
  return dialect === 'sqlite' ? sql`without rowid` : sql``;
}

/** The checkpoints of the readers of the log (kept when the projections are rebuilt). */
export async function createCheckpointsTable(db: Kysely<ReadModelTables>, dialect: ReadModelDialect): Promise<void> {
  const t = columnTypes(dialect);
  await db.schema
    .createTable('checkpoints')
    .ifNotExists()
    .addColumn('name', t.text, (c) => c.primaryKey())
    .addColumn('position', t.bigint, (c) => c.notNull())
    .execute();
}

/** Which event store the checkpoints' positions belong to (EventStore.identity()): one row. */
export async function createCheckpointsOwnerTable(db: Kysely<ReadModelTables>, dialect: ReadModelDialect): Promise<void> {
  const t = columnTypes(dialect);
  await db.schema
    .createTable('checkpoints_owner')
    .addColumn('one_row', t.integer, (c) => c.primaryKey().check(sql`one_row = 1`))
    .addColumn('event_store', t.text, (c) => c.notNull())
    .execute();
}

/**
 * The agents as routing left them (RoutingAgentsStore): written by the workers' routing, read at every
 * decision, not a projection (a rebuild from the log does not refill it).
 */
export async function createRoutingAgentsTable(db: Kysely<ReadModelTables>, dialect: ReadModelDialect): Promise<void> {
  const t = columnTypes(dialect);
  await db.schema
    .createTable('routing_agents')
    .addColumn('agent_id', t.text, (c) => c.primaryKey())
    .addColumn('version', t.integer, (c) => c.notNull())
    .addColumn('doc', t.json, (c) => c.notNull())
    .execute();
}

/** Every projection's tables and indexes, as of schema version 10 (the last of the user_version era: same names and shapes). */
export async function createProjectionTables(db: Kysely<ReadModelTables>, dialect: ReadModelDialect): Promise<void> {
  const t = columnTypes(dialect);
  const s = db.schema;
  await s
    .createTable('service_calls')
    .addColumn('id', t.text, (c) => c.primaryKey())
    .addColumn('tracking_code', t.text, (c) => c.notNull().unique())
    .addColumn('version', t.integer, (c) => c.notNull())
    .addColumn('status', t.text, (c) => c.notNull())
    .addColumn('priority', t.text, (c) => c.notNull())
    .addColumn('category', t.text, (c) => c.notNull())
    .addColumn('category_key', t.text, (c) => c.notNull())
    .addColumn('process_key', t.text, (c) => c.notNull())
    .addColumn('active_phase', t.text)
    .addColumn('phase_started_at', t.text)
    .addColumn('phase_due_at', t.text)
    .addColumn('sla_at_risk_at', t.text)
    .addColumn('sla_due_at', t.text)
    .addColumn('steps_ready', t.integer, (c) => c.notNull().defaultTo(0))
    .addColumn('steps_in_progress', t.integer, (c) => c.notNull().defaultTo(0))
    .addColumn('steps_failed', t.integer, (c) => c.notNull().defaultTo(0))
    .addColumn('assignee', t.text)
    .addColumn('customer_email', t.text)
    .addColumn('customer_phone', t.text)
    .addColumn('opened_at', t.text, (c) => c.notNull())
    .addColumn('updated_at', t.text, (c) => c.notNull())
    .addColumn('doc', t.json, (c) => c.notNull())
    .execute();
  const index = (name: string, columns: string[], where?: Expression<SqlBool>) => {
    const create = s.createIndex(name).on('service_calls').columns(columns);
    return (where ? create.where(where) : create).execute();
  };
  await index('service_calls_by_opened', ['opened_at desc', 'id desc']);
  await index('service_calls_by_status', ['status', 'opened_at desc', 'id desc']);
  await index('service_calls_by_email', ['customer_email'], sql<SqlBool>`customer_email is not null`);
  await index('service_calls_by_phone', ['customer_phone'], sql<SqlBool>`customer_phone is not null`);
  // serviceCalls filters: one index per filter, each ending in the paging order, so a page is one range scan
  await index('service_calls_by_process', ['process_key', 'opened_at desc', 'id desc']);
  await index('service_calls_by_process_phase', ['process_key', 'active_phase', 'opened_at desc', 'id desc']);
  await index('service_calls_by_phase', ['active_phase', 'opened_at desc', 'id desc'], sql<SqlBool>`active_phase is not null`);
  await index('service_calls_by_assignee', ['assignee', 'opened_at desc', 'id desc'], sql<SqlBool>`assignee is not null`);
  await index('service_calls_by_category', ['category_key', 'opened_at desc', 'id desc']);
  await index('service_calls_by_priority', ['priority', 'opened_at desc', 'id desc']);
  // status + category together (e.g. the open billing calls): a rare status would otherwise be filtered out of a whole category
  await index('service_calls_by_status_category', ['status', 'category_key', 'opened_at desc', 'id desc']);
  // routing's sweep: open calls nobody holds (those never routed: opened before any agent existed, or by an earlier release)
  await index('service_calls_unassigned', ['opened_at', 'id'], sql<SqlBool>`assignee is null and status in ('OPEN', 'IN_PROGRESS', 'WAITING_ON_CUSTOMER')`);
  // phase board: per-phase load of a process from one covering scan over the calls in a phase; overdue calls by due time
  await index('service_calls_phase_load', ['process_key', 'active_phase', 'phase_started_at', 'steps_ready', 'steps_in_progress', 'steps_failed'], sql<SqlBool>`active_phase is not null`);
  await index(
    'service_calls_phase_due',
    ['process_key', 'active_phase', 'phase_due_at', 'id', 'tracking_code', 'status', 'priority', 'assignee', 'phase_started_at'],
    sql<SqlBool>`phase_due_at is not null`,
  );
  // slaRisks: calls by soonest SLA due time, with the at-risk time in the index (covering the filter)
  await index('service_calls_sla_due', ['sla_due_at', 'id', 'sla_at_risk_at'], sql<SqlBool>`sla_due_at is not null`);

  // phase board: completed visits of a phase (PhaseStarted -> PhaseCompleted), ordered by duration for percentiles
  await s
    .createTable('phase_visits')
    .addColumn('call_id', t.text, (c) => c.notNull())
    .addColumn('phase_key', t.text, (c) => c.notNull())
    .addColumn('started_at', t.text, (c) => c.notNull())
    .addColumn('process_key', t.text, (c) => c.notNull())
    .addColumn('completed_at', t.text, (c) => c.notNull())
    .addColumn('duration_ms', t.bigint, (c) => c.notNull())
    .addPrimaryKeyConstraint('phase_visits_pkey', ['call_id', 'phase_key', 'started_at'])
    .modifyEnd(withoutRowid(dialect))
    .execute();
  await s.createIndex('phase_visits_by_duration').on('phase_visits').columns(['process_key', 'phase_key', 'duration_ms']).execute();
  // how many visits each phase has (count(*) would walk the whole index range)
  await s
    .createTable('phase_visit_counts')
    .addColumn('process_key', t.text, (c) => c.notNull())
    .addColumn('phase_key', t.text, (c) => c.notNull())
    .addColumn('visits', t.bigint, (c) => c.notNull())
    .addPrimaryKeyConstraint('phase_visit_counts_pkey', ['process_key', 'phase_key'])
    .modifyEnd(withoutRowid(dialect))
    .execute();
  // process templates (kept by the templates' projection; the phase board reads the latest version's phases)
  await s
    .createTable('process_templates')
    .addColumn('key', t.text, (c) => c.notNull())
    .addColumn('version', t.integer, (c) => c.notNull())
    .addColumn('title', t.text, (c) => c.notNull())
    .addColumn('created_at', t.text, (c) => c.notNull())
    .addColumn('doc', t.json, (c) => c.notNull())
    .addPrimaryKeyConstraint('process_templates_pkey', ['key', 'version'])
    .execute();
  // which template each call category runs (category trimmed, lower-cased)
  await s
    .createTable('category_processes')
    .addColumn('category', t.text, (c) => c.primaryKey())
    .addColumn('process_key', t.text, (c) => c.notNull())
    .addColumn('updated_at', t.text, (c) => c.notNull())
    .execute();
  // the newest definition of each SLA policy
  await s
    .createTable('sla_policies')
    .addColumn('key', t.text, (c) => c.primaryKey())
    .addColumn('version', t.integer, (c) => c.notNull())
    .addColumn('doc', t.json, (c) => c.notNull())
    .execute();
  // agents (doc: the whole aggregate as evolveAgent makes it) and their load, indexed for the common filters
  await s
    .createTable('agents')
    .addColumn('id', t.text, (c) => c.primaryKey())
    .addColumn('version', t.integer, (c) => c.notNull())
    .addColumn('name', t.text, (c) => c.notNull())
    .addColumn('availability', t.text, (c) => c.notNull())
    .addColumn('open_calls', t.integer, (c) => c.notNull())
    .addColumn('capacity', t.integer, (c) => c.notNull())
    .addColumn('load_ratio', t.real, (c) => c.notNull())
    .addColumn('last_assigned_at', t.text)
    .addColumn('doc', t.json, (c) => c.notNull())
    .execute();
  await s.createIndex('agents_by_name').on('agents').columns(['name', 'id']).execute();
  await s.createIndex('agents_by_availability').on('agents').columns(['availability', 'name', 'id']).execute();
  await s.createIndex('agents_by_load').on('agents').columns(['load_ratio', 'id']).execute();
  // one row per call an agent took: assignments today (by taken_at) and handling times (released_at - taken_at)
  await s
    .createTable('agent_assignments')
    .addColumn('agent_id', t.text, (c) => c.notNull())
    .addColumn('taken_at', t.text, (c) => c.notNull())
    .addColumn('call_id', t.text, (c) => c.notNull())
    .addColumn('override', t.boolean, (c) => c.notNull())
    .addColumn('released_at', t.text)
    .addColumn('handling_ms', t.bigint)
    .addPrimaryKeyConstraint('agent_assignments_pkey', ['agent_id', 'taken_at', 'call_id'])
    .modifyEnd(withoutRowid(dialect))
    .execute();
  await s.createIndex('agent_assignments_open').on('agent_assignments').columns(['agent_id', 'call_id']).where(sql<SqlBool>`released_at is null`).execute();
  await s.createIndex('agent_assignments_handling').on('agent_assignments').columns(['agent_id', 'handling_ms']).where(sql<SqlBool>`handling_ms is not null`).execute();
  // routingQueue: calls waiting for an agent (CallQueued, no assignee, not finished), in serving order;
  // due_at is the call's soonest unmet SLA due time, '9999-12-31T23:59:59.999Z' when it has none (last)
  await s
    .createTable('routing_queue')
    .addColumn('call_id', t.text, (c) => c.primaryKey())
    .addColumn('due_at', t.text, (c) => c.notNull())
    .addColumn('received_at', t.text, (c) => c.notNull())
    .addColumn('queued_at', t.text, (c) => c.notNull())
    .addColumn('version', t.integer, (c) => c.notNull())
    .addColumn('doc', t.json, (c) => c.notNull())
    .execute();
  await s.createIndex('routing_queue_order').on('routing_queue').columns(['due_at', 'received_at', 'queued_at', 'call_id']).execute();
}
