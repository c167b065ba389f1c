/**
 * The routing API over HTTP against the product as `npm start` runs it: a manager assigns a call over
 * routing's choice (past capacity), reroutes it, a customer on the phone asks for a callback, and the
 * manager reads the queue of waiting calls. Refusals change nothing.
 *
 * The agents here have skills for another category than the test calls', so automatic routing (the
 * call's workflow) can never pick them: whatever it does with the calls (nothing, or queue them), the
 * manager's assignments below are the only ones. Versions are polled, never assumed after an open.
 */
import { DEV_KEYS, GraphQLClient, waitFor } from '../support/graphql-client';
import { Stack, withStackLogs } from '../support/stack';

jest.setTimeout(120_000);

const CATEGORY = 'routing-api-e2e';
const agentInput = (id: string, capacity: number) => ({
  id,
  name: `Agent ${id}`,
  regions: ['*'],
  skills: [{ kind: 'CATEGORY', key: 'never-the-test-category', level: 3 }],
  languages: ['de'],
  roles: ['agent'],
  capacity,
});

const CALL_FIELDS =
  'id version status assignee language queuedAt queueReasons ' +
  'assignments { agentId previousAgentId trigger automatic reasons runnerUp { agentId reasons } reason by at } ' +
  'callback { phone windowFrom windowTo requestedAt stepKey agentId } phases { key status steps { key status assignee } } history { type data }';
type Call = {
  id: string;
  version: number;
  status: string;
  assignee: string | null;
  language: string | null;
  queuedAt: string | null;
  queueReasons: string[] | null;
  assignments: { agentId: string; previousAgentId: string | null; trigger: string; automatic: boolean; reasons: string[]; reason: string | null; by: string }[];
  callback: { phone: string; windowFrom: string; windowTo: string; requestedAt: string; stepKey: string | null; agentId: string | null } | null;
  phases: { key: string; status: string; steps: { key: string; status: string; assignee: string | null }[] }[];
  history: { type: string; data: string }[];
};

const REGISTER = 'mutation ($input: RegisterAgentInput!) { registerAgent(input: $input) { id } }';
const AVAILABILITY = 'mutation ($agentId: ID!, $a: AgentAvailability!) { setAgentAvailability(agentId: $agentId, availability: $a) { id availability } }';
const OPEN = `mutation ($input: OpenServiceCallInput!) { openServiceCall(input: $input) { ${CALL_FIELDS} } }`;
const CALL = `query ($id: ID!) { serviceCall(id: $id) { ${CALL_FIELDS} } }`;
const ASSIGN = `mutation ($callId: ID!, $agentId: ID!, $reason: String, $key: String, $v: Int) { assignServiceCall(callId: $callId, agentId: $agentId, reason: $reason, idempotencyKey: $key, expectedVersion: $v) { ${CALL_FIELDS} } }`;
const REROUTE = `mutation ($callId: ID!, $reason: String!) { rerouteServiceCall(callId: $callId, reason: $reason) { ${CALL_FIELDS} } }`;
const CALLBACK = `mutation ($callId: ID!, $phone: String!, $from: DateTime!, $to: DateTime!) { requestCallback(callId: $callId, phone: $phone, windowFrom: $from, windowTo: $to) { ${CALL_FIELDS} } }`;
const LOAD = 'query ($id: ID!) { agent(id: $id) { openCalls openCallIds } }';
const QUEUE = 'query ($first: Int) { routingQueue(first: $first) { callId trackingCode dueAt receivedAt queuedAt reasons category language callback { phone windowFrom windowTo } version } }';

