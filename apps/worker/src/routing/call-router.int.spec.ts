// Two workers routing one burst of calls, against the real parts: one event store and one read-model
// database shared by two Nest contexts (two workers, each with its own CallRouter and caches), the
// command handlers, and the routing critical section (PostgreSQL: each worker's own advisory-lock
// coordination, as deployed; SQLite: the one process's lane, shared). The read models are projected
// once, with the agents idle, and then never again: they lag behind for the whole test, as they do
// behind a burst when the projector (in the API) falls behind. No Temporal: each decision is run by hand.
import { AppConfig } from '@app/config';
import { Coordination, CoordinationModule, LocalCoordination } from '@app/coordination';
import { Agent } from '@app/domain';
import { EventStore } from '@app/event-store';
import { Projector, ReadModelConnection, ReadModelsModule } from '@app/read-models';
import { AgentRepository, OpenServiceCallCommand, RegisterAgentCommand, ServiceCallsModule } from '@app/service-calls';
import { Global, INestApplicationContext, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { CommandBus } from '@nestjs/cqrs';
import { sqliteTestDir } from '../../../../libs/event-store/src/testing/sqlite-test-dir';
import { createTestDatabase, describeWithPostgres, TestDatabase } from '../../../../test/support/postgres';
import { CallRouter } from './call-router';

const MANAGER = { actor: 'apikey:manager' };
const AGENT_IDS = ['anna', 'ben', 'cleo', 'dora', 'emil'];
const CAPACITY = 8;

/** A worker's routing and write side (WorkerModule without Temporal, dispatcher or projector). */
function workerModule(config: AppConfig, shared?: Coordination) {
  @Global()
  @Module({ providers: [{ provide: AppConfig, useValue: config }], exports: [AppConfig] })
  class ConfigForTest {}
  @Global()
  @Module({ providers: [{ provide: Coordination, useValue: shared }], exports: [Coordination] })
  class SharedCoordination {}
  @Module({
    imports: [ConfigForTest, shared ? SharedCoordination : CoordinationModule, ServiceCallsModule, ReadModelsModule.forRoot({ project: false })],
    providers: [CallRouter],
  })
  class WorkerForTest {}
  return WorkerForTest;
}

interface Workers {
  workers: [INestApplicationContext, INestApplicationContext];
}

/** The promises, for two workers made by `start` (each test gets new ones over empty databases). */
function twoWorkerPromises(start: () => Promise<Workers>): void {
  let workers: [INestApplicationContext, INestApplicationContext];
  let routers: [CallRouter, CallRouter];
  let bus: CommandBus;
  let agents: AgentRepository;

  beforeEach(async () => {
    ({ workers } = await start());
    routers = [workers[0].get(CallRouter), workers[1].get(CallRouter)];
    bus = workers[0].get(CommandBus);
    agents = workers[1].get(AgentRepository);
  });

  /** The agents registered, idle, and the read models caught up with them once (never again). */
  async function idleAgents(ids: string[]): Promise<void> {
    for (const id of ids) {
      const profile = { id, name: id, regions: ['de-north'], languages: ['de'], skills: [{ kind: 'CATEGORY', key: 'billing', level: 3 }], capacity: CAPACITY };
      await bus.execute(new RegisterAgentCommand(profile, MANAGER));
    }
    const store = workers[0].get(EventStore);
    const projector = new Projector(workers[0].get(ReadModelConnection).db, store);
    await projector.start((error) => {
      throw error;
    });
    expect(await projector.waitFor(await store.lastPosition(), 10_000)).toBe(true);
    await projector.stop();
  }

  async function openCalls(n: number): Promise<string[]> {
    const ids: string[] = [];
    for (let i = 0; i < n; i++) {
      const input = { channel: 'PHONE', category: 'billing', region: 'de-north', language: 'de', summary: `call ${i}`, customer: { name: `Customer ${i}` } };
      ids.push((await bus.execute(new OpenServiceCallCommand(input as never, MANAGER))).call.id);
    }
    return ids;
  }

  /** The agents as their streams have them now (the truth, ahead of the read models). */
  const truth = async (ids = AGENT_IDS): Promise<Agent[]> => Promise.all(ids.map(async (id) => (await agents.load(id))!));
  const loads = (all: Agent[]) => Object.fromEntries(all.map((a) => [a.id, a.openCalls.length]));
  const spread = (all: Agent[]) => Math.max(...all.map((a) => a.openCalls.length)) - Math.min(...all.map((a) => a.openCalls.length));

  it('a burst routed by the two workers in turns: after every decision the loads differ by at most one, nobody over capacity', async () => {
    await idleAgents(AGENT_IDS);
    const calls = await openCalls(30);
    const uneven: { after: number; loads: Record<string, number> }[] = [];
    for (const [i, callId] of calls.entries()) {
      expect(await routers[i % 2].route(callId, 1)).toMatchObject({ outcome: 'ASSIGNED' });
      const now = await truth();
      if (spread(now) > 1) uneven.push({ after: i + 1, loads: loads(now) });
      for (const agent of now) expect(agent.openCalls.length).toBeLessThanOrEqual(agent.capacity);
    }
    expect(uneven).toEqual([]);
    expect(loads(await truth())).toEqual({ anna: 6, ben: 6, cleo: 6, dora: 6, emil: 6 });
  });

  it('a burst routed by both workers at once spreads evenly (decisions take turns across the workers)', async () => {
    await idleAgents(AGENT_IDS);
    const calls = await openCalls(28);
    const placed = await Promise.all(calls.map((callId, i) => routers[i % 2].route(callId, 1)));
    expect(placed.every((p) => p.outcome === 'ASSIGNED')).toBe(true);
    const now = await truth();
    expect({ spread: spread(now), loads: loads(now) }).toMatchObject({ spread: 1 }); // 28 calls: 6, 6, 6, 5, 5
    for (const agent of now) expect(agent.openCalls.length).toBeLessThanOrEqual(agent.capacity);
  });

  it("a call one worker releases is seen by the other worker's next decision", async () => {
    const team = AGENT_IDS.slice(0, 3);
    await idleAgents(team);
    const [first, ...rest] = await openCalls(7);
    const burst = [first, ...rest.slice(0, 5)];
    for (const [i, callId] of burst.entries()) await routers[i % 2].route(callId, 1);
    expect(loads(await truth(team))).toEqual({ anna: 2, ben: 2, cleo: 2 });
    // one of Cleo's calls ends in the first worker: she gives it back (she was given a call last, so
    // only a decision that sees the release prefers her)
    const cleo = (await agents.load('cleo'))!;
    await routers[0].release('cleo', cleo.openCalls[0], 'call finished');
    // the second worker decides next: Cleo is the one with room
    await routers[1].route(rest[5], 1);
    expect(loads(await truth(team))).toEqual({ anna: 2, ben: 2, cleo: 2 });
    expect((await agents.load('cleo'))!.openCalls).toContain(rest[5]);
  });
}

describe('two workers routing one burst (SQLite)', () => {
  const data = sqliteTestDir('two-routers-');
  // the embedded default has one worker; two here share the file and, as one worker would, the lane of decisions
  twoWorkerPromises(async () => {
    const config = new AppConfig({ DATA_DIR: data.dir });
    const lane = new LocalCoordination();
    const workers: Workers['workers'] = [
      await NestFactory.createApplicationContext(workerModule(config, lane), { logger: ['error'] }),
      await NestFactory.createApplicationContext(workerModule(config, lane), { logger: ['error'] }),
    ];
    for (const worker of workers) data.atTeardown(() => worker.close());
    return { workers };
  });
});

describeWithPostgres('two workers routing one burst (PostgreSQL: event store, read models, coordination)', () => {
  let database: TestDatabase | undefined;
  const opened: INestApplicationContext[] = [];
  afterEach(async () => {
    for (const worker of opened.splice(0)) await worker.close();
    await database?.drop();
    database = undefined;
  });
  twoWorkerPromises(async () => {
    database = await createTestDatabase('two_routers');
    const config = new AppConfig({ DATABASE_URL: database.url, EVENTSTORE_CONNECTION_STRING: database.url, API_KEYS: 'key-boss:MANAGER:boss' });
    for (let i = 0; i < 2; i++) opened.push(await NestFactory.createApplicationContext(workerModule(config), { logger: ['error'] }));
    return { workers: [opened[0], opened[1]] };
  });
});
