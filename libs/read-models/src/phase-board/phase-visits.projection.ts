import { callIdOfStream } from '@app/domain';
import { RecordedEvent } from '@app/event-store';
import { Projection } from '../projection';
import { ReadModelDatabase } from '../read-model.database';

/**
 * Records each completed visit of a phase (PhaseStarted -> PhaseCompleted) with its duration, and counts
 * the visits of each phase, for the phase board's percentiles.
 *
 * Runs BEFORE ServiceCallSummariesProjection, in the same transaction: the call's summary row then still
 * holds the state before this event, whose `version` is the last event applied to the call (the
 * summaries' own guard: only the next version is applied, so redelivery changes nothing) and whose
 * `phase_started_at` is when the phase being completed started.
 */
export class PhaseVisitsProjection implements Projection {
  readonly tables = ['phase_visits', 'phase_visit_counts'] as const;

  async apply(db: ReadModelDatabase, event: RecordedEvent): Promise<void> {
    if (event.type !== 'PhaseCompleted') return;
    const callId = callIdOfStream(event.streamId);
    if (!callId) return;
    const call = await db
      .selectFrom('service_calls')
      .select(['version', 'process_key', 'active_phase', 'phase_started_at'])
      .where('id', '=', callId)
      .executeTakeFirst();
    if (!call || event.streamVersion !== call.version + 1) return;
    const { phaseKey, at } = event.data as { phaseKey: string; at: string };
    if (call.active_phase !== phaseKey || !call.phase_started_at) return;
    const durationMs = Math.max(0, Date.parse(at) - Date.parse(call.phase_started_at));
    const inserted = await db
      .insertInto('phase_visits')
      .values({ call_id: callId, phase_key: phaseKey, started_at: call.phase_started_at, process_key: call.process_key, completed_at: at, duration_ms: durationMs })
      .onConflict((oc) => oc.doNothing())
      .executeTakeFirst();
    if (!inserted.numInsertedOrUpdatedRows) return;
    await db
      .insertInto('phase_visit_counts')
      .values({ process_key: call.process_key, phase_key: phaseKey, visits: 1 })
      .onConflict((oc) => oc.columns(['process_key', 'phase_key']).doUpdateSet({ visits: (eb) => eb('phase_visit_counts.visits', '+', 1) }))
      .execute();
  }
}
