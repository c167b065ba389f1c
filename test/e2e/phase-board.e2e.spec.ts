/**
 * Managers' tracking over HTTP: calls opened and worked like an integrator would, then the phase board
 * (calls and steps per phase, time in phase, expected durations) and filtered serviceCalls pages, and
 * who may see the board.
 */
import { DEV_KEYS, GraphQLClient, waitFor } from '../support/graphql-client';
import { callInput, CallView, completeStep, getCall, openCall, startStep, stepOf, waitForWork } from '../support/service-calls';
import { Stack, withStackLogs } from '../support/stack';

jest.setTimeout(120_000);

const BOARD = `query Board($processKey: String!) { phaseBoard(processKey: $processKey) {
  processKey processVersion asOf
  phases { key name order callsInPhase stepsReady stepsInProgress stepsFailed longestWaitingSince completedVisits
           medianSeconds medianDuration p90Seconds p90Duration expectedDuration overdueCount overdueCalls { callId } } } }`;
const CALLS = `query Calls($status: CallStatus, $first: Int, $after: String, $processKey: String, $phaseKey: String, $assignee: String,
  $category: String, $priority: Priority, $openedAfter: DateTime, $openedBefore: DateTime) {
  serviceCalls(status: $status, first: $first, after: $after, processKey: $processKey, phaseKey: $phaseKey, assignee: $assignee,
    category: $category, priority: $priority, openedAfter: $openedAfter, openedBefore: $openedBefore) { nodes { id } endCursor hasNextPage } }`;
const FAIL = `mutation Fail($callId: ID!, $stepKey: String!, $reason: String!) { failStep(callId: $callId, stepKey: $stepKey, reason: $reason) { id } }`;

interface BoardPhase {
  key: string;
  name: string;
  order: number;
  callsInPhase: number;
  stepsReady: number;
  stepsInProgress: number;
  stepsFailed: number;
  longestWaitingSince: string | null;
  completedVisits: number;
  medianSeconds: number | null;
  medianDuration: string | null;
  p90Seconds: number | null;
  p90Duration: string | null;
  expectedDuration: string | null;
  overdueCount: number;
  overdueCalls: { callId: string }[];
}
interface Board {
  processKey: string;
  processVersion: number | null;
  asOf: string;
  phases: BoardPhase[];
}

