import { ProcessTemplate } from '@app/domain';
import { SqliteEventStore } from '@app/event-store';
import { sqliteTestDir } from '../../../event-store/src/testing/sqlite-test-dir';
import { sql } from 'kysely';
import { applyToProjections, createProjections } from '../projections';
import { ReadModelDatabase } from '../read-model.database';
import { CallScenarios, minutesFrom } from '../testing/call-scenarios';
import { planShape } from '../testing/plan-shape';
import { readModelTargets } from '../testing/read-model-targets';
import { ServiceCallFilter, ServiceCallSummariesStore } from './service-call-summaries.store';

/** A second process that shares the phase key `intake` with the standard complaint. */
const FIELD_REPAIR: ProcessTemplate = {
  key: 'field-repair',
  version: 1,
  title: 'Field repair',
  department: 'Service',
  purpose: 'Repair at the customer site.',
  terms: [],
  phases: [
    { key: 'intake', name: 'Intake', steps: [{ key: 'triage', name: 'Triage', dependsOn: [], automated: false, expectedDuration: 'PT1H' }] },
    { key: 'repair', name: 'Repair', steps: [{ key: 'fix', name: 'Fix', dependsOn: [], automated: false, expectedDuration: 'PT2H' }] },
  ],
};

describe.each(readModelTargets())('serviceCalls filters and paging (read model, $dialect)', (target) => {
  const sqlite = sqliteTestDir('call-filters-');
  let store: SqliteEventStore;
  let db: ReadModelDatabase;
  let calls: CallScenarios;
  let summaries: ServiceCallSummariesStore;
  const t = minutesFrom(new Date('2026-01-05T08:00:00.000Z'));

  beforeEach(async () => {
    store = sqlite.openEventStore();
    db = await target.open();
    sqlite.atTeardown(() => target.close(db));
    calls = new CallScenarios(store);
    summaries = new ServiceCallSummariesStore(db);
  });

  let projected = 0;
  async function project(): Promise<void> {
    const projections = createProjections();
    for (const event of await store.readAll(projected, 100_000)) {
      await db.transaction().execute((trx) => applyToProjections(trx, projections, event));
      projected = event.position;
    }
  }
  beforeEach(() => (projected = 0));

  const ids = async (filter: Omit<ServiceCallFilter, 'first'>) => (await summaries.page({ first: 200, ...filter })).nodes.map((c) => c.id);

  it('each filter selects exactly its calls, newest first, and every filtered page is one index range scan', async () => {
    const c: string[] = [];
    c[0] = await calls.open(t(0), { category: 'billing', priority: 'NORMAL' });
    await calls.advance(c[0], t(0));
    c[1] = await calls.open(t(1), { category: ' Billing ', priority: 'HIGH' });
    await calls.advance(c[1], t(1));
    await calls.work(c[1], t(2), 'record-complaint', 'confirm-understanding'); // -> diagnosis
    c[2] = await calls.open(t(2), { category: 'Delivery', priority: 'URGENT' }); // the workflow has not started it
    c[3] = await calls.open(t(3), { process: FIELD_REPAIR, category: 'billing', priority: 'HIGH' });
    await calls.advance(c[3], t(3));
    c[4] = await calls.open(t(4), { process: FIELD_REPAIR, category: 'delivery', priority: 'LOW' });
    await calls.advance(c[4], t(4));
    await calls.work(c[4], t(5), 'triage'); // -> repair
    c[5] = await calls.open(t(5), { category: 'BILLING', priority: 'HIGH' });
    await calls.advance(c[5], t(5));
    c[6] = await calls.open(t(6), { category: 'delivery', priority: 'NORMAL' });
    await calls.finish(c[6], t(7)); // RESOLVED
    c[7] = await calls.open(t(7), { category: 'billing', priority: 'LOW' });
    await calls.advance(c[7], t(7));
    await calls.start(c[7], t(8), 'record-complaint'); // IN_PROGRESS, still in intake
    await project();
    // calls get assignees with routing (a later issue); until then the column is set directly
    await db.updateTable('service_calls').set({ assignee: 'agent-7' }).where('id', 'in', [c[1], c[4]]).execute();
    await db.updateTable('service_calls').set({ assignee: 'agent-9' }).where('id', '=', c[2]).execute();
    // PostgreSQL plans with statistics, as autovacuum keeps them on a real table
    if (target.dialect === 'postgres') await sql`analyze service_calls`.execute(db);

    const all = await ids({});
    expect(all).toEqual([7, 6, 5, 4, 3, 2, 1, 0].map((i) => c[i]));
    // each case: the filter, the calls it selects, and the index its page walks (a range of it, in the paging order)
    const cases: [string, Omit<ServiceCallFilter, 'first'>, number[], string][] = [
      ['processKey', { processKey: 'field-repair' }, [4, 3], 'service_calls_by_process'],
      ['phaseKey (active phase, across processes)', { phaseKey: 'intake' }, [7, 5, 3, 0], 'service_calls_by_phase'],
      ['phaseKey of another phase', { phaseKey: 'diagnosis' }, [1], 'service_calls_by_phase'],
      ['processKey + phaseKey', { processKey: 'standard-complaint', phaseKey: 'intake' }, [7, 5, 0], 'service_calls_by_process_phase'],
      ['processKey + phaseKey + priority', { processKey: 'standard-complaint', phaseKey: 'intake', priority: 'HIGH' }, [5], 'service_calls_by_process_phase'],
      ['category, trimmed and case-insensitive', { category: '  BILLING ' }, [7, 5, 3, 1, 0], 'service_calls_by_category'],
      ['priority', { priority: 'HIGH' }, [5, 3, 1], 'service_calls_by_priority'],
      ['status', { status: 'IN_PROGRESS' }, [7, 4, 1], 'service_calls_by_status'],
      ['status RESOLVED', { status: 'RESOLVED' }, [6], 'service_calls_by_status'],
      ['status + category', { status: 'OPEN', category: 'delivery' }, [2], 'service_calls_by_status_category'],
      ['assignee', { assignee: 'agent-7' }, [4, 1], 'service_calls_by_assignee'],
      ['openedAfter (inclusive) and openedBefore (exclusive)', { openedAfter: t(2).toISOString(), openedBefore: t(5).toISOString() }, [4, 3, 2], 'service_calls_by_opened'],
      ['openedAfter alone', { openedAfter: t(6).toISOString() }, [7, 6], 'service_calls_by_opened'],
      ['openedBefore alone', { openedBefore: t(1).toISOString() }, [0], 'service_calls_by_opened'],
      ['assignee + openedAfter', { assignee: 'agent-7', openedAfter: t(2).toISOString() }, [4], 'service_calls_by_assignee'],
    ];
    for (const [name, filter, expected, index] of cases) {
      // each case selects some calls but not all: without its filter it would fail
      expect({ name, ids: await ids(filter) }).toEqual({ name, ids: expected.map((i) => c[i]) });
      expect(expected.length).toBeGreaterThan(0);
      expect(expected.length).toBeLessThan(all.length);
      const plan = await summaries.pagePlan({ first: 20, ...filter, after: (await summaries.page({ first: 1, ...filter })).endCursor });
      expect({ name, plan: planShape(target.dialect, plan) }).toEqual({ name, plan: { indexes: [index], range: true, sorts: false, tableScan: false } });
    }
    expect(await ids({ category: 'nothing-like-this' })).toEqual([]);
    // a rare status within a large category is found without walking the category
    const rare = await summaries.pagePlan({ first: 20, status: 'OPEN', category: 'billing' });
    expect(planShape(target.dialect, rare)).toEqual({ indexes: ['service_calls_by_status_category'], range: true, sorts: false, tableScan: false });
    const bothInTheRange = target.dialect === 'sqlite' ? /\(status=\? AND category_key=\?/ : /Index Cond: \(\(status = 'OPEN'::text\) AND \(category_key = 'billing'::text\)/;
    expect(rare.join('\n')).toMatch(bothInTheRange);
  });

  it('pages a filter with no duplicates and no gaps while new calls are opened and calls change between pages', async () => {
    const high: string[] = [];
    const all: string[] = [];
    for (let i = 0; i < 30; i++) {
      // two calls per minute: equal opened_at is ordered by id
      const id = await calls.open(t(Math.floor(i / 2)), { priority: i % 3 === 0 ? 'LOW' : 'HIGH' });
      all.push(id);
      if (i % 3 !== 0) high.push(id);
    }
    await project();
    const expectedHigh = (await summaries.page({ first: 200, priority: 'HIGH' })).nodes.map((c) => c.id);
    expect([...expectedHigh].sort()).toEqual([...high].sort());

    const seen: string[] = [];
    let after: string | undefined;
    let pages = 0;
    for (;;) {
      const page = await summaries.page({ first: 4, priority: 'HIGH', after });
      seen.push(...page.nodes.map((c) => c.id));
      pages++;
      if (!page.hasNextPage) break;
      after = page.endCursor;
      // between pages: newer calls arrive (some HIGH), and an older call moves on in its process
      await calls.open(t(100 + pages), { priority: 'HIGH' });
      await calls.open(t(100 + pages), { priority: 'LOW' });
      await calls.advance(all[pages], t(100 + pages));
      await project();
    }
    expect(pages).toBe(Math.ceil(high.length / 4));
    expect(seen).toEqual(expectedHigh);

    // a window of openedAfter/openedBefore paged with a cursor (the cursor or openedBefore, whichever is tighter, bounds the walk)
    const window = { openedAfter: t(3).toISOString(), openedBefore: t(11).toISOString() };
    const expectedWindow = all.filter((_, i) => Math.floor(i / 2) >= 3 && Math.floor(i / 2) < 11);
    const windowed: string[] = [];
    after = undefined;
    do {
      const page = await summaries.page({ first: 3, ...window, after });
      windowed.push(...page.nodes.map((c) => c.id));
      after = page.hasNextPage ? page.endCursor : undefined;
    } while (after);
    expect(windowed).toHaveLength(expectedWindow.length);
    expect([...windowed].sort()).toEqual([...expectedWindow].sort());
    // a cursor from another query (here: newer than the window) is accepted and the window still bounds the page
    const newest = (await summaries.page({ first: 1 })).endCursor;
    expect((await summaries.page({ first: 100, ...window, after: newest })).nodes.map((c) => c.id)).toEqual(windowed);
  });
});
