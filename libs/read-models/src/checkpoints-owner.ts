import { EventStore } from '@app/event-store';
import { ReadModelDatabase } from './read-model.database';

/**
 * The checkpoints (the projector's, the dispatcher's) are positions in one event store's log. Restored
 * from a backup, or replaced by another store, that log numbers its events differently: a checkpoint
 * past its end would skip what comes before it, one that differs would skip or repeat at random. So
 * the read-model database records which store its checkpoints belong to, and a process refuses to
 * start on checkpoints of another store or past the log's end; `npm run rebuild-read-models` makes
 * them this store's.
 */
export class CheckpointsOfAnotherStoreError extends Error {
  constructor(reason: string) {
    super(
      `${reason}. The event store was replaced or restored from a backup: stop the API and the workers and run ` +
        '`npm run rebuild-read-models` (it rebuilds the read models from this event store, records it as theirs, ' +
        "and moves the other checkpoints back to the log's end), then start again",
    );
    this.name = 'CheckpointsOfAnotherStoreError';
  }
}

/**
 * Resolves when the checkpoints belong to `store` and none lies past its last position; records `store`
 * as theirs when no store is recorded yet (a new database, or one of a release before this check).
 * Rejects with CheckpointsOfAnotherStoreError otherwise.
 */
export async function assertCheckpointsBelongTo(db: ReadModelDatabase, store: EventStore): Promise<void> {
  const identity = await store.identity();
  await db.insertInto('checkpoints_owner').values({ one_row: 1, event_store: identity }).onConflict((oc) => oc.column('one_row').doNothing()).execute();
  const { event_store: owner } = await db.selectFrom('checkpoints_owner').select('event_store').executeTakeFirstOrThrow();
  if (owner !== identity) throw new CheckpointsOfAnotherStoreError(`the read models' checkpoints belong to event store ${owner}, this is ${identity}`);
  // the checkpoints first, then the log's end: a running dispatcher or projector moves a checkpoint on
  // only to positions already in the log, so read in this order none is seen past an end read before it
  const checkpoints = await db.selectFrom('checkpoints').select(['name', 'position']).execute();
  const head = await store.lastPosition();
  const ahead = checkpoints.filter((c) => c.position > head);
  if (ahead.length) {
    const which = ahead.map((c) => `${c.name} at ${c.position}`).join(', ');
    throw new CheckpointsOfAnotherStoreError(`checkpoints past the event store's last position ${head}: ${which}`);
  }
}

/**
 * Makes the checkpoints `store`'s (after the read models were rebuilt from it): records it, and moves
 * the other readers' checkpoints (the dispatcher's) to its log's end when they belonged to another
 * store, or when they lie past that end. What lies before the end is not dispatched again: workflows
 * of calls in flight read what they missed from their streams when their next event comes.
 */
export async function adoptEventStore(db: ReadModelDatabase, store: EventStore, rebuilt: string): Promise<void> {
  const identity = await store.identity();
  const head = await store.lastPosition();
  await db.transaction().execute(async (trx) => {
    const owner = await trx.selectFrom('checkpoints_owner').select('event_store').executeTakeFirst();
    await trx
      .insertInto('checkpoints_owner')
      .values({ one_row: 1, event_store: identity })
      .onConflict((oc) => oc.column('one_row').doUpdateSet({ event_store: identity }))
      .execute();
    if (owner && owner.event_store !== identity) await trx.updateTable('checkpoints').set({ position: head }).where('name', '!=', rebuilt).execute();
    await trx.updateTable('checkpoints').set({ position: head }).where('position', '>', head).execute();
  });
}
