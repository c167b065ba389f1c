/**
 * A standard-complaint call driven over HTTP like an integrator would, against the product started
 * the way `npm start` starts it: open -> every phase in order -> RESOLVED, with the history, paging,
 * idempotent opens, read-your-writes and the public tracking view along the way.
 */
import { DEV_KEYS, GraphQLClient, waitFor } from '../support/graphql-client';
import {
  ALL_STEPS,
  CallEventView,
  CallView,
  callInput,
  completeStep,
  countEvents,
  dataOf,
  getCall,
  HUMAN_STEPS,
  LIST_CALLS,
  listAllCalls,
  OPEN_CALL,
  openCall,
  PhaseStatus,
  readyHumanSteps,
  STANDARD_COMPLAINT,
  startStep,
  stepOf,
  stepsOf,
  waitForWork,
} from '../support/service-calls';
import { Stack, withStackLogs } from '../support/stack';

jest.setTimeout(120_000);

const CORE_EVENT_TYPES = ['ServiceCallOpened', 'PhaseStarted', 'StepReady', 'StepStarted', 'StepCompleted', 'PhaseCompleted', 'ServiceCallResolved'];
const PARALLEL = ['carry-out-solution', 'offer-compensation'];

describe('service call lifecycle over HTTP (e2e)', () => {
  let stack: Stack | undefined;
  let client: GraphQLClient;
  const e2e = (body: () => Promise<void>) => withStackLogs(() => stack, body);

  beforeAll(async () => {
    stack = await Stack.start({ name: 'lifecycle' });
    client = new GraphQLClient(stack.graphqlUrl, DEV_KEYS.INTEGRATOR);
  }, 240_000);

  afterAll(async () => {
    await stack?.dispose();
  }, 60_000);

  it(
    'GET /health answers 200 with every check ok, and names the replica\'s part and how far its projector is behind',
    e2e(async () => {
      const response = await fetch(`${stack!.baseUrl}/health`);
      expect(response.status).toBe(200);
      const body = (await response.json()) as { projector: { position: number; head: number; behind: number } };
      expect(body).toMatchObject({ status: 'ok', checks: { eventStore: 'ok', readModels: 'ok', temporal: 'ok' }, replica: 'api', leads: [], waitingFor: [] });
      expect(body.projector.behind).toBe(Math.max(0, body.projector.head - body.projector.position));
      expect(body.projector.head).toBeGreaterThanOrEqual(0);
    }),
  );

  it(
    'drives a standard-complaint call from openServiceCall to RESOLVED',
    e2e(async () => {
      // the same customer called before: the automated review of their history must find that call
      const earlier = await openCall(client);
      const opened = await openCall(client, callInput({ priority: 'HIGH', channel: 'WHATSAPP', customer: earlier.customer }));
      expect(opened).toMatchObject({ version: 1, status: 'OPEN', priority: 'HIGH', channel: 'WHATSAPP', processKey: 'standard-complaint', progress: 0 });
      expect(opened.trackingCode).toMatch(/^[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$/);
      expect(opened.phases.map((p) => [p.key, p.order, p.status])).toEqual(STANDARD_COMPLAINT.phases.map((key, i) => [key, i, 'PENDING']));
      expect(opened.phases.map((p) => p.steps.map((s) => s.key))).toEqual(STANDARD_COMPLAINT.phases.map((p) => STANDARD_COMPLAINT.steps[p]));
      expect(stepsOf(opened).every((s) => s.status === 'PENDING')).toBe(true);

      const id = opened.id;
      const timeline = new Map<string, PhaseStatus[]>();
      let progress = 0;
      const observe = (call: CallView) => {
        expect(call.id).toBe(id);
        expect(call.progress).toBeGreaterThanOrEqual(progress);
        progress = call.progress;
        for (const phase of call.phases) {
          const seen = timeline.get(phase.key) ?? [];
          if (seen[seen.length - 1] !== phase.status) timeline.set(phase.key, [...seen, phase.status]);
        }
        // phases run one after another: never two ACTIVE, and everything before the ACTIVE one is COMPLETED
        const statuses = call.phases.map((p) => p.status);
        expect(statuses.filter((s) => s === 'ACTIVE').length).toBeLessThanOrEqual(1);
        const firstOpen = statuses.findIndex((s) => s !== 'COMPLETED');
        if (firstOpen >= 0) expect(statuses.slice(firstOpen + 1).every((s) => s === 'PENDING')).toBe(true);
      };
      observe(opened);

      let sawParallelReady = false;
      const deadline = Date.now() + 90_000;
      for (;;) {
        if (Date.now() > deadline) throw new Error(`call ${id} did not resolve in time; phases: ${JSON.stringify(timeline)}`);
        const call = await getCall(client, id);
        observe(call);
        if (call.status === 'RESOLVED') break;

        const parallel = PARALLEL.map((key) => stepOf(call, key).status);
        if (parallel.every((s) => s === 'READY')) sawParallelReady = true;
        // the two parallel steps are made READY together; wait until the read model shows both
        const work = readyHumanSteps(call).filter((s) => !PARALLEL.includes(s.key) || sawParallelReady);
        if (work.length === 0) {
          await sleep(25);
          continue;
        }
        for (const step of work) {
          let version = call.version;
          if (step.status === 'READY') {
            const started = await startStep(client, id, step.key);
            expect(stepOf(started, step.key).status).toBe('IN_PROGRESS');
            expect(started.version).toBeGreaterThan(version);
            version = started.version;
            const read = await getCall(client, id); // read-your-writes
            expect(read.version).toBeGreaterThanOrEqual(started.version);
            expect(stepOf(read, step.key).status).toBe('IN_PROGRESS');
            observe(read);
          }
          const completed = await completeStep(client, id, step.key, { outcome: `done: ${step.key}` });
          expect(stepOf(completed, step.key)).toMatchObject({ status: 'COMPLETED', outcome: `done: ${step.key}` });
          expect(completed.version).toBeGreaterThan(version);
          const read = await getCall(client, id); // read-your-writes
          expect(read.version).toBeGreaterThanOrEqual(completed.version);
          expect(stepOf(read, step.key).status).toBe('COMPLETED');
          observe(read);
        }
      }

      expect(sawParallelReady).toBe(true);
      for (const phase of STANDARD_COMPLAINT.phases) expect([phase, timeline.get(phase)]).toEqual([phase, ['PENDING', 'ACTIVE', 'COMPLETED']]);

      const resolved = await getCall(client, id, true);
      expect(resolved.status).toBe('RESOLVED');
      expect(resolved.resolvedAt).toEqual(expect.any(String));
      expect(resolved.progress).toBe(1);
      for (const phase of resolved.phases) {
        expect(phase).toMatchObject({ status: 'COMPLETED', progress: 1 });
        expect(phase.startedAt! <= phase.completedAt!).toBe(true);
      }
      for (const step of stepsOf(resolved)) expect([step.key, step.status]).toEqual([step.key, 'COMPLETED']);

      // the automated step was done by the system, with the customer's history as its outcome
      const review = stepOf(resolved, 'review-customer-history');
      expect(review.automated).toBe(true);
      expect(review.outcome).toMatch(/^1 earlier call\b/);
      expect(review.outcome).toContain(earlier.summary);
      expect(HUMAN_STEPS.every((key) => stepOf(resolved, key).outcome === `done: ${key}`)).toBe(true);

      assertCompleteHistory(resolved);
    }),
  );

  it(
    'startStep moves a READY step to IN_PROGRESS, and a query right after each mutation sees at least its version',
    e2e(async () => {
      const opened = await openCall(client);
      // read-your-writes for the open itself: the very next query finds the call
      const first = await getCall(client, opened.id);
      expect(first.version).toBeGreaterThanOrEqual(opened.version);

      const ready = await waitForWork(client, opened.id);
      expect(stepOf(ready, 'record-complaint').status).toBe('READY');
      expect(ready.status).toBe('OPEN');
      const started = await startStep(client, opened.id, 'record-complaint', { expectedVersion: ready.version });
      expect(started.version).toBe(ready.version + 1);
      expect(started.status).toBe('IN_PROGRESS');
      expect(stepOf(started, 'record-complaint')).toMatchObject({ status: 'IN_PROGRESS', startedAt: expect.any(String) });
      const read = await getCall(client, opened.id, true);
      expect(read.version).toBeGreaterThanOrEqual(started.version);
      expect(stepOf(read, 'record-complaint').status).toBe('IN_PROGRESS');
      const last = read.history!.find((e) => e.version === started.version)!;
      expect(last.type).toBe('StepStarted');
      expect(dataOf(last)).toMatchObject({ stepKey: 'record-complaint', phaseKey: 'intake' });

      // the first human action meets the first-response target: the workflow records that (SlaMet) on its own
      const settled = await waitFor(
        async () => {
          const call = await getCall(client, opened.id, true);
          return call.history!.some((e) => e.type === 'SlaMet') ? call : undefined;
        },
        15_000,
        { description: 'the first response recorded as met' },
      );
      // an AGENT works steps too
      const done = await completeStep(client.as(DEV_KEYS.AGENT), opened.id, 'record-complaint', { expectedVersion: settled.version });
      expect(done.version).toBe(settled.version + 1);
      expect((await getCall(client, opened.id)).version).toBeGreaterThanOrEqual(done.version);
    }),
  );

  it(
    'openServiceCall with an idempotencyKey returns the same call and appends nothing',
    e2e(async () => {
      const key = `e2e-idem-${Date.now()}`;
      const input = { ...callInput(), idempotencyKey: key };
      const first = await openCall(client, input);
      // let the workflow settle (record-complaint READY) so the version only moves if the retry appends
      const settled = await waitForWork(client, first.id);
      const before = await getCall(client, first.id, true);
      expect(before.version).toBe(settled.version);
      const totalBefore = (await listAllCalls(client)).length;

      const again = await openCall(client, input);
      expect(again.id).toBe(first.id);
      expect(again.trackingCode).toBe(first.trackingCode);
      // the same key with different content is still a retry of the first open
      const changed = await openCall(client, { ...input, summary: 'a different summary', customer: { name: 'Someone Else' } });
      expect(changed.id).toBe(first.id);
      expect(changed.summary).toBe(first.summary);
      // concurrent retries, too
      const concurrent = await Promise.all(Array.from({ length: 5 }, () => openCall(client, input)));
      expect(new Set(concurrent.map((c) => c.id))).toEqual(new Set([first.id]));

      await sleep(300);
      const after = await getCall(client, first.id, true);
      expect(after.version).toBe(before.version);
      expect(after.history).toHaveLength(before.history!.length);
      expect(after.history!.filter((e) => e.type === 'ServiceCallOpened')).toHaveLength(1);
      expect((await listAllCalls(client)).length).toBe(totalBefore);
    }),
  );

  it(
    'pages serviceCalls with first/after, newest first, without duplicates, and filters by status',
    e2e(async () => {
      for (let i = 0; i < 7; i++) await openCall(client);
      const everything = await listAllCalls(client, undefined, 200);
      expect(everything.length).toBeGreaterThanOrEqual(7);
      expect(new Set(everything.map((c) => c.id)).size).toBe(everything.length);

      type Page = { nodes: { id: string; status: string }[]; endCursor: string | null; hasNextPage: boolean };
      const paged: string[] = [];
      let after: string | undefined;
      let pages = 0;
      for (;;) {
        const page = (await client.ok<{ serviceCalls: Page }>(LIST_CALLS, { first: 3, after })).serviceCalls;
        pages++;
        expect(page.nodes.length).toBeLessThanOrEqual(3);
        paged.push(...page.nodes.map((n) => n.id));
        if (!page.hasNextPage) {
          break;
        }
        expect(page.nodes).toHaveLength(3);
        expect(page.endCursor).toEqual(expect.any(String));
        after = page.endCursor!;
        expect(pages).toBeLessThan(100);
      }
      expect(pages).toBe(Math.max(1, Math.ceil(everything.length / 3)));
      expect(new Set(paged).size).toBe(paged.length); // no duplicates across pages
      expect(paged).toEqual(everything.map((c) => c.id)); // same order as one big page: nothing skipped

      // newest first
      const openedAt = await Promise.all(paged.slice(0, 10).map(async (id) => (await getCall(client, id)).openedAt));
      expect([...openedAt].sort().reverse()).toEqual(openedAt);

      // status filter: every node has the status, and per-status pages add up to the whole
      const byStatus = new Map<string, string[]>();
      for (const status of ['OPEN', 'IN_PROGRESS', 'RESOLVED']) {
        const nodes = await listAllCalls(client, status, 2);
        expect(nodes.every((n) => n.status === status)).toBe(true);
        expect(new Set(nodes.map((n) => n.id)).size).toBe(nodes.length);
        byStatus.set(status, nodes.map((n) => n.id));
      }
      for (const status of byStatus.keys()) {
        expect(new Set(byStatus.get(status))).toEqual(new Set(everything.filter((c) => c.status === status).map((c) => c.id)));
      }
      expect(byStatus.get('OPEN')!.length).toBeGreaterThanOrEqual(7);
    }),
  );

  it(
    'trackServiceCall needs no key and shows status and phase names, but no personal data',
    e2e(async () => {
      const input = callInput({
        summary: 'Router keeps rebooting every night',
        description: 'Secret internal description 4711',
        customer: { name: 'Grace Hopper-Trackme', email: 'grace.trackme@example.org', phone: '+44 20 7946 0958', address: '1 Harbour Street, Arlington' },
      });
      const call = await openCall(client, input);
      await waitForWork(client, call.id); // intake ACTIVE

      const query = `query Track($code: String!) { trackServiceCall(trackingCode: $code) { trackingCode status updatedAt phases { name status } } }`;
      const anonymous = client.as(null);
      const result = await anonymous.request<{ trackServiceCall: { trackingCode: string; status: string; updatedAt: string; phases: { name: string; status: string }[] } }>(query, {
        code: call.trackingCode,
      });
      expect(result.errors).toBeUndefined();
      expect(result.data!.trackServiceCall).toEqual({
        trackingCode: call.trackingCode,
        status: 'OPEN',
        updatedAt: expect.any(String),
        phases: [
          { name: 'Understand the problem', status: 'ACTIVE' },
          { name: 'Identify the cause', status: 'PENDING' },
          { name: 'Solve the problem', status: 'PENDING' },
        ],
      });
      for (const secret of ['Grace', 'Hopper', 'trackme', '7946', '0958', 'Harbour', 'Router keeps', '4711', call.id]) {
        expect(result.body.toLowerCase()).not.toContain(secret.toLowerCase());
      }

      // a customer may read it out in lower case
      const lower = await anonymous.request<{ trackServiceCall: { trackingCode: string } | null }>(query, { code: call.trackingCode.toLowerCase() });
      expect(lower.data!.trackServiceCall?.trackingCode).toBe(call.trackingCode);
      // an unknown code is simply not there
      const unknown = await anonymous.request<{ trackServiceCall: unknown }>(query, { code: '0000-0000-0000' });
      expect(unknown.errors).toBeUndefined();
      expect(unknown.data!.trackServiceCall).toBeNull();
      // the public type has no personal fields to ask for
      const sneaky = await anonymous.request(`query { trackServiceCall(trackingCode: "${call.trackingCode}") { customer { name } } }`);
      expect(sneaky.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      expect(sneaky.body).not.toContain('Grace');
      // and everything else still needs a key
      const denied = await anonymous.request(OPEN_CALL, { input: callInput() });
      expect(denied.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    }),
  );
});

/** The history of a RESOLVED standard-complaint call: every change, in order, each exactly once. */
function assertCompleteHistory(call: CallView): void {
  const history = call.history!;
  expect(history.map((e) => e.version)).toEqual(Array.from({ length: call.version }, (_, i) => i + 1));
  expect(history[0].type).toBe('ServiceCallOpened');
  // the last change of the process is the resolution; the workflow may still record how the SLA targets ended
  const processEvents = history.filter((e) => !e.type.startsWith('Sla'));
  expect(processEvents[processEvents.length - 1].type).toBe('ServiceCallResolved');
  for (const type of CORE_EVENT_TYPES) expect([type, history.some((e) => e.type === type)]).toEqual([type, true]);
  for (const e of history) expect(e.type).toMatch(/^[A-Z][A-Za-z]+$/);

  const counts = countEvents(history);
  expect(counts.get('ServiceCallOpened')).toBe(1);
  expect(counts.get('ServiceCallResolved')).toBe(1);
  for (const phase of STANDARD_COMPLAINT.phases) {
    expect([phase, counts.get(`PhaseStarted:${phase}`), counts.get(`PhaseCompleted:${phase}`)]).toEqual([phase, 1, 1]);
  }
  for (const step of ALL_STEPS) {
    expect([step, counts.get(`StepReady:${step}`), counts.get(`StepStarted:${step}`), counts.get(`StepCompleted:${step}`)]).toEqual([step, 1, 1, 1]);
  }

  const at = (type: string, subject?: string): number => {
    const event = history.find((e) => e.type === type && (subject === undefined || [dataOf(e).stepKey, dataOf(e).phaseKey].includes(subject)));
    if (!event) throw new Error(`no ${type} ${subject ?? ''} in the history`);
    return event.version;
  };
  // phases one after another; each phase's steps between its start and its completion
  STANDARD_COMPLAINT.phases.forEach((phase, i) => {
    expect(at('PhaseStarted', phase)).toBeLessThan(at('PhaseCompleted', phase));
    if (i > 0) expect(at('PhaseCompleted', STANDARD_COMPLAINT.phases[i - 1])).toBeLessThan(at('PhaseStarted', phase));
    for (const step of STANDARD_COMPLAINT.steps[phase]) {
      expect(at('PhaseStarted', phase)).toBeLessThan(at('StepReady', step));
      expect(at('StepReady', step)).toBeLessThan(at('StepStarted', step));
      expect(at('StepStarted', step)).toBeLessThan(at('StepCompleted', step));
      expect(at('StepCompleted', step)).toBeLessThan(at('PhaseCompleted', phase));
    }
  });
  expect(at('PhaseCompleted', 'resolution')).toBeLessThan(at('ServiceCallResolved'));
  // dependencies: a step becomes READY only after what it depends on is COMPLETED
  for (const step of stepsOf(call)) {
    for (const dep of step.dependsOn) expect([step.key, dep, at('StepCompleted', dep) < at('StepReady', step.key)]).toEqual([step.key, dep, true]);
  }
  // the parallel steps were made READY together (one after the other in the log), before either was started
  const [readyA, readyB] = PARALLEL.map((s) => at('StepReady', s));
  expect(Math.abs(readyA - readyB)).toBe(1);
  const parallelReady = Math.max(readyA, readyB);
  for (const s of PARALLEL) expect(parallelReady).toBeLessThan(at('StepStarted', s));
  // the automated step was started and completed by the system, with its outcome in the event
  const review = history.find((e) => e.type === 'StepCompleted' && dataOf(e).stepKey === 'review-customer-history') as CallEventView;
  expect(dataOf(review)).toMatchObject({ by: 'workflow', outcome: expect.stringMatching(/earlier call/) });
  for (const key of HUMAN_STEPS) {
    const done = history.find((e) => e.type === 'StepCompleted' && dataOf(e).stepKey === key)!;
    expect(dataOf(done).by).toMatch(/^apikey:/);
  }
  expect(dataOf(history[0])).toMatchObject({ callId: call.id, trackingCode: call.trackingCode });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
