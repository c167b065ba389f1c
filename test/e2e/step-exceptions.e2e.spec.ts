/**
 * Exceptions in a process and the interaction log, over HTTP against the product as `npm start` runs it:
 * skipStep (managers), failStep holding the phase until retryStep or skipStep, and addNote.
 */
import { DEV_KEYS, GraphQLClient, waitFor } from '../support/graphql-client';
import { CALL_FIELDS, CallView, completeStep, dataOf, openCall, startStep, waitForWork } from '../support/service-calls';
import { Stack, withStackLogs } from '../support/stack';

jest.setTimeout(120_000);

const EXCEPTION_FIELDS = `${CALL_FIELDS} phases { key steps { key status attempt outcome failedAt skippedAt } }
  notes { id kind text author at } history { type version at data }`;
type StepDetail = { key: string; status: string; attempt: number; outcome: string | null; failedAt: string | null; skippedAt: string | null };
type NoteView = { id: string; kind: string; text: string; author: string; at: string };
type DetailedCall = Omit<CallView, 'phases' | 'history'> & {
  notes: NoteView[];
  history: NonNullable<CallView['history']>;
  phases: (Omit<CallView['phases'][number], 'steps'> & { steps: StepDetail[] })[];
};

const SKIP = `mutation Skip($callId: ID!, $stepKey: String!, $reason: String!, $expectedVersion: Int, $idempotencyKey: String) {
  skipStep(callId: $callId, stepKey: $stepKey, reason: $reason, expectedVersion: $expectedVersion, idempotencyKey: $idempotencyKey) { ${EXCEPTION_FIELDS} } }`;
const FAIL = `mutation Fail($callId: ID!, $stepKey: String!, $reason: String!, $expectedVersion: Int, $idempotencyKey: String) {
  failStep(callId: $callId, stepKey: $stepKey, reason: $reason, expectedVersion: $expectedVersion, idempotencyKey: $idempotencyKey) { ${EXCEPTION_FIELDS} } }`;
const RETRY = `mutation Retry($callId: ID!, $stepKey: String!, $expectedVersion: Int, $idempotencyKey: String) {
  retryStep(callId: $callId, stepKey: $stepKey, expectedVersion: $expectedVersion, idempotencyKey: $idempotencyKey) { ${EXCEPTION_FIELDS} } }`;
const ADD_NOTE = `mutation Note($callId: ID!, $kind: NoteKind!, $text: String!, $idempotencyKey: String, $expectedVersion: Int) {
  addNote(callId: $callId, kind: $kind, text: $text, idempotencyKey: $idempotencyKey, expectedVersion: $expectedVersion) { ${EXCEPTION_FIELDS} } }`;
const DETAILED = `query Detailed($id: ID!) { serviceCall(id: $id) { ${EXCEPTION_FIELDS} } }`;

