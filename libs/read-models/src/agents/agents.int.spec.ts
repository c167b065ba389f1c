import { SqliteEventStore } from '@app/event-store';
import { AgentRepository, ChangeAgentCommand, ChangeAgentHandler, RegisterAgentCommand, RegisterAgentHandler } from '@app/service-calls';
import { sqliteTestDir } from '../../../event-store/src/testing/sqlite-test-dir';
import { Projector } from '../projector';
import { ReadModelDatabase } from '../read-model.database';
import { readModelTargets } from '../testing/read-model-targets';
import { AgentsProjection } from './agents.projection';
import { AgentsStore } from './agents.store';

const manager = { actor: 'apikey:boss' };
const profile = (id: string, extra: Record<string, unknown> = {}) => ({
  id,
  name: id,
  regions: ['de-north'],
  skills: [{ kind: 'CATEGORY', key: 'Billing', level: 3 }],
  languages: ['de'],
  capacity: 4,
  ...extra,
});

describe.each(readModelTargets())('agents read model ($dialect)', (target) => {
  const sqlite = sqliteTestDir('agents-read-model-');
  let events: SqliteEventStore;
  let db: ReadModelDatabase;
  let agents: AgentRepository;
  let register: RegisterAgentHandler;
  let change: ChangeAgentHandler;
  let store: AgentsStore;

  beforeEach(async () => {
    events = sqlite.openEventStore();
    db = await target.open();
    sqlite.atTeardown(() => target.close(db));
    agents = new AgentRepository(events);
    register = new RegisterAgentHandler(agents);
    change = new ChangeAgentHandler(agents);
    store = new AgentsStore(db);
  });

  async function project(): Promise<void> {
    const projector = new Projector(db, events);
    await projector.start((e) => {
      throw e;
    });
    expect(await projector.waitFor(await events.lastPosition(), 2000)).toBe(true);
    await projector.stop();
  }

  it('keeps each agent as its stream makes it, and filters by availability, region, skill, language and "available now"', async () => {
    await register.execute(new RegisterAgentCommand(profile('anna', { languages: ['de', 'en-gb'] }), manager));
    await register.execute(new RegisterAgentCommand(profile('ben', { regions: ['*'], skills: [{ kind: 'PRODUCT', key: 'router-x1', level: 5 }] }), manager));
    await register.execute(new RegisterAgentCommand(profile('cleo', { capacity: 1 }), manager));
    await change.execute(new ChangeAgentCommand('ben', { type: 'SetAgentAvailability', data: { availability: 'AWAY' } }, manager));
    await agents.takeCall('cleo', 'c1');
    await change.execute(new ChangeAgentCommand('anna', { type: 'UpdateAgent', data: { input: { name: 'Anna S.' } } }, manager));
    await project();

    expect(await store.get('anna')).toMatchObject({ id: 'anna', name: 'Anna S.', version: 2, availability: 'AVAILABLE' });
    expect(await store.get('nobody')).toBeUndefined();
    const ids = async (filter: Parameters<AgentsStore['list']>[0]) => (await store.list(filter)).map((a) => a.id);
    expect(await ids({})).toEqual(['anna', 'ben', 'cleo']);
    expect(await ids({ availability: 'AWAY' })).toEqual(['ben']);
    expect(await ids({ region: 'DE-NORTH' })).toEqual(['anna', 'ben', 'cleo']);
    expect(await ids({ region: 'fr' })).toEqual(['ben']);
    expect(await ids({ skill: 'billing' })).toEqual(['anna', 'cleo']);
    expect(await ids({ skill: 'Router-X1' })).toEqual(['ben']);
    expect(await ids({ language: 'en' })).toEqual(['anna']);
    // ben is AWAY, cleo is full
    expect(await ids({ available: true })).toEqual(['anna']);
    expect(await ids({ available: false })).toEqual(['ben', 'cleo']);
    expect((await store.candidates()).find((c) => c.agentId === 'cleo')).toMatchObject({ openCalls: 1, capacity: 1, availability: 'AVAILABLE' });
  });

  it('an absent agent or one outside working hours is not available now', async () => {
    await register.execute(new RegisterAgentCommand(profile('anna'), manager));
    await register.execute(new RegisterAgentCommand(profile('nina', { workingHours: { timezone: 'UTC', weekly: [{ day: 'MON', from: '09:00', to: '17:00' }] } }), manager));
    const now = new Date('2030-01-07T10:00:00Z'); // a Monday
    const absence = { from: '2030-01-07T00:00:00Z', to: '2030-01-08T00:00:00Z', reason: 'ill' };
    await change.execute(new ChangeAgentCommand('anna', { type: 'ScheduleAbsence', data: { absenceId: 'a1', input: absence } }, { ...manager, now: new Date('2030-01-01T00:00:00Z') }));
    await project();
    expect((await store.list({ available: true }, now)).map((a) => a.id)).toEqual(['nina']);
    expect((await store.list({ available: true }, new Date('2030-01-07T18:00:00Z'))).map((a) => a.id)).toEqual([]);
    expect((await store.list({ available: true }, new Date('2030-01-08T10:00:00Z'))).map((a) => a.id)).toEqual(['anna']);
  });

  it('load figures: open calls, load ratio, assignments today (UTC), median handling time, spread over the agents at work', async () => {
    for (const id of ['anna', 'ben', 'cleo']) await register.execute(new RegisterAgentCommand(profile(id), manager));
    const at = (iso: string) => ({ now: new Date(iso) });
    await agents.takeCall('anna', 'c1', at('2030-01-06T23:00:00Z')); // yesterday (UTC)
    await agents.takeCall('anna', 'c2', at('2030-01-07T08:00:00Z'));
    await agents.takeCall('anna', 'c3', at('2030-01-07T08:30:00Z'));
    await agents.releaseCall('anna', 'c1', 'resolved', at('2030-01-07T00:00:00Z')); // 60 min
    await agents.releaseCall('anna', 'c2', 'resolved', at('2030-01-07T08:10:00Z')); // 10 min
    await agents.releaseCall('anna', 'c3', 'resolved', at('2030-01-07T09:00:00Z')); // 30 min
    await agents.takeCall('anna', 'c4', at('2030-01-07T09:00:00Z'));
    await agents.takeCall('anna', 'c5', at('2030-01-07T09:05:00Z'));
    await agents.takeCall('ben', 'c6', at('2030-01-07T09:00:00Z'));
    await change.execute(new ChangeAgentCommand('cleo', { type: 'SetAgentAvailability', data: { availability: 'OFFLINE' } }, manager));
    await project();

    const load = await store.stats(new Date('2030-01-07T12:00:00Z'));
    expect(load.agents.find((a) => a.agentId === 'anna')).toEqual({
      agentId: 'anna',
      name: 'anna',
      availability: 'AVAILABLE',
      absent: false,
      openCalls: 2,
      capacity: 4,
      loadRatio: 0.5,
      assignmentsToday: 4,
      medianHandlingMs: 30 * 60_000,
    });
    expect(load.agents.find((a) => a.agentId === 'ben')).toMatchObject({ openCalls: 1, loadRatio: 0.25, assignmentsToday: 1, medianHandlingMs: undefined });
    // cleo is OFFLINE: not part of the spread
    expect(load).toMatchObject({ loadSpread: 0.25, openCallsSpread: 1, agentsAtWork: 2 });
  });

  it('a redelivered event changes nothing (no second assignment row, no second release)', async () => {
    await register.execute(new RegisterAgentCommand(profile('anna'), manager));
    await agents.takeCall('anna', 'c1', { now: new Date('2030-01-07T08:00:00Z') });
    await agents.releaseCall('anna', 'c1', 'resolved', { now: new Date('2030-01-07T08:20:00Z') });
    await project();
    const before = await store.stats(new Date('2030-01-07T12:00:00Z'));
    const projection = new AgentsProjection();
    for (const event of await events.readStream('Agent-anna')) await projection.apply(db, event);
    expect(await store.stats(new Date('2030-01-07T12:00:00Z'))).toEqual(before);
    expect(before.agents[0]).toMatchObject({ openCalls: 0, assignmentsToday: 1, medianHandlingMs: 20 * 60_000 });
  });
});
