import { STANDARD_COMPLAINT } from '@app/domain';
import { SqliteEventStore } from '@app/event-store';
import { ServiceCallCommandProcessor, newCallId } from '@app/service-calls';
import Database from 'better-sqlite3';
import { sqliteTestDir } from '../../event-store/src/testing/sqlite-test-dir';
import { Projector } from './projector';
import { advanceCheckpoint, closeReadModelDatabase, openReadModelDatabase, PROJECTOR_CHECKPOINT, ReadModelDatabase, readCheckpoint } from './read-model.database';
import { rebuildReadModels } from './rebuild-read-models';
import { ServiceCallSummariesProjection } from './service-call-summaries/service-call-summaries.projection';
import { ServiceCallSummariesStore } from './service-call-summaries/service-call-summaries.store';
import { readModelTargets } from './testing/read-model-targets';

describe.each(readModelTargets())('read models ($dialect)', (target) => {
  const sqlite = sqliteTestDir('read-models-');
  let store: SqliteEventStore;
  let db: ReadModelDatabase;
  let processor: ServiceCallCommandProcessor;
  const person = { actor: 'apikey:test' };

  beforeEach(async () => {
    store = sqlite.openEventStore();
    db = await target.open();
    sqlite.atTeardown(() => target.close(db));
    processor = new ServiceCallCommandProcessor(store);
  });

  async function openCall(n: number, email = `c${n}@example.com`): Promise<string> {
    const callId = newCallId('t');
    await processor.execute(
      callId,
      {
        type: 'OpenServiceCall',
        data: {
          callId,
          trackingCode: `TRK${String(n).padStart(4, '0')}-X`,
          process: STANDARD_COMPLAINT,
          input: { channel: 'EMAIL', category: 'billing', summary: `call ${n}`, customer: { name: `C ${n}`, email, phone: '+49 30 1234567' } },
        },
      },
      { ...person, now: new Date(Date.UTC(2026, 0, 1, 0, n)) },
    );
    return callId;
  }

  it('projects live, and waitFor resolves once the read model includes a position', async () => {
    const projector = new Projector(db, store);
    await projector.start((e) => {
      throw e;
    });
    const callId = await openCall(1);
    const result = await processor.execute(callId, { type: 'StartPhase', data: { phaseKey: 'intake' } }, { actor: 'workflow' });
    expect(await projector.waitFor(result.position, 2000)).toBe(true);
    const summaries = new ServiceCallSummariesStore(db);
    expect(await summaries.byId(callId)).toMatchObject({ version: 2, phases: [{ key: 'intake', status: 'ACTIVE' }, {}, {}] });
    expect(await projector.waitFor(result.position + 1000, 50)).toBe(false);
    await projector.stop();
  });

  it('commits events that arrive together in shared transactions, and tells listeners of each one in order', async () => {
    const calls = [];
    for (let n = 0; n < 1_200; n++) calls.push(await openCall(n));
    const projector = new Projector(db, store);
    const seen: number[] = [];
    projector.onProjected((event) => seen.push(event.position));
    await projector.start((e) => {
      throw e;
    });
    expect(await projector.waitFor(await store.lastPosition(), 10_000)).toBe(true);
    expect(seen).toEqual(Array.from({ length: 1_200 }, (_, i) => i + 1));
    // a catch-up of 1,200 events: a handful of commits of at most 500 events, not one per event
    expect(projector.commits).toBeGreaterThanOrEqual(3);
    expect(projector.commits).toBeLessThanOrEqual(12);
    expect(await new ServiceCallSummariesStore(db).byId(calls[1_199])).toMatchObject({ version: 1 });
    await projector.stop();
  });

  it('tells onProjected listeners of every event after it is in the read models, with the call it changed, until they unsubscribe', async () => {
    const projector = new Projector(db, store);
    const seen: { type: string; version?: number; inReadModel?: number }[] = [];
    const summaries = new ServiceCallSummariesStore(db);
    const reads: Promise<unknown>[] = [];
    const unsubscribe = projector.onProjected((event, call) => {
      const entry: (typeof seen)[number] = { type: event.type, version: call?.version };
      seen.push(entry);
      if (call) reads.push(summaries.byId(call.id).then((c) => (entry.inReadModel = c?.version)));
    });
    await projector.start((e) => {
      throw e;
    });
    const callId = await openCall(1);
    const result = await processor.execute(callId, { type: 'StartPhase', data: { phaseKey: 'intake' } }, { actor: 'workflow' });
    expect(await projector.waitFor(result.position, 2000)).toBe(true);
    await Promise.all(reads);
    expect(seen).toEqual([
      { type: 'ServiceCallOpened', version: 1, inReadModel: 1 },
      { type: 'PhaseStarted', version: 2, inReadModel: 2 },
    ]);
    unsubscribe();
    const next = await processor.execute(callId, { type: 'MarkStepsReady', data: { phaseKey: 'intake', stepKeys: ['record-complaint'] } }, { actor: 'workflow' });
    expect(await projector.waitFor(next.position, 2000)).toBe(true);
    expect(seen).toHaveLength(2);
    await projector.stop();
  });

  it('replicas: a projector tells its listeners of the events another replica applied first, with the call as it is now, and the checkpoint never goes back', async () => {
    const other = await target.connectAgain(db);
    sqlite.atTeardown(() => closeReadModelDatabase(other));
    const a = new Projector(db, store);
    const b = new Projector(other, store);
    const fail = (e: unknown) => {
      throw e;
    };
    await a.start(fail);
    await b.start(fail);
    const first = await openCall(1);
    expect(await b.waitFor(await store.lastPosition(), 5000)).toBe(true);
    await b.stop(); // b's subscribers are still connected; a applies what follows
    const second = await openCall(2);
    await processor.execute(first, { type: 'StartPhase', data: { phaseKey: 'intake' } }, { actor: 'workflow' });
    const last = await processor.execute(first, { type: 'MarkStepsReady', data: { phaseKey: 'intake', stepKeys: ['record-complaint'] } }, { actor: 'workflow' });
    expect(await a.waitFor(last.position, 5000)).toBe(true);
    // b must not apply again what the shared checkpoint covers: a row taken away meanwhile stays away
    await db.deleteFrom('service_calls').where('id', '=', second).execute();

    const told: { type: string; callVersion?: number }[] = [];
    const changed: [string, number][] = [];
    b.onProjected((event, call) => told.push({ type: event.type, callVersion: call?.version }));
    b.onCallChanged((call) => changed.push([call.id, call.version]));
    await b.start(fail); // from where it stopped, not from the shared checkpoint a moved on
    expect(await b.waitFor(last.position, 5000)).toBe(true);
    expect(told).toEqual([
      { type: 'ServiceCallOpened', callVersion: undefined }, // its row was taken away (above)
      { type: 'PhaseStarted', callVersion: 3 },
      { type: 'StepReady', callVersion: 3 },
    ]);
    // each call as it is now (told once per batch that held its events)
    expect(changed.length).toBeGreaterThan(0);
    for (const entry of changed) expect(entry).toEqual([first, 3]);
    expect(await new ServiceCallSummariesStore(db).byId(second)).toBeUndefined();
    expect((await new ServiceCallSummariesStore(db).byId(first))?.version).toBe(3);
    expect(await readCheckpoint(db, PROJECTOR_CHECKPOINT)).toBe(last.position);
    await a.stop();
    await b.stop();

    // a replica that commits a batch ending before the other's leaves the shared checkpoint where it was
    await advanceCheckpoint(other, PROJECTOR_CHECKPOINT, last.position - 2);
    expect(await readCheckpoint(db, PROJECTOR_CHECKPOINT)).toBe(last.position);
    await advanceCheckpoint(other, PROJECTOR_CHECKPOINT, last.position + 1);
    expect(await readCheckpoint(db, PROJECTOR_CHECKPOINT)).toBe(last.position + 1);
  });

  it('redelivered events change nothing (versions already applied are skipped)', async () => {
    const callId = await openCall(1);
    await processor.execute(callId, { type: 'StartPhase', data: { phaseKey: 'intake' } }, { actor: 'workflow' });
    const projection = new ServiceCallSummariesProjection();
    const events = await store.readAll(0, 100);
    for (const e of events) expect(await projection.apply(db, e)).toBeDefined();
    for (const e of events) expect(await projection.apply(db, e)).toBeUndefined();
    expect((await new ServiceCallSummariesStore(db).byId(callId))?.version).toBe(2);
  });

  it('a rebuild from the log gives the same rows as live projection, with progress', async () => {
    const projector = new Projector(db, store);
    await projector.start(() => undefined);
    for (let n = 1; n <= 25; n++) await openCall(n);
    expect(await projector.waitFor(await store.lastPosition(), 2000)).toBe(true);
    await projector.stop();
    const rows = () => db.selectFrom('service_calls').select(['id', 'version', 'doc']).orderBy('id').execute();
    const live = await rows();
    const progress: number[] = [];
    const result = await rebuildReadModels(db, store, (p) => progress.push(p.applied), 10);
    expect(result.applied).toBe(25);
    expect(progress).toEqual([10, 20, 25]);
    expect(await rows()).toEqual(live);
  });

  // PostgreSQL only: two SQLite connections of one process cannot take turns (a busy wait blocks the thread)
  (target.dialect === 'postgres' ? it : it.skip)('two projectors (two API replicas) on one database take turns and end with the rows one projector makes', async () => {
    const calls: string[] = [];
    for (let n = 1; n <= 30; n++) calls.push(await openCall(n));
    for (const callId of calls) await processor.execute(callId, { type: 'StartPhase', data: { phaseKey: 'intake' } }, { actor: 'workflow' });
    const errors: unknown[] = [];
    const other = new Projector(db, store, 50);
    const projector = new Projector(db, store, 50);
    await Promise.all([projector.start((e) => errors.push(e)), other.start((e) => errors.push(e))]);
    for (const callId of calls.slice(0, 10)) await processor.execute(callId, { type: 'MarkStepsReady', data: { phaseKey: 'intake', stepKeys: ['record-complaint'] } }, { actor: 'workflow' });
    const last = await store.lastPosition();
    expect(await projector.waitFor(last, 5000)).toBe(true);
    expect(await other.waitFor(last, 5000)).toBe(true);
    await Promise.all([projector.stop(), other.stop()]);
    expect(errors).toEqual([]);
    const rows = () => db.selectFrom('service_calls').select(['id', 'version', 'doc']).orderBy('id').execute();
    const together = await rows();
    await rebuildReadModels(db, store, () => undefined);
    expect(await rows()).toEqual(together);
  });

  it('pages newest first with stable cursors, filters by status, finds a customer by e-mail or phone', async () => {
    const projection = new ServiceCallSummariesProjection();
    const ids: string[] = [];
    for (let n = 1; n <= 7; n++) ids.push(await openCall(n, n % 2 ? 'same@example.com' : `c${n}@example.com`));
    for (const e of await store.readAll(0, 100)) await projection.apply(db, e);
    const summaries = new ServiceCallSummariesStore(db);
    const seen: string[] = [];
    let after: string | undefined;
    for (;;) {
      const page = await summaries.page({ first: 3, after });
      seen.push(...page.nodes.map((c) => c.id));
      if (!page.hasNextPage) break;
      after = page.endCursor;
    }
    expect(seen).toEqual([...ids].reverse());
    expect((await summaries.page({ first: 10, status: 'RESOLVED' })).nodes).toHaveLength(0);
    expect((await summaries.page({ first: 10, status: 'OPEN' })).nodes).toHaveLength(7);
    await expect(summaries.page({ first: 3, after: 'garbage' })).rejects.toThrow(/cursor/);
    const history = await summaries.customerHistory({ email: 'same@example.com' }, ids[0]);
    expect(history.map((c) => c.id).sort()).toEqual([ids[2], ids[4], ids[6]].sort());
    expect(await summaries.customerHistory({ phone: '+4930 123 4567' }, ids[0])).toHaveLength(6);
  });
});

