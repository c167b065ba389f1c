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

/**
 * The managers' phase board of one process. Every figure is read from an index: the load of all phases
 * in one covering scan over the calls in a phase (not all calls), visit counts from their own table,
 * percentiles by walking the duration-ordered visit index from its nearer end (again only when a
 * phase has new visits), overdue calls as a range of the covering due-time index.
 */
export class PhaseBoardStore {
  private readonly percentileCache = new Map<string, { visits: number; medianMs?: number; p90Ms?: number }>();

  constructor(private readonly db: ReadModelDatabase) {}

  /** Throws NOT_FOUND when the process has neither a template nor calls. */
  async board(processKey: string, now: Date, overdueFirst: number): Promise<PhaseBoard> {
    const outline = await this.outline(processKey);
    const asOf = now.toISOString();
    const load = new Map((await this.load(processKey)).map((row) => [row.phase, row]));
    const phases = await Promise.all(
      outline.phases.map(async (phase, order): Promise<PhaseBoardPhase> => {
        const row = load.get(phase.key);
        const visits = await this.visitCount(processKey, phase.key);
        const times = await this.percentiles(processKey, phase.key, visits);
        const overdueCount = row ? await this.overdueCount(processKey, phase.key, asOf) : 0;
        const overdue = overdueCount && overdueFirst > 0 ? await this.overdueCalls(processKey, phase.key, asOf, overdueFirst) : [];
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
            phaseStartedAt: r.phase_started_at!,
            dueAt: r.phase_due_at!,
            overdueMs: now.getTime() - Date.parse(r.phase_due_at!),
          })),
        };
      }),
    );
    return { processKey, processVersion: outline.version, asOf, phases };
  }

  /** The phases of the latest template version; without a stored template, those of the newest call. */
  private async outline(processKey: string): Promise<{ version?: number; phases: PhaseOutline[] }> {
    const template = await this.db
      .selectFrom('process_templates')
      .select(['version', 'doc'])
      .where('key', '=', processKey)
      .orderBy('version', 'desc')
      .limit(1)
      .executeTakeFirst();
    if (template) return { version: template.version, phases: (JSON.parse(template.doc) as { phases: PhaseOutline[] }).phases };
    const call = await this.db
      .selectFrom('service_calls')
      .select('doc')
      .where('process_key', '=', processKey)
      .orderBy('opened_at', 'desc')
      .orderBy('id', 'desc')
      .limit(1)
      .executeTakeFirst();
    if (call) return { phases: (JSON.parse(call.doc) as ServiceCall).phases };
    throw new NotFoundError(`no process template "${processKey}" and no calls that run it`, 'processKey');
  }

  /** The load of every phase of the process: one covering scan over the calls in a phase. */
  private load(processKey: string) {
    return this.db
      .selectFrom('service_calls')
      .select((eb) => [
        eb.ref('active_phase').$notNull().as('phase'),
        eb.fn.countAll<number>().as('calls'),
        eb.fn.sum<number>('steps_ready').as('ready'),
        eb.fn.sum<number>('steps_in_progress').as('inProgress'),
        eb.fn.sum<number>('steps_failed').as('failed'),
        eb.fn.min('phase_started_at').as('since'),
      ])
      .where('process_key', '=', processKey)
      .where('active_phase', 'is not', null)
      .groupBy('active_phase')
      .execute();
  }

  private async visitCount(processKey: string, phaseKey: string): Promise<number> {
    const row = await this.db.selectFrom('phase_visit_counts').select('visits').where('process_key', '=', processKey).where('phase_key', '=', phaseKey).executeTakeFirst();
    return row?.visits ?? 0;
  }

  private overdue(processKey: string, phaseKey: string, asOf: string) {
    return this.db.selectFrom('service_calls').where('process_key', '=', processKey).where('active_phase', '=', phaseKey).where('phase_due_at', '<', asOf);
  }

  private async overdueCount(processKey: string, phaseKey: string, asOf: string): Promise<number> {
    const row = await this.overdue(processKey, phaseKey, asOf).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    return row.n;
  }

  private overdueCalls(processKey: string, phaseKey: string, asOf: string, limit: number) {
    return this.overdue(processKey, phaseKey, asOf)
      .select(['id', 'tracking_code', 'status', 'priority', 'assignee', 'phase_started_at', 'phase_due_at'])
      .orderBy('phase_due_at')
      .orderBy('id')
      .limit(limit)
      .execute();
  }

  /**
   * Median and 90th percentile of a phase's visits. Visits are only ever added, so the figures change
   * only when the count does: they are computed again only then (a rebuild runs with the API stopped).
   */
  private async percentiles(processKey: string, phaseKey: string, visits: number): Promise<{ medianMs?: number; p90Ms?: number }> {
    const key = `${processKey}\u0000${phaseKey}`;
    const cached = this.percentileCache.get(key);
    if (cached?.visits === visits) return cached;
    const computed = {
      visits,
      medianMs: await this.percentile(processKey, phaseKey, visits, 50),
      p90Ms: await this.percentile(processKey, phaseKey, visits, 90),
    };
    this.percentileCache.set(key, computed);
    return computed;
  }

  /**
   * Nearest-rank percentile (the value at rank ceil(p/100 * n) of the ascending durations), read by
   * walking the visit index from whichever end is nearer to that rank.
   */
  private async percentile(processKey: string, phaseKey: string, visits: number, p: number): Promise<number | undefined> {
    if (visits === 0) return undefined;
    const rank = Math.max(1, Math.ceil((p * visits) / 100)); // integer arithmetic: 90 * 70 / 100 is exactly 63
    const ascending = rank - 1 <= visits - rank;
    const row = await this.db
      .selectFrom('phase_visits')
      .select('duration_ms')
      .where('process_key', '=', processKey)
      .where('phase_key', '=', phaseKey)
      .orderBy('duration_ms', ascending ? 'asc' : 'desc')
      .limit(1)
      .offset(ascending ? rank - 1 : visits - rank)
      .executeTakeFirst();
    return row?.duration_ms;
  }
}
