// A FAILED step reaches the managers by signed webhook too (type step.failed), from the call's
// workflow on Temporal's time-skipping server with the real activities, SQLite event store and a real
// HTTP receiver: once per step and attempt, with the recorded reason, also when the workflow's
// activity would send it again, and a retried step that fails again is a new alert.
import { AppConfig } from '@app/config';
import { ServiceCall, ServiceCallCommand, StepStatus, webhookActivityTimeoutMs } from '@app/domain';
import { TransientSendError, verifyWebhookSignature, webhookRetryOf } from '@app/outbound';
import { ChangeServiceCallCommand, OpenServiceCallCommand } from '@app/service-calls';
import { CommandBus } from '@nestjs/cqrs';
import { HttpTestReceiver } from '../../../libs/outbound/src/testing/http-test-receiver';
import { eventually, startWorkflowTestEnv, stepOf, WorkflowTestEnv } from '../../../test/support/temporal-test-env';
import { serviceCallWorkflowId } from './service-call.messages';

const AGENT = 'apikey:agent';
const SECRET = 'process-alert-secret';
let t: WorkflowTestEnv;
let bus: CommandBus;
let receiver: HttpTestReceiver;

beforeAll(async () => {
  receiver = await new HttpTestReceiver().start();
  t = await startWorkflowTestEnv('process-alerts', { env: { WEBHOOK_URL: receiver.url('/alerts'), WEBHOOK_SECRET: SECRET, WEBHOOK_MAX_ATTEMPTS: '1' } });
  bus = t.app.get(CommandBus);
}, 120_000);

afterAll(async () => {
  await t?.close();
  await receiver?.stop();
}, 60_000);

const change = (callId: string, command: Exclude<ServiceCallCommand, { type: 'OpenServiceCall' }>) =>
  bus.execute(new ChangeServiceCallCommand(callId, command, { actor: AGENT }));
const untilStep = (callId: string, stepKey: string, status: StepStatus): Promise<ServiceCall> =>
  eventually(`${stepKey} ${status}`, async () => {
    const call = await t.callOf(callId);
    return stepOf(call, stepKey).status === status && call;
  });
const alertsOf = (callId: string) =>
  receiver.requests.map((r) => ({ r, body: JSON.parse(r.rawBody) as { id: string; type: string; data: Record<string, unknown> } })).filter((a) => a.body.data.callId === callId);

it('tells the managers by signed webhook when a person fails a step, once per attempt', async () => {
  const input = { channel: 'PHONE' as const, category: 'appliances', summary: 'Oven does not heat', customer: { name: 'Olga Oven', email: 'olga@example.com' } };
  const { call } = await bus.execute(new OpenServiceCallCommand(input, { actor: AGENT }));
  await untilStep(call.id, 'record-complaint', 'READY');

  await change(call.id, { type: 'FailStep', data: { stepKey: 'record-complaint', reason: 'the customer hung up' } });
  const [first] = await eventually('the first alert', async () => alertsOf(call.id).length === 1 && alertsOf(call.id));
  expect(first.body).toMatchObject({
    id: `step-failed:${call.id}:record-complaint#1`,
    type: 'step.failed',
    data: { trackingCode: call.trackingCode, phaseKey: 'intake', stepKey: 'record-complaint', attempt: 1, reason: 'the customer hung up', automated: false, by: AGENT },
  });
  const signed = { secret: SECRET, rawBody: first.r.rawBody, signature: first.r.headers['x-signature'] as string, timestamp: first.r.headers['x-webhook-timestamp'] as string };
  expect(verifyWebhookSignature(signed)).toBe(true);

  // the activity again (a retry, a new run): the ledger sends nothing more
  const failedAt = stepOf(await t.callOf(call.id), 'record-complaint').failedAt as string;
  // the POST can reach the receiver before the workflow's send is marked sent: until then a repeat is
  // told to retry (TransientSendError), as Temporal would
  await eventually('the repeated send', async () => {
    try {
      await t.activities.sendProcessAlert({ callId: call.id, stepKey: 'record-complaint', attempt: 1, failedAt });
      return true;
    } catch (error) {
      if (error instanceof TransientSendError) return false;
      throw error;
    }
  });
  expect(alertsOf(call.id)).toHaveLength(1);

  // retried and failed again: a new alert for attempt 2
  await change(call.id, { type: 'RetryStep', data: { stepKey: 'record-complaint' } });
  await untilStep(call.id, 'record-complaint', 'READY');
  await change(call.id, { type: 'FailStep', data: { stepKey: 'record-complaint', reason: 'wrong number' } });
  const both = await eventually('the second alert', async () => alertsOf(call.id).length === 2 && alertsOf(call.id));
  expect(both[1].body).toMatchObject({ id: `step-failed:${call.id}:record-complaint#2`, data: { attempt: 2, reason: 'wrong number' } });

  // the send's timeout follows from the worker's webhook retry configuration, which the dispatcher
  // passed in: one attempt of 30 s → a ledger lease of 60 s → 2 minutes (4 with the defaults)
  const expected = webhookActivityTimeoutMs(webhookRetryOf(t.app.get(AppConfig)));
  expect(expected).toBe(120_000);
  const history = await t.env.client.workflow.getHandle(serviceCallWorkflowId(call.id)).fetchHistory();
  const sends = (history.events ?? []).flatMap((e) => {
    const scheduled = e.activityTaskScheduledEventAttributes;
    return scheduled?.activityType?.name === 'sendProcessAlert' ? [Number(scheduled.startToCloseTimeout?.seconds ?? 0) * 1000] : [];
  });
  expect(sends).toEqual([expected, expected]);
}, 120_000);
