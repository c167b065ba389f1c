// "Downtime is a non-event" (issue 18): the worker stops, the clock moves past every due time of a set
// of calls (follow-up, answer window, promise reminder, retention check-in, SLA at risk and breached),
// the worker starts again. Each due effect happens exactly once and in the order it was due, the
// follow-up still waits its full answer window, and the outbound ledger, a real HTTP webhook receiver,
// a real SMTP server and the calls' histories agree that nothing went out twice.
//
// On the Temporal dev server with due times of seconds, in real time: the time-skipping test server
// stops its clock while a workflow task waits for a worker (a stopped worker's first due timer holds
// it), so a downtime cannot be skipped over there.
//
// The second test shows the repeat loop of the released aftercare (workflows/test/fixtures/
// aftercare-downtime-old.workflows.ts) and hands that very run to the current code, which replays it
// and settles. RECORD_HISTORIES=aftercare-downtime writes both runs' histories to workflows/test/histories
// (aftercare-downtime-v1-repeat.json from the released code, aftercare-downtime-v2-settled.json from
// the current one); aftercare.replay.int.spec.ts replays them.
import { ServiceCall, WORKFLOW_ACTOR } from '@app/domain';
import { OutboundLedger } from '@app/outbound';
import { ChangeServiceCallCommand, DefineSlaPolicyCommand, OpenServiceCallCommand } from '@app/service-calls';
import { CommandBus } from '@nestjs/cqrs';
import type { WorkflowExecutionDescription } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import Database from 'better-sqlite3';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { outboundTestServers } from '../../../libs/outbound/src/testing/outbound-test-servers';
import { workflowBundleOptions } from '../../../apps/worker/src/temporal/workflow-bundle';
import { eventually, startWorkflowTestEnv, WorkflowTestEnv } from '../../../test/support/temporal-test-env';
import { historyToJson } from '../../test/history-json';
import type { ProcessCommand } from '../service-call/service-call.activities';
import { aftercareWorkflowId } from './aftercare.messages';
import { UNANSWERED_FOLLOW_UP } from './aftercare.workflow';

const seconds = (n: number) => n * 1000;
/** the due times, from the resolution (aftercare) or the opening (SLA): all within the downtime */
const FOLLOW_UP_AFTER = seconds(12);
const PROMISE_AFTER = seconds(15);
const RETENTION_AFTER = seconds(20);
const ANSWER_WINDOW = seconds(10);
const SLA = { firstResponse: seconds(12), resolution: seconds(24), warnAt: 0.75 }; // at risk after 9 s and 18 s
const PAST_DUE = seconds(3); // the downtime ends this long after the last due time
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const AGENT = 'apikey:test';
const MANAGER = 'apikey:test-manager';
const CUSTOMER = { name: 'Dora Downtime', email: 'dora@example.com', preferredChannel: 'EMAIL' as const };
const HISTORIES_DIR = path.join(__dirname, '../../test/histories');

const { smtp, receiver } = outboundTestServers();
let t: WorkflowTestEnv;
let bus: CommandBus;
beforeEach(async () => {
  t = await startWorkflowTestEnv('aftercare-downtime', {
    aftercare: true,
    realTime: true,
    env: {
      SMTP_URL: smtp.url(),
      WEBHOOK_URL: receiver.url('/alerts'),
      WEBHOOK_SECRET: 'whsec-test',
      FOLLOW_UP_AFTER: `PT${FOLLOW_UP_AFTER / 1000}S`,
      FOLLOW_UP_ANSWER_TIMEOUT: `PT${ANSWER_WINDOW / 1000}S`,
      RETENTION_CHECK_IN_AFTER: `PT${RETENTION_AFTER / 1000}S`,
    },
  });
  bus = t.app.get(CommandBus);
}, 120_000);
afterEach(() => t?.close(), 60_000);

