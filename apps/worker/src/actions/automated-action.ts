import { ServiceCall } from '@app/domain';

/** An automation a process template can name in a step's `action`. */
export interface AutomatedAction {
  readonly name: string;
  /** Must be safe to run twice: it may be retried. Returns the step's outcome. */
  run(call: ServiceCall, stepKey: string): Promise<string>;
}
