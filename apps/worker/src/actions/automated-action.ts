import { ServiceCall } from '@app/domain';

/** One run of an automated step's action. */
export interface AutomatedActionRun {
  /** the step's attempt: 1 for its first try, one more for each retryStep */
  attempt: number;
  /**
   * The same for every run within one attempt (`<callId>:<stepKey>#<attempt>`), new for the next one:
   * an action with an effect outside (a message to the customer) does it once per key, so a retried
   * activity does not repeat it and a retried step does.
   */
  idempotencyKey: string;
}

/** An automation a process template can name in a step's `action` (the catalogue: AUTOMATED_ACTIONS). */
export interface AutomatedAction {
  readonly name: string;
  /** Must be safe to run twice: it may be retried. Returns the step's outcome. */
  run(call: ServiceCall, stepKey: string, run: AutomatedActionRun): Promise<string>;
}
