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
  readonly tables = ['phase_visits', 'phase_visit_counts'];
  private readonly current;
  private readonly insert;
  private readonly count;

  constructor(db: ReadModelDatabase) {
    this.current = db.prepare<[string], { version: number; process_key: string; active_phase: string | null; phase_started_at: string | null }>(
      'SELECT version, process_key, active_phase, phase_started_at FROM service_calls WHERE id = ?',
    );
    this.insert = db.prepare(
      `INSERT OR IGNORE INTO phase_visits (call_id, phase_key, started_at, process_key, completed_at, duration_ms)
       VALUES (?, ?, ?, ?, ?, ?)`,
    );
    this.count = db.prepare(
      `INSERT INTO phase_visit_counts (process_key, phase_key, visits) VALUES (?, ?, 1)
       ON CONFLICT (process_key, phase_key) DO UPDATE SET visits = visits + 1`,
    );
  }

  apply(event: RecordedEvent): void {
    if (event.type !== 'PhaseCompleted') return;
    const callId = callIdOfStream(event.streamId);
    if (!callId) return;
    const call = this.current.get(callId);
    if (!call || event.streamVersion !== call.version + 1) return;
    const { phaseKey, at } = event.data as { phaseKey: string; at: string };
    if (call.active_phase !== phaseKey || !call.phase_started_at) return;
    const durationMs = Math.max(0, Date.parse(at) - Date.parse(call.phase_started_at));
    const inserted = this.insert.run(callId, phaseKey, call.phase_started_at, call.process_key, at, durationMs).changes > 0;
    if (inserted) this.count.run(call.process_key, phaseKey);
  }
}