describe('phase board and serviceCalls filters over HTTP (e2e)', () => {
  let stack: Stack | undefined;
  let client: GraphQLClient;
  let manager: GraphQLClient;
  const e2e = (body: () => Promise<void>) => withStackLogs(() => stack, body);

  beforeAll(async () => {
    stack = await Stack.start({ name: 'phase-board' });
    client = new GraphQLClient(stack.graphqlUrl, DEV_KEYS.INTEGRATOR);
    manager = client.as(DEV_KEYS.MANAGER);
  }, 240_000);

  afterAll(async () => {
    await stack?.dispose();
  }, 60_000);

  const ids = async (variables: Record<string, unknown>) =>
    (await client.ok<{ serviceCalls: { nodes: { id: string }[] } }>(CALLS, { first: 50, ...variables })).serviceCalls.nodes.map((n) => n.id);

  it(
    'counts calls and steps per phase, times completed visits, and filters serviceCalls by process, phase, category, priority, status and time',
    e2e(async () => {
      // c1 and c2 share a category written differently; c1 and c3 are HIGH
      const open = async (category: string, priority: string) => {
        const call = await openCall(client, callInput({ category, priority }));
        await waitForWork(client, call.id);
        return call;
      };
      const c1 = await open('E2E Billing', 'HIGH');
      const c2 = await open('e2e billing ', 'LOW');
      const c3 = await open('E2E Delivery', 'HIGH');
      const c4 = await open('e2e delivery', 'NORMAL');

      await startStep(client, c1.id, 'record-complaint'); // c1: in intake, one step IN_PROGRESS
      await completeStep(client, c2.id, 'record-complaint'); // c2: through intake into diagnosis
      await waitFor(async () => stepOf(await getCall(client, c2.id), 'confirm-understanding').status === 'READY', 30_000);
      await completeStep(client, c2.id, 'confirm-understanding');
      const inDiagnosis: CallView = await waitFor(
        async () => {
          const call = await getCall(client, c2.id);
          return stepOf(call, 'review-customer-history').status === 'COMPLETED' && stepOf(call, 'inspect-problem').status === 'READY' ? call : undefined;
        },
        30_000,
        { description: 'c2 in diagnosis with its automated step done' },
      );
      await client.ok(FAIL, { callId: c3.id, stepKey: 'record-complaint', reason: 'Customer unreachable' }); // c3: a FAILED step holds intake
      // c4: untouched, its first step READY

      const board = (await manager.ok<{ phaseBoard: Board }>(BOARD, { processKey: 'standard-complaint' })).phaseBoard;
      // the built-in template is version 1 of an ordinary template: the board shows its phases
      expect(board).toMatchObject({ processKey: 'standard-complaint', processVersion: 1 });
      expect(Date.parse(board.asOf)).toBeGreaterThan(Date.now() - 60_000);
      const [intake, diagnosis, resolution] = board.phases;
      expect(board.phases.map((p) => [p.key, p.order])).toEqual([['intake', 0], ['diagnosis', 1], ['resolution', 2]]);
      expect(intake).toMatchObject({ callsInPhase: 3, stepsReady: 1, stepsInProgress: 1, stepsFailed: 1, expectedDuration: 'PT25M', overdueCount: 0, overdueCalls: [] });
      // c1 was opened (and its intake started) first of the three in intake
      expect(intake.longestWaitingSince).toBe((await getCall(client, c1.id)).phases[0].startedAt);
      // c2's visit of intake: from its PhaseStarted to its PhaseCompleted
      const intakeOfC2 = inDiagnosis.phases[0];
      const visitSeconds = (Date.parse(intakeOfC2.completedAt!) - Date.parse(intakeOfC2.startedAt!)) / 1000;
      expect(intake).toMatchObject({ completedVisits: 1, medianSeconds: visitSeconds, p90Seconds: visitSeconds });
      expect(intake.medianDuration).toMatch(/^PT/);
      expect(diagnosis).toMatchObject({ callsInPhase: 1, stepsReady: 1, stepsInProgress: 0, stepsFailed: 0, completedVisits: 0, medianSeconds: null, expectedDuration: 'PT5H1M' });
      expect(resolution).toMatchObject({ callsInPhase: 0, stepsReady: 0, longestWaitingSince: null, expectedDuration: 'P1DT1H45M', overdueCount: 0 });

      // filters: each leaves out some of the four calls
      expect(await ids({ category: 'E2E BILLING' })).toEqual([c2.id, c1.id]);
      expect(await ids({ processKey: 'standard-complaint', phaseKey: 'intake', priority: 'HIGH' })).toEqual([c3.id, c1.id]);
      expect(await ids({ phaseKey: 'diagnosis' })).toEqual([c2.id]);
      expect(await ids({ status: 'IN_PROGRESS', category: 'e2e billing' })).toEqual([c2.id, c1.id]);
      expect(await ids({ openedAfter: c3.openedAt, priority: 'HIGH' })).toEqual([c3.id]);
      expect(await ids({ openedAfter: c2.openedAt, openedBefore: c4.openedAt })).toEqual([c3.id, c2.id]);
      expect(await ids({ processKey: 'no-such-process' })).toEqual([]);
      // paging a filter
      const first = (await client.ok<{ serviceCalls: { nodes: { id: string }[]; endCursor: string; hasNextPage: boolean } }>(CALLS, { first: 1, category: 'e2e delivery' })).serviceCalls;
      expect(first).toMatchObject({ nodes: [{ id: c4.id }], hasNextPage: true });
      expect(await ids({ first: 1, category: 'e2e delivery', after: first.endCursor })).toEqual([c3.id]);
    }),
  );

  it(
    'refuses bad filters with the field named, and the phase board to anyone but managers',
    e2e(async () => {
      const window = await client.request(CALLS, { openedAfter: '2026-02-01T00:00:00Z', openedBefore: '2026-01-01T00:00:00Z' });
      expect(window.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'openedBefore' });
      const priority = await client.request(CALLS, { priority: 'SOMEDAY' });
      expect(priority.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      const date = await client.request(CALLS, { openedAfter: 'yesterday' });
      expect(date.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');

      for (const key of [DEV_KEYS.INTEGRATOR, DEV_KEYS.AGENT]) {
        const refused = await client.as(key).request(BOARD, { processKey: 'standard-complaint' });
        expect(refused.data).toBeNull();
        expect(refused.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      }
      const anonymous = await client.as(null).request(BOARD, { processKey: 'standard-complaint' });
      expect(anonymous.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
      const unknown = await manager.request(BOARD, { processKey: 'no-such-process' });
      expect(unknown.errors?.[0]?.extensions).toMatchObject({ code: 'NOT_FOUND', field: 'processKey' });
    }),
  );
});
