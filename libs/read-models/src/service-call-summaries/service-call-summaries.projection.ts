import { callExists, callIdOfStream, evolve, initialServiceCallState, normaliseCategory, ServiceCall, ServiceCallEvent, StoredServiceCall, upcastServiceCall } from '@app/domain';
import { RecordedEvent } from '@app/event-store';
import { activePhaseLoad } from '../phase-board/phase-timing';
import { Projection } from '../projection';
import { SlaWatch, slaWatchInputsChanged, slaWatchOf } from '../sla-risks/sla-watch';
import { ReadModelDatabase } from '../read-model.database';

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
    const row = await db.selectFrom('service_calls').select(['doc', 'sla_at_risk_at', 'sla_due_at']).where('id', '=', callId).executeTakeFirst();
    // a document an older version stored is read in today's shape (the rebuild on a schema change does the rest)
    const current = row ? upcastServiceCall(JSON.parse(row.doc) as StoredServiceCall) : initialServiceCallState;
    if (event.streamVersion !== current.version + 1) return undefined;
    const next = evolve(current, { type: event.type, data: event.data } as ServiceCallEvent);
    if (!callExists(next)) return undefined;
    const load = activePhaseLoad(next);
    // the SLA clock's arithmetic only when its inputs changed (business-hours calendars cost tens of µs)
    const sla: SlaWatch | null =
      row && !slaWatchInputsChanged(current as ServiceCall, next) ? (row.sla_due_at ? { atRiskAt: row.sla_at_risk_at!, dueAt: row.sla_due_at } : null) : slaWatchOf(next);
    const columns = {
      version: next.version,
      status: next.status,
      priority: next.priority,
      category: next.category,
      category_key: normaliseCategory(next.category), // filters match categories as category mappings do
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
      updated_at: next.updatedAt,
      doc: JSON.stringify(next),
    };
    await db
      .insertInto('service_calls')
      .values({ id: next.id, tracking_code: next.trackingCode, process_key: next.processKey, opened_at: next.openedAt, ...columns })
      .onConflict((oc) => oc.column('id').doUpdateSet(columns))
      .execute();
    return next;
  }
}

/** Digits only, so "+49 30 123" and "+4930123" find the same customer. */
export function normalisePhone(phone: string | undefined): string | null {
  return phone ? phone.replace(/\D/g, '') : null;
}
