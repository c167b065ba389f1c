import { ReadModelDatabase } from './read-model.database';
import { Projection } from './projection';
import { PhaseVisitsProjection } from './phase-board/phase-visits.projection';
import { ProcessTemplatesProjection } from './process-templates/process-templates.projection';
import { SlaPoliciesProjection } from './sla-policies/sla-policies.projection';
import { AgentsProjection } from './agents/agents.projection';
import { RoutingQueueProjection } from './routing-queue/routing-queue.projection';
import { ServiceCallSummariesProjection } from './service-call-summaries/service-call-summaries.projection';

/** Every read model the projector keeps, in the order each event is applied to them. */
export function createProjections(db: ReadModelDatabase): Projection[] {
  return [
    // before the summaries: it reads the call's summary row as it was before the event (see the class)
    new PhaseVisitsProjection(db),
    new ServiceCallSummariesProjection(db),
    new ProcessTemplatesProjection(db),
    new SlaPoliciesProjection(db),
    new AgentsProjection(db),
    // after the summaries: it reads the call as they have just folded it
    new RoutingQueueProjection(db),
  ];
}

/** Empties every projection's tables (the checkpoint is the caller's business). */
export function clearProjections(db: ReadModelDatabase, projections: readonly Projection[]): void {
  for (const table of projections.flatMap((p) => p.tables)) db.exec(`DELETE FROM ${table}`);
}
