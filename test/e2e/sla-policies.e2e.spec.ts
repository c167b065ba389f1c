/**
 * SLA policies over HTTP against the product as `npm start` runs it: a manager defines a policy for a
 * category with business hours, a call in that category gets its due times, waiting for the customer
 * pauses the clock and pushes the due time out.
 */
import { DEV_KEYS, GraphQLClient } from '../support/graphql-client';
import { callInput, openCall, startStep, waitForWork, readyHumanSteps } from '../support/service-calls';
import { Stack, withStackLogs } from '../support/stack';

jest.setTimeout(120_000);

const SLA_FIELDS = 'id status version sla { policyKey firstResponseDueAt firstRespondedAt resolutionDueAt state pausedSince } pauses { from to }';
type Sla = { policyKey: string; firstResponseDueAt: string | null; firstRespondedAt: string | null; resolutionDueAt: string; state: string; pausedSince: string | null };
type Call = { id: string; status: string; version: number; sla: Sla; pauses: { from: string; to: string | null }[] };

const DEFINE = 'mutation Define($input: SlaPolicyInput!) { defineSlaPolicy(input: $input) }';
const POLICIES = 'query { slaPolicies { key priority category firstResponseTarget resolutionTarget warnAt businessHours { timezone weekly { day from to } holidays } version definedBy definedAt } }';
const CALL = `query Call($id: ID!) { serviceCall(id: $id) { ${SLA_FIELDS} } }`;
const WAIT = `mutation Wait($callId: ID!, $reason: String!) { waitForCustomer(callId: $callId, reason: $reason) { ${SLA_FIELDS} } }`;
const RESPONDED = `mutation Responded($callId: ID!) { customerResponded(callId: $callId) { ${SLA_FIELDS} } }`;

const WEEKDAYS = ['MON', 'TUE', 'WED', 'THU', 'FRI'];
/** Berlin office hours, Mon-Fri 09:00-17:00, Monday 2026-01-12 a holiday. */
const BILLING_POLICY = {
  key: 'e2e-billing',
  category: 'SLA billing',
  firstResponseTarget: 'PT2H',
  resolutionTarget: 'PT16H',
  businessHours: { timezone: 'Europe/Berlin', weekly: WEEKDAYS.map((day) => ({ day, from: '09:00', to: '17:00' })), holidays: ['2026-01-12'] },
};

