import {
  callExists,
  evolve,
  findStep,
  initialServiceCallState,
  nextProcessActions,
  ProcessAction,
  ServiceCallEvent,
  ServiceCallState,
} from '@app/domain';
import { condition, log, proxyActivities, proxyLocalActivities, setHandler } from '@temporalio/workflow';
import type { ProcessCommand, ServiceCallActivities } from './service-call.activities';
import { DOMAIN_ERROR_TYPE } from './service-call.activities';
import { CallEventMessage, callEventSignal, callStateQuery, ServiceCallWorkflowInput } from './service-call.messages';

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

/**
 * The process manager of one service call. It folds the call's events (delivered as signals, or
 * returned by its own commands) with the domain's evolve(), asks the domain's plan rules what to do
 * next, and does it by issuing commands. It holds no state of its own beyond the folded call.
 */
export async function serviceCallWorkflow({ callId }: ServiceCallWorkflowInput): Promise<void> {
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
          `ready:${[...action.stepKeys].sort().join(',')}`,
        );
      case 'CompletePhase':
        return issue({ type: 'CompletePhase', data: { phaseKey: action.phaseKey } }, `complete-phase:${action.phaseKey}`);
      case 'ResolveCall':
        return issue({ type: 'ResolveServiceCall', data: {} }, 'resolve');
      case 'RunAutomatedStep': {
        if (!callExists(state)) return;
        const { step } = findStep(state, action.stepKey);
        if (step.status === 'READY') await issue({ type: 'StartStep', data: { stepKey: step.key } }, `start-step:${step.key}`);
        const { outcome } = await automation.runAutomatedAction({ callId, stepKey: step.key, action: step.action ?? step.key });
        return issue({ type: 'CompleteStep', data: { stepKey: step.key, outcome } }, `complete-step:${step.key}`);
      }
    }
  };

  const inFlight = new Set<string>();
  const failedAtVersion = new Map<string, number>();
  let loadedAtVersion = -1;
  while (!isFinished(state)) {
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
    changed = false;
    await condition(() => changed);
  }
}

function isFinished(state: ServiceCallState): boolean {
  return callExists(state) && (state.status === 'RESOLVED' || state.status === 'CLOSED' || state.status === 'CANCELLED');
}
