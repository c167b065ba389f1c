// aftercareWorkflow on Temporal's time-skipping test server with real parts: the dispatcher starting it
// on ServiceCallResolved, the worker's activities over a SQLite event store, the outbound ledger, a real
// SMTP server and a real HTTP receiver in the test process. A fresh environment per test: the calls'
// times come from the real clock, the workflows' from the server's skipped clock.
import { FeedbackInput, ResolutionInput, ServiceCall } from '@app/domain';
import { outboundTestServers } from '../../../libs/outbound/src/testing/outbound-test-servers';
import { ChangeServiceCallCommand, OpenServiceCallCommand } from '@app/service-calls';
import { CommandBus } from '@nestjs/cqrs';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { eventually, startWorkflowTestEnv, WorkflowTestEnv } from '../../../test/support/temporal-test-env';
import { historyToJson } from '../../test/history-json';
import type { ProcessCommand } from '../service-call/service-call.activities';
import { aftercareWorkflowId } from './aftercare.messages';
import { UNANSWERED_FOLLOW_UP } from './aftercare.workflow';

const AGENT = 'apikey:test';
const hours = (n: number) => n * 3_600_000;
const days = (n: number) => n * 86_400_000;
const CUSTOMER = { name: 'Ada Customer', email: 'ada@example.com', preferredChannel: 'EMAIL' as const };

const { smtp, receiver } = outboundTestServers();
let t: WorkflowTestEnv;
let bus: CommandBus;

beforeEach(async () => {
  t = await startWorkflowTestEnv('aftercare', {
    aftercare: true,
    env: { SMTP_URL: smtp.url(), WEBHOOK_URL: receiver.url('/alerts'), WEBHOOK_SECRET: 'whsec-test' },
  });
  bus = t.app.get(CommandBus);
}, 120_000);
afterEach(() => t?.close(), 60_000);

let opened = 0;
/**
 * Opens a call and resolves it, as the process does (the workflow's own events, which the dispatcher
 * gives to the aftercare only) or by a person (the dispatcher gives these to both workflows). Most
 * tests resolve as the process: a person's resolution also reaches serviceCallWorkflow, whose local
 * activities on this uncached test worker may stall time skipping for a workflow task timeout (10 s).
 */
async function resolvedCall(
  resolution: ResolutionInput = { agreedSolution: 'Replaced the pump', implemented: true },
  { byWorkflow = true } = {},
): Promise<string> {
  opened++;
  const {
    call: { id: callId },
  } = await bus.execute(
    new OpenServiceCallCommand(
      { channel: 'PHONE', category: 'appliances', summary: `Washing machine leaks ${opened}`, customer: CUSTOMER },
      { actor: AGENT, idempotencyKey: `open-${opened}-${Date.now()}` },
    ),
  );
  await until(callId, 'the process started', (c) => c.phases[0].steps[0].status === 'READY');
  if (byWorkflow) await t.activities.issueCommand({ callId, command: { type: 'ResolveServiceCall', data: { resolution } }, idempotencyKey: 'resolve-now' });
  else await change(callId, { type: 'ResolveServiceCall', data: { resolution } });
  // the aftercare runs before the test moves the clock
  await eventually('aftercare started', async () => (await t.env.client.workflow.getHandle(aftercareWorkflowId(callId)).describe().catch(() => undefined)) !== undefined);
  return callId;
}

const change = (callId: string, command: ProcessCommand) => bus.execute(new ChangeServiceCallCommand(callId, command, { actor: AGENT }));
const feedback = (callId: string, value: FeedbackInput) => change(callId, { type: 'RecordFeedback', data: { feedback: value } });

function until(callId: string, what: string, probe: (call: ServiceCall) => boolean): Promise<ServiceCall> {
  return eventually(what, async () => {
    const call = await t.callOf(callId);
    return probe(call) && call;
  });
}
const contactOf = (call: ServiceCall, id: string) => call.contacts.find((c) => c.id === id);
const followUpSent = (callId: string) => until(callId, 'follow-up recorded', (c) => contactOf(c, 'follow-up-1')?.outcome !== undefined);
const aftercareResult = (callId: string) => t.env.client.workflow.getHandle(aftercareWorkflowId(callId)).result();

/**
 * RECORD_HISTORIES=aftercare-v<n> writes the finished run's history to workflows/test/histories/<label>-<scenario>.json,
 * which service-call.replay.int.spec.ts replays against the current code with every other recorded history.
 */
