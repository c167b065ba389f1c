import { WEBHOOK_RETRY_DEFAULTS } from '@app/domain';
import { continueAsNew, setHandler, workflowInfo } from '@temporalio/workflow';
import { callEventSignal, callStateQuery } from '../service-call/service-call.messages';
import { AftercareCall } from './aftercare-call';
import { AftercareRound } from './aftercare-round';
import type { AftercareWorkflowInput } from './aftercare.messages';
import { outboundActivities } from './aftercare.proxies';
import { DueTimes } from './due-times';

export { AFTERCARE_PATCHES } from './aftercare.patches';
export { contactChannel, promiseReminderNote, UNANSWERED_FOLLOW_UP } from './aftercare-round';

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
 * It folds the call's events like serviceCallWorkflow (AftercareCall) and derives everything from the
 * folded call (AftercareRound), so a new run (after continue-as-new, or a redelivered start) picks up
 * where the last one stood. A reopened call ends it; the next resolution starts a new run.
 */
export async function aftercareWorkflow(input: AftercareWorkflowInput): Promise<void> {
  const call = new AftercareCall(input.callId);
  setHandler(callEventSignal, (event) => call.folded.receive([event]));
  setHandler(callStateQuery, () => call.folded.state);
  const restart = () => continueAsNew<typeof aftercareWorkflow>(input);
  const outbound = outboundActivities(input.webhookRetry ?? WEBHOOK_RETRY_DEFAULTS);

  await call.catchUp(); // a run starts with a gap (its first signal is a later event): the stream says the rest
  if (!call.inAftercare) return;
  const resolvedAt = new Date(call.call.resolvedAt ?? workflowInfo().startTime.toISOString());
  const round = new AftercareRound(input, call, new DueTimes(call, restart), outbound, call.resolutions, resolvedAt);
  await round.run();

  // not satisfied: the decider reopened the call; the manager hears of it
  const state = call.folded.call;
  const feedback = state?.feedback[state.feedback.length - 1];
  if (!call.inAftercare && feedback && !feedback.satisfied && feedback.at >= resolvedAt.toISOString()) {
    await outbound.sendUnsatisfiedFeedbackAlert({ callId: input.callId, round: round.round });
  }
  // resolved again (reopened and resolved) while this run handled the last round: the new round is a new run
  if (call.inAftercare && call.resolutions !== round.round) await restart();
}
