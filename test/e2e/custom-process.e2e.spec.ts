/**
 * A manager's own standard operating procedure, end to end over HTTP: defined with three parallel
 * branches that join into one step, mapped to a category, and a call driven through it to RESOLVED,
 * while a version 2 of the same template is defined mid-way (the running call keeps version 1).
 */
import { DEV_KEYS, GraphQLClient, waitFor } from '../support/graphql-client';
import { CALL_FIELDS, callInput, completeStep, dataOf, openCall, startStep } from '../support/service-calls';
import { Stack, withStackLogs } from '../support/stack';

jest.setTimeout(180_000);

const KEY = 'router-fault-repair';
const CATEGORY = 'Router Fault';
const BRANCH_ROOTS = ['order-part', 'book-technician', 'tell-customer-the-plan'];

const step = (key: string, name: string, extra: Record<string, unknown> = {}) => ({ key, name, ...extra });
const TEMPLATE_V1 = {
  key: KEY,
  title: 'Repair a faulty router at the customer site',
  department: 'Field Service',
  purpose: 'Get a customer with a broken router back online within two working days.',
  terms: [{ term: 'CPE', definition: 'Customer premises equipment: the router we lent the customer.' }],
  phases: [
    {
      key: 'triage',
      name: 'Triage',
      steps: [step('record-fault', 'Record the fault', { instructions: 'Note the LED pattern and the serial number.', role: 'agent', expectedDuration: 'PT15M' })],
    },
    {
      key: 'repair',
      name: 'Repair',
      steps: [
        // three branches in parallel ...
        step('order-part', 'Order a replacement router', { role: 'logistics', expectedDuration: 'PT1H' }),
        step('receive-part', 'Receive the router at the depot', { dependsOn: ['order-part'], expectedDuration: 'P1D' }),
        step('book-technician', 'Book a technician visit', { role: 'dispatcher', expectedDuration: 'PT2H' }),
        step('tell-customer-the-plan', 'Tell the customer the plan', { automated: true, action: 'notify-customer' }),
        // ... joining into one step
        step('replace-router', 'Replace the router on site', {
          dependsOn: ['receive-part', 'book-technician', 'tell-customer-the-plan'],
          role: 'technician',
          expectedDuration: 'PT2H',
        }),
        step('test-line', 'Test the line with the customer', { dependsOn: ['replace-router'], role: 'technician' }),
      ],
    },
    { key: 'wrap-up', name: 'Wrap up', steps: [step('confirm-fixed', 'Confirm the customer is back online', { role: 'agent' })] },
  ],
};
const TEMPLATE_V2 = {
  ...TEMPLATE_V1,
  purpose: 'Version 2: swap on the first visit, no depot step.',
  phases: [
    { key: 'triage', name: 'Triage', steps: [step('record-fault', 'Record the fault')] },
    { key: 'swap', name: 'Swap', steps: [step('swap-router', 'Swap the router on the first visit')] },
  ],
};

const TEMPLATE_FIELDS = 'key version title department purpose createdAt terms { term definition } phases { key name steps { key name instructions dependsOn automated action role expectedDuration } }';
const DEFINE = `mutation Define($input: DefineProcessTemplateInput!) { defineProcessTemplate(input: $input) { ${TEMPLATE_FIELDS} } }`;
const MAP_CATEGORY = `mutation Map($category: String!, $processKey: String!) { setCategoryProcess(category: $category, processKey: $processKey) }`;
const GET_TEMPLATE = `query Template($key: String!, $version: Int) { processTemplate(key: $key, version: $version) { ${TEMPLATE_FIELDS} } }`;
const CALL_WITH_HISTORY = `query Call($id: ID!) { serviceCall(id: $id) { ${CALL_FIELDS} processVersion history { type version at data } } }`;

type Step = { key: string; status: string; automated: boolean; outcome: string | null };
type Call = { id: string; version: number; status: string; processKey: string; processVersion: number; phases: { key: string; status: string; steps: Step[] }[]; history: { type: string; version: number; data: string }[] };