async function recordHistory(callId: string, scenario: string): Promise<void> {
  const label = process.env.RECORD_HISTORIES;
  if (!label?.startsWith('aftercare-')) return;
  const history = await t.env.client.workflow.getHandle(aftercareWorkflowId(callId)).fetchHistory();
  fs.writeFileSync(path.join(__dirname, '../../test/histories', `${label}-${scenario}.json`), historyToJson(history) + '\n');
}

test('the follow-up goes out two days after resolution by e-mail, once; satisfied feedback closes the call (resolved by a person)', async () => {
  const callId = await resolvedCall(undefined, { byWorkflow: false });
  const { trackingCode } = await t.callOf(callId);
  const before = smtp.received.length;
  await t.env.sleep(days(1) + hours(23));
  expect((await t.callOf(callId)).contacts).toEqual([]);
  await t.env.sleep(hours(2));
  const call = await followUpSent(callId);
  expect(contactOf(call, 'follow-up-1')).toMatchObject({ purpose: 'FOLLOW_UP', channel: 'EMAIL', outcome: 'SENT' });
  const mails = smtp.received.slice(before).filter((m) => m.parsed.subject?.includes(trackingCode));
  expect(mails).toHaveLength(1);
  expect(mails[0].envelopeTo).toEqual(['ada@example.com']);
  expect(mails[0].parsed.subject).toContain('How did we do?');

  await feedback(callId, { satisfied: true, score: 5 });
  expect((await t.callOf(callId)).status).toBe('CLOSED');
  // the answer timeout passes: nothing more happens to a closed call but the check-in
  await t.env.sleep(days(8));
  const later = await t.callOf(callId);
  expect(later.status).toBe('CLOSED');
  expect(later.contacts.map((c) => c.id)).toEqual(['follow-up-1']);
  expect(smtp.received.slice(before).filter((m) => m.parsed.subject?.includes(trackingCode))).toHaveLength(1);
}, 60_000);

test('unsatisfied feedback reopens the call, tells the manager by webhook and ends the aftercare', async () => {
  const callId = await resolvedCall();
  await t.env.sleep(days(2));
  await followUpSent(callId);
  await feedback(callId, { satisfied: false, score: 2, comment: 'still leaks' });
  expect((await t.callOf(callId)).status).not.toMatch(/RESOLVED|CLOSED/);
  await expect(aftercareResult(callId)).resolves.toBeUndefined();
  await recordHistory(callId, 'unsatisfied');
  const alerts = receiver.requests.filter((r) => r.headers['idempotency-key'] === `feedback:${callId}:1`);
  expect(alerts).toHaveLength(1);
  expect(JSON.parse(alerts[0].rawBody)).toMatchObject({ type: 'UNSATISFIED_FEEDBACK', data: { callId, score: 2, comment: 'still leaks' } });
  const call = await t.callOf(callId);
  expect(call.contacts.map((c) => c.id)).toEqual(['follow-up-1']);
  expect(call.status).not.toBe('CLOSED');
  // a later aftercare event of the call finds no aftercare running: the dispatcher drops it and goes on
  const { position } = await change(callId, { type: 'RecordResolution', data: { resolution: { agreedSolution: 'Try another pump', implemented: true } } });
  await eventually('dispatched past it', () => t.dispatcher.checkpoint >= position);
}, 60_000);

test('a follow-up nobody answers closes the call as unanswered after FOLLOW_UP_ANSWER_TIMEOUT (resolved by the process)', async () => {
  const callId = await resolvedCall();
  await t.env.sleep(days(2));
  await followUpSent(callId);
  await t.env.sleep(days(6));
  expect((await t.callOf(callId)).status).toBe('RESOLVED');
  await t.env.sleep(days(1) + hours(1));
  await until(callId, 'closed as unanswered', (c) => c.status === 'CLOSED');
  const closed = (await t.streamOf(callId)).find((e) => e.type === 'ServiceCallClosed');
  expect(closed?.data).toMatchObject({ reason: UNANSWERED_FOLLOW_UP, by: 'workflow' });
  // then the check-in, and the run ends
  await t.env.sleep(days(22));
  await until(callId, 'check-in recorded', (c) => contactOf(c, 'retention-check-in-1')?.outcome !== undefined);
  await expect(aftercareResult(callId)).resolves.toBeUndefined();
  await recordHistory(callId, 'unanswered');
}, 60_000);

