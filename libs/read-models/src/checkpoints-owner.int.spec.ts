import { NO_STREAM, SqliteEventStore } from '@app/event-store';
import { sqliteTestDir } from '../../event-store/src/testing/sqlite-test-dir';
import { assertCheckpointsBelongTo, CheckpointsOfAnotherStoreError } from './checkpoints-owner';
import { Projector } from './projector';
import { PROJECTOR_CHECKPOINT, ReadModelDatabase, readCheckpoint, writeCheckpoint } from './read-model.database';
import { rebuildReadModels } from './rebuild-read-models';
import { readModelTargets } from './testing/read-model-targets';

const DISPATCHER = 'workflow-dispatcher';
const event = { type: 'Appended', data: {}, metadata: { at: '2026-01-01T00:00:00.000Z' } };

describe.each(readModelTargets())('the checkpoints belong to one event store ($dialect)', (target) => {
  const sqlite = sqliteTestDir('checkpoints-owner-');
  let db: ReadModelDatabase;
  let store: SqliteEventStore;

  beforeEach(async () => {
    db = await target.open();
    sqlite.atTeardown(() => target.close(db));
    store = sqlite.openEventStore();
    await store.appendToStream('s-1', [event, event, event], NO_STREAM);
  });

  it('records the store at the first start and starts on it again', async () => {
    await assertCheckpointsBelongTo(db, store);
    await writeCheckpoint(db, DISPATCHER, 3);
    await expect(assertCheckpointsBelongTo(db, store)).resolves.toBeUndefined();
    expect(await db.selectFrom('checkpoints_owner').select('event_store').execute()).toEqual([{ event_store: await store.identity() }]);
  });

  it("refuses another store's checkpoints, naming both stores and what to run", async () => {
    await assertCheckpointsBelongTo(db, store);
    const other = sqlite.openEventStore('other.sqlite');
    const refusal = assertCheckpointsBelongTo(db, other);
    await expect(refusal).rejects.toBeInstanceOf(CheckpointsOfAnotherStoreError);
    await expect(refusal).rejects.toThrow(`belong to event store ${await store.identity()}, this is ${await other.identity()}`);
    await expect(refusal).rejects.toThrow(/npm run rebuild-read-models/);
    // the projector does not start on them either (nothing to retry: it rejects)
    await expect(new Projector(db, other).start(() => undefined)).rejects.toBeInstanceOf(CheckpointsOfAnotherStoreError);
  });

  it('refuses a checkpoint past the log\'s end (the store restored from an older backup)', async () => {
    await assertCheckpointsBelongTo(db, store);
    await writeCheckpoint(db, DISPATCHER, 7);
    await expect(assertCheckpointsBelongTo(db, store)).rejects.toThrow(`checkpoints past the event store's last position 3: ${DISPATCHER} at 7`);
  });

  it("a rebuild makes the checkpoints the new store's: its own at the end, the dispatcher's moved to the end", async () => {
    await assertCheckpointsBelongTo(db, store);
    await writeCheckpoint(db, DISPATCHER, 2);
    const other = sqlite.openEventStore('other.sqlite');
    await other.appendToStream('s-2', [event, event, event, event, event], NO_STREAM);
    await rebuildReadModels(db, other, () => undefined);
    await expect(assertCheckpointsBelongTo(db, other)).resolves.toBeUndefined();
    expect(await readCheckpoint(db, PROJECTOR_CHECKPOINT)).toBe(5);
    expect(await readCheckpoint(db, DISPATCHER)).toBe(5);
    // on the same store, a rebuild leaves the dispatcher where it was (only one past the end moves back)
    await writeCheckpoint(db, DISPATCHER, 4);
    await rebuildReadModels(db, other, () => undefined);
    expect(await readCheckpoint(db, DISPATCHER)).toBe(4);
  });
});
