import { condition, workflowInfo } from '@temporalio/workflow';
import type { AftercareCall } from './aftercare-call';
import { AFTERCARE_HISTORY_LIMIT } from './aftercare.patches';

/**
 * The aftercare's waits for a due time, and the order of effects that fell due together: after a
 * downtime they go out one after the other in the order they were due (ties by name). An effect holds
 * its place from the time it came (dueAt) until it is done (release).
 */
export class DueTimes {
  private readonly due = new Map<string, number>();

  constructor(
    private readonly call: AftercareCall,
    /** continues the run as new (its history grew long while it waited) */
    private readonly continueAsNew: () => Promise<never>,
  ) {}

  /** Waits until `at` (workflow time) or until `stop` holds; true when the time came. */
  async until(at: Date, stop: () => boolean): Promise<boolean> {
    for (;;) {
      if (stop()) return false;
      const left = at.getTime() - Date.now();
      if (left <= 0) {
        // decide on the call as it stands: the stop condition may hold once the gap is filled
        if (this.call.hasGap && this.call.settles()) {
          await this.call.catchUp();
          continue;
        }
        return true;
      }
      if (workflowInfo().historyLength > AFTERCARE_HISTORY_LIMIT) await this.continueAsNew();
      // gaps (signals ahead of a missing version) are filled from the stream while waiting
      if (this.call.hasGap) await this.call.catchUp();
      else await condition(() => stop() || this.call.hasGap, left);
    }
  }

  /** until(), holding the effect's place in the due order from the time it came until release() */
  async dueAt(effect: string, at: Date, stop: () => boolean): Promise<boolean> {
    this.due.set(effect, at.getTime());
    const came = await this.until(at, stop);
    if (!came) this.due.delete(effect);
    else await this.inTurn(effect, at);
    return came;
  }

  release(effect: string): void {
    this.due.delete(effect);
  }

  /** waits while an effect that was due earlier is still going out */
  private async inTurn(effect: string, at: Date): Promise<void> {
    const earlier = () => [...this.due].some(([other, t]) => other !== effect && (t < at.getTime() || (t === at.getTime() && other < effect)));
    if (earlier() && this.call.settles()) await condition(() => !earlier());
  }
}
