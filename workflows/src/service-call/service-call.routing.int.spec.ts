// Routing as part of the call's workflow, on Temporal's time-skipping server with the real bundle,
// activities, SQLite event store, read models (projected in this process), dispatcher and the worker's
// routing supervisor: a call goes to the best eligible agent with its reasons and runner-up, steps go
// to the holders of their roles, a call nobody can take waits in the queue and is served when an agent
// releases a call, an absent agent's calls move to the named replacement, and a callback call gets a
// "call back" step for the agent who takes it inside the window.
import { Agent, AgentCommand, ServiceCall, ServiceCallCommand } from '@app/domain';
import { AgentRepository, ChangeAgentCommand, ChangeServiceCallCommand, OpenServiceCallCommand, RegisterAgentCommand } from '@app/service-calls';
import { CommandBus } from '@nestjs/cqrs';
import { RoutingSupervisor } from '../../../apps/worker/src/routing/routing-supervisor';
import { eventually, startWorkflowTestEnv, WorkflowTestEnv } from '../../../test/support/temporal-test-env';

const MANAGER = 'apikey:manager';
const AGENT = 'apikey:agent';
let t: WorkflowTestEnv;
let bus: CommandBus;
let agents: AgentRepository;

beforeAll(async () => {
  t = await startWorkflowTestEnv('service-call-routing');
  bus = t.app.get(CommandBus);
  agents = t.app.get(AgentRepository);
  // sweep at every look; a call counts as never routed 3 s after it opened
  t.app.get(RoutingSupervisor).timing = { sweepEveryMs: 0, unroutedAfterMs: 3_000 };
}, 120_000);

afterAll(async () => {
  await t?.close();
}, 60_000);

const register = (input: Record<string, unknown>) => bus.execute(new RegisterAgentCommand({ regions: ['de-north'], languages: ['de'], ...input }, { actor: MANAGER }));
const changeAgent = (agentId: string, command: Exclude<AgentCommand, { type: 'RegisterAgent' }>) =>
  bus.execute(new ChangeAgentCommand(agentId, command, { actor: MANAGER }));
const change = (callId: string, command: Exclude<ServiceCallCommand, { type: 'OpenServiceCall' }>) =>
  bus.execute(new ChangeServiceCallCommand(callId, command, { actor: AGENT }));

async function open(category: string, extra: Record<string, unknown> = {}): Promise<string> {
  const input = { channel: 'PHONE', category, region: 'de-north', language: 'de', summary: `${category} trouble`, customer: { name: 'Grete', phone: '+49301234567' }, ...extra };
  const { call } = await bus.execute(new OpenServiceCallCommand(input as never, { actor: AGENT }));
  return call.id;
}

const until = (what: string, callId: string, probe: (call: ServiceCall) => boolean) =>
  eventually(what, async () => {
    const call = await t.callOf(callId);
    return probe(call) && call;
  });
const agentNow = async (id: string): Promise<Agent> => (await agents.load(id)) as Agent;

// first: no agent exists yet
it('a call opened before any agent existed is queued by the sweep and served once an agent can take it', async () => {
  const early = await open('early bird');
  await until('workflow running', early, (c) => c.phases[0].status === 'ACTIVE');
  await new Promise((r) => setTimeout(r, 3_200));
  // nobody to route to: the workflow recorded nothing about routing
  expect((await t.callOf(early)).queuedAt).toBeUndefined();
  expect((await t.streamOf(early)).some((e) => e.type.startsWith('Call'))).toBe(false);

  await register({ id: 'ike', name: 'Ike', skills: [{ kind: 'CATEGORY', key: 'early bird', level: 2 }], capacity: 2 });
  const served = await until('the early call assigned', early, (c) => !!c.assignee);
  expect(served.assignee).toBe('ike');
  const types = (await t.streamOf(early)).map((e) => e.type).filter((type) => type.startsWith('Call'));
  expect(types).toEqual(['CallQueued', 'CallAssigned']);
  expect(served.assignments?.[0]).toMatchObject({ trigger: 'QUEUE', automatic: true });

  // resolved: the workflow releases Ike; a slot still held for a finished call (as a crash between the
  // resolution and the release would leave it) is given back by the sweep
  await change(early, { type: 'ResolveServiceCall', data: { resolution: { agreedSolution: 'Rebooked the appointment', implemented: true } } });
  await eventually('released by the workflow', async () => !(await agentNow('ike')).openCalls.includes(early));
  await agents.takeCall('ike', early);
  await eventually('released by the sweep', async () => !(await agentNow('ike')).openCalls.includes(early));
}, 60_000);

