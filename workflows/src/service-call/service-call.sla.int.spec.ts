// SLA timers in the call's workflow, on Temporal's time-skipping test server with the real bundle,
// activities, SQLite event store, dispatcher and a real HTTP receiver for the alert webhook: AT_RISK
// then BREACHED (+ automatic escalation) at their workflow times, a pause moving the due times, MET for
// a first response or a resolution in time, and one signed alert per alert id across activity retries.
import { ServiceCall, ServiceCallCommand, StepStatus } from '@app/domain';
import { RecordedEvent } from '@app/event-store';
import { verifyWebhookSignature, WebhookSender } from '@app/outbound';
import { HttpTestReceiver } from '../../../libs/outbound/src/testing/http-test-receiver';
import { ChangeServiceCallCommand, DefineSlaPolicyCommand, newCallId, OpenServiceCallCommand } from '@app/service-calls';
import { CommandBus } from '@nestjs/cqrs';
import { callStateQuery, serviceCallWorkflowId, SERVICE_CALL_WORKFLOW_TYPE } from './service-call.messages';
import { eventually, startWorkflowTestEnv, stepOf, WorkflowTestEnv } from '../../../test/support/temporal-test-env';

const AGENT = 'apikey:agent';
const SECRET = 'sla-test-secret';
const MINUTE = 60_000;

let t: WorkflowTestEnv;
let bus: CommandBus;
let receiver: HttpTestReceiver;

beforeAll(async () => {
  receiver = await new HttpTestReceiver().start();
  // one attempt per send: a failed delivery fails the activity, and Temporal retries it
  t = await startWorkflowTestEnv('service-call-sla', { env: { WEBHOOK_URL: receiver.url('/alerts'), WEBHOOK_SECRET: SECRET, WEBHOOK_MAX_ATTEMPTS: '1' } });
  bus = t.app.get(CommandBus);
  // around the clock: first response within 1 h (AT_RISK after 48 min), resolution within 4 h (AT_RISK after 3 h 12 min)
  await bus.execute(
    new DefineSlaPolicyCommand(
      { key: 'sla-test', category: 'sla-test', firstResponseTarget: 'PT1H', resolutionTarget: 'PT4H', warnAt: 0.8 },
      { actor: 'apikey:manager' },
    ),
  );
}, 120_000);

afterAll(async () => {
  await t?.close();
  await receiver?.stop();
}, 60_000);

afterEach(() => jest.restoreAllMocks());

// --- helpers: every command carries the test server's time, the time the workflow sees ----------

const serverNow = async (): Promise<Date> => new Date(await t.env.currentTimeMs());

let opened = 0;
async function openCall(idempotencyKey = `sla-${++opened}-${Date.now()}`): Promise<{ callId: string; receivedAt: number }> {
  const now = await serverNow();
  const input = { channel: 'PHONE' as const, category: 'sla-test', summary: 'Router keeps dropping', customer: { name: 'Grace', email: 'grace@example.com' } };
  const { call } = await bus.execute(new OpenServiceCallCommand(input, { actor: AGENT, idempotencyKey, now }));
  expect(call.slaPolicy?.key).toBe('sla-test');
  // the workflow has folded the call (and armed its timers) once it made the first step READY
  await untilStep(call.id, 'record-complaint', 'READY');
  await eventually('an SLA timer armed', async () => {
    const history = await t.env.client.workflow.getHandle(serviceCallWorkflowId(call.id)).fetchHistory();
    return (history.events ?? []).some((e) => e.timerStartedEventAttributes);
  });
  return { callId: call.id, receivedAt: new Date(call.receivedAt).getTime() };
}

/**
 * A person's change, then until the workflow has folded it: the dispatcher delivers it in real time,
 * and a time skip before that would fire a timer the change was meant to move.
 */
async function change(callId: string, command: Exclude<ServiceCallCommand, { type: 'OpenServiceCall' }>): Promise<void> {
  const { call } = await bus.execute(new ChangeServiceCallCommand(callId, command, { actor: AGENT, now: await serverNow() }));
  const handle = t.env.client.workflow.getHandle(serviceCallWorkflowId(callId));
  await eventually('the workflow saw the change', async () => {
    const state = await handle.query(callStateQuery).catch(() => undefined);
    return !!state && state.version >= call.version;
  });
}

