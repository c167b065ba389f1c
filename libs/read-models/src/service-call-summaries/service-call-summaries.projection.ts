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
  readonly tables = ['service_calls'];
  private readonly select;
  private readonly upsert;

  constructor(db: ReadModelDatabase) {
    this.select = db.prepare<[string], { doc: string; sla_at_risk_at: string | null; sla_due_at: string | null }>(
      'SELECT doc, sla_at_risk_at, sla_due_at FROM service_calls WHERE id = ?',
    );
    this.upsert = db.prepare(`
      INSERT INTO service_calls (id, tracking_code, version, status, priority, category, category_key, process_key, active_phase,
                                 phase_started_at, phase_due_at, sla_at_risk_at, sla_due_at, steps_ready, steps_in_progress, steps_failed, assignee,
                                 customer_email, customer_phone, opened_at, updated_at, doc)
      VALUES (@id, @trackingCode, @version, @status, @priority, @category, @categoryKey, @processKey, @activePhase,
              @phaseStartedAt, @phaseDueAt, @slaAtRiskAt, @slaDueAt, @stepsReady, @stepsInProgress, @stepsFailed, @assignee,
              @customerEmail, @customerPhone, @openedAt, @updatedAt, @doc)
      ON CONFLICT(id) DO UPDATE SET version = excluded.version, status = excluded.status, priority = excluded.priority,
        category = excluded.category, category_key = excluded.category_key, active_phase = excluded.active_phase,
        phase_started_at = excluded.phase_started_at, phase_due_at = excluded.phase_due_at,
        sla_at_risk_at = excluded.sla_at_risk_at, sla_due_at = excluded.sla_due_at, steps_ready = excluded.steps_ready,
        steps_in_progress = excluded.steps_in_progress, steps_failed = excluded.steps_failed, assignee = excluded.assignee,
        customer_email = excluded.customer_email, customer_phone = excluded.customer_phone,
        updated_at = excluded.updated_at, doc = excluded.doc`);
  }

  /** Applies one event; returns the call's new state when it changed. */
  apply(event: RecordedEvent): ServiceCall | undefined {
    const callId = callIdOfStream(event.streamId);
    if (!callId) return undefined;
    const row = this.select.get(callId);
    // a document an older version stored is read in today's shape (the rebuild on a schema change does the rest)
    const current = row ? upcastServiceCall(JSON.parse(row.doc) as StoredServiceCall) : initialServiceCallState;
    if (event.streamVersion !== current.version + 1) return undefined;
    const next = evolve(current, { type: event.type, data: event.data } as ServiceCallEvent);
    if (!callExists(next)) return undefined;
    const load = activePhaseLoad(next);
    // the SLA clock's arithmetic only when its inputs changed (business-hours calendars cost tens of µs)
    const sla: SlaWatch | null =
      row && !slaWatchInputsChanged(current as ServiceCall, next) ? (row.sla_due_at ? { atRiskAt: row.sla_at_risk_at!, dueAt: row.sla_due_at } : null) : slaWatchOf(next);
    this.upsert.run({
      id: next.id,
      trackingCode: next.trackingCode,
      version: next.version,
      status: next.status,
      priority: next.priority,
      category: next.category,
      categoryKey: normaliseCategory(next.category), // filters match categories as category mappings do
      processKey: next.processKey,
      activePhase: load.phaseKey,
      phaseStartedAt: load.startedAt,
      phaseDueAt: load.dueAt,
      slaAtRiskAt: sla?.atRiskAt ?? null,
      slaDueAt: sla?.dueAt ?? null,
      stepsReady: load.stepsReady,
      stepsInProgress: load.stepsInProgress,
      stepsFailed: load.stepsFailed,
      assignee: next.assignee ?? null,
      customerEmail: next.customer.email ?? null,
      customerPhone: normalisePhone(next.customer.phone),
      openedAt: next.openedAt,
      updatedAt: next.updatedAt,
      doc: JSON.stringify(next),
    });
    return next;
  }
}

/** Digits only, so "+49 30 123" and "+4930123" find the same customer. */
export function normalisePhone(phone: string | undefined): string | null {
  return phone ? phone.replace(/\D/g, '') : null;
}