let opened = 0;
async function open(category: string): Promise<string> {
  opened++;
  const { call } = await bus.execute(
    new OpenServiceCallCommand(
      { channel: 'PHONE', category, summary: `Dryer stopped ${opened}`, customer: CUSTOMER },
      { actor: AGENT, idempotencyKey: `downtime-open-${opened}-${Date.now()}` },
    ),
  );
  await until(call.id, 'the process started', (c) => c.phases[0].steps[0].status === 'READY');
  return call.id;
}
const change = (callId: string, command: ProcessCommand) => bus.execute(new ChangeServiceCallCommand(callId, command, { actor: AGENT }));
function until(callId: string, what: string, probe: (call: ServiceCall) => boolean): Promise<ServiceCall> {
  return eventually(what, async () => {
    const call = await t.callOf(callId);
    return probe(call) && call;
  });
}

const aftercare = (callId: string) => t.env.client.workflow.getHandle(aftercareWorkflowId(callId));
const historyOf = async (callId: string) => (await aftercare(callId).fetchHistory()).events ?? [];
/** activities the aftercare scheduled, by type */
async function scheduled(callId: string, activityType: string): Promise<number> {
  return (await historyOf(callId)).filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === activityType).length;
}
/** the durations of the timers the aftercare started, in ms */
async function timers(callId: string): Promise<number[]> {
  return (await historyOf(callId)).flatMap((e) => {
    const timeout = e.timerStartedEventAttributes?.startToFireTimeout;
    return timeout ? [Number(timeout.seconds ?? 0) * 1000 + Math.round((timeout.nanos ?? 0) / 1e6)] : [];
  });
}
const status = async (callId: string): Promise<WorkflowExecutionDescription['status']['name']> => (await aftercare(callId).describe()).status.name;

/**
 * Resolves the call as its process does (the workflow actor: only the aftercare hears of it) with a
 * promise due PROMISE_AFTER later, and waits until the aftercare run has armed its timers.
 */
async function resolvedWithPromise(callId: string): Promise<string> {
  const promisedBy = new Date(Date.now() + PROMISE_AFTER).toISOString();
  await t.activities.issueCommand({
    callId,
    command: { type: 'ResolveServiceCall', data: { resolution: { agreedSolution: 'A new drum motor', implemented: false, promisedBy } } },
    idempotencyKey: 'resolve-now',
  });
  await eventually('aftercare waiting on its timers', async () => (await aftercare(callId).describe().catch(() => undefined)) !== undefined && (await timers(callId)).length >= 3);
  return promisedBy;
}

/** What went out for the call: the ledger's rows, the webhook requests and the e-mails, by key. */
function sent(callId: string, trackingCode: string) {
  const ledger = new Database(path.join(t.dataDir, 'outbound.sqlite'), { readonly: true });
  try {
    const rows = ledger.prepare('SELECT kind, key, state FROM outbound_sends WHERE key LIKE ? ORDER BY kind, key').all(`%${callId}%`) as { kind: string; key: string; state: string }[];
    return {
      ledger: rows.map((r) => `${r.kind} ${r.key.replace(callId, '<call>')} ${r.state}`),
      webhooks: receiver.requests.filter((r) => String(r.headers['idempotency-key']).includes(callId)).map((r) => String(r.headers['idempotency-key']).replace(callId, '<call>')),
      mails: smtp.received.filter((m) => m.parsed.subject?.includes(trackingCode)).map((m) => m.parsed.subject?.replace(` (${trackingCode})`, '')),
    };
  } finally {
    ledger.close();
  }
}

