import { activePhase, callExists, callIdOfStream, evolve, initialServiceCallState, ServiceCall, ServiceCallEvent } from '@app/domain';
import { RecordedEvent } from '@app/event-store';
import { Projection } from '../projection';
import { ReadModelDatabase } from '../read-model.database';

/**
 * Keeps one row per call: the call as the domain's own evolve() folds it (one implementation of
 * every rule), plus the columns that queries filter and sort on. Idempotent: an event whose stream
 * version is not the next one for the row is skipped, so redelivery changes nothing.
 */
export class ServiceCallSummariesProjection implements Projection {
  readonly tables = ['service_calls'];
  private readonly select;
  private readonly upsert;

  constructor(db: ReadModelDatabase) {
    this.select = db.prepare('SELECT doc FROM service_calls WHERE id = ?').pluck();
    this.upsert = db.prepare(`
      INSERT INTO service_calls (id, tracking_code, version, status, priority, category, process_key, active_phase, assignee,
                                 customer_email, customer_phone, opened_at, updated_at, doc)
      VALUES (@id, @trackingCode, @version, @status, @priority, @category, @processKey, @activePhase, @assignee,
              @customerEmail, @customerPhone, @openedAt, @updatedAt, @doc)
      ON CONFLICT(id) DO UPDATE SET version = excluded.version, status = excluded.status, priority = excluded.priority,
        category = excluded.category, active_phase = excluded.active_phase, assignee = excluded.assignee,
        customer_email = excluded.customer_email, customer_phone = excluded.customer_phone,
        updated_at = excluded.updated_at, doc = excluded.doc`);
  }

  /** Applies one event; returns the call's new state when it changed. */
  apply(event: RecordedEvent): ServiceCall | undefined {
    const callId = callIdOfStream(event.streamId);
    if (!callId) return undefined;
    const doc = this.select.get(callId) as string | undefined;
    const current = doc ? (JSON.parse(doc) as ServiceCall) : initialServiceCallState;
    if (event.streamVersion !== current.version + 1) return undefined;
    const next = evolve(current, { type: event.type, data: event.data } as ServiceCallEvent);
    if (!callExists(next)) return undefined;
    this.upsert.run({
      id: next.id,
      trackingCode: next.trackingCode,
      version: next.version,
      status: next.status,
      priority: next.priority,
      category: next.category,
      processKey: next.processKey,
      activePhase: activePhase(next.phases)?.key ?? null,
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
