import { AgentAvailability, CallStatus, Priority } from '@app/domain';

/**
 * The read models' tables as the queries see them, the same in SQLite and PostgreSQL (the migrations
 * choose each dialect's column types). Instants are ISO 8601 text in both: the code compares and pages
 * on them as strings. `doc` columns hold a JSON document, read back as the text that was written.
 */
export interface ReadModelTables {
  checkpoints: CheckpointsTable;
  checkpoints_owner: CheckpointsOwnerTable;
  service_calls: ServiceCallsTable;
  phase_visits: PhaseVisitsTable;
  phase_visit_counts: PhaseVisitCountsTable;
  process_templates: ProcessTemplatesTable;
  category_processes: CategoryProcessesTable;
  sla_policies: SlaPoliciesTable;
  agents: AgentsTable;
  agent_assignments: AgentAssignmentsTable;
  routing_queue: RoutingQueueTable;
  routing_agents: RoutingAgentsTable;
}

/** How far a reader of the log has come (the projector's, the worker's dispatcher's). */
export interface CheckpointsTable {
  name: string;
  position: number;
}

export interface CheckpointsOwnerTable {
  one_row: number;
  event_store: string;
}

/** One row per call: the folded call (doc) and the columns queries filter and sort on. */
export interface ServiceCallsTable {
  id: string;
  tracking_code: string;
  version: number;
  status: CallStatus;
  priority: Priority;
  category: string;
  /** trimmed, lower-cased: what category filters compare */
  category_key: string;
  process_key: string;
  active_phase: string | null;
  /** of the active phase */
  phase_started_at: string | null;
  /** phase_started_at + the call's own expected durations of the phase's steps */
  phase_due_at: string | null;
  /** slaRisks: when an open SLA target becomes AT_RISK (null: none can, e.g. paused or resolved) */
  sla_at_risk_at: string | null;
  /** and the soonest due time of those targets (see sla-risks/sla-watch.ts) */
  sla_due_at: string | null;
  /** steps of the active phase in these statuses */
  steps_ready: number;
  steps_in_progress: number;
  steps_failed: number;
  assignee: string | null;
  customer_email: string | null;
  customer_phone: string | null;
  opened_at: string;
  updated_at: string;
  doc: string;
}

/** A completed visit of a phase (PhaseStarted -> PhaseCompleted), for the phase board's percentiles. */
export interface PhaseVisitsTable {
  call_id: string;
  phase_key: string;
  started_at: string;
  process_key: string;
  completed_at: string;
  duration_ms: number;
}

/** How many visits each phase has (count(*) would walk the whole index range). */
export interface PhaseVisitCountsTable {
  process_key: string;
  phase_key: string;
  visits: number;
}

export interface ProcessTemplatesTable {
  key: string;
  version: number;
  title: string;
  created_at: string;
  doc: string;
}

/** Which template each call category runs (category trimmed, lower-cased). */
export interface CategoryProcessesTable {
  category: string;
  process_key: string;
  updated_at: string;
}

/** The newest definition of each SLA policy. */
export interface SlaPoliciesTable {
  key: string;
  version: number;
  doc: string;
}

export interface AgentsTable {
  id: string;
  version: number;
  name: string;
  availability: AgentAvailability;
  open_calls: number;
  capacity: number;
  load_ratio: number;
  last_assigned_at: string | null;
  doc: string;
}

/** One row per call an agent took: assignments today (by taken_at) and handling times. */
export interface AgentAssignmentsTable {
  agent_id: string;
  taken_at: string;
  call_id: string;
  /** written as a boolean; SQLite keeps it as 1/0 (nothing reads it back yet) */
  override: boolean;
  released_at: string | null;
  handling_ms: number | null;
}

/** routingQueue: calls waiting for an agent, in serving order. */
export interface RoutingQueueTable {
  call_id: string;
  /** the call's soonest unmet SLA due time, NO_DUE_TIME when it has none (last) */
  due_at: string;
  received_at: string;
  queued_at: string;
  version: number;
  doc: string;
}

/**
 * Not a projection: per agent the newest state routing itself got from the agent's stream (a take, a
 * refused take read again, a release), for every worker's next decision to see before the agents read
 * model does (see RoutingAgentsStore). Written only forward: a version never replaces a newer one.
 */
export interface RoutingAgentsTable {
  agent_id: string;
  /** the agent stream's version the doc is at */
  version: number;
  /** the agent (the domain's Agent) at that version */
  doc: string;
}
