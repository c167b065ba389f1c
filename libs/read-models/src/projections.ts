import { ServiceCall } from '@app/domain';
import { RecordedEvent } from '@app/event-store';
import { ReadModelDatabase } from './read-model.database';
import { Projection } from './projection';
import { PhaseVisitsProjection } from './phase-board/phase-visits.projection';
import { ProcessTemplatesProjection } from './process-templates/process-templates.projection';
import { SlaPoliciesProjection } from './sla-policies/sla-policies.projection';
import { AgentsProjection } from './agents/agents.projection';
import { RoutingQueueProjection } from './routing-queue/routing-queue.projection';
import { ServiceCallSummariesProjection } from './service-call-summaries/service-call-summaries.projection';

/** Every read model the projector keeps, in the order each event is applied to them. */
export function createProjections(): Projection[] {
  return [
    // before the summaries: it reads the call's summary row as it was before the event (see the class)
    new PhaseVisitsProjection(),
    new ServiceCallSummariesProjection(),
    new ProcessTemplatesProjection(),
    new SlaPoliciesProjection(),
    new AgentsProjection(),
    // after the summaries: it reads the call as they have just folded it
    new RoutingQueueProjection(),
  ];
}

/** Applies one event to every projection, in order (inside the caller's transaction); the call it changed, if any. */
export async function applyToProjections(db: ReadModelDatabase, projections: readonly Projection[], event: RecordedEvent): Promise<ServiceCall | undefined> {
  let changed: ServiceCall | undefined;
  for (const projection of projections) changed = (await projection.apply(db, event)) ?? changed;
  return changed;
}

/** Empties every projection's tables (the checkpoint is the caller's business). */
export async function clearProjections(db: ReadModelDatabase, projections: readonly Projection[]): Promise<void> {
  for (const table of projections.flatMap((p) => p.tables)) await db.deleteFrom(table).execute();
}
