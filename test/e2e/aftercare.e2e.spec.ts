/**
 * After the work: waiting for the customer, escalation, the complaint record, resolving now, feedback
 * that closes or reopens the call, over HTTP against the product as `npm start` runs it.
 */
import { DEV_KEYS, GraphQLClient, waitFor } from '../support/graphql-client';
import { CALL_FIELDS, openCall, waitForWork } from '../support/service-calls';
import { Stack, withStackLogs } from '../support/stack';

jest.setTimeout(120_000);

const AFTERCARE_FIELDS = `${CALL_FIELDS} closedAt reopenedAt escalated escalations { reason by automatic at } pauses { reason from to }
  resolution { agreedSolution implemented promisedBy compensation { kind amount currency description } rootCause preventionSuggestion resolvedBy resolvedAt }
  feedback { satisfied score wouldBuyAgain comment by at } history { type version data }`;
type Call = {
  id: string;
  version: number;
  status: string;
  closedAt: string | null;
  reopenedAt: string | null;
  escalated: boolean;
  escalations: { reason: string; by: string; automatic: boolean }[];
  pauses: { reason: string; from: string; to: string | null }[];
  resolution: null | { agreedSolution: string; implemented: boolean; promisedBy: string | null; compensation: null | { kind: string; amount: number | null; currency: string | null }; rootCause: string | null; resolvedBy: string };
  feedback: { satisfied: boolean; score: number | null; comment: string | null; by: string }[];
  phases: { key: string; status: string; steps: { key: string; status: string }[] }[];
  history: { type: string; version: number; data: string }[];
};

const CALL = `query Call($id: ID!) { serviceCall(id: $id) { ${AFTERCARE_FIELDS} } }`;
const WAIT = `mutation Wait($callId: ID!, $reason: String!) { waitForCustomer(callId: $callId, reason: $reason) { ${AFTERCARE_FIELDS} } }`;
const RESPONDED = `mutation Responded($callId: ID!) { customerResponded(callId: $callId) { ${AFTERCARE_FIELDS} } }`;
const ESCALATE = `mutation Escalate($callId: ID!, $reason: String!) { escalateServiceCall(callId: $callId, reason: $reason) { ${AFTERCARE_FIELDS} } }`;
const RECORD = `mutation Record($input: ResolutionInput!) { recordResolution(input: $input) { ${AFTERCARE_FIELDS} } }`;
const RESOLVE = `mutation Resolve($input: ResolutionInput!) { resolveServiceCall(input: $input) { ${AFTERCARE_FIELDS} } }`;
const FEEDBACK = `mutation Feedback($input: FeedbackInput!) { recordFeedback(input: $input) { ${AFTERCARE_FIELDS} } }`;
const REOPEN = `mutation Reopen($callId: ID!, $reason: String!) { reopenServiceCall(callId: $callId, reason: $reason) { ${AFTERCARE_FIELDS} } }`;