it('routes each call to the best eligible agent with its reasons, gives role steps to role holders, queues what nobody can take and serves it when capacity frees up', async () => {
  await register({ id: 'anna', name: 'Anna', skills: [{ kind: 'CATEGORY', key: 'Billing', level: 4 }], capacity: 2, roles: ['agent'] });
  await register({ id: 'ben', name: 'Ben', skills: [{ kind: 'CATEGORY', key: 'billing', level: 2 }], capacity: 2, roles: ['technician'] });
  // a third agent who covers another region: never eligible here
  await register({ id: 'cleo', name: 'Cleo', regions: ['at-east'], skills: [{ kind: 'CATEGORY', key: 'billing', level: 5 }], capacity: 9, roles: ['agent'] });

  // equal loads: the higher skill decides; the runner-up is recorded
  const first = await open('billing');
  const one = await until('first call assigned', first, (c) => !!c.assignee);
  expect(one.assignee).toBe('anna');
  const decision = one.assignments?.[0];
  expect(decision).toMatchObject({ agentId: 'anna', trigger: 'OPENED', automatic: true, runnerUp: { agentId: 'ben' } });
  expect(decision?.reasons).toEqual(expect.arrayContaining(['region:de-north', 'language:de']));
  expect(decision?.reasons.some((r) => r.startsWith('category:billing'))).toBe(true);
  // steps for an "agent" go to Anna, the technician's steps to Ben (who holds that role)
  const steps = one.phases.flatMap((p) => p.steps);
  expect(steps.find((s) => s.key === 'record-complaint')?.assignee).toBe('anna');
  expect(steps.find((s) => s.key === 'inspect-problem')?.assignee).toBe('ben');

  // Anna has 1 of 2, Ben 0 of 2: the lower load wins now
  const second = await open('billing');
  expect((await until('second call assigned', second, (c) => !!c.assignee)).assignee).toBe('ben');
  const third = await open('billing');
  const fourth = await open('billing');
  await until('third assigned', third, (c) => !!c.assignee);
  await until('fourth assigned', fourth, (c) => !!c.assignee);
  expect((await agentNow('anna')).openCalls).toHaveLength(2);
  expect((await agentNow('ben')).openCalls).toHaveLength(2);

  // everyone full: the fifth call waits, with the reasons
  const fifth = await open('billing');
  const queued = await until('fifth queued', fifth, (c) => !!c.queuedAt);
  expect(queued.assignee).toBeUndefined();
  expect(queued.queueReasons?.join(' ')).toMatch(/capacity/);

  // Anna resolves her first call: the workflow releases her, and the queue is served
  await change(first, { type: 'ResolveServiceCall', data: { resolution: { agreedSolution: 'Refund the double charge', implemented: true } } });
  const served = await until('fifth assigned from the queue', fifth, (c) => !!c.assignee);
  expect(served.assignee).toBe('anna');
  expect(served.assignments?.at(-1)).toMatchObject({ trigger: 'QUEUE', automatic: true });
  const anna = await agentNow('anna');
  expect(anna.openCalls).not.toContain(first);
  expect(anna.openCalls).toContain(fifth);
  for (const id of ['anna', 'ben']) {
    const agent = await agentNow(id);
    expect(agent.openCalls.length).toBeLessThanOrEqual(agent.capacity);
  }
}, 120_000);

