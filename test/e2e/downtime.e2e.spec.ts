/**
 * "Downtime is a non-event" (issue 18) end to end, with the product as `npm start` runs it (embedded
 * Temporal dev server, SQLite files in DATA_DIR), a real HTTP receiver as the managers' webhook and a
 * real SMTP server in this test process, and aftercare delays and SLA targets of seconds.
 *
 * Over GraphQL: a call is resolved with a promise not carried out yet (its aftercare waits for the
 * follow-up, the promise date and the retention check-in); another call, of a category with a short SLA
 * policy, goes to an agent whose absence begins during the downtime. Then the product is stopped the
 * way an operator stops it (SIGTERM to `npm start`'s script: the API and the worker, then Temporal),
 * stays down past every due time, and starts again on the same DATA_DIR. Nothing went out while it was
 * down; afterwards each effect happens once, in the order it was due, the follow-up waits its whole
 * answer window from when it was actually sent, each alert id reaches the webhook once, each e-mail the
 * SMTP server once, the absent agent's call is taken off her once, and the calls' histories agree.
 * (The workflow-level version, with only the worker down: workflows/src/aftercare/aftercare-downtime.int.spec.ts.)
 */
import { verifyWebhookSignature } from '@app/outbound';
import { Connection, WorkflowClient } from '@temporalio/client';
import { HttpTestReceiver } from '../../libs/outbound/src/testing/http-test-receiver';
import { SmtpTestServer } from '../../libs/outbound/src/testing/smtp-test-server';
import { aftercareWorkflowId } from '../../workflows/src/aftercare/aftercare.messages';
import { serviceCallWorkflowId } from '../../workflows/src/service-call/service-call.messages';
import { DEV_KEYS, GraphQLClient, waitFor } from '../support/graphql-client';
import { callInput, openCall } from '../support/service-calls';
import { Stack, withStackLogs } from '../support/stack';

jest.setTimeout(240_000);

const s = (n: number) => n * 1000;
/** the aftercare's delays (from the resolution), as the product's configuration */
const FOLLOW_UP_AFTER = s(10);
const PROMISE_AFTER = s(12); // promisedBy, set at resolution
const RETENTION_AFTER = s(14);
const ANSWER_WINDOW = s(5); // a close due from the planned follow-up (10 s + 5 s) falls inside the downtime
/** the SLA policy of the second call's category (from its opening): at risk after 9.6 s and 12.8 s, breached after 12 s and 16 s */
const SLA = { firstResponse: s(12), resolution: s(16), warnAt: 0.8 };
/** the product is down until this long after the last due time */
const PAST_DUE = s(2);

const SECRET = 'e2e-downtime-secret';
const SLA_CATEGORY = 'downtime-e2e';
const [ANNA, BEN] = ['e2e-down-anna', 'e2e-down-ben'];

const FIELDS = `id trackingCode version status closedAt assignee
  assignments { agentId trigger automatic at }
  escalations { reason automatic }
  contacts { id purpose channel outcome sentAt }
  notes { kind text }
  history { type version at data }`;
type Event = { type: string; version: number; at: string; data: string };
type Call = {
  id: string;
  trackingCode: string;
  version: number;
  status: string;
  closedAt: string | null;
  assignee: string | null;
  assignments: { agentId: string; trigger: string; automatic: boolean; at: string }[];
  escalations: { reason: string; automatic: boolean }[];
  contacts: { id: string; purpose: string; channel: string; outcome: string | null; sentAt: string | null }[];
  notes: { kind: string; text: string }[];
  history: Event[];
};
const CALL = `query Call($id: ID!) { serviceCall(id: $id) { ${FIELDS} } }`;
const RESOLVE = 'mutation Resolve($input: ResolutionInput!) { resolveServiceCall(input: $input) { id status resolvedAt } }';
const DEFINE_SLA = 'mutation Define($input: SlaPolicyInput!) { defineSlaPolicy(input: $input) }';
const REGISTER = 'mutation Register($input: RegisterAgentInput!) { registerAgent(input: $input) { id } }';
const SCHEDULE = 'mutation Schedule($input: ScheduleAbsenceInput!) { scheduleAbsence(input: $input) { id absences { id } } }';
const AGENT = 'query Agent($id: ID!) { agent(id: $id) { id openCallIds currentAbsence { id } } }';

const data = (e: Event) => JSON.parse(e.data) as Record<string, string>;
const ms = (iso: string) => new Date(iso).getTime();
const sleep = (n: number) => new Promise((resolve) => setTimeout(resolve, n));