test('downtime past every due time: each effect once and in order, the follow-up still waits its answer window, nothing sent twice', async () => {
  await bus.execute(
    new DefineSlaPolicyCommand(
      { key: 'downtime', category: 'downtime', firstResponseTarget: `PT${SLA.firstResponse / 1000}S`, resolutionTarget: `PT${SLA.resolution / 1000}S`, warnAt: SLA.warnAt },
      { actor: MANAGER },
    ),
  );
  // a resolved call with its aftercare waiting: follow-up, promise reminder, check-in
  const resolved = await open('appliances');
  const resolvedAt = Date.now();
  const promisedBy = await resolvedWithPromise(resolved);
  const { trackingCode } = await t.callOf(resolved);
  // an untouched call (its workflow armed its SLA timers): first response at risk and breached, then resolution
  const openedAt = Date.now();
  const slaCall = await open('downtime');

  await t.stopWorker();
  // the worker went down before the first due time (else the test proves nothing)
  expect(Date.now()).toBeLessThan(Math.min(openedAt + SLA.firstResponse * SLA.warnAt, resolvedAt + FOLLOW_UP_AFTER));
  // people keep working: a note the aftercare is never signalled (notes are not aftercare events)
  await change(resolved, { type: 'AddNote', data: { kind: 'INTERNAL', text: 'Customer rang: the motor is on order' } });
  await sleep(Math.max(openedAt + SLA.resolution, resolvedAt + RETENTION_AFTER) + PAST_DUE - Date.now());
  // nothing happened during the downtime
  expect(sent(resolved, trackingCode)).toEqual({ ledger: [], webhooks: [], mails: [] });
  expect((await t.callOf(slaCall)).slaEvents).toEqual([]);
  const restartedAt = Date.now();
  await t.startWorker();

  await until(slaCall, 'SLA breached twice', (c) => c.slaEvents.filter((r) => r.kind === 'BREACHED').length === 2);
  await until(resolved, 'follow-up, reminder and check-in recorded', (c) => c.contacts.filter((x) => x.outcome).length === 2 && c.notes.some((n) => n.text.startsWith('Promise reminder')));
  const followedUp = (await t.streamOf(resolved)).find((e) => e.type === 'CustomerContacted')!;
  // the answer window is the full window from the late follow-up
  await sleep(new Date(followedUp.recordedAt).getTime() + ANSWER_WINDOW - seconds(2) - Date.now());
  expect((await t.callOf(resolved)).status).toBe('RESOLVED');
  await until(resolved, 'closed as unanswered', (c) => c.status === 'CLOSED');
  await eventually('aftercare finished', async () => (await status(resolved)) === 'COMPLETED');
  await recordHistory(resolved, 'v2-settled');

  // the resolved call's history: each effect once, in the order it was due
  const stream = await t.streamOf(resolved);
  const effects = stream
    .filter((e) => e.metadata.actor === WORKFLOW_ACTOR && ['ContactScheduled', 'CustomerContacted', 'NoteAdded', 'ServiceCallClosed'].includes(e.type))
    .map((e) => {
      const data = e.data as { contactId?: string; text?: string; reason?: string };
      return `${e.type} ${data.contactId ?? data.text?.slice(0, 16) ?? data.reason}`;
    });
  expect(effects).toEqual([
    'ContactScheduled follow-up-1',
    'CustomerContacted follow-up-1',
    'NoteAdded Promise reminder',
    'ContactScheduled retention-check-in-1',
    'CustomerContacted retention-check-in-1',
    `ServiceCallClosed ${UNANSWERED_FOLLOW_UP}`,
  ]);
  const closed = stream.find((e) => e.type === 'ServiceCallClosed')!;
  expect(new Date(followedUp.recordedAt).getTime()).toBeGreaterThanOrEqual(restartedAt);
  expect(new Date(closed.recordedAt).getTime() - new Date(followedUp.recordedAt).getTime()).toBeGreaterThanOrEqual(ANSWER_WINDOW);
  // the run asked for each send once
  expect(await scheduled(resolved, 'sendPromiseReminder')).toBe(1);
  expect(await scheduled(resolved, 'contactCustomer')).toBe(2);
  expect(await timers(resolved)).toContain(ANSWER_WINDOW);
  // ledger, webhook receiver and SMTP server agree: one of each
  expect(sent(resolved, trackingCode)).toEqual({
    ledger: ['contact <call>:follow-up-1 sent', 'contact <call>:retention-check-in-1 sent', `webhook promise:<call>:${promisedBy} sent`],
    webhooks: [`promise:<call>:${promisedBy}`],
    mails: ['How did we do?', 'Checking in a month later'],
  });

  // the untouched call: each target breached once, an at-risk record (if any: the process workflow
  // records what is due when it wakes, and may go straight to the breach) once and before it; one
  // webhook per record, each sent once by the ledger; one automatic escalation per breach
  const sla = (await t.streamOf(slaCall)).filter((e) => e.type === 'SlaAtRisk' || e.type === 'SlaBreached').map((e) => `${e.type} ${(e.data as { target: string }).target}`);
  expect(new Set(sla).size).toBe(sla.length);
  for (const target of ['FIRST_RESPONSE', 'RESOLUTION']) {
    const ofTarget = sla.filter((x) => x.endsWith(target));
    expect([[`SlaBreached ${target}`], [`SlaAtRisk ${target}`, `SlaBreached ${target}`]]).toContainEqual(ofTarget);
  }
  expect(sla.indexOf('SlaBreached FIRST_RESPONSE')).toBeLessThan(sla.indexOf('SlaBreached RESOLUTION'));
  const slaWebhooks = receiver.requests.filter((r) => String(r.headers['idempotency-key']).startsWith(`sla:${slaCall}:`)).map((r) => String(r.headers['idempotency-key']));
  expect(slaWebhooks).toHaveLength(sla.length);
  expect(new Set(slaWebhooks).size).toBe(sla.length);
  const ledger = t.app.get(OutboundLedger);
  for (const id of slaWebhooks) expect((await ledger.lookup('webhook', id))?.state).toBe('sent');
  expect((await t.callOf(slaCall)).escalations.filter((e) => e.automatic)).toHaveLength(2);
}, 120_000);

