/**
 * Automatic routing over HTTP against the product as `npm start` runs it: the call's workflow gives each
 * new call to the best eligible agent, the worker's routing supervisor moves the calls of an absent or
 * OFFLINE agent and serves the queue when capacity frees up, and a manager's reroute sends a call to
 * someone else.
 *
 * Every test uses a category of its own, so the agents of the other tests are never eligible for its
 * calls. Everything routing does happens after the open answers, so the tests poll for it.
 */
import { DEV_KEYS, GraphQLClient, waitFor } from '../support/graphql-client';
import { Stack, withStackLogs } from '../support/stack';

jest.setTimeout(240_000);

const CALL_FIELDS =
  'id version status assignee queuedAt queueReasons ' +
  'assignments { agentId previousAgentId trigger automatic reasons runnerUp { agentId reasons } reason by at } ' +
  'phases { key status } history { type data }';
type Assignment = {
  agentId: string;
  previousAgentId: string | null;
  trigger: string;
  automatic: boolean;
  reasons: string[];
  runnerUp: { agentId: string; reasons: string[] } | null;
  at: string;
};
type Call = {
  id: string;
  version: number;
  status: string;
  assignee: string | null;
  queuedAt: string | null;
  queueReasons: string[] | null;
  assignments: Assignment[];
  phases: { key: string; status: string }[];
  history: { type: string; data: string }[];
};
type AgentView = { id: string; openCalls: number; openCallIds: string[]; capacity: number; availableNow: boolean; absences: { id: string }[] };

const REGISTER = 'mutation ($input: RegisterAgentInput!) { registerAgent(input: $input) { id } }';
const AGENT = 'query ($id: ID!) { agent(id: $id) { id openCalls openCallIds capacity availableNow absences { id } } }';
const SCHEDULE = 'mutation ($input: ScheduleAbsenceInput!) { scheduleAbsence(input: $input) { id currentAbsence { id } absences { id } } }';
const CANCEL = 'mutation ($agentId: ID!, $absenceId: ID!) { cancelAbsence(agentId: $agentId, absenceId: $absenceId) { id currentAbsence { id } } }';
const AVAILABILITY = 'mutation ($agentId: ID!, $a: AgentAvailability!) { setAgentAvailability(agentId: $agentId, availability: $a) { id availability } }';
const OPEN = 'mutation ($input: OpenServiceCallInput!) { openServiceCall(input: $input) { id } }';
const CALL = `query ($id: ID!) { serviceCall(id: $id) { ${CALL_FIELDS} } }`;
const REROUTE = 'mutation ($callId: ID!, $reason: String!) { rerouteServiceCall(callId: $callId, reason: $reason) { id } }';
const RESOLVE = 'mutation ($input: ResolutionInput!) { resolveServiceCall(input: $input) { id status } }';
const QUEUE = 'query { routingQueue(first: 1000) { callId queuedAt reasons category } }';
const LOAD = 'query { agentLoad { agents { agentId openCalls capacity loadRatio absent availability } loadSpread openCallsSpread agentsAtWork } }';

const agentInput = (id: string, category: string, level: number, capacity: number) => ({
  id,
  name: `Agent ${id}`,
  regions: ['*'],
  skills: [{ kind: 'CATEGORY', key: category, level }],
  languages: ['de'],
  roles: ['agent'],
  capacity,
});