describe('downtime is a non-event: stop, wait past every due time, start again (e2e)', () => {
  let stack: Stack | undefined;
  let smtp: SmtpTestServer;
  let receiver: HttpTestReceiver;
  let manager: GraphQLClient;
  const e2e = (body: () => Promise<void>) => withStackLogs(() => stack, body, 12_000);

  beforeAll(async () => {
    smtp = await new SmtpTestServer().start();
    receiver = await new HttpTestReceiver().start();
    stack = await Stack.start({
      name: 'downtime',
      env: {
        SMTP_URL: smtp.url(),
        WEBHOOK_URL: receiver.url('/alerts'),
        WEBHOOK_SECRET: SECRET,
        FOLLOW_UP_AFTER: `PT${FOLLOW_UP_AFTER / 1000}S`,
        FOLLOW_UP_ANSWER_TIMEOUT: `PT${ANSWER_WINDOW / 1000}S`,
        RETENTION_CHECK_IN_AFTER: `PT${RETENTION_AFTER / 1000}S`,
      },
    });
    manager = new GraphQLClient(stack.graphqlUrl, DEV_KEYS.MANAGER);
  }, 240_000);

  afterAll(async () => {
    await stack?.dispose();
    await receiver?.stop();
    await smtp?.stop();
  }, 60_000);

  const getCall = async (id: string): Promise<Call> => (await manager.ok<{ serviceCall: Call }>(CALL, { id })).serviceCall;
  const until = (id: string, what: string, probe: (call: Call) => boolean, timeoutMs = 60_000) =>
    waitFor(async () => {
      const call = await getCall(id);
      return probe(call) && call;
    }, timeoutMs, { description: what, intervalMs: 100 });

  /** Waits until the workflow has started at least `count` timers (what it will wake up for), read from Temporal. */
  async function armed(workflowId: string, count: number): Promise<void> {
    const connection = await Connection.connect({ address: `127.0.0.1:${stack!.ports.temporal}` });
    try {
      const handle = new WorkflowClient({ connection }).getHandle(workflowId);
      await waitFor(
        async () => ((await handle.fetchHistory()).events ?? []).filter((e) => e.timerStartedEventAttributes).length >= count,
        30_000,
        { description: `${workflowId} to have started ${count} timers`, intervalMs: 100 },
      );
    } finally {
      await connection.close();
    }
  }

  it(
    'each due effect once and in due order after the restart, the full answer window from the late follow-up, every alert and mail once, the absent agent’s call moved once',
    e2e(async () => {
      await manager.ok(DEFINE_SLA, {
        input: { key: 'downtime-e2e', category: SLA_CATEGORY, firstResponseTarget: `PT${SLA.firstResponse / 1000}S`, resolutionTarget: `PT${SLA.resolution / 1000}S`, warnAt: SLA.warnAt },
      });
      const agent = (id: string, level: number) => ({ id, name: `Agent ${id}`, regions: ['*'], skills: [{ kind: 'CATEGORY', key: SLA_CATEGORY, level }], languages: ['de'], capacity: 5 });
      await manager.ok(REGISTER, { input: agent(ANNA, 5) });
      await manager.ok(REGISTER, { input: agent(BEN, 1) });

      // the SLA call: nobody works it; routing gives it to Anna (more skill than Ben)
      const slaCall = await openCall(manager, callInput({ category: SLA_CATEGORY }));
      const openedAt = ms(slaCall.openedAt); // the SLA clock starts here
      await until(slaCall.id, 'the SLA call assigned to Anna', (c) => c.assignee === ANNA);
      await armed(serviceCallWorkflowId(slaCall.id), 1);
      const slaDue = {
        firstResponseAtRisk: openedAt + SLA.firstResponse * SLA.warnAt,
        resolutionBreached: openedAt + SLA.resolution,
      };

      // the resolved call: its aftercare waits for the follow-up, the promise date and the check-in
      const resolved = await openCall(manager, callInput());
      const promisedBy = new Date(Date.now() + PROMISE_AFTER).toISOString();
      const answer = await manager.ok<{ resolveServiceCall: { status: string; resolvedAt: string } }>(RESOLVE, {
        input: { callId: resolved.id, agreedSolution: 'A new router is on its way', implemented: false, promisedBy },
      });
      expect(answer.resolveServiceCall.status).toBe('RESOLVED');
      const resolvedAt = ms(answer.resolveServiceCall.resolvedAt); // the aftercare's delays count from here
      await armed(aftercareWorkflowId(resolved.id), 3);

      // Anna's absence begins while the product is down and ends long after it; Ben takes over
      const firstDue = Math.min(slaDue.firstResponseAtRisk, resolvedAt + FOLLOW_UP_AFTER);
      const lastDue = Math.max(slaDue.resolutionBreached, resolvedAt + RETENTION_AFTER, ms(promisedBy));
      const absence = { agentId: ANNA, from: new Date(firstDue).toISOString(), to: new Date(lastDue + s(3600)).toISOString(), reason: 'holiday', replacementAgentId: BEN };
      await manager.ok(SCHEDULE, { input: absence });

      // the operator's stop, before anything is due (else the test would prove nothing)
      await stack!.stop();
      const stoppedAt = Date.now();
      expect(stoppedAt).toBeLessThan(firstDue);
      expect(receiver.requests).toEqual([]);
      expect(smtp.received).toEqual([]);

      // down past every due time: follow-up, promise, check-in, the SLA's at-risk and breach moments, the absence's start
      await sleep(lastDue + PAST_DUE - Date.now());
      // nothing went out meanwhile
      expect(receiver.requests).toEqual([]);
      expect(smtp.received).toEqual([]);
      const restartedAt = Date.now();
      await stack!.restart();
      const readyAt = Date.now();

      // --- the SLA call: each target breached once; an at-risk record, if any, once and before its breach
      const slaAfter = await until(slaCall.id, 'both SLA targets breached', (c) => c.history.filter((e) => e.type === 'SlaBreached').length >= 2);
      // --- the resolved call: closed as unanswered, the full answer window after the late follow-up
      const closed = await until(resolved.id, 'the resolved call closed as unanswered', (c) => c.status === 'CLOSED', 60_000);

      const history = closed.history;
      const effects = history
        .filter((e) => ['ContactScheduled', 'CustomerContacted', 'NoteAdded', 'ServiceCallClosed'].includes(e.type))
        .map((e) => `${e.type} ${data(e).contactId ?? data(e).text?.slice(0, 16) ?? data(e).reason}`);
      expect(effects).toEqual([
        'ContactScheduled follow-up-1',
        'CustomerContacted follow-up-1',
        'NoteAdded Promise reminder',
        'ContactScheduled retention-check-in-1',
        'CustomerContacted retention-check-in-1',
        'ServiceCallClosed the follow-up was not answered',
      ]);
      const at = (type: string, contactId?: string) => ms(history.find((e) => e.type === type && (!contactId || data(e).contactId === contactId))!.at);
      const followedUpAt = at('CustomerContacted', 'follow-up-1');
      // everything went out after the restart, none of it while down
      expect(at('ContactScheduled', 'follow-up-1')).toBeGreaterThanOrEqual(restartedAt);
      expect(at('ServiceCallClosed') - followedUpAt).toBeGreaterThanOrEqual(ANSWER_WINDOW);
      expect(closed.contacts).toEqual([
        expect.objectContaining({ id: 'follow-up-1', purpose: 'FOLLOW_UP', channel: 'EMAIL', outcome: 'SENT' }),
        expect.objectContaining({ id: 'retention-check-in-1', purpose: 'RETENTION_CHECK_IN', channel: 'EMAIL', outcome: 'SENT' }),
      ]);
      const reminders = closed.notes.filter((n) => n.text.startsWith('Promise reminder'));
      expect(reminders).toEqual([{ kind: 'INTERNAL', text: expect.stringContaining(`Promise reminder (${promisedBy})`) }]);
      expect(reminders[0].text).toContain('(DELIVERED)'); // the webhook took it

      // the e-mails: each once, in due order
      const mails = smtp.received.filter((m) => m.parsed.subject?.includes(resolved.trackingCode)).map((m) => m.parsed.subject?.replace(` (${resolved.trackingCode})`, ''));
      expect(mails).toEqual(['How did we do?', 'Checking in a month later']);
      expect(smtp.received).toHaveLength(2);

      // the SLA call's history: each (kind, target) once; at-risk (if recorded) before its breach
      const sla = (await getCall(slaCall.id)).history.filter((e) => e.type === 'SlaAtRisk' || e.type === 'SlaBreached');
      const records = sla.map((e) => `${e.type} ${data(e).target}`);
      expect(new Set(records).size).toBe(records.length);
      for (const target of ['FIRST_RESPONSE', 'RESOLUTION']) {
        expect([[`SlaBreached ${target}`], [`SlaAtRisk ${target}`, `SlaBreached ${target}`]]).toContainEqual(records.filter((r) => r.endsWith(target)));
      }
      expect(records.indexOf('SlaBreached FIRST_RESPONSE')).toBeLessThan(records.indexOf('SlaBreached RESOLUTION'));
      for (const e of sla) expect(ms(e.at)).toBeGreaterThanOrEqual(restartedAt);
      expect(slaAfter.escalations.filter((e) => e.automatic).map((e) => e.reason).sort()).toEqual(['FIRST_RESPONSE SLA breached', 'RESOLUTION SLA breached']);

      // the webhook: one signed request per alert id (the Idempotency-Key), the same alerts the histories record
      const expectedIds = [
        `promise:${resolved.id}:${promisedBy}`,
        ...sla.map((e) => `sla:${slaCall.id}:${data(e).target}:${e.type === 'SlaAtRisk' ? 'AT_RISK' : 'BREACHED'}:${data(e).dueAt}`),
      ];
      const webhookIds = () => receiver.requests.map((r) => String(r.headers['idempotency-key']));
      await waitFor(() => expectedIds.every((id) => webhookIds().includes(id)), 30_000, { description: 'every alert on the webhook' });
      expect(webhookIds().sort()).toEqual([...expectedIds].sort());
      for (const request of receiver.requests) {
        const signed = verifyWebhookSignature({
          secret: SECRET,
          rawBody: request.rawBody,
          signature: request.headers['x-signature'] as string | undefined,
          timestamp: request.headers['x-webhook-timestamp'] as string | undefined,
        });
        expect({ id: request.headers['idempotency-key'], signed, sentAfterRestart: request.at >= restartedAt }).toEqual({ id: request.headers['idempotency-key'], signed: true, sentAfterRestart: true });
      }
      // ... and each body says what the history records
      const bodyOf = (id: string) => JSON.parse(receiver.requests.find((r) => r.headers['idempotency-key'] === id)!.rawBody) as { id: string; type: string; data: Record<string, unknown> };
      expect(bodyOf(expectedIds[0])).toMatchObject({ id: expectedIds[0], type: 'PROMISE_REMINDER', data: { callId: resolved.id, promisedBy } });
      sla.forEach((e, i) => {
        const kind = e.type === 'SlaAtRisk' ? 'AT_RISK' : 'BREACHED';
        expect(bodyOf(expectedIds[i + 1])).toMatchObject({
          type: kind === 'AT_RISK' ? 'sla.at_risk' : 'sla.breached',
          data: { callId: slaCall.id, kind, target: data(e).target, dueAt: data(e).dueAt, at: data(e).at },
        });
      });

      // the absence: the call was taken off Anna once, after the restart, and went to Ben
      const moved = await until(slaCall.id, 'the SLA call with Ben', (c) => c.assignee === BEN);
      const unassigned = moved.history.filter((e) => e.type === 'CallUnassigned');
      expect(unassigned.map(data)).toEqual([expect.objectContaining({ agentId: ANNA, trigger: 'ASSIGNEE_ABSENT', preferredAgentId: BEN })]);
      expect(ms(unassigned[0].at)).toBeGreaterThanOrEqual(restartedAt);
      expect(moved.assignments.map((a) => `${a.agentId} ${a.trigger}`)).toEqual([`${ANNA} OPENED`, `${BEN} ASSIGNEE_ABSENT`]);
      const anna = (await manager.ok<{ agent: { openCallIds: string[]; currentAbsence: { id: string } | null } }>(AGENT, { id: ANNA })).agent;
      expect(anna.openCallIds).toEqual([]);
      expect(anna.currentAbsence).not.toBeNull();

      // nothing came twice while the last effects were going out
      expect(receiver.requests).toHaveLength(expectedIds.length);
      expect(smtp.received).toHaveLength(2);
      console.log(
        `downtime e2e: stopped ${Math.round((stoppedAt - resolvedAt) / 100) / 10} s after the resolution, down ${Math.round((restartedAt - stoppedAt) / 100) / 10} s, ` +
          `restart took ${Math.round((readyAt - restartedAt) / 100) / 10} s; follow-up sent ${Math.round((followedUpAt - restartedAt) / 100) / 10} s after the restart began; SLA records: ${records.join(', ')}`,
      );
    }),
  );
});