function untilStep(callId: string, stepKey: string, status: StepStatus): Promise<ServiceCall> {
  return eventually(`${stepKey} ${status}`, async () => {
    const call = await t.callOf(callId);
    return stepOf(call, stepKey).status === status && call;
  });
}

/** Moves the test server's clock to `receivedAt + minutes`: timers due by then fire. */
async function skipTo(receivedAt: number, minutes: number): Promise<void> {
  const ms = receivedAt + minutes * MINUTE - (await t.env.currentTimeMs());
  if (ms > 0) await t.env.sleep(ms);
}

const slaEvents = async (callId: string): Promise<RecordedEvent[]> =>
  (await t.streamOf(callId)).filter((e) => e.type.startsWith('Sla') || e.type === 'ServiceCallEscalated');

const describeSla = (events: RecordedEvent[]) =>
  events.map((e) => (e.type === 'ServiceCallEscalated' ? `${e.type}:${String(e.data.reason)}:${String(e.data.automatic)}` : `${e.type}:${String(e.data.target)}`));

function untilSlaEvents(callId: string, count: number): Promise<RecordedEvent[]> {
  return eventually(`${count} SLA events`, async () => {
    const events = await slaEvents(callId);
    return events.length >= count && events;
  });
}

const iso = (ms: number) => new Date(ms).toISOString();
const alertsOf = (callId: string) => receiver.requests.filter((r) => (JSON.parse(r.rawBody) as { data: { callId: string } }).data.callId === callId);

// --- the SLA timers ------------------------------------------------------------------------------

