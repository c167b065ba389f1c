import {
  callExists,
  evolve,
  findStep,
  initialServiceCallState,
  LIMITS,
  nextProcessActions,
  nextRoutingAction,
  ProcessAction,
  ServiceCall,
  ServiceCallEvent,
  ServiceCallState,
  SlaAction,
  slaActions,
  slaRecordCommand,
  slaRecordKey,
} from '@app/domain';
import {
  ActivityFailure,
  CancellationScope,
  condition,
  continueAsNew,
  log,
  patched,
  proxyActivities,
  proxyLocalActivities,
  proxySinks,
  setHandler,
  sleep,
  workflowInfo,
} from '@temporalio/workflow';
import type { ProcessCommand, ServiceCallActivities } from './service-call.activities';
import { DOMAIN_ERROR_TYPE, PERMANENT_SEND_ERROR_TYPE, slaAlertId } from './service-call.activities';
import { CallEventMessage, callEventSignal, callStateQuery, ServiceCallWorkflowInput, SlaTimerSinks } from './service-call.messages';

// Commands are short writes to the event store: local activities, retried until they succeed.
const commands = proxyLocalActivities<ServiceCallActivities>({
  startToCloseTimeout: '15s',
  retry: { initialInterval: '50ms', maximumInterval: '5s', nonRetryableErrorTypes: [DOMAIN_ERROR_TYPE] },
});
// Automations may call other systems: ordinary activities with their own retry budget. The server
// notices a worker that died mid-action (kill -9) only when startToCloseTimeout runs out, and until
// then the call waits: keep it near what an action needs (today's one reads the local read models).
const automation = proxyActivities<ServiceCallActivities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', maximumInterval: '30s', maximumAttempts: 5, nonRetryableErrorTypes: [DOMAIN_ERROR_TYPE] },
});

// SLA alerts go to other systems (the webhook): retried with backoff. The outbound ledger takes a
// send still running for a dead one only after its lease (webhook attempts x timeout + backoff, 167.5 s
// by default): the activity's timeout must be longer, or a retry would wait on the first attempt's lease.
const alerts = proxyActivities<ServiceCallActivities>({
  startToCloseTimeout: '4m',
  retry: { initialInterval: '1s', maximumInterval: '1m', maximumAttempts: 20, nonRetryableErrorTypes: [PERMANENT_SEND_ERROR_TYPE] },
});

// Tells the worker's SLA due timers when this call's next SLA moment is (not part of the history: no replay concerns).
const { slaTimers: slaDueTimers } = proxySinks<SlaTimerSinks>();

/** Above this many history events a run continues as new (calls live for months; Temporal suggests it too). */
export const HISTORY_LIMIT = 2_000;

/**
 * Patch ids: each guards a change of the commands the workflow issues, so that workflows started by
 * an earlier release replay (see service-call.replay.int.spec.ts). Never rename or reuse one.
 */
export const PATCHES = {
  /** an automation that ran out of retries (or was refused for good) makes its step FAILED; before, the step stayed IN_PROGRESS */
  automationFailureFailsStep: 'automation-failure-fails-step',
  /** SLA timers: AT_RISK / BREACHED (+ escalation) / MET recorded at their moments, alerts sent; continue-as-new for long histories */
  slaTimers: 'sla-timers',
  /** routing: the call is routed to an agent once per routing round; a finished call's agent releases it */
  routing: 'routing',
  /** a FAILED step is also told to the managers by webhook (the processAlerts subscription had it alone) */
  processAlertWebhook: 'process-alert-webhook',
} as const;

/**
 * The process manager of one service call. It folds the call's events (delivered as signals, or
 * returned by its own commands) with the domain's evolve(), asks the domain's plan rules what to do
 * next, and does it by issuing commands. It holds no state of its own beyond the folded call.
 */