describe('skip, fail, retry and notes over HTTP (e2e)', () => {
  let stack: Stack | undefined;
  let integrator: GraphQLClient;
  let manager: GraphQLClient;
  let agent: GraphQLClient;
  const e2e = (body: () => Promise<void>) => withStackLogs(() => stack, body);

  beforeAll(async () => {
    stack = await Stack.start({ name: 'exceptions' });
    integrator = new GraphQLClient(stack.graphqlUrl, DEV_KEYS.INTEGRATOR);
    manager = integrator.as(DEV_KEYS.MANAGER);
    agent = integrator.as(DEV_KEYS.AGENT);
  }, 240_000);

  afterAll(async () => {
    await stack?.dispose();
  }, 60_000);

  const detailed = async (id: string): Promise<DetailedCall> => (await integrator.ok<{ serviceCall: DetailedCall }>(DETAILED, { id })).serviceCall;
  const step = (call: DetailedCall, key: string): StepDetail => call.phases.flatMap((p) => p.steps).find((s) => s.key === key)!;
  const untilStep = (id: string, key: string, status: string) =>
    waitFor(async () => {
      const call = await detailed(id);
      return step(call, key).status === status ? call : undefined;
    }, 30_000, { description: `${key} to be ${status}` });

  /** Runs a mutation that must fail, and checks that the call did not change. */
  async function refused(client: GraphQLClient, query: string, variables: Record<string, unknown> & { callId: string }) {
    const before = await detailed(variables.callId);
    const result = await client.request(query, variables);
    expect(result.data).toBeNull();
    expect(result.errors).toHaveLength(1);
    expect(result.body).not.toMatch(/\bat .+\.(js|ts):\d+/); // no stack trace
    const after = await detailed(variables.callId);
    expect(after.version).toBe(before.version);
    return result.errors![0];
  }

  it(
    'a manager skips a READY step: it counts as done, dependents become READY, and the history says who and why',
    e2e(async () => {
      const call = await openCall(integrator);
      await waitForWork(integrator, call.id);
      for (const client of [integrator, agent]) {
        const error = await refused(client, SKIP, { callId: call.id, stepKey: 'record-complaint', reason: 'not needed' });
        expect(error.extensions?.code).toBe('FORBIDDEN');
      }

      const skipped = (await manager.ok<{ skipStep: DetailedCall }>(SKIP, { callId: call.id, stepKey: 'record-complaint', reason: '  Recorded by the shop already  ' })).skipStep;
      expect(step(skipped, 'record-complaint')).toMatchObject({ status: 'SKIPPED', outcome: 'Recorded by the shop already', skippedAt: expect.any(String) });

      const next = await untilStep(call.id, 'confirm-understanding', 'READY');
      const event = next.history.find((e) => e.type === 'StepSkipped')!;
      expect(dataOf(event)).toMatchObject({ stepKey: 'record-complaint', phaseKey: 'intake', reason: 'Recorded by the shop already', by: 'apikey:dev-manager' });
      // skipping again changes nothing
      const again = (await manager.ok<{ skipStep: DetailedCall }>(SKIP, { callId: call.id, stepKey: 'record-complaint', reason: 'again' })).skipStep;
      expect(again.history.filter((e) => e.type === 'StepSkipped')).toHaveLength(1);
    }),
  );

  it(
    'a step skipped ahead of time, even an automated one, is done when its phase starts; the process goes on',
    e2e(async () => {
      const call = await openCall(integrator);
      await manager.ok(SKIP, { callId: call.id, stepKey: 'review-customer-history', reason: 'new customer, no history' });
      await waitForWork(integrator, call.id);
      await completeStep(agent, call.id, 'record-complaint');
      await untilStep(call.id, 'confirm-understanding', 'READY');
      await completeStep(agent, call.id, 'confirm-understanding');

      const diagnosis = await untilStep(call.id, 'inspect-problem', 'READY');
      expect(step(diagnosis, 'review-customer-history')).toMatchObject({ status: 'SKIPPED', outcome: 'new customer, no history' });
      expect(diagnosis.phases.find((p) => p.key === 'diagnosis')!.status).toBe('ACTIVE');
      // the system never ran the skipped automation
      expect(diagnosis.history.filter((e) => dataOf(e).stepKey === 'review-customer-history').map((e) => e.type)).toEqual(['StepSkipped']);
    }),
  );

  it(
    'failStep holds the phase until retryStep; the retried step is a new attempt',
    e2e(async () => {
      const call = await openCall(integrator);
      await waitForWork(integrator, call.id);
      await startStep(agent, call.id, 'record-complaint');
      const failed = (await agent.ok<{ failStep: DetailedCall }>(FAIL, { callId: call.id, stepKey: 'record-complaint', reason: 'Customer hung up' })).failStep;
      expect(step(failed, 'record-complaint')).toMatchObject({ status: 'FAILED', outcome: 'Customer hung up', attempt: 1, failedAt: expect.any(String) });

      // the phase waits: nothing after it becomes READY, however long we look
      await sleep(1_000);
      // (the start was the first response: the workflow records it as met, SlaMet, on its own)
      const held = await waitFor(async () => {
        const c = await detailed(call.id);
        return c.history.some((e) => e.type === 'SlaMet') ? c : undefined;
      }, 15_000, { description: 'the first response recorded as met' });
      // nothing but the workflow's SLA record of the first response (SlaMet) came after the failure
      expect(held.history.filter((e) => e.version > failed.version).every((e) => e.type.startsWith('Sla'))).toBe(true);
      expect(step(held, 'confirm-understanding').status).toBe('PENDING');
      expect(held.phases.map((p) => p.status)).toEqual(['ACTIVE', 'PENDING', 'PENDING']);

      const retried = (await integrator.ok<{ retryStep: DetailedCall }>(RETRY, { callId: call.id, stepKey: 'record-complaint', expectedVersion: held.version })).retryStep;
      expect(step(retried, 'record-complaint')).toMatchObject({ status: 'READY', attempt: 2, outcome: null, failedAt: null });
      await completeStep(agent, call.id, 'record-complaint', { outcome: 'called back, recorded' });
      const moved = await untilStep(call.id, 'confirm-understanding', 'READY');
      expect(step(moved, 'record-complaint')).toMatchObject({ status: 'COMPLETED', attempt: 2, outcome: 'called back, recorded' });
      expect(moved.history.map((e) => e.type)).toEqual(expect.arrayContaining(['StepFailed', 'StepRetried']));
    }),
  );

  it(
    'a FAILED step skipped by a manager lets the phase complete',
    e2e(async () => {
      const call = await openCall(integrator);
      await waitForWork(integrator, call.id);
      await completeStep(agent, call.id, 'record-complaint');
      await untilStep(call.id, 'confirm-understanding', 'READY');
      await agent.ok(FAIL, { callId: call.id, stepKey: 'confirm-understanding', reason: 'cannot reach the customer' });
      await manager.ok(SKIP, { callId: call.id, stepKey: 'confirm-understanding', reason: 'customer confirmed by e-mail' });
      const next = await waitFor(async () => {
        const c = await detailed(call.id);
        return c.phases[0].status === 'COMPLETED' && c.phases[1].status === 'ACTIVE' ? c : undefined;
      }, 30_000, { description: 'intake COMPLETED and diagnosis ACTIVE' });
      expect(step(next, 'confirm-understanding')).toMatchObject({ status: 'SKIPPED', outcome: 'customer confirmed by e-mail' });
    }),
  );

  it(
    'refuses what the process does not allow, with a stable code, and changes nothing',
    e2e(async () => {
      const call = await openCall(integrator);
      const ready = await waitForWork(integrator, call.id);
      const callId = call.id;

      let error = await refused(manager, SKIP, { callId, stepKey: 'record-complaint', reason: '   ' });
      expect(error.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'reason' });
      error = await refused(agent, FAIL, { callId, stepKey: 'record-complaint', reason: '' });
      expect(error.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'reason' });
      error = await refused(agent, FAIL, { callId, stepKey: 'confirm-understanding', reason: 'x' });
      expect(error.extensions).toMatchObject({ code: 'CONFLICT', field: 'stepKey', currentVersion: ready.version });
      expect(error.message).toMatch(/waits for record-complaint/);
      error = await refused(integrator, RETRY, { callId, stepKey: 'record-complaint' });
      expect(error.extensions).toMatchObject({ code: 'CONFLICT', field: 'stepKey', currentVersion: ready.version });
      error = await refused(manager, SKIP, { callId, stepKey: 'no-such-step', reason: 'x' });
      expect(error.extensions).toMatchObject({ code: 'NOT_FOUND', field: 'stepKey' });
      error = await refused(manager, SKIP, { callId, stepKey: 'record-complaint', reason: 'x', expectedVersion: ready.version - 1 });
      expect(error.extensions).toMatchObject({ code: 'CONFLICT', field: 'expectedVersion', currentVersion: ready.version });
      const missing = await agent.request(FAIL, { callId: 'c0000000000000000000000000', stepKey: 'record-complaint', reason: 'x' });
      expect(missing.errors?.[0]?.extensions?.code).toMatch(/NOT_FOUND|BAD_USER_INPUT/);
      // automated steps are failed by the system only: anyone else is FORBIDDEN
      await completeStep(agent, callId, 'record-complaint');
      await untilStep(callId, 'confirm-understanding', 'READY');
      await completeStep(agent, callId, 'confirm-understanding');
      const review = await waitFor(async () => {
        const c = await detailed(callId);
        return step(c, 'review-customer-history').status !== 'PENDING' ? c : undefined;
      }, 30_000, { description: 'review-customer-history to leave PENDING' });
      if (step(review, 'review-customer-history').status !== 'COMPLETED') {
        const automated = await integrator.request(FAIL, { callId, stepKey: 'review-customer-history', reason: 'x' });
        expect(automated.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      }
    }),
  );

  it(
    'addNote keeps the interaction log with author and time, in notes and in the history; a retried key adds one note',
    e2e(async () => {
      const call = await openCall(integrator);
      await waitForWork(integrator, call.id); // the workflow has done its part: only notes change the call now
      await manager.ok(ADD_NOTE, { callId: call.id, kind: 'CUSTOMER_MEETING', text: 'Met at the shop; router shown blinking red.' });
      await agent.ok(ADD_NOTE, { callId: call.id, kind: 'INTERNAL', text: 'Firmware 2.1 known to reboot nightly.', idempotencyKey: 'note-1' });
      const repeated = (await agent.ok<{ addNote: DetailedCall }>(ADD_NOTE, { callId: call.id, kind: 'INTERNAL', text: 'Firmware 2.1 known to reboot nightly.', idempotencyKey: 'note-1' })).addNote;
      const feedback = (await integrator.ok<{ addNote: DetailedCall }>(ADD_NOTE, { callId: call.id, kind: 'CUSTOMER_FEEDBACK', text: '  Happy with the quick answer.  ' })).addNote;

      expect(repeated.notes.map((n) => n.kind)).toEqual(['CUSTOMER_MEETING', 'INTERNAL']);
      expect(feedback.notes.map((n) => [n.kind, n.text, n.author])).toEqual([
        ['CUSTOMER_MEETING', 'Met at the shop; router shown blinking red.', 'apikey:dev-manager'],
        ['INTERNAL', 'Firmware 2.1 known to reboot nightly.', 'apikey:dev-agent'],
        ['CUSTOMER_FEEDBACK', 'Happy with the quick answer.', 'apikey:dev-integrator'],
      ]);
      expect(new Set(feedback.notes.map((n) => n.id)).size).toBe(3);
      for (const note of feedback.notes) expect(Date.parse(note.at)).not.toBeNaN();

      // the meeting note was the first response: the workflow records it as met (SlaMet); wait for that so the call holds still
      const read = await waitFor(async () => {
        const c = await detailed(call.id);
        return c.history.some((e) => e.type === 'SlaMet') ? c : undefined;
      }, 15_000, { description: 'the first response recorded as met' });
      expect(read.notes).toEqual(feedback.notes);
      const logged = read.history.filter((e) => e.type === 'NoteAdded').map(dataOf);
      expect(logged.map((d) => [d.kind, d.author])).toEqual([
        ['CUSTOMER_MEETING', 'apikey:dev-manager'],
        ['INTERNAL', 'apikey:dev-agent'],
        ['CUSTOMER_FEEDBACK', 'apikey:dev-integrator'],
      ]);

      let error = await refused(agent, ADD_NOTE, { callId: call.id, kind: 'INTERNAL', text: '  ' });
      expect(error.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'text' });
      error = await refused(agent, ADD_NOTE, { callId: call.id, kind: 'GOSSIP', text: 'hello' });
      expect(error.extensions?.code).toBe('BAD_USER_INPUT');
      error = await refused(agent, ADD_NOTE, { callId: call.id, kind: 'INTERNAL', text: 'late', expectedVersion: 1 });
      expect(error.extensions).toMatchObject({ code: 'CONFLICT', currentVersion: read.version });

      // customers never see notes
      const track = await integrator.as(null).request(`query { trackServiceCall(trackingCode: "${call.trackingCode}") { status phases { name status } } }`);
      expect(track.errors).toBeUndefined();
      expect(track.body).not.toMatch(/blinking|Firmware|quick answer/);
    }),
  );
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
