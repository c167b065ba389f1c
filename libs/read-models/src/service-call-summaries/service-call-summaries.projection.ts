import { callExists, callIdOfStream, evolve, initialServiceCallState, normaliseCategory, ServiceCall, ServiceCallEvent, StoredServiceCall, upcastServiceCall } from '@app/domain';
import { RecordedEvent } from '@app/event-store';
import { activePhaseLoad } from '../phase-board/phase-timing';
import { Projection } from '../projection';
import { SlaWatch, slaWatchInputsChanged, slaWatchOf } from '../sla-risks/sla-watch';
import { ReadModelDatabase } from '../read-model.database';
import { prepare } from '../read-model.sql';
import { ServiceCallsTable } from '../read-model.tables';

/**
 * Keeps one row per call: the call as the domain's own evolve() folds it (one implementation of
 * every rule), plus the columns that queries filter and sort on, and where the call stands in its
 * active phase (start, due time, step counts) for the phase board. Idempotent: an event whose stream
 * version is not the next one for the row is skipped, so redelivery changes nothing.
 */
export class ServiceCallSummariesProjection implements Projection {
  readonly tables = ['service_calls'] as const;

  /** Applies one event; resolves to the call's new state when it changed. */
  async apply(db: ReadModelDatabase, event: RecordedEvent): Promise<ServiceCall | undefined> {
    const callId = callIdOfStream(event.streamId);
    if (!callId) return undefined;
    const [row] = await CURRENT.execute(db, { id: callId });
    // a document an older version stored is read in today's shape (the rebuild on a schema change does the rest)
    const current = row ? upcastServiceCall(JSON.parse(row.doc) as StoredServiceCall) : initialServiceCallState;
    if (event.streamVersion !== current.version + 1) return undefined;
    const next = evolve(current, { type: event.type, data: event.data } as ServiceCallEvent);
    if (!callExists(next)) return undefined;
    const load = activePhaseLoad(next);
    // the SLA clock's arithmetic only when its inputs changed (business-hours calendars cost tens of µs)
    const sla: SlaWatch | null =
      row && !slaWatchInputsChanged(current as ServiceCall, next) ? (row.sla_due_at ? { atRiskAt: row.sla_at_risk_at!, dueAt: row.sla_due_at } : null) : slaWatchOf(next);
    await UPSERT.execute(db, {
      id: next.id,
      tracking_code: next.trackingCode,
      version: next.version,
      status: next.status,
      priority: next.priority,
      category: next.category,
      category_key: normaliseCategory(next.category), // filters match categories as category mappings do
      process_key: next.processKey,
      active_phase: load.phaseKey,
      phase_started_at: load.startedAt,
      phase_due_at: load.dueAt,
      sla_at_risk_at: sla?.atRiskAt ?? null,
      sla_due_at: sla?.dueAt ?? null,
      steps_ready: load.stepsReady,
      steps_in_progress: load.stepsInProgress,
      steps_failed: load.stepsFailed,
      assignee: next.assignee ?? null,
      customer_email: next.customer.email ?? null,
      customer_phone: normalisePhone(next.customer.phone),
      opened_at: next.openedAt,
      updated_at: next.updatedAt,
      doc: JSON.stringify(next),
    });
    return next;
  }
}

/** The calls as the read models hold them now (another replica's projector may have applied their latest events); undefined for one not there. */
export async function projectedCalls(db: ReadModelDatabase, callIds: readonly string[]): Promise<Map<string, ServiceCall | undefined>> {
  const calls = new Map<string, ServiceCall | undefined>(callIds.map((id) => [id, undefined]));
  if (callIds.length === 0) return calls;
  const rows = await db.selectFrom('service_calls').select(['id', 'doc']).where('id', 'in', callIds).execute();
  for (const row of rows) {
    const call = upcastServiceCall(JSON.parse(row.doc) as StoredServiceCall);
    if (callExists(call)) calls.set(row.id, call);
  }
  return calls;
}

const CURRENT = prepare({ id: true }, (db, p: { id: string }) => db.selectFrom('service_calls').select(['doc', 'sla_at_risk_at', 'sla_due_at']).where('id', '=', p.id));

/** A new call's row, or the changed columns of a known one (its id, tracking code, process and opening never change). */
const CALL_COLUMNS = {
  id: true, tracking_code: true, version: true, status: true, priority: true, category: true, category_key: true, process_key: true,
  active_phase: true, phase_started_at: true, phase_due_at: true, sla_at_risk_at: true, sla_due_at: true, steps_ready: true,
  steps_in_progress: true, steps_failed: true, assignee: true, customer_email: true, customer_phone: true, opened_at: true,
  updated_at: true, doc: true,
} as const;

const UPSERT = prepare(CALL_COLUMNS, (db, row: ServiceCallsTable) => {
  const { id: _id, tracking_code: _code, process_key: _process, opened_at: _opened, ...changed } = row;
  return db
    .insertInto('service_calls')
    .values(row)
    .onConflict((oc) => oc.column('id').doUpdateSet(changed));
});

/** Digits only, so "+49 30 123" and "+4930123" find the same customer. */
export function normalisePhone(phone: string | undefined): string | null {
  return phone ? phone.replace(/\D/g, '') : null;
}
