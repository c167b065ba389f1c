// The worker's SLA due timers against a real SQLite event store and a real HTTP receiver for the
// webhook: at the moment a workflow armed, the call's due SLA records are appended with the workflow's
// own commands and keys (so the workflow's later command gets the same events back), the alert goes
// out once, the chain goes on to the call's next moment, and a moment that is no longer due (the call
// is waiting for the customer) records nothing.
import { AppConfig } from '@app/config';
import { serviceCallStreamId, slaRecordCommand, slaRecordKey } from '@app/domain';
import { EventStore } from '@app/event-store';
import { verifyWebhookSignature, WebhookEvent } from '@app/outbound';
import { ChangeServiceCallCommand, DefineSlaPolicyCommand, OpenServiceCallCommand, ServiceCallRepository } from '@app/service-calls';
import { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { CommandBus } from '@nestjs/cqrs';
import { sqliteTestDir } from '../../../../libs/event-store/src/testing/sqlite-test-dir';
import { HttpTestReceiver } from '../../../../libs/outbound/src/testing/http-test-receiver';
import { workerTestModule } from '../../../../test/support/temporal-test-env';
import { ServiceCallActivitiesService } from '../activities/service-call.activities';
import { SlaDueTimers } from './sla-due-timers';

const SECRET = 'due-timer-secret';
const AGENT = 'apikey:agent';
let app: INestApplicationContext;
const data = sqliteTestDir('sla-due-timers-', { scope: 'all' });
let receiver: HttpTestReceiver;
let bus: CommandBus;
let store: EventStore;
let activities: ServiceCallActivitiesService;
let timers: SlaDueTimers;

beforeAll(async () => {
  receiver = await new HttpTestReceiver().start();
  const config = new AppConfig({ DATA_DIR: data.dir, WEBHOOK_URL: receiver.url('/alerts'), WEBHOOK_SECRET: SECRET, WEBHOOK_MAX_ATTEMPTS: '1' });
  app = await NestFactory.createApplicationContext(workerTestModule(config), { logger: ['error'] });
  data.atTeardown(() => app.close());
  bus = app.get(CommandBus);
  store = app.get(EventStore);
  activities = app.get(ServiceCallActivitiesService);
  // first response within 2 s (AT_RISK after 1 s), resolution within an hour
  await bus.execute(
    new DefineSlaPolicyCommand({ key: 'due-timers', category: 'due-timers', firstResponseTarget: 'PT2S', resolutionTarget: 'PT1H', warnAt: 0.5 }, { actor: 'apikey:manager' }),
  );
}, 60_000);

// a fresh set of timers per test, as a new worker has
beforeEach(() => (timers = new SlaDueTimers(app.get(ServiceCallRepository), activities)));
afterEach(() => timers.onApplicationShutdown());

afterAll(() => receiver?.stop());

async function openCall(): Promise<{ id: string; receivedAt: number }> {
  const input = { channel: 'PHONE' as const, category: 'due-timers', summary: 'No dial tone', customer: { name: 'Ada', email: 'ada@example.com' } };
  const { call } = await bus.execute(new OpenServiceCallCommand(input, { actor: AGENT }));
  return { id: call.id, receivedAt: Date.parse(call.receivedAt) };
}

const typesOf = async (callId: string) => (await store.readStream(serviceCallStreamId(callId))).map((e) => e.type);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, probe: () => Promise<T | false>, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

it('records AT_RISK at its moment, then goes on to the breach by itself; the workflow’s own commands get the same events back', async () => {
  const call = await openCall();
  timers.armed(call.id, call.receivedAt + 1_000);
  expect(timers.pending).toBe(1);

  const atRisk = await until('SlaAtRisk', async () => (await store.readStream(serviceCallStreamId(call.id))).find((e) => e.type === 'SlaAtRisk') ?? false);
  expect(Date.parse(atRisk.recordedAt)).toBeGreaterThanOrEqual(call.receivedAt + 1_000);
  const dueAt = new Date(call.receivedAt + 2_000).toISOString();
  expect(atRisk.data).toMatchObject({ target: 'FIRST_RESPONSE', dueAt });

  // nobody told it about the breach moment: the chain armed it from the call's stream
  await until('SlaBreached', async () => (await typesOf(call.id)).includes('ServiceCallEscalated'));
  const types = await typesOf(call.id);
  expect(types.filter((t) => t === 'SlaAtRisk')).toHaveLength(1);
  expect(types.filter((t) => t === 'SlaBreached')).toHaveLength(1);

  // the workflow's timer fires later and issues the same commands with the same keys: nothing new
  const before = types.length;
  for (const action of [{ kind: 'AT_RISK', target: 'FIRST_RESPONSE', dueAt } as const, { kind: 'BREACHED', target: 'FIRST_RESPONSE', dueAt } as const]) {
    const answer = await activities.issueCommand({ callId: call.id, command: slaRecordCommand(action), idempotencyKey: slaRecordKey(action) });
    expect(answer.map((e) => e.type)).toEqual(action.kind === 'AT_RISK' ? ['SlaAtRisk'] : ['SlaBreached', 'ServiceCallEscalated']);
  }
  expect(await typesOf(call.id)).toHaveLength(before);

  // one signed webhook per alert, also when the workflow's activity sends the same alert id again
  const bodyOf = (r: { rawBody: string }) => JSON.parse(r.rawBody) as WebhookEvent;
  const alertsOf = () => receiver.requests.filter((r) => bodyOf(r).data.callId === call.id);
  await until('two alerts', async () => alertsOf().length === 2);
  const sent = alertsOf().map(bodyOf);
  expect(sent.map((a) => a.type).sort()).toEqual(['sla.at_risk', 'sla.breached']);
  for (const r of alertsOf()) {
    const signed = { secret: SECRET, rawBody: r.rawBody, signature: r.headers['x-signature'] as string, timestamp: r.headers['x-webhook-timestamp'] as string };
    expect(verifyWebhookSignature(signed)).toBe(true);
  }
  await activities.sendSlaAlert({ callId: call.id, alertId: sent[0].id, kind: 'AT_RISK', target: 'FIRST_RESPONSE', dueAt, at: new Date().toISOString() });
  await sleep(100);
  expect(alertsOf()).toHaveLength(2);
  // after the breach only the resolution (an hour away) is left: armed, not fired
  expect(timers.pending).toBe(1);
});

it('records nothing for a moment that is no longer due (waiting for the customer), and stops the chain', async () => {
  const call = await openCall();
  await bus.execute(new ChangeServiceCallCommand(call.id, { type: 'WaitForCustomer', data: { reason: 'photos of the router' } }, { actor: AGENT }));
  timers.armed(call.id, call.receivedAt + 1_000);
  await sleep(1_300);
  expect(await typesOf(call.id)).toEqual(['ServiceCallOpened', 'WaitingForCustomer']);
  expect(timers.pending).toBe(0);
});

it('forgets a moment when the workflow says none is due, and keeps only the latest one per call', async () => {
  const call = await openCall();
  timers.armed(call.id, call.receivedAt + 1_000);
  timers.armed(call.id, call.receivedAt + 60_000);
  expect(timers.pending).toBe(1);
  timers.armed(call.id, null);
  expect(timers.pending).toBe(0);
  await sleep(1_200);
  expect(await typesOf(call.id)).toEqual(['ServiceCallOpened']);
});
