import { NotFoundError, ServiceCall } from '@app/domain';
import { ReadModelDatabase } from '../read-model.database';
import { expectedPhaseMs } from './phase-timing';

export interface OverdueCall {
  callId: string;
  trackingCode: string;
  status: ServiceCall['status'];
  priority: ServiceCall['priority'];
  assignee?: string;
  phaseStartedAt: string;
  dueAt: string;
  /** how long past its due time, at the board's `asOf` */
  overdueMs: number;
}

export interface PhaseBoardPhase {
  key: string;
  name: string;
  order: number;
  /** calls of the process whose ACTIVE phase has this key (any template version) */
  callsInPhase: number;
  stepsReady: number;
  stepsInProgress: number;
  stepsFailed: number;
  /** the earliest start of this phase among the calls in it */
  longestWaitingSince?: string;
  /** completed visits (PhaseStarted -> PhaseCompleted) the percentiles come from */
  completedVisits: number;
  medianMs?: number;
  p90Ms?: number;
  /** the sum of the phase's steps' expected durations in the latest template; undefined when none has one */
  expectedMs?: number;
  /** calls in the phase for longer than their own process copy expects */
  overdueCount: number;
  /** the first of them, most overdue first */
  overdueCalls: OverdueCall[];
}

export interface PhaseBoard {
  processKey: string;
  /** the template version the phases come from; undefined when no template is stored (the newest call's phases) */
  processVersion?: number;
  asOf: string;
  phases: PhaseBoardPhase[];
}

interface PhaseOutline {
  key: string;
  name: string;
  steps: { expectedDuration?: string }[];
}

interface LoadRow {
  phase: string;
  calls: number;
  ready: number;
  inProgress: number;
  failed: number;
  since: string | null;
}

interface OverdueRow {
  id: string;
  tracking_code: string;
  status: ServiceCall['status'];
  priority: ServiceCall['priority'];
  assignee: string | null;
  phase_started_at: string;
  phase_due_at: string;
}

/**
 * The managers' phase board of one process. Every figure is read from an index: the load of all phases
 * in one covering scan over the calls in a phase (not all calls), visit counts from their own table,
 * percentiles by walking the duration-ordered visit index from its nearer end (again only when a
 * phase has new visits), overdue calls as a range of the covering due-time index.
 */
export class PhaseBoardStore {
  private readonly latestTemplate;
  private readonly newestCall;
  private readonly load;
  private readonly visitCount;
  private readonly durationAscending;
  private readonly durationDescending;
  private readonly overdueCount;
  private readonly overdueCalls;
  private readonly percentileCache = new Map<string, { visits: number; medianMs?: number; p90Ms?: number }>();

  constructor(db: ReadModelDatabase) {
    this.latestTemplate = db.prepare<[string], { version: number; doc: string }>(
      'SELECT version, doc FROM process_templates WHERE key = ? ORDER BY version DESC LIMIT 1',
    );
    this.newestCall = db
      .prepare<[string], string>('SELECT doc FROM service_calls WHERE process_key = ? ORDER BY opened_at DESC, id DESC LIMIT 1')
      .pluck();
    this.load = db.prepare<[string], LoadRow>(
      `SELECT active_phase AS phase, count(*) AS calls, sum(steps_ready) AS ready, sum(steps_in_progress) AS inProgress,
              sum(steps_failed) AS failed, min(phase_started_at) AS since
       FROM service_calls WHERE process_key = ? AND active_phase IS NOT NULL GROUP BY active_phase`,
    );
    this.visitCount = db.prepare<[string, string], number>('SELECT visits FROM phase_visit_counts WHERE process_key = ? AND phase_key = ?').pluck();
    const nth = (order: string) =>
      db
        .prepare<[string, string, number], number>(
          `SELECT duration_ms FROM phase_visits WHERE process_key = ? AND phase_key = ? ORDER BY duration_ms ${order} LIMIT 1 OFFSET ?`,
        )
        .pluck();
    this.durationAscending = nth('ASC');
    this.durationDescending = nth('DESC');
    this.overdueCount = db
      .prepare<[string, string, string], number>('SELECT count(*) FROM service_calls WHERE process_key = ? AND active_phase = ? AND phase_due_at < ?')
      .pluck();
    this.overdueCalls = db.prepare<[string, string, string, number], OverdueRow>(
      `SELECT id, tracking_code, status, priority, assignee, phase_started_at, phase_due_at FROM service_calls
       WHERE process_key = ? AND active_phase = ? AND phase_due_at < ? ORDER BY phase_due_at, id LIMIT ?`,
    );
  }

