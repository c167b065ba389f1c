import Database from 'better-sqlite3';

/*
 * The read-model file as the code before schema migrations wrote it (commit 42134ab,
 * read-model.database.ts): its schema, verbatim, at PRAGMA user_version 10. For the test that such a
 * file opens and is rebuilt from the log.
 */

const CHECKPOINTS = 'CREATE TABLE IF NOT EXISTS checkpoints (name TEXT PRIMARY KEY, position INTEGER NOT NULL);';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS service_calls (
  id TEXT PRIMARY KEY,
  tracking_code TEXT NOT NULL UNIQUE,
  version INTEGER NOT NULL,
  status TEXT NOT NULL,
  priority TEXT NOT NULL,
  category TEXT NOT NULL,
  category_key TEXT NOT NULL,        -- trimmed, lower-cased: what category filters compare
  process_key TEXT NOT NULL,
  active_phase TEXT,
  phase_started_at TEXT,             -- of the active phase
  phase_due_at TEXT,                 -- phase_started_at + the call's own expected durations of the phase's steps
  sla_at_risk_at TEXT,               -- slaRisks: when an open SLA target becomes AT_RISK (null: none can, e.g. paused or resolved)
  sla_due_at TEXT,                   -- and the soonest due time of those targets (see sla-risks/sla-watch.ts)
  steps_ready INTEGER NOT NULL DEFAULT 0,        -- steps of the active phase in these statuses
  steps_in_progress INTEGER NOT NULL DEFAULT 0,
  steps_failed INTEGER NOT NULL DEFAULT 0,
  assignee TEXT,
  customer_email TEXT,
  customer_phone TEXT,
  opened_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  doc TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS service_calls_by_opened ON service_calls (opened_at DESC, id DESC);
CREATE INDEX IF NOT EXISTS service_calls_by_status ON service_calls (status, opened_at DESC, id DESC);
CREATE INDEX IF NOT EXISTS service_calls_by_email ON service_calls (customer_email) WHERE customer_email IS NOT NULL;
CREATE INDEX IF NOT EXISTS service_calls_by_phone ON service_calls (customer_phone) WHERE customer_phone IS NOT NULL;
-- serviceCalls filters: one index per filter, each ending in the paging order, so a page is one range scan
CREATE INDEX IF NOT EXISTS service_calls_by_process ON service_calls (process_key, opened_at DESC, id DESC);
CREATE INDEX IF NOT EXISTS service_calls_by_process_phase ON service_calls (process_key, active_phase, opened_at DESC, id DESC);
CREATE INDEX IF NOT EXISTS service_calls_by_phase ON service_calls (active_phase, opened_at DESC, id DESC) WHERE active_phase IS NOT NULL;
CREATE INDEX IF NOT EXISTS service_calls_by_assignee ON service_calls (assignee, opened_at DESC, id DESC) WHERE assignee IS NOT NULL;
CREATE INDEX IF NOT EXISTS service_calls_by_category ON service_calls (category_key, opened_at DESC, id DESC);
CREATE INDEX IF NOT EXISTS service_calls_by_priority ON service_calls (priority, opened_at DESC, id DESC);
-- status + category together (e.g. the open billing calls): a rare status would otherwise be filtered out of a whole category
CREATE INDEX IF NOT EXISTS service_calls_by_status_category ON service_calls (status, category_key, opened_at DESC, id DESC);
-- routing's sweep: open calls nobody holds (those never routed: opened before any agent existed, or by an earlier release)
CREATE INDEX IF NOT EXISTS service_calls_unassigned ON service_calls (opened_at, id) WHERE assignee IS NULL AND status IN ('OPEN', 'IN_PROGRESS', 'WAITING_ON_CUSTOMER');
-- phase board: per-phase load of a process from one covering scan over the calls in a phase; overdue calls by due time
CREATE INDEX IF NOT EXISTS service_calls_phase_load ON service_calls (process_key, active_phase, phase_started_at, steps_ready, steps_in_progress, steps_failed) WHERE active_phase IS NOT NULL;
CREATE INDEX IF NOT EXISTS service_calls_phase_due ON service_calls (process_key, active_phase, phase_due_at, id, tracking_code, status, priority, assignee, phase_started_at) WHERE phase_due_at IS NOT NULL;
-- slaRisks: calls by soonest SLA due time, with the at-risk time in the index (covering the filter)
CREATE INDEX IF NOT EXISTS service_calls_sla_due ON service_calls (sla_due_at, id, sla_at_risk_at) WHERE sla_due_at IS NOT NULL;
-- phase board: completed visits of a phase (PhaseStarted -> PhaseCompleted), ordered by duration for percentiles
CREATE TABLE IF NOT EXISTS phase_visits (
  call_id TEXT NOT NULL,
  phase_key TEXT NOT NULL,
  started_at TEXT NOT NULL,
  process_key TEXT NOT NULL,
  completed_at TEXT NOT NULL,
  duration_ms INTEGER NOT NULL,
  PRIMARY KEY (call_id, phase_key, started_at)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS phase_visits_by_duration ON phase_visits (process_key, phase_key, duration_ms);
-- how many visits each phase has (count(*) would walk the whole index range)
CREATE TABLE IF NOT EXISTS phase_visit_counts (process_key TEXT NOT NULL, phase_key TEXT NOT NULL, visits INTEGER NOT NULL, PRIMARY KEY (process_key, phase_key)) WITHOUT ROWID;
-- process templates (kept by the templates' projection; the phase board reads the latest version's phases)
CREATE TABLE IF NOT EXISTS process_templates (key TEXT NOT NULL, version INTEGER NOT NULL, title TEXT NOT NULL, created_at TEXT NOT NULL, doc TEXT NOT NULL, PRIMARY KEY (key, version));
-- which template each call category runs (category trimmed, lower-cased)
CREATE TABLE IF NOT EXISTS category_processes (category TEXT PRIMARY KEY, process_key TEXT NOT NULL, updated_at TEXT NOT NULL);
-- the newest definition of each SLA policy
CREATE TABLE IF NOT EXISTS sla_policies (key TEXT PRIMARY KEY, version INTEGER NOT NULL, doc TEXT NOT NULL);
-- agents (doc: the whole aggregate as evolveAgent makes it) and their load, indexed for the common filters
CREATE TABLE IF NOT EXISTS agents (
  id TEXT PRIMARY KEY,
  version INTEGER NOT NULL,
  name TEXT NOT NULL,
  availability TEXT NOT NULL,
  open_calls INTEGER NOT NULL,
  capacity INTEGER NOT NULL,
  load_ratio REAL NOT NULL,
  last_assigned_at TEXT,
  doc TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS agents_by_name ON agents (name, id);
CREATE INDEX IF NOT EXISTS agents_by_availability ON agents (availability, name, id);
CREATE INDEX IF NOT EXISTS agents_by_load ON agents (load_ratio, id);
-- one row per call an agent took: assignments today (by taken_at) and handling times (released_at - taken_at)
CREATE TABLE IF NOT EXISTS agent_assignments (
  agent_id TEXT NOT NULL,
  taken_at TEXT NOT NULL,
  call_id TEXT NOT NULL,
  override INTEGER NOT NULL,
  released_at TEXT,
  handling_ms INTEGER,
  PRIMARY KEY (agent_id, taken_at, call_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS agent_assignments_open ON agent_assignments (agent_id, call_id) WHERE released_at IS NULL;
CREATE INDEX IF NOT EXISTS agent_assignments_handling ON agent_assignments (agent_id, handling_ms) WHERE handling_ms IS NOT NULL;
-- routingQueue: calls waiting for an agent (CallQueued, no assignee, not finished), in serving order;
-- due_at is the call's soonest unmet SLA due time, '9999-12-31T23:59:59.999Z' when it has none (last)
CREATE TABLE IF NOT EXISTS routing_queue (
  call_id TEXT PRIMARY KEY,
  due_at TEXT NOT NULL,
  received_at TEXT NOT NULL,
  queued_at TEXT NOT NULL,
  version INTEGER NOT NULL,
  doc TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS routing_queue_order ON routing_queue (due_at, received_at, queued_at, call_id);
`;

/** Creates (or opens) a read-model file the way the user_version-era code did, at schema version 10. */
export function createUserVersionEraFile(file: string): Database.Database {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.exec(CHECKPOINTS);
  db.exec(SCHEMA);
  db.pragma('user_version = 10');
  return db;
}