describe('SLA timers in the call workflow', () => {
  it('AT_RISK at warnAt, then BREACHED at the due time with an automatic escalation; one signed alert each, across an activity retry', async () => {
    const sender = t.app.get(WebhookSender);
    const send = sender.send.bind(sender);
    // the first alert is delivered, then the activity dies before it reports back: Temporal retries it
    const spy = jest.spyOn(sender, 'send').mockImplementationOnce(async (event) => {
      await send(event);
      throw new Error('worker lost after the POST');
    });
    const { callId, receivedAt } = await openCall();

    await skipTo(receivedAt, 47);
    expect(await slaEvents(callId)).toEqual([]);
    await skipTo(receivedAt, 49);
    const atRisk = await untilSlaEvents(callId, 1);
    expect(atRisk.map((e) => e.data)).toMatchObject([{ target: 'FIRST_RESPONSE', dueAt: iso(receivedAt + 60 * MINUTE) }]);
    expect(atRisk[0].type).toBe('SlaAtRisk');

    await skipTo(receivedAt, 59);
    expect(await slaEvents(callId)).toHaveLength(1);
    await skipTo(receivedAt, 61);
    const breached = await untilSlaEvents(callId, 3);
    expect(describeSla(breached)).toEqual(['SlaAtRisk:FIRST_RESPONSE', 'SlaBreached:FIRST_RESPONSE', 'ServiceCallEscalated:FIRST_RESPONSE SLA breached:true']);
    expect(breached[2].data).toMatchObject({ by: 'workflow', automatic: true });
    expect((await t.callOf(callId)).escalated).toBe(true);

    // the webhook: exactly one delivery per alert id, signed, although the first activity ran twice
    await eventually('two alerts delivered', () => alertsOf(callId).length >= 2 && spy.mock.calls.length >= 3);
    const alerts = alertsOf(callId);
    expect(alerts).toHaveLength(2);
    for (const alert of alerts) {
      const ok = verifyWebhookSignature({
        secret: SECRET,
        rawBody: alert.rawBody,
        signature: alert.headers['x-signature'] as string,
        timestamp: alert.headers['x-webhook-timestamp'] as string,
      });
      expect(ok).toBe(true);
    }
    const due = iso(receivedAt + 60 * MINUTE);
    expect(alerts.map((a) => a.headers['idempotency-key'])).toEqual([
      `sla:${callId}:FIRST_RESPONSE:AT_RISK:${due}`,
      `sla:${callId}:FIRST_RESPONSE:BREACHED:${due}`,
    ]);
    expect(JSON.parse(alerts[1].rawBody)).toMatchObject({
      type: 'sla.breached',
      data: { callId, kind: 'BREACHED', target: 'FIRST_RESPONSE', dueAt: due },
    });
  }, 60_000);

  it('waiting for the customer stops the clock: no timers while paused, and the due times move by the pause', async () => {
    const { callId, receivedAt } = await openCall();
    await skipTo(receivedAt, 10);
    await change(callId, { type: 'WaitForCustomer', data: { reason: 'photos of the router' } });
    await skipTo(receivedAt, 70); // paused for an hour: the first response would have been due
    expect(await slaEvents(callId)).toEqual([]);
    await change(callId, { type: 'RecordCustomerResponse', data: {} });
    const pausedMs = (await t.callOf(callId)).pauses.map((p) => new Date(p.to!).getTime() - new Date(p.from).getTime())[0];

    await skipTo(receivedAt, 48 + 60 - 1);
    expect(await slaEvents(callId)).toEqual([]);
    await skipTo(receivedAt, 48 + 60 + 1 + 1);
    const [atRisk] = await untilSlaEvents(callId, 1);
    expect(atRisk.type).toBe('SlaAtRisk');
    expect(atRisk.data.dueAt).toBe(iso(receivedAt + 60 * MINUTE + pausedMs));
  }, 60_000);

  it('a first response before its due time is MET; the first-response timers are disarmed', async () => {
    const { callId, receivedAt } = await openCall();
    await skipTo(receivedAt, 5);
    await change(callId, { type: 'StartStep', data: { stepKey: 'record-complaint' } });
    const [met] = await untilSlaEvents(callId, 1);
    expect(met.type).toBe('SlaMet');
    expect(met.data).toMatchObject({ target: 'FIRST_RESPONSE', dueAt: iso(receivedAt + 60 * MINUTE) });
    await skipTo(receivedAt, 65);
    expect(describeSla(await slaEvents(callId))).toEqual(['SlaMet:FIRST_RESPONSE']);
  }, 60_000);

  it('resolving before the due time records MET and ends the workflow', async () => {
    const { callId, receivedAt } = await openCall();
    await skipTo(receivedAt, 20);
    await change(callId, { type: 'ResolveServiceCall', data: { resolution: { agreedSolution: 'New router sent', implemented: true } } });
    const events = await untilSlaEvents(callId, 2);
    // recorded side by side: in either order
    expect(describeSla(events).sort()).toEqual(['SlaMet:FIRST_RESPONSE', 'SlaMet:RESOLUTION']);
    expect(events.find((e) => e.data.target === 'RESOLUTION')?.data.dueAt).toBe(iso(receivedAt + 240 * MINUTE));
    await t.env.client.workflow.getHandle(serviceCallWorkflowId(callId)).result();
    expect(alertsOf(callId)).toEqual([]);
  }, 60_000);

  it('a long history continues as new: the next run catches up from the stream and arms the timers again (nothing recorded twice)', async () => {
    // the call's workflow started ahead of its first event, with a small history bound (2,000 in production)
    const key = `sla-can-${Date.now()}`;
    const callId = newCallId(AGENT, key);
    const handle = await t.env.client.workflow.start(SERVICE_CALL_WORKFLOW_TYPE, {
      workflowId: serviceCallWorkflowId(callId),
      taskQueue: t.taskQueue,
      args: [{ callId, historyLimit: 20 }],
    });
    const { receivedAt } = await openCall(key);
    for (const stepKey of ['record-complaint', 'confirm-understanding']) {
      await untilStep(callId, stepKey, 'READY');
      await change(callId, { type: 'CompleteStep', data: { stepKey } });
    }
    await eventually('a new run', async () => (await handle.describe()).runId !== handle.firstExecutionRunId && true);
    const first = await t.env.client.workflow.getHandle(serviceCallWorkflowId(callId), handle.firstExecutionRunId).fetchHistory();
    expect(first.events?.at(-1)?.workflowExecutionContinuedAsNewEventAttributes).toBeTruthy();
    // the new run arms the resolution timers from the stream: AT_RISK after 3 h 12 min
    await skipTo(receivedAt, 193);
    const events = await eventually('resolution AT_RISK', async () => {
      const sla = await slaEvents(callId);
      return sla.some((e) => e.type === 'SlaAtRisk') && sla;
    });
    expect(describeSla(events)).toEqual(['SlaMet:FIRST_RESPONSE', 'SlaAtRisk:RESOLUTION']);
  }, 60_000);
});