test('a run of the released aftercare caught in the repeat loop replays under the current code and settles', async () => {
  const released = await bundleWorkflowCode({
    ...workflowBundleOptions(),
    workflowsPath: path.join(__dirname, '../../test/fixtures/aftercare-downtime-old.workflows.ts'),
    logger: new DefaultLogger('WARN'),
  });
  await t.startWorker(released);
  const callId = await open('appliances');
  const promisedBy = await resolvedWithPromise(callId);
  const { trackingCode } = await t.callOf(callId);

  const resolvedAt = Date.now();
  await t.stopWorker();
  await change(callId, { type: 'AddNote', data: { kind: 'INTERNAL', text: 'Customer rang: the motor is on order' } });
  await sleep(resolvedAt + RETENTION_AFTER + seconds(1) - Date.now());
  await t.startWorker(released);
  // the released code repeats the reminder (the ledger keeps the webhook to one) and skips the answer window
  await eventually('the reminder repeated', async () => (await scheduled(callId, 'sendPromiseReminder')) >= 5, { timeoutMs: 60_000 });
  expect(await timers(callId)).not.toContain(ANSWER_WINDOW);
  await t.stopWorker();
  await recordHistory(callId, 'v1-repeat');
  const repeated = await scheduled(callId, 'sendPromiseReminder');

  // the current code takes the same run over: it replays the loop, then reads the stream and stops
  await t.startWorker();
  await eventually('aftercare finished', async () => (await status(callId)) === 'COMPLETED', { timeoutMs: 60_000 });
  expect(await scheduled(callId, 'sendPromiseReminder')).toBeLessThanOrEqual(repeated + 1);
  const call = await t.callOf(callId);
  expect(call.notes.filter((n) => n.text.startsWith('Promise reminder'))).toHaveLength(1);
  expect(sent(callId, trackingCode)).toEqual({
    ledger: ['contact <call>:follow-up-1 sent', 'contact <call>:retention-check-in-1 sent', `webhook promise:<call>:${promisedBy} sent`],
    webhooks: [`promise:<call>:${promisedBy}`],
    mails: expect.arrayContaining(['How did we do?', 'Checking in a month later']),
  });
  expect(sent(callId, trackingCode).mails).toHaveLength(2);
}, 180_000);

/** RECORD_HISTORIES=aftercare-downtime writes the run's history as workflows/test/histories/aftercare-downtime-<name>.json */
async function recordHistory(callId: string, name: string): Promise<void> {
  if (process.env.RECORD_HISTORIES !== 'aftercare-downtime') return;
  const history = await aftercare(callId).fetchHistory();
  fs.writeFileSync(path.join(HISTORIES_DIR, `aftercare-downtime-${name}.json`), historyToJson(history) + '\n');
}
