// The routing supervisor's look (take calls off absent agents, the repair sweep, serve the queue)
// against the worker's real parts: SQLite event store, read models projected in this process, command
// handlers. No Temporal: each look is run by hand, so what the sweep sees is decided by the test.
import { AppConfig } from '@app/config';
import { ServiceCall, serviceCallStreamId } from '@app/domain';
import { EventStore } from '@app/event-store';
import { Projector } from '@app/read-models';
import { AgentRepository, AssignServiceCallCommand, ChangeAgentCommand, ChangeServiceCallCommand, OpenServiceCallCommand, RegisterAgentCommand, ServiceCallRepository } from '@app/service-calls';
import { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { CommandBus } from '@nestjs/cqrs';
import { sqliteTestDir } from '../../../../libs/event-store/src/testing/sqlite-test-dir';
import { workerTestModule } from '../../../../test/support/temporal-test-env';
import { RoutingSupervisor } from './routing-supervisor';

const MANAGER = { actor: 'apikey:manager' };
const HOUR = 3_600_000;
const data = sqliteTestDir('routing-supervisor-');
let app: INestApplicationContext;
let bus: CommandBus;
let store: EventStore;
let supervisor: RoutingSupervisor;

beforeEach(async () => {
  app = await NestFactory.createApplicationContext(workerTestModule(new AppConfig({ DATA_DIR: data.dir })), { logger: ['error'] });
  data.atTeardown(() => app.close());
  bus = app.get(CommandBus);
  store = app.get(EventStore);
  supervisor = app.get(RoutingSupervisor);
  // a sweep at every look; a call whose routing round began in the last 30 s is its workflow's
  supervisor.timing = { sweepEveryMs: 0, unroutedAfterMs: 30_000 };
});

/** One look, once the read models show everything appended so far (as the supervisor's triggers ensure). */
async function look(): Promise<void> {
  expect(await app.get(Projector).waitFor(await store.lastPosition(), 5_000)).toBe(true);
  await supervisor.lookOnce();
}

const register = (id: string, now: Date) =>
  bus.execute(new RegisterAgentCommand({ id, name: id, regions: ['de-north'], languages: ['de'], skills: [{ kind: 'CATEGORY', key: 'billing', level: 3 }], capacity: 3 }, { ...MANAGER, now }));

async function open(now: Date): Promise<string> {
  const input = { channel: 'PHONE', category: 'billing', region: 'de-north', language: 'de', summary: 'Charged twice', customer: { name: 'Grete', phone: '+49301234567' } };
  const { call } = await bus.execute(new OpenServiceCallCommand(input as never, { ...MANAGER, now }));
  return call.id;
}

/** A manager gives the call to Anna, overriding routing's rules. */
const giveToAnna = (callId: string, now: Date) =>
  bus.execute(new AssignServiceCallCommand(callId, { agentId: 'anna', trigger: 'MANUAL', override: true, candidates: [] }, { ...MANAGER, idempotencyKey: 'give-anna', now }));

/** Anna and Ben registered at `since`, and a call opened then and given to Anna. */
async function callHeldByAnna(since: Date): Promise<string> {
  await register('anna', since);
  await register('ben', since);
  const callId = await open(since);
  await giveToAnna(callId, since);
  return callId;
}

const callOf = async (callId: string): Promise<ServiceCall> => (await app.get(ServiceCallRepository).load(callId)) as ServiceCall;
const typesOf = async (callId: string) => (await store.readStream(serviceCallStreamId(callId))).map((e) => e.type);

it("after a restart during an absence, the absent agent's calls are left to their workflows, not queued by the sweep", async () => {
  const anHourAgo = new Date(Date.now() - HOUR);
  const callId = await callHeldByAnna(anHourAgo);
  // Anna's absence began a minute ago (the worker was down then), with Ben as her replacement
  const absence = { from: new Date(Date.now() - 60_000).toISOString(), to: new Date(Date.now() + HOUR).toISOString(), reason: 'ill', replacementAgentId: 'ben' };
  await bus.execute(new ChangeAgentCommand('anna', { type: 'ScheduleAbsence', data: { absenceId: 'abs-1', input: absence } }, MANAGER));

  await look(); // the first look after the restart takes the call off Anna
  await look(); // and the next sweep sees it without an agent, opened an hour ago

  const call = await callOf(callId);
  expect(call.assignee).toBeUndefined();
  expect(call.routingTrigger).toBe('ASSIGNEE_ABSENT');
  expect(call.preferredAgentId).toBe('ben');
  // its workflow routes it (trigger ASSIGNEE_ABSENT); the sweep neither queued it nor had the queue serve it
  expect(await typesOf(callId)).not.toContain('CallQueued');
  expect((await app.get(AgentRepository).load('anna'))?.openCalls).toEqual([]);
});

it('an absence that began and ended while the worker was down moves nothing: the agent is back and keeps her calls', async () => {
  const anHourAgo = new Date(Date.now() - HOUR);
  const callId = await callHeldByAnna(anHourAgo);
  // scheduled an hour ago for the 40 minutes the worker was down, with Ben as her replacement
  const absence = { from: new Date(Date.now() - 50 * 60_000).toISOString(), to: new Date(Date.now() - 10 * 60_000).toISOString(), reason: 'dentist', replacementAgentId: 'ben' };
  await bus.execute(new ChangeAgentCommand('anna', { type: 'ScheduleAbsence', data: { absenceId: 'abs-past', input: absence } }, { ...MANAGER, now: anHourAgo }));

  await look(); // the first look after the restart
  await look();

  expect((await callOf(callId)).assignee).toBe('anna');
  expect(await typesOf(callId)).not.toContain('CallUnassigned');
  expect((await app.get(AgentRepository).load('anna'))?.openCalls).toEqual([callId]);
});

it('queues an open call routing never saw, and one whose routing round began long ago without an agent, and serves them', async () => {
  const anHourAgo = new Date(Date.now() - HOUR);
  // opened before any agent existed: its workflow found nobody to route to and recorded nothing
  const neverRouted = await open(anHourAgo);
  await register('anna', anHourAgo);
  await register('ben', anHourAgo);
  // taken off Anna an hour ago, when nobody could take it; its workflow routed it then and found nobody
  const leftOver = await open(anHourAgo);
  await giveToAnna(leftOver, anHourAgo);
  await bus.execute(new ChangeServiceCallCommand(leftOver, { type: 'UnassignServiceCall', data: { trigger: 'REROUTE', reason: 'customer asked', expectedAgentId: 'anna' } }, { ...MANAGER, idempotencyKey: 'off', now: anHourAgo }));
  await app.get(AgentRepository).releaseCall('anna', leftOver, 'rerouted', { ...MANAGER, now: anHourAgo });

  await look(); // the sweep queues both (and serves what it queued once the read models show it)
  await look();

  for (const callId of [neverRouted, leftOver]) {
    const call = await callOf(callId);
    expect(await typesOf(callId)).toContain('CallQueued');
    expect(call.assignee).toBeDefined();
    expect(call.assignments.at(-1)).toMatchObject({ trigger: 'QUEUE', automatic: true });
  }
  // the rerouted call goes to someone other than the agent taken off it
  expect((await callOf(leftOver)).assignee).toBe('ben');
});
