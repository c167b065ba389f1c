import { ProcessTemplate } from '@app/domain';
import { SqliteEventStore } from '@app/event-store';
import { sqliteTestDir } from '../../../event-store/src/testing/sqlite-test-dir';
import { Projector } from '../projector';
import { applyToProjections, createProjections } from '../projections';
import { ReadModelDatabase } from '../read-model.database';
import { rebuildReadModels } from '../rebuild-read-models';
import { CallScenarios } from '../testing/call-scenarios';
import { readModelTargets } from '../testing/read-model-targets';
import { PhaseBoardStore } from './phase-board.store';

const step = (key: string, expectedDuration?: string) => ({ key, name: key.toUpperCase(), dependsOn: [], automated: false, expectedDuration });
/** v1: phase a expects 2 h (two parallel steps), b 30 min, c nothing. */
const BOARD_V1: ProcessTemplate = {
  key: 'board',
  version: 1,
  title: 'Board',
  department: 'Ops',
  purpose: 'Tracking tests.',
  terms: [],
  phases: [
    { key: 'a', name: 'Alpha', steps: [step('a1', 'PT1H'), step('a2', 'PT1H')] },
    { key: 'b', name: 'Beta', steps: [step('b1', 'PT30M')] },
    { key: 'c', name: 'Gamma', steps: [step('c1')] },
  ],
};
/** v2 (latest): a expects 3 h and has a new name; a new phase d. */
const BOARD_V2: ProcessTemplate = {
  ...BOARD_V1,
  version: 2,
  phases: [
    { key: 'a', name: 'Alpha v2', steps: [step('a1', 'PT2H'), step('a2', 'PT1H')] },
    BOARD_V1.phases[1],
    BOARD_V1.phases[2],
    { key: 'd', name: 'Delta', steps: [step('d1', 'P1D')] },
  ],
};

const NOW = new Date('2026-03-10T12:00:00.000Z');
const at = (ms: number) => new Date(NOW.getTime() + ms);
const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

