import { callIdOfStream, callSla, CallbackRequest, isFinished, QueuedCall, routingRequestOf, ServiceCall } from '@app/domain';
import { RecordedEvent } from '@app/event-store';
import { Projection } from '../projection';
import { ReadModelDatabase } from '../read-model.database';
import { prepare } from '../read-model.sql';

/** A call waiting for an agent, as routingQueue serves it. */
export type WaitingCall = QueuedCall & {
  trackingCode: string;
  /** why routing found nobody (CallQueued's reasons, e.g. `no-eligible-agent`, `skill:3`) */
  reasons: string[];
  callback: CallbackRequest | null;
  version: number;
};

/** What the due-time column holds for a call without one: after every ISO instant, so those calls come last. */
export const NO_DUE_TIME = '9999-12-31T23:59:59.999Z';

/**
 * The calls waiting for an agent (routing found nobody: CallQueued), one row each, in serving order:
 * SLA due time soonest first (none last), then received, queued, call id, one index in that order.
 * A row is refreshed on each later event of the call while it waits (its due time moves with pauses
 * and the first response) and removed once it has an agent or is RESOLVED, CLOSED or CANCELLED.
 *
 * It reads the call as the summaries' projection has just folded it (same transaction, applied after
 * it), so a call that never waited costs one primary-key probe per event.
 */
export class RoutingQueueProjection implements Projection {
  readonly tables = ['routing_queue'] as const;

  async apply(db: ReadModelDatabase, event: RecordedEvent): Promise<void> {
    const callId = callIdOfStream(event.streamId);
    if (!callId) return;
    const [queued] = await QUEUED.execute(db, { id: callId });
    if (event.type !== 'CallQueued' && queued === undefined) return;
    if (queued !== undefined && queued.version >= event.streamVersion) return; // delivered again
    const [row] = await CALL.execute(db, { id: callId });
    if (!row) return;
    const call = JSON.parse(row.doc) as ServiceCall;
    if (call.version !== event.streamVersion) return; // the summaries are elsewhere (a redelivery): they decide
    const at = new Date(typeof (event.data as { at?: unknown }).at === 'string' ? (event.data as { at: string }).at : event.recordedAt);
    const waiting = waitingCallOf(call, at);
    if (!waiting) {
      await db.deleteFrom('routing_queue').where('call_id', '=', callId).execute();
      return;
    }
    const columns = {
      due_at: waiting.dueAt ?? NO_DUE_TIME,
      received_at: waiting.receivedAt,
      queued_at: waiting.queuedAt,
      version: waiting.version,
      doc: JSON.stringify(waiting),
    };
    await db
      .insertInto('routing_queue')
      .values({ call_id: callId, ...columns })
      .onConflict((oc) => oc.column('call_id').doUpdateSet(columns))
      .execute();
  }
}

const QUEUED = prepare({ id: true }, (db, p: { id: string }) => db.selectFrom('routing_queue').select('version').where('call_id', '=', p.id));
const CALL = prepare({ id: true }, (db, p: { id: string }) => db.selectFrom('service_calls').select('doc').where('id', '=', p.id));

/** The call as a queue entry, or null when it does not wait for an agent. `at`: when its SLA is read. */
export function waitingCallOf(call: ServiceCall, at: Date): WaitingCall | null {
  if (!call.queuedAt || call.assignee || isFinished(call)) return null;
  const sla = callSla(call, at);
  // the soonest target still to meet: the first response while nobody responded, and the resolution
  const due = [sla.firstRespondedAt ? null : sla.firstResponseDueAt, sla.resolutionDueAt].filter((d): d is Date => d !== null);
  const dueAt = due.length ? new Date(Math.min(...due.map((d) => d.getTime()))).toISOString() : null;
  const cb = call.callback;
  return {
    callId: call.id,
    trackingCode: call.trackingCode,
    dueAt,
    queuedAt: call.queuedAt,
    receivedAt: call.receivedAt,
    request: routingRequestOf(call),
    reasons: call.queueReasons ?? [],
    callback: cb ? { phone: cb.phone, windowFrom: cb.windowFrom, windowTo: cb.windowTo } : null,
    version: call.version,
  };
}