describe('the projector on a busy SQLite file', () => {
  const sqlite = sqliteTestDir('read-models-busy-');
  let store: SqliteEventStore;
  beforeEach(() => {
    store = sqlite.openEventStore();
  });

  const openCall = async () => {
    const callId = newCallId('t');
    const input = { channel: 'EMAIL', category: 'billing', summary: 'call', customer: { name: 'C', email: 'c@example.com' } } as const;
    await new ServiceCallCommandProcessor(store).execute(callId, { type: 'OpenServiceCall', data: { callId, trackingCode: 'TRK0001-X', process: STANDARD_COMPLAINT, input } }, { actor: 'apikey:test' });
    return callId;
  };

  it('resumes from its checkpoint after an event failed to project (database busy longer than its timeout)', async () => {
    const db = await openReadModelDatabase(sqlite.file('read-models.sqlite'), { busyTimeoutMs: 20 });
    sqlite.atTeardown(() => closeReadModelDatabase(db));
    const errors: unknown[] = [];
    const projector = new Projector(db, store, 50);
    await projector.start((e) => errors.push(e));
    // another process holds the write lock of the read-model file
    const other = new Database(sqlite.file('read-models.sqlite'));
    other.exec('BEGIN IMMEDIATE');
    const callId = await openCall();
    const position = await store.lastPosition();
    await new Promise((r) => setTimeout(r, 300));
    expect(errors.length).toBeGreaterThan(0);
    expect(projector.failure).toMatch(/busy|locked/i); // /health names it meanwhile
    other.exec('COMMIT');
    other.close();
    expect(await projector.waitFor(position, 3000)).toBe(true);
    expect(projector.failure).toBeUndefined();
    expect((await new ServiceCallSummariesStore(db).byId(callId))?.version).toBe(1);
    await projector.stop();
  });
});
