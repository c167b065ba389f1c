import { findStep, LIMITS, nextProcessActions, ProcessAction } from '@app/domain';
import { ActivityFailure, log, patched } from '@temporalio/workflow';
import type { FoldedCall } from './folded-call';
import type { InFlight } from './in-flight';
import { PATCHES } from './service-call.patches';
import type { ProcessCommand } from './service-call.activities';
import { automation, issue } from './service-call.proxies';

/**
 * The process part: what the domain's plan rules say is next (start a phase, make steps ready, run an
 * automated step, complete a phase, resolve the call), each action once at a time.
 */
export class ProcessPart {
  constructor(
    private readonly call: FoldedCall,
    private readonly inFlight: InFlight,
  ) {}

  /** starts what the plan offers now and is not running (or failed at this version) */
  next(): void {
    const call = this.call.call;
    if (!call) return;
    for (const action of nextProcessActions(call.phases)) {
      const key = JSON.stringify(action);
      if (!this.inFlight.mayStart(key)) continue;
      this.inFlight.start(key, () => this.perform(action), {
        // refused or out of retries: try again only once the call has changed
        failed: (error) => log.warn('process action failed', { callId: this.call.callId, action, error: String(error) }),
      });
    }
  }

  // async, like the release before the split: the same promise chain, so the commands of actions that
  // end in one activation keep their order
  private async perform(action: ProcessAction): Promise<void> {
    switch (action.kind) {
      case 'StartPhase':
        return this.issue({ type: 'StartPhase', data: { phaseKey: action.phaseKey } }, `start-phase:${action.phaseKey}`);
      case 'MarkStepsReady':
        return this.issue(
          { type: 'MarkStepsReady', data: { phaseKey: action.phaseKey, stepKeys: action.stepKeys } },
          `ready:${[...action.stepKeys].sort().join(',')}${this.round(action.stepKeys)}`,
        );
      case 'CompletePhase':
        return this.issue(
          { type: 'CompletePhase', data: { phaseKey: action.phaseKey } },
          `complete-phase:${action.phaseKey}${this.round(this.stepKeysOf(action.phaseKey))}`,
        );
      case 'ResolveCall': {
        // a reopened call is resolved again: a new key, or the first resolution's event would be the answer
        const reopenedAt = this.call.call?.reopenedAt;
        return this.issue({ type: 'ResolveServiceCall', data: {} }, reopenedAt ? `resolve@${reopenedAt}` : 'resolve');
      }
      case 'RunAutomatedStep':
        return this.runAutomatedStep(action.stepKey);
    }
  }

  private issue(command: ProcessCommand, key: string): Promise<void> {
    return issue(this.call, this.inFlight, command, key);
  }

  // Steps worked again (retried, or their phase reopened) have attempt > 1: commands about them get
  // keys of their own round, or the first round's events would be the answer. Round 1 keeps the old keys.
  private round(stepKeys: readonly string[]): string {
    const call = this.call.call;
    if (!call) return '';
    const highest = Math.max(1, ...stepKeys.map((key) => findStep(call, key).step.attempt));
    return highest > 1 ? `#${highest}` : '';
  }

  private stepKeysOf(phaseKey: string): string[] {
    return (this.call.call?.phases.find((p) => p.key === phaseKey)?.steps ?? []).map((s) => s.key);
  }

  /**
   * Starts the step, runs its automation and completes it with the outcome. When the automation fails
   * for good, the step FAILS with the error as its reason (the manager is told through StepFailed) and
   * waits for retryStep (READY again, attempt + 1: this runs again) or skipStep. A step skipped while
   * its automation ran refuses the CompleteStep (CONFLICT, not retried) and is not failed: this action
   * ends once, and the plan no longer offers the step.
   */
  private async runAutomatedStep(stepKey: string): Promise<void> {
    const call = this.call.call;
    if (!call) return;
    const { step } = findStep(call, stepKey);
    const attempt = step.attempt;
    // command keys are per attempt, or a retried step's commands would be answered with the first attempt's events;
    // the first attempt keeps the keys of the release before retries
    const key = (command: string) => `${command}:${step.key}${attempt > 1 ? `#${attempt}` : ''}`;
    if (step.status === 'READY') await this.issue({ type: 'StartStep', data: { stepKey: step.key } }, key('start-step'));
    let outcome: string;
    try {
      ({ outcome } = await automation.runAutomatedAction({ callId: this.call.callId, stepKey: step.key, action: step.action ?? step.key, attempt }));
    } catch (error) {
      if (!(error instanceof ActivityFailure) || !patched(PATCHES.automationFailureFailsStep)) throw error;
      const now = this.call.call ? findStep(this.call.call, step.key).step : step;
      if (now.status !== 'IN_PROGRESS' || now.attempt !== attempt) return; // skipped meanwhile: nothing to fail
      return this.issue({ type: 'FailStep', data: { stepKey: step.key, reason: failureReason(error) } }, key('fail-step'));
    }
    return this.issue({ type: 'CompleteStep', data: { stepKey: step.key, outcome } }, key('complete-step'));
  }
}

/** What the automation said last (the activity's failure wraps the error the action threw), cut to what the domain takes. */
function failureReason(error: ActivityFailure): string {
  const message = (error.cause?.message || error.message || 'the automation failed').trim();
  return message.length > LIMITS.outcome ? `${message.slice(0, LIMITS.outcome - 1)}…` : message;
}
