import { ServiceCall } from '@app/domain';
import { ReadModelDatabase } from '../read-model.database';
import { queryPlan, throughIndex } from '../read-model.sql';

/** The most slaRisks returns at once. */
export const MAX_SLA_RISKS = 500;

/**
 * Calls whose SLA is AT_RISK or BREACHED at `now`, soonest due first (breached ones, overdue longest,
 * lead). The figures are stored by the call summaries' projection (sla-watch.ts), so "now" only
 * enters at query time: one walk of the due-time index, filtering on the at-risk time it also holds.
 */
export class SlaRisksStore {
  constructor(private readonly db: ReadModelDatabase) {}

  async atRisk(now: Date, first: number): Promise<ServiceCall[]> {
    const rows = await this.risks(now, first).execute();
    return rows.map((r) => JSON.parse(r.doc) as ServiceCall);
  }

  /** The database's plan for the query (see queryPlan), for tests. */
  plan(): Promise<string[]> {
    return queryPlan(this.db, this.risks(new Date(), 10));
  }

  private risks(now: Date, first: number) {
    return this.db
      .selectFrom(throughIndex(this.db, 'service_calls', 'service_calls_sla_due'))
      .select('doc')
      .where('sla_due_at', 'is not', null)
      .where('sla_at_risk_at', '<=', now.toISOString())
      .orderBy('sla_due_at')
      .orderBy('id')
      .limit(first);
  }
}