describe('aftercare over HTTP (e2e)', () => {
  let stack: Stack | undefined;
  let agent: GraphQLClient;
  let manager: GraphQLClient;
  const e2e = (body: () => Promise<void>) => withStackLogs(() => stack, body);

  beforeAll(async () => {
    stack = await Stack.start({ name: 'aftercare' });
    agent = new GraphQLClient(stack.graphqlUrl, DEV_KEYS.AGENT);
    manager = agent.as(DEV_KEYS.MANAGER);
  }, 240_000);

  afterAll(async () => {
    await stack?.dispose();
  }, 60_000);

  const getCall = async (id: string): Promise<Call> => (await agent.ok<{ serviceCall: Call }>(CALL, { id })).serviceCall;
  const mutate = async <K extends string>(client: GraphQLClient, query: string, field: K, variables: Record<string, unknown>): Promise<Call> =>
    (await client.ok<Record<K, Call>>(query, variables))[field];

  /** A mutation that must be refused: returns its error and checks the call did not change. */
  async function refused(client: GraphQLClient, query: string, variables: Record<string, unknown>, id: string) {
    const before = await getCall(id);
    const result = await client.request(query, variables);
    expect(result.data).toBeNull();
    expect((await getCall(id)).version).toBe(before.version);
    return result.errors![0].extensions!;
  }

  it(
    'waits for the customer and resumes; escalates by hand',
    e2e(async () => {
      const { id } = await openCall(agent.as(DEV_KEYS.INTEGRATOR));
      await waitForWork(agent, id);
      const waiting = await mutate(agent, WAIT, 'waitForCustomer', { callId: id, reason: 'asked for photos of the damage' });
      expect(waiting).toMatchObject({ status: 'WAITING_ON_CUSTOMER', pauses: [{ reason: 'asked for photos of the damage', to: null }] });
      const back = await mutate(agent, RESPONDED, 'customerResponded', { callId: id });
      expect(back.status).toBe('OPEN');
      expect(back.pauses[0].to).toEqual(expect.any(String));
      expect(await refused(agent, RESPONDED, { callId: id }, id)).toMatchObject({ code: 'CONFLICT' });

      const escalated = await mutate(agent, ESCALATE, 'escalateServiceCall', { callId: id, reason: 'customer threatens to cancel' });
      expect(escalated).toMatchObject({ escalated: true, escalations: [{ reason: 'customer threatens to cancel', by: 'apikey:dev-agent', automatic: false }] });
    }),
  );

  it(
    'records the complaint record, refusing bad input with its field; resolving now skips open work and stays resolved',
    e2e(async () => {
      const { id } = await openCall(agent.as(DEV_KEYS.INTEGRATOR));
      await waitForWork(agent, id);
      const promisedBy = new Date(Date.now() + 3 * 86_400_000).toISOString();
      const base = { callId: id, agreedSolution: 'Refund the second debit', implemented: false };
      expect(await refused(agent, RECORD, { input: base }, id)).toMatchObject({ code: 'BAD_USER_INPUT', field: 'promisedBy' });
      expect(await refused(agent, RECORD, { input: { ...base, promisedBy: '2020-01-01T00:00:00Z' } }, id)).toMatchObject({ code: 'BAD_USER_INPUT', field: 'promisedBy' });
      expect(await refused(agent, RECORD, { input: { ...base, promisedBy, compensation: { kind: 'refund', amount: 12.5 } } }, id)).toMatchObject({
        code: 'BAD_USER_INPUT',
        field: 'compensation.currency',
      });

      const recorded = await mutate(agent, RECORD, 'recordResolution', {
        input: { ...base, promisedBy, compensation: { kind: 'voucher', amount: 20, currency: 'eur' }, rootCause: 'duplicate billing run' },
      });
      expect(recorded.status).toBe('OPEN');
      expect(recorded.resolution).toMatchObject({ agreedSolution: 'Refund the second debit', implemented: false, promisedBy, compensation: { kind: 'voucher', amount: 20, currency: 'EUR' }, resolvedBy: 'apikey:dev-agent' });

      const resolved = await mutate(manager, RESOLVE, 'resolveServiceCall', { input: { callId: id, agreedSolution: 'Refund paid at once', implemented: true } });
      expect(resolved.status).toBe('RESOLVED');
      expect(resolved.phases.map((p) => p.status)).toEqual(['COMPLETED', 'SKIPPED', 'SKIPPED']);
      expect(resolved.resolution).toMatchObject({ agreedSolution: 'Refund paid at once', implemented: true, resolvedBy: 'apikey:dev-manager' });
      expect(JSON.parse(resolved.history[resolved.history.length - 1].data)).toMatchObject({ early: true, by: 'apikey:dev-manager' });
      // the workflow does not undo it: at most it records how the SLA targets ended
      await new Promise((r) => setTimeout(r, 500));
      const later = await getCall(id);
      expect(later.status).toBe('RESOLVED');
      expect(later.history.filter((e) => e.version > resolved.version).some((e) => /^(Phase|Step|ServiceCall)/.test(e.type))).toBe(false);
      expect(await refused(manager, RESOLVE, { input: { callId: id, agreedSolution: 'again', implemented: true } }, id)).toMatchObject({ code: 'CONFLICT' });
    }),
  );

  it(
    'unsatisfied feedback reopens the call into its last phase and the process picks it up; satisfied feedback closes it',
    e2e(async () => {
      const { id } = await openCall(agent.as(DEV_KEYS.INTEGRATOR));
      await waitForWork(agent, id);
      expect(await refused(agent, FEEDBACK, { input: { callId: id, satisfied: true } }, id)).toMatchObject({ code: 'CONFLICT' });
      await mutate(manager, RESOLVE, 'resolveServiceCall', { input: { callId: id, agreedSolution: 'Router replaced', implemented: true } });
      expect(await refused(agent, FEEDBACK, { input: { callId: id, satisfied: true, score: 9 } }, id)).toMatchObject({ code: 'BAD_USER_INPUT', field: 'score' });

      const reopened = await mutate(agent.as(DEV_KEYS.INTEGRATOR), FEEDBACK, 'recordFeedback', { input: { callId: id, satisfied: false, score: 2, comment: 'still drops every evening' } });
      expect(reopened).toMatchObject({ status: 'IN_PROGRESS', reopenedAt: expect.any(String), feedback: [{ satisfied: false, score: 2, comment: 'still drops every evening' }] });
      expect(reopened.phases.map((p) => p.status)).toEqual(['COMPLETED', 'SKIPPED', 'ACTIVE']);
      // the workflow (a new run) makes the last phase's first step READY again
      await waitFor(async () => {
        const call = await getCall(id);
        return call.phases[2].steps.find((s) => s.key === 'propose-solution')!.status === 'READY' ? call : undefined;
      }, 30_000, { description: 'propose-solution READY again' });

      expect(await refused(agent, REOPEN, { callId: id, reason: 'x' }, id)).toMatchObject({ code: 'FORBIDDEN' });
      await mutate(manager, RESOLVE, 'resolveServiceCall', { input: { callId: id, agreedSolution: 'New router and line check', implemented: true } });
      const closed = await mutate(agent, FEEDBACK, 'recordFeedback', { input: { callId: id, satisfied: true, score: 5, wouldBuyAgain: true } });
      expect(closed).toMatchObject({ status: 'CLOSED', closedAt: expect.any(String) });
      // a closed call's feedback (the retention check-in) is recorded and changes nothing else
      const later = await mutate(agent, FEEDBACK, 'recordFeedback', { input: { callId: id, satisfied: true, comment: 'still fine a month later' } });
      expect(later.status).toBe('CLOSED');
      expect(later.feedback).toHaveLength(3);
      const again = await mutate(manager, REOPEN, 'reopenServiceCall', { callId: id, reason: 'fault came back' });
      expect(again.status).toBe('IN_PROGRESS');
    }),
  );
});
