import { callExists, Channel, ContactPurpose, evolve, initialServiceCallState, ServiceCall, ServiceCallEvent, ServiceCallState } from '@app/domain';
import { ActivityFailure, condition, continueAsNew, patched, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { ProcessCommand, ServiceCallActivities } from '../service-call/service-call.activities';
import { DOMAIN_ERROR_TYPE } from '../service-call/service-call.activities';
import { CallEventMessage, callEventSignal, callStateQuery } from '../service-call/service-call.messages';
import type { AftercareActivities, AftercareWorkflowInput } from './aftercare.messages';
import { durationMs, followUpDueAt } from './aftercare-schedule';

// Ordinary activities, not local ones: the aftercare issues a handful of commands over weeks, and an
// ordinary activity's result is in the history, so a worker that dropped the run from its cache while a
// signal came in never has to wait out a workflow task timeout to learn it again.
const commands = proxyActivities<ServiceCallActivities>({
  startToCloseTimeout: '15s',
  retry: { initialInterval: '50ms', maximumInterval: '5s', nonRetryableErrorTypes: [DOMAIN_ERROR_TYPE] },
});
// Sends reach other systems: ordinary activities, retried with backoff; the ledger makes a retry send nothing twice.
// A webhook delivery may use all its attempts (5 x 30 s + backoff by default): the timeout is longer than that.
const outbound = proxyActivities<AftercareActivities>({
  startToCloseTimeout: '4m',
  retry: { initialInterval: '1s', maximumInterval: '1m', maximumAttempts: 10, nonRetryableErrorTypes: ['PermanentSendError', DOMAIN_ERROR_TYPE] },
});

/**
 * The aftercare's patched() ids, each guarding a change of the commands it issues so that runs started
 * by earlier code still replay. Never renamed or reused.
 *  - `aftercare-settles` (issue 18): the run's own command answers are applied even when the stream has
 *    an event it was never signalled in between (a person's note, the process's SLA records): it reads
 *    the stream then, before deciding anything on them. Without it, a run whose due times had all
 *    passed (downtime) never saw its own reminder note and sent the reminder again every ~100 ms, and
 *    never saw its follow-up recorded, so it skipped the answer window. Also: effects that fell due
 *    together go out in the order they were due, and a reminder is sent once per promised date.
 */
export const AFTERCARE_PATCHES = { settles: 'aftercare-settles' } as const;

export const UNANSWERED_FOLLOW_UP = 'the follow-up was not answered';
/** The history of a long aftercare (months of timers) stays small; past this many events the run continues as new. */
const HISTORY_LIMIT = 2_000;

/** The note that records a promise reminder: its prefix identifies it, so a new run never sends it twice. */
export const promiseReminderNote = (call: ServiceCall, promisedBy: string, outcome: string): string =>
  `Promise reminder (${promisedBy}): "${call.resolution?.agreedSolution ?? ''}" was promised by ${promisedBy} and is not carried out yet; the assignee${call.assignee ? ` (${call.assignee})` : ''} and the manager were told (${outcome}).`;
const promiseReminderPrefix = (promisedBy: string) => `Promise reminder (${promisedBy}):`;

/**
 * The time-driven aftercare of a resolved call, one round per resolution (round n = the n-th
 * ServiceCallResolved of the stream):
 *  - follow-up: FOLLOW_UP_AFTER after the resolution (business days of the call's calendar), contact
 *    `follow-up-<n>` on the customer's preferred channel, then wait FOLLOW_UP_ANSWER_TIMEOUT for
 *    feedback: satisfied closes and unsatisfied reopens (the decider does both; the manager is told by
 *    webhook, alert id `feedback:<callId>:<round>`); no answer closes the call as unanswered;
 *  - retention check-in: RETENTION_CHECK_IN_AFTER after the resolution, also when CLOSED, contact `retention-check-in-<n>`;
 *  - promise reminder: a resolution promised by a date that passes without being carried out tells the
 *    assignee and the manager, recorded as an INTERNAL note.
 * It folds the call's events like serviceCallWorkflow (signals from the dispatcher, its own commands'
 * events, the stream to fill gaps) and derives everything from the folded call, so a new run (after
 * continue-as-new, or a redelivered start) picks up where the last one stood. A reopened call ends it;
 * the next resolution starts a new run.
 */
export async function aftercareWorkflow(input: AftercareWorkflowInput): Promise<void> {
  const { callId } = input;
  let state: ServiceCallState = initialServiceCallState;
  let resolutions = 0;
  const waiting = new Map<number, CallEventMessage>();
  const receive = (events: readonly CallEventMessage[]) => {
    for (const event of events) if (event.version > state.version) waiting.set(event.version, event);
    for (let next = waiting.get(state.version + 1); next; next = waiting.get(state.version + 1)) {
      waiting.delete(next.version);
      if (next.type === 'ServiceCallResolved') resolutions++;
      state = evolve(state, { type: next.type, data: next.data } as ServiceCallEvent);
    }
  };
  setHandler(callEventSignal, (event) => receive([event]));
  setHandler(callStateQuery, () => state);

  const catchUp = async () => receive(await commands.loadCallEvents(callId, state.version));
  const settles = () => patched(AFTERCARE_PATCHES.settles);
  /** events waiting behind a version the run was not signalled (not an aftercare event): the stream has it */
  const fillGap = async () => {
    if (waiting.size > 0 && settles()) await catchUp();
  };
  const issue = async (command: ProcessCommand, key: string) => {
    receive(await commands.issueCommand({ callId, command, idempotencyKey: key }));
    await fillGap();
  };
  const call = (): ServiceCall => {
    if (!callExists(state)) throw new Error(`call ${callId} not found`);
    return state;
  };
  const afterCare = () => callExists(state) && (state.status === 'RESOLVED' || state.status === 'CLOSED');

  await catchUp(); // a run starts with a gap (its first signal is a later event): the stream says the rest
  if (!afterCare()) return;
  const round = resolutions;
  const sameRound = () => afterCare() && resolutions === round;
  const resolvedAt = new Date(call().resolvedAt ?? workflowInfo().startTime.toISOString());

  /** Waits until `at` (workflow time) or until `stop` holds; true when the time came. */
  const until = async (at: Date, stop: () => boolean): Promise<boolean> => {
    for (;;) {
      if (stop()) return false;
      const left = at.getTime() - Date.now();
      if (left <= 0) {
        // decide on the call as it stands: the stop condition may hold once the gap is filled
        if (waiting.size > 0 && settles()) {
          await catchUp();
          continue;
        }
        return true;
      }
      if (workflowInfo().historyLength > HISTORY_LIMIT) await continueAsNew<typeof aftercareWorkflow>(input);
      // gaps (signals ahead of a missing version) are filled from the stream while waiting
      if (waiting.size > 0) await catchUp();
      else await condition(() => stop() || waiting.size > 0, left);
    }
  };

  /**
   * Effects whose time came, by due time, while their task waits for them. Due together (after a
   * downtime), they go out one after the other in the order they were due (ties by name).
   */
  const due = new Map<string, number>();
  const inTurn = async (effect: string, at: Date): Promise<void> => {
    const earlier = () => [...due].some(([other, t]) => other !== effect && (t < at.getTime() || (t === at.getTime() && other < effect)));
    if (earlier() && settles()) await condition(() => !earlier());
  };
  /** until(), holding the effect's place in the due order from now until release() */
  const dueAt = async (effect: string, at: Date, stop: () => boolean): Promise<boolean> => {
    due.set(effect, at.getTime());
    const came = await until(at, stop);
    if (!came) due.delete(effect);
    else await inTurn(effect, at);
    return came;
  };
  const release = (effect: string) => due.delete(effect);

  /** Schedules the contact, sends it and records the outcome; nothing again for a contact already recorded. */
  const contact = async (contactId: string, purpose: ContactPurpose): Promise<void> => {
    const existing = call().contacts.find((c) => c.id === contactId);
    if (existing?.outcome !== undefined) return;
    const channel = existing?.channel ?? contactChannel(call());
    if (!existing) {
      await issue({ type: 'ScheduleContact', data: { contactId, purpose, channel, scheduledFor: new Date(Date.now()).toISOString() } }, `schedule-contact:${contactId}`);
    }
    let outcome: string;
    try {
      ({ outcome } = await outbound.contactCustomer({ callId, contactId, purpose, channel }));
    } catch (error) {
      if (!(error instanceof ActivityFailure)) throw error;
      outcome = `FAILED: ${(error.cause?.message || error.message || 'the contact failed').slice(0, 400)}`;
    }
    await issue({ type: 'RecordContact', data: { contactId, outcome } }, `record-contact:${contactId}`);
  };

  const followUp = async (): Promise<void> => {
    const contactId = `follow-up-${round}`;
    const done = () => call().contacts.find((c) => c.id === contactId)?.outcome !== undefined;
    // the answer is awaited from when the follow-up went out: this run's own time when it sent it
    let sentAt: number | undefined;
    if (!done()) {
      const at = followUpDueAt(resolvedAt, input.followUpAfter, call().slaPolicy?.businessHours ?? null);
      // feedback given (or the call closed or reopened) before the follow-up makes it unnecessary
      if (!(await dueAt('follow-up', at, () => !sameRound() || call().status !== 'RESOLVED'))) return;
      await contact(contactId, 'FOLLOW_UP');
      release('follow-up');
      // the answer window starts now, however late the follow-up went out
      sentAt = Date.now();
    }
    const contacted = call().contacts.find((c) => c.id === contactId);
    if (!contacted?.sentAt) return;
    const deadline = new Date((sentAt ?? new Date(contacted.sentAt).getTime()) + durationMs(input.followUpAnswerTimeout));
    if (await dueAt('follow-up-unanswered', deadline, () => !sameRound() || call().status !== 'RESOLVED')) {
      await issue({ type: 'CloseServiceCall', data: { reason: UNANSWERED_FOLLOW_UP } }, `close-unanswered:${round}`);
      release('follow-up-unanswered');
    }
  };

  const retentionCheckIn = async (): Promise<void> => {
    const at = new Date(resolvedAt.getTime() + durationMs(input.retentionCheckInAfter));
    if (await dueAt('retention-check-in', at, () => !sameRound())) {
      await contact(`retention-check-in-${round}`, 'RETENTION_CHECK_IN');
      release('retention-check-in');
    }
  };

  /** Re-armed whenever the resolution changes its promise; ends once carried out, reminded, or the round is over. */
  const promiseReminder = async (): Promise<void> => {
    // the dates reminded of by this run: never twice, even before its note is seen
    const remindedOf = new Set<string>();
    for (;;) {
      if (!sameRound()) return;
      const resolution = call().resolution;
      const promisedBy = resolution && !resolution.implemented ? resolution.promisedBy : undefined;
      if (!promisedBy) {
        // nothing promised (yet): a later ResolutionRecorded may promise something
        if (!(await waitForChange(() => !sameRound() || call().resolution !== resolution))) return;
        continue;
      }
      const reminded = () => remindedOf.has(promisedBy) || call().notes.some((n) => n.kind === 'INTERNAL' && n.text.startsWith(promiseReminderPrefix(promisedBy)));
      if (reminded()) {
        if (!(await waitForChange(() => !sameRound() || call().resolution !== resolution))) return;
        continue;
      }
      const effect = `promise-reminder:${promisedBy}`;
      if (!(await dueAt(effect, new Date(promisedBy), () => !sameRound() || call().resolution !== resolution))) continue;
      const { outcome } = await outbound.sendPromiseReminder({ callId, promisedBy });
      await issue({ type: 'AddNote', data: { kind: 'INTERNAL', text: promiseReminderNote(call(), promisedBy, outcome) } }, effect);
      release(effect);
      if (settles()) remindedOf.add(promisedBy);
    }
  };

  // the other tasks done: the promise task may wait for a change that never comes
  let otherTasksDone = false;
  const waitForChange = async (changed: () => boolean): Promise<boolean> => {
    await condition(() => changed() || otherTasksDone || waiting.size > 0);
    if (waiting.size > 0) await catchUp();
    return !otherTasksDone || changed();
  };

  const promise = promiseReminder();
  await Promise.all([followUp(), retentionCheckIn()]);
  otherTasksDone = true;
  await promise;
  // not satisfied: the decider reopened the call; the manager hears of it
  const feedback = callExists(state) ? state.feedback[state.feedback.length - 1] : undefined;
  if (!afterCare() && feedback && !feedback.satisfied && feedback.at >= resolvedAt.toISOString()) {
    await outbound.sendUnsatisfiedFeedbackAlert({ callId, round });
  }
  // resolved again (reopened and resolved) while this run handled the last round: the new round is a new run
  if (afterCare() && resolutions !== round) await continueAsNew<typeof aftercareWorkflow>(input);
}

/** The customer's preferred channel; else e-mail if there is an address, a phone call if a number, else the channel they came on. */
export function contactChannel(call: ServiceCall): Channel {
  const customer = call.customer;
  return customer.preferredChannel ?? (customer.email ? 'EMAIL' : customer.phone ? 'PHONE' : call.channel);
}