describe('a manager-defined process with parallel branches, over HTTP (e2e)', () => {
  let stack: Stack | undefined;
  let manager: GraphQLClient;
  let agent: GraphQLClient;
  const e2e = (body: () => Promise<void>) => withStackLogs(() => stack, body);

  beforeAll(async () => {
    stack = await Stack.start({ name: 'custom-process' });
    manager = new GraphQLClient(stack.graphqlUrl, DEV_KEYS.MANAGER);
    agent = manager.as(DEV_KEYS.AGENT);
  }, 240_000);

  afterAll(async () => {
    await stack?.dispose();
  }, 60_000);

  const getCall = async (id: string): Promise<Call> => (await agent.ok<{ serviceCall: Call }>(CALL_WITH_HISTORY, { id })).serviceCall;
  const stepsOf = (call: Call) => call.phases.flatMap((p) => p.steps);
  const statusOf = (call: Call, key: string) => stepsOf(call).find((s) => s.key === key)!.status;

  it(
    'defines the template, maps a category to it, and drives a call through the three branches into the join, to RESOLVED',
    e2e(async () => {
      const v1 = (await manager.ok<{ defineProcessTemplate: { version: number; phases: unknown[] } }>(DEFINE, { input: TEMPLATE_V1 })).defineProcessTemplate;
      expect(v1.version).toBe(1);
      expect(await manager.ok(MAP_CATEGORY, { category: CATEGORY, processKey: KEY })).toEqual({ setCategoryProcess: true });

      // the category mapping picks the process; no processKey given
      const opened = await openCall(agent.as(DEV_KEYS.INTEGRATOR), callInput({ category: CATEGORY, summary: 'Router dead after a thunderstorm' }));
      expect(opened.processKey).toBe(KEY);
      expect(opened.phases.map((p) => p.key)).toEqual(['triage', 'repair', 'wrap-up']);
      const id = opened.id;

      const until = (description: string, predicate: (call: Call) => boolean) =>
        waitFor(async () => {
          const call = await getCall(id);
          return predicate(call) ? call : undefined;
        }, 30_000, { description });

      await until('record-fault READY', (c) => statusOf(c, 'record-fault') === 'READY');
      await completeStep(agent, id, 'record-fault', { outcome: 'LED blinks red; serial RX-1' });

      // all three branch roots become READY together, before anyone starts them; the join waits
      const repair = await until('the three branches READY', (c) => BRANCH_ROOTS.every((k) => statusOf(c, k) !== 'PENDING'));
      expect(statusOf(repair, 'replace-router')).toBe('PENDING');
      const readyVersions = BRANCH_ROOTS.map((k) => repair.history.find((e) => e.type === 'StepReady' && dataOf(e as never).stepKey === k)!.version);
      expect(Math.max(...readyVersions) - Math.min(...readyVersions)).toBe(2); // one MarkStepsReady, three consecutive events

      // version 2 of the template is defined while the call is running
      const v2 = (await manager.ok<{ defineProcessTemplate: { version: number } }>(DEFINE, { input: TEMPLATE_V2 })).defineProcessTemplate;
      expect(v2.version).toBe(2);

      // work two branches in an interleaved order; the automated branch is done by the system
      await startStep(agent, id, 'book-technician');
      await completeStep(agent, id, 'order-part');
      await until('receive-part READY', (c) => statusOf(c, 'receive-part') === 'READY');
      await completeStep(agent, id, 'book-technician', { outcome: 'visit booked for Tuesday 10:00' });
      const waiting = await getCall(id);
      expect(statusOf(waiting, 'replace-router')).toBe('PENDING'); // one branch still open
      await completeStep(agent, id, 'receive-part');

      const joined = await until('replace-router READY', (c) => statusOf(c, 'replace-router') === 'READY');
      const notify = stepsOf(joined).find((s) => s.key === 'tell-customer-the-plan')!;
      expect(notify).toMatchObject({ status: 'COMPLETED', automated: true });
      expect(notify.outcome).toEqual(expect.any(String));
      // the join became READY only after every branch was done
      const versionOf = (type: string, key: string) => joined.history.find((e) => e.type === type && dataOf(e as never).stepKey === key)!.version;
      const joinReady = versionOf('StepReady', 'replace-router');
      for (const last of ['receive-part', 'book-technician', 'tell-customer-the-plan']) expect(versionOf('StepCompleted', last)).toBeLessThan(joinReady);

      await completeStep(agent, id, 'replace-router');
      await until('test-line READY', (c) => statusOf(c, 'test-line') === 'READY');
      await completeStep(agent, id, 'test-line');
      await until('confirm-fixed READY', (c) => statusOf(c, 'confirm-fixed') === 'READY');
      await completeStep(agent, id, 'confirm-fixed');
      const resolved = await until('RESOLVED', (c) => c.status === 'RESOLVED');

      // the call ran version 1 from start to end, though version 2 exists
      expect(resolved.processVersion).toBe(1);
      expect(resolved.phases.map((p) => [p.key, p.status])).toEqual([
        ['triage', 'COMPLETED'],
        ['repair', 'COMPLETED'],
        ['wrap-up', 'COMPLETED'],
      ]);
      expect(stepsOf(resolved).every((s) => s.status === 'COMPLETED')).toBe(true);

      // and a new call of the category runs version 2
      const next = await openCall(agent.as(DEV_KEYS.INTEGRATOR), callInput({ category: 'router fault' }));
      expect(next.processKey).toBe(KEY);
      expect(next.phases.map((p) => p.key)).toEqual(['triage', 'swap']);
      const latest = (await agent.ok<{ processTemplate: { version: number; purpose: string } }>(GET_TEMPLATE, { key: KEY })).processTemplate;
      expect(latest).toMatchObject({ version: 2, purpose: TEMPLATE_V2.purpose });
      const first = (await agent.ok<{ processTemplate: { version: number; phases: { key: string }[] } }>(GET_TEMPLATE, { key: KEY, version: 1 })).processTemplate;
      expect(first.phases.map((p) => p.key)).toEqual(['triage', 'repair', 'wrap-up']);
    }),
  );
});
