import { EventStore } from '@app/event-store';
import { lockProjection, PROJECTOR_CHECKPOINT, ReadModelDatabase, writeCheckpoint } from './read-model.database';
import { adoptEventStore } from './checkpoints-owner';
import { applyToProjections, clearProjections, createProjections } from './projections';

export interface RebuildProgress {
  applied: number;
  total: number;
  position: number;
}

/**
 * Recreates the read models from the whole log, in batches of one transaction each, and makes the
 * checkpoints this store's (adoptEventStore). Run it while the API and the workers are stopped (the
 * projector writes to the same tables, the dispatcher to the checkpoints).
 */
export async function rebuildReadModels(
  db: ReadModelDatabase,
  store: EventStore,
  onProgress: (progress: RebuildProgress) => void,
  batchSize = 2000,
): Promise<RebuildProgress> {
  const lastPosition = await store.lastPosition();
  const projections = createProjections();
  await db.transaction().execute(async (trx) => {
    await lockProjection(trx);
    await clearProjections(trx, projections);
    // not a projection, but stream versions of the store the read models belonged to (it may have been replaced)
    await trx.deleteFrom('routing_agents').execute();
    await writeCheckpoint(trx, PROJECTOR_CHECKPOINT, 0);
  });
  const progress: RebuildProgress = { applied: 0, total: lastPosition, position: 0 };
  for (;;) {
    const events = await store.readAll(progress.position, batchSize);
    if (events.length === 0) break;
    await db.transaction().execute(async (trx) => {
      await lockProjection(trx);
      for (const event of events) await applyToProjections(trx, projections, event);
      await writeCheckpoint(trx, PROJECTOR_CHECKPOINT, events[events.length - 1].position);
    });
    progress.applied += events.length;
    progress.position = events[events.length - 1].position;
    progress.total = Math.max(progress.total, progress.position);
    onProgress({ ...progress });
  }
  await adoptEventStore(db, store, PROJECTOR_CHECKPOINT);
  return progress;
}