  /** Throws NOT_FOUND when the process has neither a template nor calls. */
  board(processKey: string, now: Date, overdueFirst: number): PhaseBoard {
    const outline = this.outline(processKey);
    const asOf = now.toISOString();
    const load = new Map(this.load.all(processKey).map((row) => [row.phase, row]));
    const phases = outline.phases.map((phase, order): PhaseBoardPhase => {
      const row = load.get(phase.key);
      const visits = this.visitCount.get(processKey, phase.key) ?? 0;
      const times = this.percentiles(processKey, phase.key, visits);
      const overdueCount = row ? (this.overdueCount.get(processKey, phase.key, asOf) ?? 0) : 0;
      const overdue = overdueCount && overdueFirst > 0 ? this.overdueCalls.all(processKey, phase.key, asOf, overdueFirst) : [];
      return {
        key: phase.key,
        name: phase.name,
        order,
        callsInPhase: row?.calls ?? 0,
        stepsReady: row?.ready ?? 0,
        stepsInProgress: row?.inProgress ?? 0,
        stepsFailed: row?.failed ?? 0,
        longestWaitingSince: row?.since ?? undefined,
        completedVisits: visits,
        medianMs: times.medianMs,
        p90Ms: times.p90Ms,
        expectedMs: expectedPhaseMs(phase.steps),
        overdueCount,
        overdueCalls: overdue.map((r) => ({
          callId: r.id,
          trackingCode: r.tracking_code,
          status: r.status,
          priority: r.priority,
          assignee: r.assignee ?? undefined,
          phaseStartedAt: r.phase_started_at,
          dueAt: r.phase_due_at,
          overdueMs: now.getTime() - Date.parse(r.phase_due_at),
        })),
      };
    });
    return { processKey, processVersion: outline.version, asOf, phases };
  }

  /** The phases of the latest template version; without a stored template, those of the newest call. */
  private outline(processKey: string): { version?: number; phases: PhaseOutline[] } {
    const template = this.latestTemplate.get(processKey);
    if (template) return { version: template.version, phases: (JSON.parse(template.doc) as { phases: PhaseOutline[] }).phases };
    const doc = this.newestCall.get(processKey);
    if (doc) return { phases: (JSON.parse(doc) as ServiceCall).phases };
    throw new NotFoundError(`no process template "${processKey}" and no calls that run it`, 'processKey');
  }

  /**
   * Median and 90th percentile of a phase's visits. Visits are only ever added, so the figures change
   * only when the count does: they are computed again only then (a rebuild runs with the API stopped).
   */
  private percentiles(processKey: string, phaseKey: string, visits: number): { medianMs?: number; p90Ms?: number } {
    const key = `${processKey}\u0000${phaseKey}`;
    const cached = this.percentileCache.get(key);
    if (cached?.visits === visits) return cached;
    const computed = { visits, medianMs: this.percentile(processKey, phaseKey, visits, 50), p90Ms: this.percentile(processKey, phaseKey, visits, 90) };
    this.percentileCache.set(key, computed);
    return computed;
  }

  /**
   * Nearest-rank percentile (the value at rank ceil(p/100 * n) of the ascending durations), read by
   * walking the visit index from whichever end is nearer to that rank.
   */
  private percentile(processKey: string, phaseKey: string, visits: number, p: number): number | undefined {
    if (visits === 0) return undefined;
    const rank = Math.max(1, Math.ceil((p * visits) / 100)); // integer arithmetic: 90 * 70 / 100 is exactly 63
    return rank - 1 <= visits - rank
      ? this.durationAscending.get(processKey, phaseKey, rank - 1)
      : this.durationDescending.get(processKey, phaseKey, visits - rank);
  }
}
