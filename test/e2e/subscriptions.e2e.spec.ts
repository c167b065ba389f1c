/**
 * Subscriptions against the product as `npm start` runs it (API, worker, Temporal), with a real
 * graphql-ws client: a client follows a call over WebSocket while it is driven to RESOLVED over HTTP
 * and by the worker, and a manager hears of a failed step.
 */
import { DEV_KEYS, GraphQLClient, GraphQLErrorBody } from '../support/graphql-client';
import { CALL_FIELDS, CallView, completeStep, getCall, HUMAN_STEPS, openCall, readyHumanSteps, StepStatus, stepOf, stepsOf, waitForWork } from '../support/service-calls';
import { Stack, withStackLogs } from '../support/stack';
import { bearer, CloseEventLike, connect, Pushes } from '../support/subscription-client';

jest.setTimeout(180_000);

const CALL_UPDATED = `subscription Updated($id: ID!) { serviceCallUpdated(id: $id) { ${CALL_FIELDS} } }`;
const ALERTS = 'subscription { processAlerts { callId trackingCode phaseKey stepKey reason automated by at } }';
const FAIL_STEP = `mutation Fail($callId: ID!, $stepKey: String!, $reason: String!) { failStep(callId: $callId, stepKey: $stepKey, reason: $reason) { ${CALL_FIELDS} } }`;

type Updated = { serviceCallUpdated: CallView };
type Alerted = { processAlerts: Record<string, unknown> };