describe('routing API over HTTP (e2e)', () => {
  let stack: Stack | undefined;
  let manager: GraphQLClient;
  let seq = 0;
  const e2e = (body: () => Promise<void>) => withStackLogs(() => stack, body);

  beforeAll(async () => {
    stack = await Stack.start({ name: 'call-routing-api' });
    manager = new GraphQLClient(stack.graphqlUrl, DEV_KEYS.MANAGER);
    for (const [id, capacity] of [
      ['e2e-route-anna', 1],
      ['e2e-route-ben', 2],
      ['e2e-route-carl', 2],
    ] as const) {
      await manager.ok(REGISTER, { input: agentInput(id, capacity) });
    }
  }, 240_000);

  afterAll(async () => {
    await stack?.dispose();
  }, 60_000);

  const open = async (channel = 'PHONE'): Promise<Call> => {
    const n = ++seq;
    const input = { channel, category: CATEGORY, language: 'de', summary: `routing call ${n}`, customer: { name: `Customer ${n}`, email: `c${n}@example.com` } };
    return (await manager.ok<{ openServiceCall: Call }>(OPEN, { input })).openServiceCall;
  };
  const getCall = async (id: string): Promise<Call> => (await manager.ok<{ serviceCall: Call }>(CALL, { id })).serviceCall;
  const load = async (id: string) => (await manager.ok<{ agent: { openCalls: number; openCallIds: string[] } }>(LOAD, { id })).agent;
  /** the workflow has started the call's first phase (its own events have landed) */
  const started = (id: string) => waitFor(async () => ((await getCall(id)).phases[0].status === 'ACTIVE' ? getCall(id) : false), 30_000, { description: `call ${id} started` });
  const assign = async (callId: string, agentId: string, reason?: string, key?: string) =>
    (await manager.ok<{ assignServiceCall: Call }>(ASSIGN, { callId, agentId, reason, key })).assignServiceCall;

  it(
    'a manager assigns over capacity, with the reason in assignments and history; reassigning releases the previous agent',
    e2e(async () => {
      const a = await open();
      const b = await open();
      expect(a.language).toBe('de');
      await started(a.id);

      const first = await assign(a.id, 'e2e-route-anna', 'knows the customer');
      expect(first.assignee).toBe('e2e-route-anna');
      expect(first.queuedAt).toBeNull();
      expect(first.assignments.at(-1)).toMatchObject({
        agentId: 'e2e-route-anna',
        previousAgentId: null,
        trigger: 'MANUAL',
        automatic: false,
        reasons: [],
        reason: 'knows the customer',
        by: 'apikey:dev-manager',
      });
      // open human steps go to her (she holds the "agent" role of the standard complaint's intake steps)
      expect(first.phases[0].steps.find((s) => s.key === 'record-complaint')!.assignee).toBe('e2e-route-anna');
      expect(JSON.parse(first.history.find((e) => e.type === 'CallAssigned')!.data)).toMatchObject({ agentId: 'e2e-route-anna', reason: 'knows the customer', automatic: false });
      expect(await load('e2e-route-anna')).toEqual({ openCalls: 1, openCallIds: [a.id] });

      // her capacity is 1: a manager may still give her a second call
      expect((await assign(b.id, 'e2e-route-anna')).assignee).toBe('e2e-route-anna');
      expect((await load('e2e-route-anna')).openCalls).toBe(2);

      // the same key again changes nothing, on the call or on the agent
      const keyed = await assign(a.id, 'e2e-route-ben', 'anna is overloaded', 'move-a-to-ben');
      const repeated = await assign(a.id, 'e2e-route-ben', 'anna is overloaded', 'move-a-to-ben');
      expect(repeated.version).toBe(keyed.version);
      expect(keyed.assignments.at(-1)).toMatchObject({ agentId: 'e2e-route-ben', previousAgentId: 'e2e-route-anna', reason: 'anna is overloaded' });
      expect(await load('e2e-route-anna')).toEqual({ openCalls: 1, openCallIds: [b.id] });
      expect(await load('e2e-route-ben')).toEqual({ openCalls: 1, openCallIds: [a.id] });
      const again = await getCall(a.id);
      expect(again.assignee).toBe('e2e-route-ben');
      expect(again.history.filter((e) => e.type === 'CallAssigned')).toHaveLength(2);
    }),
  );

  it(
    'an OFFLINE or unknown agent is refused and nothing is appended',
    e2e(async () => {
      await manager.ok(AVAILABILITY, { agentId: 'e2e-route-carl', a: 'OFFLINE' });
      const call = await started((await open()).id);
      const offline = await manager.request(ASSIGN, { callId: call.id, agentId: 'e2e-route-carl' });
      expect(offline.errors?.[0]?.extensions?.code).toBe('CONFLICT');
      const unknown = await manager.request(ASSIGN, { callId: call.id, agentId: 'e2e-nobody' });
      expect(unknown.errors?.[0]?.extensions).toMatchObject({ code: 'NOT_FOUND', field: 'agentId' });
      const missingCall = await manager.request(ASSIGN, { callId: 'no-such-call', agentId: 'e2e-route-ben' });
      expect(missingCall.errors?.[0]?.extensions).toMatchObject({ code: 'NOT_FOUND', field: 'callId' });
      // refused by the call after the agent took it (a stale version): the agent is released again, no capacity leaks
      const stale = await manager.request(ASSIGN, { callId: call.id, agentId: 'e2e-route-ben', v: 1 });
      expect(stale.errors?.[0]?.extensions).toMatchObject({ code: 'CONFLICT', field: 'expectedVersion' });
      for (const key of [DEV_KEYS.INTEGRATOR, DEV_KEYS.AGENT]) {
        expect((await manager.as(key).request(ASSIGN, { callId: call.id, agentId: 'e2e-route-ben' })).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      }
      const after = await getCall(call.id);
      expect(after.assignee).toBeNull();
      expect(after.history.some((e) => e.type === 'CallAssigned')).toBe(false);
      expect((await load('e2e-route-carl')).openCalls).toBe(0);
      expect((await load('e2e-route-ben')).openCallIds).not.toContain(call.id);
      await manager.ok(AVAILABILITY, { agentId: 'e2e-route-carl', a: 'AVAILABLE' });
    }),
  );

  it(
    'rerouting: refused for a call without an agent; an assigned call loses its agent, who is released',
    e2e(async () => {
      const call = await started((await open()).id);
      const refused = await manager.request(REROUTE, { callId: call.id, reason: 'wrong team' });
      expect(refused.errors?.[0]?.extensions?.code).toBe('CONFLICT');
      expect(refused.errors?.[0]?.message).toMatch(/waits for an agent/);

      await assign(call.id, 'e2e-route-carl');
      expect((await load('e2e-route-carl')).openCallIds).toContain(call.id);
      const rerouted = (await manager.ok<{ rerouteServiceCall: Call }>(REROUTE, { callId: call.id, reason: 'the customer asked for someone else' })).rerouteServiceCall;
      expect(rerouted.history.some((e) => e.type === 'CallUnassigned' && (JSON.parse(e.data) as { agentId?: string }).agentId === 'e2e-route-carl')).toBe(true);
      expect((await load('e2e-route-carl')).openCallIds).not.toContain(call.id);
      // routing then runs again, never picking carl (and nobody here is eligible for this category)
      const settled = await getCall(call.id);
      expect(settled.assignee).not.toBe('e2e-route-carl');
    }),
  );

  it(
    'a customer on the phone asks for a callback; the agent who takes the call gets the "call back" step; other channels and bad windows are refused',
    e2e(async () => {
      const email = await open('EMAIL');
      const from = new Date(Date.now() + 60_000).toISOString();
      const to = new Date(Date.now() + 3 * 3600_000).toISOString();
      const onEmail = await manager.request(CALLBACK, { callId: email.id, phone: '+49 30 1234567', from, to });
      expect(onEmail.errors?.[0]?.extensions?.code).toBe('CONFLICT');
      const phone = await started((await open('PHONE')).id);
      const backwards = await manager.request(CALLBACK, { callId: phone.id, phone: '+49 30 1234567', from: to, to: from });
      expect(backwards.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'windowTo' });
      expect((await getCall(phone.id)).callback).toBeNull();

      const agentKey = manager.as(DEV_KEYS.AGENT);
      const requested = (await agentKey.ok<{ requestCallback: Call }>(CALLBACK, { callId: phone.id, phone: '+49 30 1234567', from, to })).requestCallback;
      expect(requested.callback).toMatchObject({ phone: '+49 30 1234567', windowFrom: from, windowTo: to, stepKey: null, agentId: null });

      const assigned = await assign(phone.id, 'e2e-route-ben');
      expect(assigned.callback).toMatchObject({ stepKey: 'call-back', agentId: 'e2e-route-ben' });
      expect(assigned.phases[0].steps.find((s) => s.key === 'call-back')).toEqual({ key: 'call-back', status: 'READY', assignee: 'e2e-route-ben' });
      // once the call has an agent, a callback is no longer asked for
      expect((await manager.request(CALLBACK, { callId: phone.id, phone: '+49 30 1234567', from, to })).errors?.[0]?.extensions?.code).toBe('CONFLICT');
    }),
  );

  it(
    'routingQueue is for managers; it lists waiting calls in serving order, never one with an agent',
    e2e(async () => {
      for (const key of [DEV_KEYS.AGENT, DEV_KEYS.INTEGRATOR]) {
        expect((await manager.as(key).request(QUEUE, {})).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      }
      expect((await manager.request(QUEUE, { first: 0 })).errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'first' });
      const queue = (await manager.ok<{ routingQueue: { callId: string; dueAt: string | null; receivedAt: string; queuedAt: string; category: string }[] }>(QUEUE, {})).routingQueue;
      // whether the product queued these calls depends on automatic routing; what is listed waits and is in order
      for (const w of queue) expect((await getCall(w.callId)).assignee).toBeNull();
      const keys = queue.map((w) => [w.dueAt ?? '~', w.receivedAt, w.queuedAt, w.callId].join('|'));
      expect(keys).toEqual([...keys].sort());
    }),
  );
});
