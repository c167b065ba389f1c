import { callIdOfStream } from '@app/domain';
import { RecordedEvent } from '@app/event-store';
import { Projection } from '../projection';
import { ReadModelDatabase } from '../read-model.database';
import { prepare } from '../read-model.sql';
import { PhaseVisitsTable } from '../read-model.tables';

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
    const [call] = await CURRENT.execute(db, { id: callId });
    if (!call || event.streamVersion !== call.version + 1) return;
    const { phaseKey, at } = event.data as { phaseKey: string; at: string };
    if (call.active_phase !== phaseKey || !call.phase_started_at) return;
    const durationMs = Math.max(0, Date.parse(at) - Date.parse(call.phase_started_at));
    const visit = { call_id: callId, phase_key: phaseKey, started_at: call.phase_started_at, process_key: call.process_key, completed_at: at, duration_ms: durationMs };
    const inserted = await INSERT_VISIT.execute(db, visit);
    if (inserted.length) await COUNT_VISIT.execute(db, { process_key: call.process_key, phase_key: phaseKey });
  }
}

const CURRENT = prepare({ id: true }, (db, p: { id: string }) =>
  db.selectFrom('service_calls').select(['version', 'process_key', 'active_phase', 'phase_started_at']).where('id', '=', p.id),
);

/** The visit, unless it is there already (a redelivery); returns it when it was inserted. */
const INSERT_VISIT = prepare(
  { call_id: true, phase_key: true, started_at: true, process_key: true, completed_at: true, duration_ms: true },
  (db, visit: PhaseVisitsTable) => db.insertInto('phase_visits').values(visit).onConflict((oc) => oc.doNothing()).returning('call_id'),
);

const COUNT_VISIT = prepare({ process_key: true, phase_key: true }, (db, p: { process_key: string; phase_key: string }) =>
  db
    .insertInto('phase_visit_counts')
    .values({ ...p, visits: 1 })
    .onConflict((oc) => oc.columns(['process_key', 'phase_key']).doUpdateSet({ visits: (eb) => eb('phase_visit_counts.visits', '+', 1) })),
);