describe('SLA policies over HTTP (e2e)', () => {
  let stack: Stack | undefined;
  let integrator: GraphQLClient;
  let manager: GraphQLClient;
  const e2e = (body: () => Promise<void>) => withStackLogs(() => stack, body);

  beforeAll(async () => {
    stack = await Stack.start({ name: 'sla-policies' });
    integrator = new GraphQLClient(stack.graphqlUrl, DEV_KEYS.INTEGRATOR);
    manager = integrator.as(DEV_KEYS.MANAGER);
  }, 240_000);

  afterAll(async () => {
    await stack?.dispose();
  }, 60_000);

  const getCall = async (id: string): Promise<Call> => (await integrator.ok<{ serviceCall: Call }>(CALL, { id })).serviceCall;

  it(
    'only managers define and list policies; invalid ones are refused with the field path and not stored',
    e2e(async () => {
      for (const key of [DEV_KEYS.INTEGRATOR, DEV_KEYS.AGENT]) {
        const refused = await manager.as(key).request(DEFINE, { input: { key: 'nope', firstResponseTarget: 'PT1H', resolutionTarget: 'P1D' } });
        expect(refused.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
        expect((await manager.as(key).request(POLICIES)).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      }
      const bad = async (input: Record<string, unknown>) => (await manager.request(DEFINE, { input })).errors?.[0]?.extensions;
      const base = { key: 'bad', firstResponseTarget: 'PT1H', resolutionTarget: 'P1D' };
      expect(await bad({ ...base, resolutionTarget: 'soon' })).toMatchObject({ code: 'BAD_USER_INPUT', field: 'resolutionTarget' });
      expect(await bad({ ...base, warnAt: 1.5 })).toMatchObject({ code: 'BAD_USER_INPUT', field: 'warnAt' });
      expect(await bad({ ...base, businessHours: { timezone: 'Mars/Olympus', weekly: [] } })).toMatchObject({ code: 'BAD_USER_INPUT', field: 'businessHours.timezone' });
      expect(await bad({ ...base, businessHours: { timezone: 'Europe/Berlin', weekly: [{ day: 'MON', from: '17:00', to: '09:00' }] } })).toMatchObject({
        code: 'BAD_USER_INPUT',
        field: expect.stringMatching(/^businessHours\.weekly\[0\]/),
      });
      const { slaPolicies } = await manager.ok<{ slaPolicies: { key: string; definedBy: string }[] }>(POLICIES);
      // only the built-in default, stored at start-up
      expect(slaPolicies).toEqual([expect.objectContaining({ key: 'default', firstResponseTarget: 'PT4H', resolutionTarget: 'P5D', warnAt: 0.8, businessHours: null, definedBy: 'system' })]);
    }),
  );

  it(
    'a call in the policy\'s category counts business time from receivedAt, across the weekend and a holiday',
    e2e(async () => {
      expect(await manager.ok(DEFINE, { input: BILLING_POLICY })).toEqual({ defineSlaPolicy: true });
      const { slaPolicies } = await manager.ok<{ slaPolicies: { key: string }[] }>(POLICIES);
      expect(slaPolicies.find((p) => p.key === 'e2e-billing')).toMatchObject({ ...BILLING_POLICY, warnAt: 0.8, version: 1, definedBy: 'apikey:dev-manager' });

      // Friday 2026-01-09 15:00 Berlin (14:00Z): 2 open hours that Friday, Monday is a holiday
      const { id } = await openCall(integrator, callInput({ category: 'sla billing', receivedAt: '2026-01-09T14:00:00Z' }));
      const call = await getCall(id);
      expect(call.sla).toEqual({
        policyKey: 'e2e-billing',
        firstResponseDueAt: '2026-01-09T16:00:00.000Z', // Friday 17:00 Berlin
        firstRespondedAt: null,
        resolutionDueAt: '2026-01-14T14:00:00.000Z', // 2 h Friday + 8 h Tuesday + 6 h Wednesday -> Wednesday 15:00 Berlin
        state: 'BREACHED', // long ago
        pausedSince: null,
      });

      // another category falls back to the default policy (around the clock: PT4H, P5D)
      const other = await openCall(integrator, callInput({ category: 'shipping', receivedAt: '2026-01-09T14:00:00Z' }));
      expect((await getCall(other.id)).sla).toMatchObject({ policyKey: 'default', firstResponseDueAt: '2026-01-09T18:00:00.000Z', resolutionDueAt: '2026-01-14T14:00:00.000Z' });
    }),
  );

  it(
    'a person starting a step is the first response; waiting for the customer pauses the clock and pushes the due time out',
    e2e(async () => {
      await manager.ok(DEFINE, { input: { key: 'e2e-returns', category: 'SLA returns', firstResponseTarget: 'PT1H', resolutionTarget: 'P10D' } });
      const { id } = await openCall(integrator, callInput({ category: 'SLA returns' }));
      const opened = await getCall(id);
      expect(opened.sla).toMatchObject({ policyKey: 'e2e-returns', state: 'ON_TRACK', firstRespondedAt: null });

      const ready = await waitForWork(integrator, id);
      const step = readyHumanSteps(ready)[0];
      await startStep(integrator.as(DEV_KEYS.AGENT), id, step.key);
      const responded = await getCall(id);
      expect(responded.sla.firstRespondedAt).toEqual(expect.any(String));
      expect(responded.sla.state).toBe('ON_TRACK');

      const waiting = (await integrator.ok<{ waitForCustomer: Call }>(WAIT, { callId: id, reason: 'asked for the receipt' })).waitForCustomer;
      expect(waiting.sla.state).toBe('PAUSED');
      expect(waiting.sla.pausedSince).toBe(waiting.pauses[0].from);
      await new Promise((r) => setTimeout(r, 1_500));
      const back = (await integrator.ok<{ customerResponded: Call }>(RESPONDED, { callId: id })).customerResponded;
      expect(back.sla).toMatchObject({ state: 'ON_TRACK', pausedSince: null });
      // around the clock, the due time moves out by exactly the time spent waiting
      const paused = Date.parse(back.pauses[0].to!) - Date.parse(back.pauses[0].from);
      expect(paused).toBeGreaterThanOrEqual(1_500);
      expect(Date.parse(back.sla.resolutionDueAt) - Date.parse(opened.sla.resolutionDueAt)).toBe(paused);
    }),
  );
});