/** Runs `work` over `items` with at most `size` requests in flight at once. */
async function pool<T, R>(items: readonly T[], size: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(size, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        results[i] = await work(items[i]);
      }
    }),
  );
  return results;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('routing over HTTP (e2e)', () => {
  let stack: Stack | undefined;
  let manager: GraphQLClient;
  let seq = 0;
  const e2e = (body: () => Promise<void>) => withStackLogs(() => stack, body, 12_000);

  beforeAll(async () => {
    // the development keys, plus one AGENT key per agent of the "steps" test (the key's name is the agent id)
    const keys = ['dev-integrator-key:INTEGRATOR:dev-integrator', 'dev-manager-key:MANAGER:dev-manager', 'dev-agent-key:AGENT:dev-agent'];
    stack = await Stack.start({ name: 'routing', env: { API_KEYS: [...keys, 'key-steps-ida:AGENT:steps-ida', 'key-steps-jan:AGENT:steps-jan'].join(',') } });
    manager = new GraphQLClient(stack.graphqlUrl, DEV_KEYS.MANAGER);
  }, 240_000);

  afterAll(async () => {
    await stack?.dispose();
  }, 60_000);

  const register = (id: string, category: string, level: number, capacity: number) => manager.ok(REGISTER, { input: agentInput(id, category, level, capacity) });
  const open = async (category: string, client = manager): Promise<string> => {
    const n = ++seq;
    const input = { channel: 'PHONE', category, language: 'de', summary: `routing call ${n}`, customer: { name: `Customer ${n}`, email: `r${n}@example.com` } };
    return (await client.ok<{ openServiceCall: { id: string } }>(OPEN, { input }, { timeoutMs: 120_000 })).openServiceCall.id;
  };
  const getCall = async (id: string): Promise<Call> => (await manager.ok<{ serviceCall: Call }>(CALL, { id })).serviceCall;
  const agent = async (id: string): Promise<AgentView> => (await manager.ok<{ agent: AgentView }>(AGENT, { id })).agent;
  /** polls until the call is held by `agentId` (and returns it) */
  const heldBy = (callId: string, agentId: string, timeoutMs = 30_000) =>
    waitFor(async () => {
      const call = await getCall(callId);
      return call.assignee === agentId ? call : false;
    }, timeoutMs, { description: `call ${callId} to be assigned to ${agentId}`, intervalMs: 100 });
  const queued = (callId: string) =>
    waitFor(async () => {
      const call = await getCall(callId);
      return call.queuedAt ? call : false;
    }, 30_000, { description: `call ${callId} to be queued`, intervalMs: 100 });
  const agentCalls = (id: string, expected: number) =>
    waitFor(async () => {
      const a = await agent(id);
      return a.openCalls === expected ? a : false;
    }, 30_000, { description: `agent ${id} to hold ${expected} calls`, intervalMs: 100 });

  it(
    '200 calls opened at once against 10 equal agents: none over capacity, load spread at most one call, every assignment automatic with reasons',
    e2e(async () => {
      const category = 'routing-e2e-concurrency';
      const agents = Array.from({ length: 10 }, (_, i) => `e2e-conc-${String(i).padStart(2, '0')}`);
      for (const id of agents) await register(id, category, 3, 30);

      // several clients (each its own connection pool in spirit), all 200 opens in flight together
      const clients = Array.from({ length: 8 }, () => new GraphQLClient(stack!.graphqlUrl, DEV_KEYS.INTEGRATOR));
      const firstOpen = Date.now();
      const ids = await Promise.all(Array.from({ length: 200 }, (_, i) => open(category, clients[i % clients.length])));
      const allOpened = Date.now();
      expect(new Set(ids).size).toBe(200);

      // cheap poll first: the agents' loads add up to 200
      await waitFor(
        async () => {
          const views = await Promise.all(agents.map(agent));
          return views.reduce((sum, a) => sum + a.openCalls, 0) === 200;
        },
        120_000,
        { description: 'the 10 agents to hold 200 calls', intervalMs: 250 },
      );
      const calls = await waitFor(
        async () => {
          const all = await pool(ids, 16, getCall);
          return all.every((c) => c.assignee) ? all : false;
        },
        120_000,
        { description: 'every call to have an assignee', intervalMs: 500 },
      );
      const lastAssignment = Math.max(...calls.map((c) => Date.parse(c.assignments.at(-1)!.at)));
      console.log(
        `[routing e2e] 200 concurrent opens: all answered after ${allOpened - firstOpen} ms; ` +
          `first open to last assignment ${lastAssignment - firstOpen} ms`,
      );

      const views = await Promise.all(agents.map(agent));
      const loads = views.map((a) => a.openCalls);
      for (const a of views) expect(a.openCalls).toBeLessThanOrEqual(a.capacity);
      expect(Math.max(...loads) - Math.min(...loads)).toBeLessThanOrEqual(1);
      expect(loads.reduce((s, n) => s + n, 0)).toBe(200);
      // each call is held by exactly the agent it names, once
      const held = views.flatMap((a) => a.openCallIds.map((callId) => [callId, a.id] as const));
      expect(held).toHaveLength(200);
      expect(new Map(held)).toEqual(new Map(calls.map((c) => [c.id, c.assignee!] as const)));

      for (const call of calls) {
        expect(call.assignments).toHaveLength(1);
        const [first] = call.assignments;
        expect(first).toMatchObject({ agentId: call.assignee, previousAgentId: null, trigger: 'OPENED', automatic: true });
        expect(first.reasons.length).toBeGreaterThan(0);
        expect(first.reasons).toContain(`category:${category}@3`);
        expect(agents).toContain(first.agentId);
        expect(call.queuedAt).toBeNull();
      }

      // the manager's figures say the same (this test runs first on a fresh product: these are all the agents)
      const load = (await manager.ok<{ agentLoad: { agents: { agentId: string; openCalls: number; capacity: number; loadRatio: number }[]; loadSpread: number; openCallsSpread: number; agentsAtWork: number } }>(LOAD)).agentLoad;
      const ours = load.agents.filter((a) => agents.includes(a.agentId));
      expect(ours).toHaveLength(10);
      for (const entry of ours) {
        expect(entry.openCalls).toBe(views.find((v) => v.id === entry.agentId)!.openCalls);
        expect(entry.loadRatio).toBeCloseTo(entry.openCalls / 30, 6);
      }
      const ratios = ours.map((a) => a.loadRatio);
      expect(load.agentsAtWork).toBe(10);
      expect(load.openCallsSpread).toBe(Math.max(...loads) - Math.min(...loads));
      expect(load.loadSpread).toBeCloseTo(Math.max(...ratios) - Math.min(...ratios), 6);
      expect(load.loadSpread).toBeLessThanOrEqual(1 / 30 + 1e-9);
    }),
  );

  it(
    'an absence moves the call to the named replacement; new calls go to the replacement until the absence is cancelled',
    e2e(async () => {
      const category = 'routing-e2e-absence';
      const [a, b] = ['e2e-abs-anna', 'e2e-abs-ben'];
      await register(a, category, 5, 5);
      await register(b, category, 1, 5);

      const first = await open(category);
      const toA = await heldBy(first, a);
      expect(toA.assignments).toHaveLength(1);
      expect(toA.assignments[0]).toMatchObject({ agentId: a, trigger: 'OPENED', automatic: true, runnerUp: { agentId: b } });
      expect(toA.assignments[0].reasons).toContain('decided-by:skill');
      expect((await agent(a)).openCallIds).toEqual([first]);

      const from = new Date().toISOString();
      const to = new Date(Date.now() + 2 * 3600_000).toISOString();
      const scheduled = (await manager.ok<{ scheduleAbsence: { currentAbsence: { id: string } | null; absences: { id: string }[] } }>(SCHEDULE, {
        input: { agentId: a, from, to, reason: 'sick leave', replacementAgentId: b },
      })).scheduleAbsence;
      const absenceId = scheduled.absences[0].id;

      const moved = await heldBy(first, b);
      expect(moved.assignments).toHaveLength(2);
      expect(moved.assignments[1]).toMatchObject({ agentId: b, trigger: 'ASSIGNEE_ABSENT', automatic: true });
      expect(moved.assignments[1].reasons).toContain(`preferred:${b}`);
      // who lost the call is on the CallUnassigned event (nobody held it in between, so the new assignment names no previous agent)
      const unassigned = moved.history.filter((e) => e.type === 'CallUnassigned').map((e) => JSON.parse(e.data) as unknown);
      expect(unassigned).toEqual([expect.objectContaining({ agentId: a, trigger: 'ASSIGNEE_ABSENT', preferredAgentId: b })]);
      expect((await agentCalls(a, 0)).openCallIds).toEqual([]);
      expect((await agent(b)).openCallIds).toEqual([first]);

      // while A is away a new call goes to B, although A has more skill and no load
      const second = await open(category);
      const secondCall = await heldBy(second, b);
      expect(secondCall.assignments.map((x) => x.agentId)).toEqual([b]);
      await sleep(1_000);
      expect((await getCall(first)).assignee).toBe(b);
      expect((await agent(a)).openCalls).toBe(0);

      // back from the absence: the next call goes to A again (lower load and higher skill)
      expect((await manager.ok<{ cancelAbsence: { currentAbsence: unknown } }>(CANCEL, { agentId: a, absenceId })).cancelAbsence.currentAbsence).toBeNull();
      const third = await open(category);
      const thirdCall = await heldBy(third, a);
      expect(thirdCall.assignments).toHaveLength(1);
      expect(thirdCall.assignments[0]).toMatchObject({ agentId: a, trigger: 'OPENED', automatic: true });
      // the calls B got stay with B
      expect((await agent(b)).openCallIds.sort()).toEqual([first, second].sort());
      expect((await agent(a)).openCallIds).toEqual([third]);
    }),
  );

  it(
    'rerouteServiceCall: the call leaves its agent, who is left out of that round, and goes to the other one',
    e2e(async () => {
      const category = 'routing-e2e-reroute';
      const [best, other] = ['e2e-rr-best', 'e2e-rr-other'];
      await register(best, category, 5, 3);
      await register(other, category, 2, 3);

      const id = await open(category);
      await heldBy(id, best);
      await manager.ok(REROUTE, { callId: id, reason: 'the customer asked for someone else' });
      const rerouted = await heldBy(id, other);
      expect(rerouted.assignments).toHaveLength(2);
      expect(rerouted.assignments[1]).toMatchObject({ agentId: other, trigger: 'REROUTE', automatic: true });
      expect(rerouted.assignments[1].reasons.length).toBeGreaterThan(0);
      // "best" was excluded, so there was nobody else to be runner-up
      expect(rerouted.assignments[1].runnerUp).toBeNull();
      const unassigned = rerouted.history.filter((e) => e.type === 'CallUnassigned').map((e) => JSON.parse(e.data) as unknown);
      expect(unassigned).toEqual([expect.objectContaining({ agentId: best, trigger: 'REROUTE', reason: 'the customer asked for someone else' })]);
      await agentCalls(best, 0);
      expect((await agent(other)).openCallIds).toEqual([id]);
      // and it stays there
      await sleep(1_000);
      expect((await getCall(id)).assignee).toBe(other);
    }),
  );

  it(
    'an agent set OFFLINE loses their call to another eligible agent and gets nothing afterwards',
    e2e(async () => {
      const category = 'routing-e2e-offline';
      const [w1, w2] = ['e2e-off-willa', 'e2e-off-wim'];
      await register(w1, category, 5, 5);
      await register(w2, category, 2, 5);

      const id = await open(category);
      await heldBy(id, w1);
      await manager.ok(AVAILABILITY, { agentId: w1, a: 'OFFLINE' });
      const moved = await heldBy(id, w2);
      expect(moved.assignments.at(-1)).toMatchObject({ agentId: w2, trigger: 'ASSIGNEE_OFFLINE', automatic: true });
      const unassigned = moved.history.filter((e) => e.type === 'CallUnassigned').map((e) => JSON.parse(e.data) as unknown);
      expect(unassigned).toEqual([expect.objectContaining({ agentId: w1, trigger: 'ASSIGNEE_OFFLINE' })]);
      await agentCalls(w1, 0);

      // new calls go to w2 although w1 has more skill and no load
      const later = await Promise.all([open(category), open(category)]);
      for (const callId of later) await heldBy(callId, w2);
      await sleep(1_500);
      for (const callId of [id, ...later]) {
        const call = await getCall(callId);
        expect(call.assignee).toBe(w2);
        expect(call.assignments.filter((x) => x.agentId === w1 && Date.parse(x.at) >= Date.parse(moved.assignments.at(-1)!.at))).toEqual([]);
      }
      expect((await agent(w1)).openCalls).toBe(0);
      expect((await agent(w2)).openCallIds.sort()).toEqual([id, ...later].sort());
    }),
  );

  it(
    'the queue is served in order: a freed agent takes the oldest waiting call, the next one keeps waiting',
    e2e(async () => {
      const category = 'routing-e2e-queue';
      const only = 'e2e-q-solo';
      await register(only, category, 3, 1);

      const q1 = await open(category);
      await heldBy(q1, only);
      const q2 = await open(category);
      const q2Queued = await queued(q2);
      const q3 = await open(category);
      const q3Queued = await queued(q3);
      expect(q2Queued.assignee).toBeNull();
      expect(q2Queued.queueReasons).toEqual(expect.arrayContaining(['no-eligible-agent', 'capacity:1']));
      expect(q3Queued.assignee).toBeNull();

      const waiting = (await manager.ok<{ routingQueue: { callId: string }[] }>(QUEUE)).routingQueue.map((w) => w.callId).filter((c) => [q2, q3].includes(c));
      expect(waiting).toEqual([q2, q3]);

      // the call must have started for the resolution to make sense; q1 having an agent means it has
      await waitFor(async () => (await getCall(q1)).phases[0].status === 'ACTIVE', 30_000, { description: 'q1 started' });
      const resolved = (await manager.ok<{ resolveServiceCall: { status: string } }>(RESOLVE, { input: { callId: q1, agreedSolution: 'Credit note sent', implemented: true } })).resolveServiceCall;
      expect(resolved.status).toBe('RESOLVED');

      const served = await heldBy(q2, only);
      expect(served.assignments).toHaveLength(1);
      expect(served.assignments[0]).toMatchObject({ agentId: only, trigger: 'QUEUE', automatic: true });
      expect(served.queuedAt).toBeNull();
      await sleep(1_000);
      const still = await getCall(q3);
      expect({ assignee: still.assignee, queued: !!still.queuedAt }).toEqual({ assignee: null, queued: true });
      const after = (await manager.ok<{ routingQueue: { callId: string }[] }>(QUEUE)).routingQueue.map((w) => w.callId);
      expect(after).toContain(q3);
      expect(after).not.toContain(q2);
      expect((await agent(only)).openCallIds).toEqual([q2]);
    }),
  );
  it(
    'an agent works the steps assigned to them: another agent is refused (FORBIDDEN, nothing appended), a manager may',
    e2e(async () => {
      const category = 'routing-steps';
      await register('steps-ida', category, 5, 5);
      await register('steps-jan', category, 1, 5);
      const callId = await open(category);
      await heldBy(callId, 'steps-ida');
      const ida = new GraphQLClient(stack!.graphqlUrl, 'key-steps-ida');
      const jan = new GraphQLClient(stack!.graphqlUrl, 'key-steps-jan');
      const START = 'mutation ($callId: ID!, $stepKey: String!) { startStep(callId: $callId, stepKey: $stepKey) { version phases { steps { key status assignee } } } }';
      await waitFor(async () => (await getCall(callId)).phases[0].status === 'ACTIVE', 30_000, { description: 'intake started' });
      const before = (await getCall(callId)).version;

      const refused = await jan.request(START, { callId, stepKey: 'record-complaint' });
      expect(refused.errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN', field: 'stepKey' });
      expect(refused.errors?.[0]?.message).toMatch(/assigned to agent steps-ida/);
      expect((await getCall(callId)).version).toBe(before);

      const started = await ida.request<{ startStep: { phases: { steps: { key: string; status: string; assignee: string }[] }[] } }>(START, { callId, stepKey: 'record-complaint' });
      expect(started.errors).toBeUndefined();
      const step = started.data!.startStep.phases.flatMap((p) => p.steps).find((s) => s.key === 'record-complaint');
      expect(step).toMatchObject({ status: 'IN_PROGRESS', assignee: 'steps-ida' });
      // managers (and integrators) work any step
      const COMPLETE = 'mutation ($input: CompleteStepInput!) { completeStep(input: $input) { id } }';
      await manager.ok(COMPLETE, { input: { callId, stepKey: 'record-complaint', outcome: 'taken over by the manager' } });
    }),
  );
});