describe.each(readModelTargets())('phase board (read models, $dialect)', (target) => {
  const sqlite = sqliteTestDir('phase-board-');
  let store: SqliteEventStore;
  let db: ReadModelDatabase;
  let calls: CallScenarios;

  beforeEach(async () => {
    store = sqlite.openEventStore();
    db = await target.open();
    sqlite.atTeardown(() => target.close(db));
    calls = new CallScenarios(store);
  });

  async function storeTemplates(...templates: ProcessTemplate[]): Promise<void> {
    for (const t of templates) {
      const doc = JSON.stringify({ ...t, createdAt: NOW.toISOString(), definedBy: 'test' });
      await db.insertInto('process_templates').values({ key: t.key, version: t.version, title: t.title, created_at: NOW.toISOString(), doc }).execute();
    }
  }

  /** Each event in a transaction of its own, as a projector would apply it. */
  async function apply(events: Awaited<ReturnType<SqliteEventStore['readAll']>>): Promise<void> {
    const projections = createProjections();
    for (const event of events) await db.transaction().execute((trx) => applyToProjections(trx, projections, event));
  }

  async function projectAll(): Promise<void> {
    await apply(await store.readAll(0, 100_000));
  }

  /**
   * Ten calls went through phase a long ago in 10, 20, ... 100 minutes; three of them through b in 5, 15
   * and 100 minutes (now in c); the other seven have been waiting in b for days. Four calls are in a now.
   */
  async function scenario() {
    const base = NOW.getTime() - 10 * DAY;
    const visited: string[] = [];
    for (let i = 1; i <= 10; i++) {
      const opened = new Date(base + i * HOUR);
      const id = await calls.open(opened, { process: BOARD_V1 });
      await calls.advance(id, opened);
      await calls.work(id, new Date(opened.getTime() + 10 * i * MIN), 'a1', 'a2');
      visited.push(id);
    }
    const bMinutes = [5, 15, 100];
    for (const [i, minutes] of bMinutes.entries()) {
      const bStarted = base + (i + 1) * HOUR + 10 * (i + 1) * MIN;
      await calls.work(visited[i], new Date(bStarted + minutes * MIN), 'b1');
    }
    // in phase a now: x1 3 h (v1, due after 2 h: 1 h over, a1 FAILED), x2 2.5 h (v1: 30 min over, a1 IN_PROGRESS),
    // x3 1 h (v1, in time), x4 2.5 h on v2 (its own 3 h: in time, though v1 calls that long are late)
    const x1 = await calls.open(at(-3 * HOUR), { process: BOARD_V1 });
    await calls.advance(x1, at(-3 * HOUR));
    await calls.fail(x1, at(-2 * HOUR), 'a1');
    const x2 = await calls.open(at(-2.5 * HOUR), { process: BOARD_V1 });
    await calls.advance(x2, at(-2.5 * HOUR));
    await calls.start(x2, at(-2 * HOUR), 'a1');
    const x3 = await calls.open(at(-1 * HOUR), { process: BOARD_V1 });
    await calls.advance(x3, at(-1 * HOUR));
    const x4 = await calls.open(at(-2.5 * HOUR), { process: BOARD_V2 });
    await calls.advance(x4, at(-2.5 * HOUR));
    // a resolved call of the same process and a call of another process change nothing
    const other = await calls.open(at(-5 * HOUR), { process: { ...BOARD_V1, key: 'other' } });
    await calls.advance(other, at(-5 * HOUR));
    return { base, visited, x1, x2, x3, x4 };
  }

  it('counts calls and steps per phase of the latest version, percentiles of completed visits, and overdue calls by their own version', async () => {
    const { base, visited, x1, x2 } = await scenario();
    await storeTemplates(BOARD_V1, BOARD_V2);
    await projectAll();
    const board = await new PhaseBoardStore(db).board('board', NOW, 3);

    expect(board).toMatchObject({ processKey: 'board', processVersion: 2, asOf: NOW.toISOString() });
    expect(board.phases.map((p) => [p.key, p.name, p.order])).toEqual([['a', 'Alpha v2', 0], ['b', 'Beta', 1], ['c', 'Gamma', 2], ['d', 'Delta', 3]]);
    const [a, b, c, d] = board.phases;

    expect(a).toMatchObject({ callsInPhase: 4, stepsReady: 6, stepsInProgress: 1, stepsFailed: 1, longestWaitingSince: at(-3 * HOUR).toISOString() });
    // nearest rank over 10, 20, ... 100 minutes: the 5th and the 9th value
    expect(a).toMatchObject({ completedVisits: 10, medianMs: 50 * MIN, p90Ms: 90 * MIN, expectedMs: 3 * HOUR });
    expect(a.overdueCount).toBe(2);
    expect(a.overdueCalls).toEqual([
      expect.objectContaining({ callId: x1, status: 'OPEN', priority: 'NORMAL', phaseStartedAt: at(-3 * HOUR).toISOString(), dueAt: at(-HOUR).toISOString(), overdueMs: HOUR }),
      expect.objectContaining({ callId: x2, status: 'IN_PROGRESS', dueAt: at(-0.5 * HOUR).toISOString(), overdueMs: 0.5 * HOUR }),
    ]);

    // over 5, 15, 100 minutes: ranks 2 and 3
    expect(b).toMatchObject({ callsInPhase: 7, stepsReady: 7, completedVisits: 3, medianMs: 15 * MIN, p90Ms: 100 * MIN, expectedMs: 30 * MIN });
    const bStart = (i: number) => base + (i + 1) * HOUR + 10 * (i + 1) * MIN;
    expect(b.longestWaitingSince).toBe(new Date(bStart(3)).toISOString());
    expect(b.overdueCount).toBe(7);
    expect(b.overdueCalls.map((o) => o.callId)).toEqual(visited.slice(3, 6)); // the first 3, most overdue first
    expect(b.overdueCalls[0]).toMatchObject({ dueAt: new Date(bStart(3) + 30 * MIN).toISOString(), overdueMs: NOW.getTime() - bStart(3) - 30 * MIN });

    // c: no step has an expected duration, so nobody is overdue there
    expect(c).toMatchObject({ callsInPhase: 3, stepsReady: 3, completedVisits: 0, overdueCount: 0, overdueCalls: [] });
    expect(c.medianMs).toBeUndefined();
    expect(c.p90Ms).toBeUndefined();
    expect(c.expectedMs).toBeUndefined();
    expect(d).toMatchObject({ callsInPhase: 0, stepsReady: 0, completedVisits: 0, overdueCount: 0, expectedMs: DAY });
    expect(d.longestWaitingSince).toBeUndefined();

    // later, x3 is overdue as well (due 2 h after its start), and x4 after its own 3 h
    const later = (await new PhaseBoardStore(db).board('board', at(1.25 * HOUR), 50)).phases[0];
    expect(later.overdueCount).toBe(4);
  });

  it('without a stored template, shows the phases of the newest call; an unknown process is NOT_FOUND', async () => {
    await scenario();
    await projectAll();
    const board = await new PhaseBoardStore(db).board('board', NOW, 50);
    expect(board.processVersion).toBeUndefined();
    // the newest call (x3) runs v1
    expect(board.phases.map((p) => [p.key, p.name])).toEqual([['a', 'Alpha'], ['b', 'Beta'], ['c', 'Gamma']]);
    expect(board.phases[0].callsInPhase).toBe(4);
    await expect(new PhaseBoardStore(db).board('nothing', NOW, 50)).rejects.toThrow(expect.objectContaining({ code: 'NOT_FOUND', field: 'processKey' }));
  });

  const tables = async () => ({
    visits: await db.selectFrom('phase_visits').selectAll().orderBy('call_id').orderBy('phase_key').orderBy('started_at').execute(),
    counts: await db.selectFrom('phase_visit_counts').selectAll().orderBy('process_key').orderBy('phase_key').execute(),
    calls: await db
      .selectFrom('service_calls')
      .select(['id', 'version', 'category_key', 'active_phase', 'phase_started_at', 'phase_due_at', 'steps_ready', 'steps_in_progress', 'steps_failed', 'doc'])
      .orderBy('id')
      .execute(),
  });

  it('a rebuild from the log gives the same phase visits and phase columns as live projection', async () => {
    const projector = new Projector(db, store);
    await projector.start((e) => {
      throw e;
    });
    await scenario();
    expect(await projector.waitFor(await store.lastPosition(), 5000)).toBe(true);
    await projector.stop();
    const live = await tables();
    expect(live.visits).toHaveLength(13);
    expect(live.counts).toEqual([
      { process_key: 'board', phase_key: 'a', visits: 10 },
      { process_key: 'board', phase_key: 'b', visits: 3 },
    ]);
    await rebuildReadModels(db, store, () => undefined, 7);
    expect(await tables()).toEqual(live);
  });

  it('redelivered events change nothing (the projector resumes from an older position after a crash)', async () => {
    await scenario();
    await projectAll();
    const once = await tables();
    const events = await store.readAll(0, 100_000);
    // everything again, and a stretch in the middle a third time
    await apply([...events, ...events.slice(40, 90)]);
    expect(await tables()).toEqual(once);
  });
});