export async function serviceCallWorkflow(input: ServiceCallWorkflowInput): Promise<void> {
  const { callId } = input;
  let state: ServiceCallState = initialServiceCallState;
  const waiting = new Map<number, CallEventMessage>(); // events that arrived ahead of a gap
  let changed = false;

  // Apply events strictly in stream order; duplicates (redelivery) are ignored by version.
  const receive = (events: readonly CallEventMessage[]) => {
    for (const event of events) if (event.version > state.version) waiting.set(event.version, event);
    for (let next = waiting.get(state.version + 1); next; next = waiting.get(state.version + 1)) {
      waiting.delete(next.version);
      state = evolve(state, { type: next.type, data: next.data } as ServiceCallEvent);
      changed = true;
    }
  };
  setHandler(callEventSignal, (event) => receive([event]));
  setHandler(callStateQuery, () => state);

  // Signals that started this run were delivered by setHandler above. A run started by the call's
  // first event needs nothing else; a run started by a later event (e.g. after the workflow finished,
  // or was terminated) sees a gap and catches up from the stream in the loop below.

  const issue = async (command: ProcessCommand, key: string) =>
    receive(await commands.issueCommand({ callId, command, idempotencyKey: key }));

  const perform = async (action: ProcessAction): Promise<void> => {
    switch (action.kind) {
      case 'StartPhase':
        return issue({ type: 'StartPhase', data: { phaseKey: action.phaseKey } }, `start-phase:${action.phaseKey}`);
      case 'MarkStepsReady':
        return issue(
          { type: 'MarkStepsReady', data: { phaseKey: action.phaseKey, stepKeys: action.stepKeys } },
          `ready:${[...action.stepKeys].sort().join(',')}${round(action.stepKeys)}`,
        );
      case 'CompletePhase':
        return issue(
          { type: 'CompletePhase', data: { phaseKey: action.phaseKey } },
          `complete-phase:${action.phaseKey}${round(stepKeysOf(action.phaseKey))}`,
        );
      case 'ResolveCall':
        // a reopened call is resolved again: a new key, or the first resolution's event would be the answer
        return issue({ type: 'ResolveServiceCall', data: {} }, callExists(state) && state.reopenedAt ? `resolve@${state.reopenedAt}` : 'resolve');
      case 'RunAutomatedStep':
        return runAutomatedStep(action.stepKey);
    }
  };

  // Steps worked again (retried, or their phase reopened) have attempt > 1: commands about them get
  // keys of their own round, or the first round's events would be the answer. Round 1 keeps the old keys.
  const round = (stepKeys: readonly string[]): string => {
    if (!callExists(state)) return '';
    const attempts = stepKeys.map((key) => findStep(state as ServiceCall, key).step.attempt ?? 1);
    const highest = Math.max(1, ...attempts);
    return highest > 1 ? `#${highest}` : '';
  };
  const stepKeysOf = (phaseKey: string): string[] =>
    callExists(state) ? (state.phases.find((p) => p.key === phaseKey)?.steps ?? []).map((s) => s.key) : [];

  /**
   * Starts the step, runs its automation and completes it with the outcome. When the automation fails
   * for good, the step FAILS with the error as its reason (the manager is told through StepFailed) and
   * waits for retryStep (READY again, attempt + 1: this runs again) or skipStep. A step skipped while
   * its automation ran refuses the CompleteStep (CONFLICT, not retried) and is not failed: this action
   * ends once, and the plan no longer offers the step.
   */
  const runAutomatedStep = async (stepKey: string): Promise<void> => {
    if (!callExists(state)) return;
    const { step } = findStep(state, stepKey);
    const attempt = step.attempt ?? 1;
    // command keys are per attempt, or a retried step's commands would be answered with the first attempt's events;
    // the first attempt keeps the keys of the release before retries
    const key = (command: string) => `${command}:${step.key}${attempt > 1 ? `#${attempt}` : ''}`;
    if (step.status === 'READY') await issue({ type: 'StartStep', data: { stepKey: step.key } }, key('start-step'));
    let outcome: string;
    try {
      ({ outcome } = await automation.runAutomatedAction({ callId, stepKey: step.key, action: step.action ?? step.key, attempt }));
    } catch (error) {
      if (!(error instanceof ActivityFailure) || !patched(PATCHES.automationFailureFailsStep)) throw error;
      const now = callExists(state) ? findStep(state, step.key).step : step;
      if (now.status !== 'IN_PROGRESS' || (now.attempt ?? 1) !== attempt) return; // skipped meanwhile: nothing to fail
      return issue({ type: 'FailStep', data: { stepKey: step.key, reason: failureReason(error) } }, key('fail-step'));
    }
    return issue({ type: 'CompleteStep', data: { stepKey: step.key, outcome } }, key('complete-step'));
  };

  const inFlight = new Set<string>();
  const failedAtVersion = new Map<string, number>();
  let loadedAtVersion = -1;

  // Runs of the releases before SLA timers replay without them (their histories have no timers).
  const slaTimers = patched(PATCHES.slaTimers);
  const alertsInFlight = new Set<Promise<unknown>>();
  const armedFor = new Set<number>(); // the moments SLA timers are running for
  let firedUpTo = 0;
  let reportedWakeAt: number | null | undefined; // the next SLA moment last told to the worker's due timers
  // The SLA is judged at the latest moment the history itself holds: the call's last event, or the
  // moment a timer fired for. Not Date.now(): activations inside one workflow task (local activities
  // resolving) may see another time on replay than they saw when they ran, and the commands would differ.
  // Runs of the releases before routing replay without it.
  const routing = patched(PATCHES.routing);
  // ... and those before the process-alert webhook without that.
  const processAlertWebhook = patched(PATCHES.processAlertWebhook);
  const alertedFailures = new Set<string>(); // `<stepKey>#<attempt>` of the failed steps told (or being told) in this run

  /** One webhook per failed step and attempt; the outbound ledger sends each once, also across runs. */
  const alertFailedSteps = (): void => {
    if (!processAlertWebhook || !callExists(state)) return;
    for (const phase of state.phases) {
      for (const step of phase.steps) {
        if (step.status !== 'FAILED') continue;
        const attempt = step.attempt ?? 1;
        const key = `${step.key}#${attempt}`;
        if (alertedFailures.has(key)) continue;
        alertedFailures.add(key);
        const sent: Promise<unknown> = alerts
          .sendProcessAlert({ callId, stepKey: step.key, attempt, failedAt: step.failedAt ?? state.updatedAt })
          .catch((error: unknown) => log.warn('process alert not sent', { callId, stepKey: step.key, error: String(error) }))
          .finally(() => {
            alertsInFlight.delete(sent);
            changed = true;
          });
        alertsInFlight.add(sent);
      }
    }
  };
  const routedKeys = new Set<string>(); // routing rounds routed and agents released by this run

  /**
   * Routes the call once per routing round (at open, after its agent was taken off it, after a
   * reopen) and releases the agent of a finished call. Waits, like the SLA records, until the
   * process's own commands are done.
   */
  const routeOrRelease = (): void => {
    if (!routing || !callExists(state) || inFlight.size > 0) return;
    const action = nextRoutingAction(state);
    if (!action) return;
    const key = action.kind === 'RouteCall' ? `route:${action.round}` : `release:${action.agentId}:${action.round}`;
    if (routedKeys.has(key) || failedAtVersion.get(key) === state.version) return;
    inFlight.add(key);
    const run =
      action.kind === 'RouteCall'
        ? commands.routeCall({ callId, round: action.round, afterVersion: state.version }).then(receive)
        : commands.releaseAgent({ callId, agentId: action.agentId });
    run
      .then(
        () => {
          routedKeys.add(key);
          failedAtVersion.delete(key);
        },
        (error: unknown) => {
          failedAtVersion.set(key, state.version);
          log.warn('routing failed', { callId, action: action.kind, error: String(error) });
        },
      )
      .finally(() => {
        inFlight.delete(key);
        changed = true;
      });
  };
  const slaNow = (): number => Math.max(firedUpTo, callExists(state) ? Date.parse(state.updatedAt) : 0);

  /**
   * Records what the SLA clock says is due at workflow time (commands keyed by target and due time, so
   * a repeat appends nothing), sends the alert of an AT_RISK or BREACHED once its command succeeded,
   * and returns when to look again (null: only a change of the call can move the SLA).
   */
  const recordSla = (now: number): number | null => {
    if (!callExists(state)) return null;
    const { record, nextAt } = slaActions(state, new Date(now));
    for (const action of record) {
      const key = slaRecordKey(action);
      if (inFlight.has(key) || failedAtVersion.get(key) === state.version) continue;
      inFlight.add(key);
      issue(slaRecordCommand(action), key)
        .then(
          () => {
            failedAtVersion.delete(key);
            if (action.kind !== 'MET') sendAlert(action, now);
          },
          (error: unknown) => {
            failedAtVersion.set(key, state.version);
            log.warn('SLA record failed', { callId, action, error: String(error) });
          },
        )
        .finally(() => {
          inFlight.delete(key);
          changed = true;
        });
    }
    return nextAt ? nextAt.getTime() : null;
  };
  const sendAlert = (action: SlaAction, now: number) => {
    const kind = action.kind as 'AT_RISK' | 'BREACHED';
    const alertId = slaAlertId(callId, action.target, kind, action.dueAt);
    const sent: Promise<unknown> = alerts
      .sendSlaAlert({ callId, alertId, kind, target: action.target, dueAt: action.dueAt, at: new Date(now).toISOString() })
      .catch((error: unknown) => log.warn('SLA alert not sent', { callId, alertId, error: String(error) }))
      .finally(() => {
        alertsInFlight.delete(sent);
        changed = true;
      });
    alertsInFlight.add(sent);
  };

  for (;;) {
    if (isFinished(state)) {
      if (!slaTimers) break;
      // a resolution in time is MET; what is still being recorded or sent is finished before the run
      // ends. A reopen that arrives meanwhile goes on in this run (its signal is not lost).
      // The agent releases the call first; the SLA records follow (one local activity after the other).
      routeOrRelease();
      if (!routing || inFlight.size === 0) recordSla(slaNow());
      // everything in flight, the process's own commands too: the run never ends under a running local activity
      const slaBusy = () => inFlight.size > 0 || alertsInFlight.size > 0;
      await condition(() => !slaBusy() || !isFinished(state));
      if (isFinished(state) && !slaBusy()) {
        // a last look: what waited for the release starts now (nothing, when all is done)
        routeOrRelease();
        if (!routing || inFlight.size === 0) recordSla(slaNow());
        if (!slaBusy()) break;
      }
      continue;
    }
    if ((waiting.size > 0 || !callExists(state)) && loadedAtVersion !== state.version) {
      // a gap in the versions: read the missing events from the stream instead of waiting for them
      loadedAtVersion = state.version;
      receive(await commands.loadCallEvents(callId, state.version));
      continue;
    }
    if (callExists(state)) {
      for (const action of nextProcessActions(state.phases)) {
        const key = JSON.stringify(action);
        if (inFlight.has(key) || failedAtVersion.get(key) === state.version) continue;
        inFlight.add(key);
        perform(action)
          .then(
            () => failedAtVersion.delete(key),
            (error: unknown) => {
              // refused or out of retries: try again only once the call has changed
              failedAtVersion.set(key, state.version);
              log.warn('process action failed', { callId, action, error: String(error) });
            },
          )
          .finally(() => {
            inFlight.delete(key);
            changed = true;
          });
      }
    }
    routeOrRelease();
    alertFailedSteps();
    // SLA records wait until the process's own commands are done: one local activity at a time keeps
    // the order of their results (and so the replay) the same whatever order they complete in
    const wakeAt = slaTimers && inFlight.size === 0 ? recordSla(slaNow()) : null;
    if (slaTimers && inFlight.size === 0 && wakeAt !== reportedWakeAt) {
      reportedWakeAt = wakeAt;
      slaDueTimers.armed(callId, wakeAt);
    }
    if (slaTimers && inFlight.size === 0 && alertsInFlight.size === 0 && historyIsLong(input.historyLimit ?? HISTORY_LIMIT)) {
      // nothing in flight: the new run reads the call from its stream and arms its timers again
      await continueAsNew<typeof serviceCallWorkflow>(input);
    }
    // the SLA timer races the call's changes; a change (a pause, the first response) that moves the
    // moment arms a new one. Timers are never cancelled: one that is no longer wanted wakes the loop once
    // for nothing (cheaper than a cancel command, and the time-skipping server mishandles a timer
    // started and cancelled within one workflow task held open by local activities).
    if (wakeAt !== null && !armedFor.has(wakeAt)) {
      armedFor.add(wakeAt);
      // outside the root scope: the run may end (or be evicted from the cache) with timers pending, and
      // they must then simply be dropped, never cancelled (a cancel would be a command of its own)
      void CancellationScope.nonCancellable(() => sleep(Math.max(1, wakeAt - Date.now()))).then(() => {
        armedFor.delete(wakeAt);
        firedUpTo = Math.max(firedUpTo, wakeAt);
        changed = true;
      });
    }
    changed = false;
    await condition(() => changed);
  }
}

function historyIsLong(limit: number): boolean {
  const info = workflowInfo();
  return info.continueAsNewSuggested || info.historyLength > limit;
}

/** What the automation said last (the activity's failure wraps the error the action threw), cut to what the domain takes. */
function failureReason(error: ActivityFailure): string {
  const message = (error.cause?.message || error.message || 'the automation failed').trim();
  return message.length > LIMITS.outcome ? `${message.slice(0, LIMITS.outcome - 1)}…` : message;
}

function isFinished(state: ServiceCallState): boolean {
  return callExists(state) && (state.status === 'RESOLVED' || state.status === 'CLOSED' || state.status === 'CANCELLED');
}
