import { ServiceCall } from '@app/domain';
import { ReadModelDatabase } from '../read-model.database';

/** The most slaRisks returns at once. */
export const MAX_SLA_RISKS = 500;

const RISKS_SQL = `SELECT doc FROM service_calls INDEXED BY service_calls_sla_due
  WHERE sla_due_at IS NOT NULL AND sla_at_risk_at <= ? ORDER BY sla_due_at, id LIMIT ?`;

/**
 * Calls whose SLA is AT_RISK or BREACHED at `now`, soonest due first (breached ones, overdue longest,
 * lead). The figures are stored by the call summaries' projection (sla-watch.ts), so "now" only
 * enters at query time: one walk of the due-time index, filtering on the at-risk time it also holds.
 */
export class SlaRisksStore {
  private readonly risks;

  constructor(private readonly db: ReadModelDatabase) {
    this.risks = db.prepare<[string, number], string>(RISKS_SQL).pluck();
  }

  atRisk(now: Date, first: number): ServiceCall[] {
    return this.risks.all(now.toISOString(), first).map((doc) => JSON.parse(doc) as ServiceCall);
  }

  /** SQLite's plan for the query (EXPLAIN QUERY PLAN details), for tests. */
  plan(): string[] {
    const rows = this.db.prepare(`EXPLAIN QUERY PLAN ${RISKS_SQL}`).all(new Date().toISOString(), 10) as { detail: string }[];
    return rows.map((r) => r.detail);
  }
}