it("moves an absent agent's calls to the named replacement, and never to an offline agent", async () => {
  await register({ id: 'dora', name: 'Dora', skills: [{ kind: 'CATEGORY', key: 'internet', level: 5 }], capacity: 3 });
  await register({ id: 'emil', name: 'Emil', skills: [{ kind: 'CATEGORY', key: 'internet', level: 1 }], capacity: 3 });
  await register({ id: 'fritz', name: 'Fritz', skills: [{ kind: 'CATEGORY', key: 'internet', level: 3 }], capacity: 3 });
  await changeAgent('fritz', { type: 'SetAgentAvailability', data: { availability: 'OFFLINE' } });

  const call = await open('internet');
  expect((await until('assigned to Dora', call, (c) => !!c.assignee)).assignee).toBe('dora');

  // Dora is off from now on; Emil (lower skill than Fritz, but Fritz is offline) is her replacement
  await changeAgent('dora', {
    type: 'ScheduleAbsence',
    data: { absenceId: 'abs-1', input: { from: new Date().toISOString(), to: new Date(Date.now() + 3_600_000).toISOString(), reason: 'sick', replacementAgentId: 'emil' } },
  });
  const moved = await until('moved to Emil', call, (c) => c.assignee === 'emil');
  const log = moved.assignments ?? [];
  expect(log.map((a) => a.agentId)).toEqual(['dora', 'emil']);
  expect(log[1]).toMatchObject({ trigger: 'ASSIGNEE_ABSENT', previousAgentId: 'dora' });
  const history = (await t.streamOf(call)).map((e) => e.type);
  expect(history.filter((type) => type === 'CallUnassigned')).toHaveLength(1);
  expect((await agentNow('dora')).openCalls).not.toContain(call);
  expect((await agentNow('emil')).openCalls).toContain(call);
  expect((await agentNow('fritz')).openCalls).toHaveLength(0);
}, 120_000);

it('moves the calls when a scheduled absence begins, not before', async () => {
  await register({ id: 'kay', name: 'Kay', skills: [{ kind: 'CATEGORY', key: 'heating', level: 5 }], capacity: 3 });
  await register({ id: 'lou', name: 'Lou', skills: [{ kind: 'CATEGORY', key: 'heating', level: 1 }], capacity: 3 });
  const call = await open('heating');
  expect((await until('assigned to Kay', call, (c) => !!c.assignee)).assignee).toBe('kay');

  const from = Date.now() + 1_500;
  await changeAgent('kay', {
    type: 'ScheduleAbsence',
    data: { absenceId: 'abs-later', input: { from: new Date(from).toISOString(), to: new Date(from + 3_600_000).toISOString(), reason: 'dentist', replacementAgentId: 'lou' } },
  });
  await new Promise((r) => setTimeout(r, 500));
  expect((await t.callOf(call)).assignee).toBe('kay');
  // nothing else happens meanwhile: the supervisor's own timer for the absence's start moves the call
  const moved = await until('moved to Lou', call, (c) => c.assignee === 'lou');
  expect(Date.now()).toBeGreaterThanOrEqual(from);
  expect(moved.assignments?.at(-1)).toMatchObject({ agentId: 'lou', trigger: 'ASSIGNEE_ABSENT', previousAgentId: 'kay' });
}, 60_000);

it('gives the agent who takes a callback call inside its window a READY "call back" step', async () => {
  // nobody knows gas yet: the call waits
  await register({ id: 'hanna', name: 'Hanna', skills: [{ kind: 'CATEGORY', key: 'water', level: 3 }], capacity: 2 });
  const call = await open('gas leak');
  await until('queued', call, (c) => !!c.queuedAt);
  await change(call, {
    type: 'RequestCallback',
    data: { phone: '+49301234567', windowFrom: new Date(Date.now() - 60_000).toISOString(), windowTo: new Date(Date.now() + 3_600_000).toISOString() },
  });
  await register({ id: 'gustav', name: 'Gustav', skills: [{ kind: 'CATEGORY', key: 'Gas leak', level: 3 }], capacity: 2 });

  const taken = await until('assigned with a call-back step', call, (c) => !!c.callback?.stepKey);
  expect(taken.assignee).toBe('gustav');
  expect(taken.callback).toMatchObject({ phone: '+49301234567', stepKey: 'call-back', agentId: 'gustav' });
  const step = taken.phases.flatMap((p) => p.steps).find((s) => s.key === 'call-back');
  expect(step).toMatchObject({ status: 'READY', assignee: 'gustav', automated: false });
}, 120_000);
