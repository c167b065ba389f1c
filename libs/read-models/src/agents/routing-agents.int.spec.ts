import { Agent } from '@app/domain';
import { sqliteTestDir } from '../../../event-store/src/testing/sqlite-test-dir';
import { closeReadModelDatabase, ReadModelDatabase } from '../read-model.database';
import { rebuildReadModels } from '../rebuild-read-models';
import { readModelTargets } from '../testing/read-model-targets';
import { RoutingAgentsStore } from './routing-agents.store';

/** An agent at a stream version, holding these calls (only what the store looks at, and what tells them apart). */
const agent = (id: string, version: number, openCalls: string[] = []) => ({ status: 'ACTIVE', id, version, openCalls }) as unknown as Agent;
const byId = (agents: Agent[]) => Object.fromEntries(agents.map((a) => [a.id, { version: a.version, openCalls: a.openCalls }]));
const readModelOf = (...agents: Agent[]) => new Map(agents.map((a) => [a.id, a]));

describe.each(readModelTargets())('agents as routing left them ($dialect)', (target) => {
  const sqlite = sqliteTestDir('routing-agents-');
  let db: ReadModelDatabase;
  let other: ReadModelDatabase;
  /** this worker's and another worker's (their own connections to the one database) */
  let mine: RoutingAgentsStore;
  let theirs: RoutingAgentsStore;

  beforeEach(async () => {
    db = await target.open();
    sqlite.atTeardown(() => target.close(db));
    other = await target.connectAgain(db);
    sqlite.atTeardown(() => closeReadModelDatabase(other));
    mine = new RoutingAgentsStore(db);
    theirs = new RoutingAgentsStore(other);
  });

  it('per agent the newer of the read model and what routing recorded, in any worker', async () => {
    const lagging = readModelOf(agent('anna', 1), agent('ben', 1), agent('cleo', 4, ['c0', 'c1', 'c2']));
    await mine.record(agent('anna', 2, ['c1']));
    await theirs.record(agent('ben', 3, ['c2', 'c3']));
    await mine.record(agent('cleo', 3, ['c0', 'c1', 'c2', 'c9'])); // older than the read model shows
    await theirs.record(agent('dora', 2, ['c4'])); // registered after the read model was read

    const expected = { anna: { version: 2, openCalls: ['c1'] }, ben: { version: 3, openCalls: ['c2', 'c3'] }, cleo: { version: 4, openCalls: ['c0', 'c1', 'c2'] }, dora: { version: 2, openCalls: ['c4'] } };
    expect(byId(await mine.newest(lagging))).toEqual(expected);
    expect(byId(await theirs.newest(lagging))).toEqual(expected);
    // the other worker takes again on Anna, and this one sees it at its next look
    await theirs.record(agent('anna', 3, ['c1', 'c5']));
    expect(byId(await mine.newest(lagging)).anna).toEqual({ version: 3, openCalls: ['c1', 'c5'] });
    // the read model catches up and passes routing's versions: its own documents win
    const caughtUp = readModelOf(agent('anna', 4, []), agent('ben', 3, ['c2', 'c3']), agent('cleo', 4, ['c0', 'c1', 'c2']), agent('dora', 2, ['c4']));
    expect(byId(await mine.newest(caughtUp))).toEqual({ ...expected, anna: { version: 4, openCalls: [] } });
    expect(byId(await theirs.newest(caughtUp))).toEqual({ ...expected, anna: { version: 4, openCalls: [] } });
  });

  it('only forward: a version that lands after a newer one (a release recorded late) changes nothing', async () => {
    await mine.record(agent('anna', 5, ['c1', 'c2']));
    await theirs.record(agent('anna', 4, ['c1']));
    await theirs.record(agent('anna', 5, ['c1', 'c9'])); // the same version again: the first stays
    const rows = await db.selectFrom('routing_agents').select(['agent_id', 'version', 'doc']).execute();
    expect(rows.map((r) => ({ ...r, doc: JSON.parse(r.doc) as unknown }))).toEqual([{ agent_id: 'anna', version: 5, doc: agent('anna', 5, ['c1', 'c2']) }]);
    const fresh = new RoutingAgentsStore(other); // a worker that knows nothing yet
    expect(byId(await fresh.newest(readModelOf(agent('anna', 1))))).toEqual({ anna: { version: 5, openCalls: ['c1', 'c2'] } });
  });

  it('a rebuild of the read models empties it (the versions may belong to a replaced event store)', async () => {
    await mine.record(agent('anna', 7, ['c1']));
    await rebuildReadModels(db, sqlite.openEventStore(), () => undefined);
    expect(await db.selectFrom('routing_agents').selectAll().execute()).toEqual([]);
    expect(await new RoutingAgentsStore(other).newest(new Map())).toEqual([]);
  });
});