describe('GraphQL subscriptions over WebSocket (e2e)', () => {
  let stack: Stack | undefined;
  let http: GraphQLClient;
  const clients: { dispose: () => void | Promise<void> }[] = [];
  const e2e = (body: () => Promise<void>) => withStackLogs(() => stack, body);
  const client = (options: Parameters<typeof connect>[1]) => {
    const c = connect(stack!.graphqlUrl, options);
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    stack = await Stack.start({ name: 'subscriptions' });
    http = new GraphQLClient(stack.graphqlUrl, DEV_KEYS.INTEGRATOR);
  }, 240_000);

  afterEach(async () => {
    await Promise.all(clients.splice(0).map(async (c) => c.dispose()));
  });

  afterAll(async () => {
    await stack?.dispose();
  }, 60_000);

  it(
    'pushes every version of a call, from its current state to RESOLVED, while people and the worker drive it',
    e2e(async () => {
      const opened = await openCall(http);
      const updates = new Pushes<Updated>(client({ connectionParams: bearer(DEV_KEYS.AGENT) }), CALL_UPDATED, { id: opened.id });
      const latest = () => updates.values[updates.values.length - 1]?.serviceCallUpdated;

      // a client that only listens: it does the work the pushes show it, until the call is RESOLVED
      const done = new Set<string>();
      const completions: { key: string; version: number }[] = [];
      for (;;) {
        const work = (call: CallView | undefined) => (call ? readyHumanSteps(call).filter((s) => !done.has(s.key)) : []);
        await updates.until((v) => v.length > 0 && (latest().status === 'RESOLVED' || work(latest()).length > 0), 60_000, 'work or RESOLVED');
        const call = latest();
        if (call.status === 'RESOLVED') break;
        for (const step of work(call)) {
          done.add(step.key);
          const completed = await completeStep(http, opened.id, step.key, { outcome: `done: ${step.key}` });
          completions.push({ key: step.key, version: completed.version });
        }
      }
      expect([...done].sort()).toEqual([...HUMAN_STEPS].sort());

      // the workflow may still record after RESOLVED (SlaMet of the resolution, a scheduled follow-up): wait for the pushes to catch up with a query
      const resolved = await getCall(http, opened.id, true);
      await updates.until((v) => v.length > 0 && latest().version >= resolved.version, 10_000, `version ${resolved.version}`);
      const pushed = updates.values.map((v) => v.serviceCallUpdated).filter((c) => c.version <= resolved.version);
      const first = pushed[0].version;
      // every version once, in order: nothing lost, nothing repeated
      expect(pushed.map((c) => c.version)).toEqual(pushed.map((_, i) => first + i));
      expect(pushed.every((c) => c.id === opened.id)).toBe(true);
      expect(pushed[pushed.length - 1]).toMatchObject({ version: resolved.version, status: 'RESOLVED', progress: 1 });

      // each push is the call as of its version: the event of that version shows in it
      const at = (version: number) => pushed[version - first];
      for (const event of resolved.history!.filter((e) => e.version >= first)) {
        const data = JSON.parse(event.data) as { stepKey?: string; phaseKey?: string };
        const expected: Record<string, StepStatus> = { StepReady: 'READY', StepStarted: 'IN_PROGRESS', StepCompleted: 'COMPLETED' };
        if (data.stepKey && expected[event.type]) expect([event.type, data.stepKey, stepOf(at(event.version), data.stepKey).status]).toEqual([event.type, data.stepKey, expected[event.type]]);
        if (event.type === 'PhaseStarted') expect(at(event.version).phases.find((p) => p.key === data.phaseKey)?.status).toBe('ACTIVE');
      }
      // each completion is pushed, and every dependent step's READY is pushed after its last dependency's completion
      for (const { key, version } of completions) expect(stepOf(at(version), key).status).toBe('COMPLETED');
      const firstPushWith = (key: string, status: StepStatus) => pushed.findIndex((c) => stepOf(c, key).status === status);
      for (const step of stepsOf(resolved).filter((s) => s.dependsOn.length > 0)) {
        const ready = firstPushWith(step.key, 'READY');
        expect([step.key, ready >= 0]).toEqual([step.key, true]);
        for (const dependency of step.dependsOn) {
          const dependencyDone = firstPushWith(dependency, 'COMPLETED');
          expect([step.key, dependency, dependencyDone >= 0 && dependencyDone < ready]).toEqual([step.key, dependency, true]);
        }
      }
    }),
  );

  it(
    'refuses a connection without a known key (close 4403), and an AGENT may not subscribe to processAlerts (FORBIDDEN)',
    e2e(async () => {
      const call = await openCall(http);
      for (const options of [{}, { connectionParams: bearer('no-such-key') }]) {
        const failure = (await new Pushes(client(options), CALL_UPDATED, { id: call.id }).failed()) as CloseEventLike;
        expect([failure.code, failure.reason]).toEqual([4403, 'Forbidden']);
      }
      const errors = (await new Pushes(client({ connectionParams: bearer(DEV_KEYS.AGENT) }), ALERTS).failed()) as GraphQLErrorBody[];
      expect(errors.map((e) => e.extensions?.code)).toEqual(['FORBIDDEN']);
    }),
  );

  it(
    'processAlerts tells a manager when someone fails a step; the call subscription shows it FAILED',
    e2e(async () => {
      const call = await openCall(http);
      const manager = client({ connectionParams: bearer(DEV_KEYS.MANAGER) });
      const alerts = new Pushes<Alerted>(manager, ALERTS);
      // started after the alerts on the same connection: once it pushes, the alerts subscription is in place too
      const updates = new Pushes<Updated>(manager, CALL_UPDATED, { id: call.id });
      await updates.until((v) => v.length > 0, 30_000, 'the current state');

      await waitForWork(http, call.id);
      const failed = (await http.ok<{ failStep: CallView }>(FAIL_STEP, { callId: call.id, stepKey: 'record-complaint', reason: 'the line dropped' }, { apiKey: DEV_KEYS.AGENT })).failStep;
      expect(stepOf(failed, 'record-complaint').status).toBe('FAILED');

      const [alert] = (await alerts.until((v) => v.length > 0, 30_000, 'the alert')).map((v) => v.processAlerts);
      expect(alert).toEqual({
        callId: call.id,
        trackingCode: call.trackingCode,
        phaseKey: 'intake',
        stepKey: 'record-complaint',
        reason: 'the line dropped',
        automated: false,
        by: 'apikey:dev-agent',
        at: expect.any(String),
      });
      await updates.until((v) => v.some((u) => u.serviceCallUpdated.version === failed.version), 30_000, 'the FAILED version');
      expect(stepOf(updates.values.find((u) => u.serviceCallUpdated.version === failed.version)!.serviceCallUpdated, 'record-complaint').status).toBe('FAILED');
    }),
  );
});