test('the retention check-in goes out 30 days after resolution, also to a call already CLOSED; then the aftercare ends', async () => {
  const callId = await resolvedCall();
  // satisfied before the follow-up was due: the call is CLOSED and no follow-up goes out
  await feedback(callId, { satisfied: true, score: 4, wouldBuyAgain: true });
  expect((await t.callOf(callId)).status).toBe('CLOSED');
  await t.env.sleep(days(29));
  expect((await t.callOf(callId)).contacts).toEqual([]);
  await t.env.sleep(days(1) + hours(1));
  const call = await until(callId, 'check-in recorded', (c) => contactOf(c, 'retention-check-in-1')?.outcome !== undefined);
  expect(call.contacts).toEqual([expect.objectContaining({ id: 'retention-check-in-1', purpose: 'RETENTION_CHECK_IN', channel: 'EMAIL', outcome: 'SENT' })]);
  expect(smtp.received.filter((m) => m.parsed.subject?.includes(call.trackingCode))).toHaveLength(1);
  await expect(aftercareResult(callId)).resolves.toBeUndefined();
  await recordHistory(callId, 'closed-check-in');
}, 60_000);

test('a promised date that passes without the solution carried out reminds the assignee and the manager, once', async () => {
  const promisedBy = new Date(Date.now() + 3 * 86_400_000).toISOString();
  const callId = await resolvedCall({ agreedSolution: 'A new drum by Thursday', implemented: false, promisedBy });
  const alertId = `promise:${callId}:${promisedBy}`;
  await t.env.sleep(days(2) + hours(23));
  expect(receiver.requests.filter((r) => r.headers['idempotency-key'] === alertId)).toHaveLength(0);
  await t.env.sleep(hours(2));
  const call = await until(callId, 'reminder noted', (c) => c.notes.some((n) => n.text.startsWith(`Promise reminder (${promisedBy})`)));
  const alerts = receiver.requests.filter((r) => r.headers['idempotency-key'] === alertId);
  expect(alerts).toHaveLength(1);
  expect(JSON.parse(alerts[0].rawBody)).toMatchObject({ id: alertId, type: 'PROMISE_REMINDER', data: { callId, promisedBy } });
  expect(call.notes.find((n) => n.text.startsWith('Promise reminder'))).toMatchObject({ kind: 'INTERNAL', author: 'workflow' });
  await t.env.sleep(days(31));
  await expect(aftercareResult(callId)).resolves.toBeUndefined();
  await recordHistory(callId, 'promise-reminder');
  expect(receiver.requests.filter((r) => r.headers['idempotency-key'] === alertId)).toHaveLength(1);
}, 60_000);

test('a promise carried out in time sends no reminder', async () => {
  const promisedBy = new Date(Date.now() + 3 * 86_400_000).toISOString();
  const callId = await resolvedCall({ agreedSolution: 'A new drum by Thursday', implemented: false, promisedBy });
  await t.env.sleep(days(1));
  await change(callId, { type: 'RecordResolution', data: { resolution: { agreedSolution: 'A new drum fitted', implemented: true } } });
  await t.env.sleep(days(3));
  await followUpSent(callId);
  expect((await t.callOf(callId)).notes.filter((n) => n.text.startsWith('Promise reminder'))).toEqual([]);
  expect(receiver.requests.filter((r) => String(r.headers['idempotency-key']).startsWith(`promise:${callId}`))).toHaveLength(0);
}, 60_000);

test('a call resolved again after a reopen gets a new round: follow-up-2 from the new resolution', async () => {
  const callId = await resolvedCall();
  await feedback(callId, { satisfied: false, score: 1 });
  await expect(aftercareResult(callId)).resolves.toBeUndefined();
  const resolution = { agreedSolution: 'Replaced the whole machine', implemented: true };
  await t.activities.issueCommand({ callId, command: { type: 'ResolveServiceCall', data: { resolution } }, idempotencyKey: 'resolve-again' });
  await eventually('a new aftercare run', async () => {
    const description = await t.env.client.workflow.getHandle(aftercareWorkflowId(callId)).describe();
    return description.status.name === 'RUNNING';
  });
  await t.env.sleep(days(2) + hours(1));
  const call = await until(callId, 'second follow-up recorded', (c) => contactOf(c, 'follow-up-2')?.outcome !== undefined);
  expect(call.contacts.map((c) => [c.id, c.outcome])).toEqual([['follow-up-2', 'SENT']]);
}, 60_000);
