import { patched } from '@temporalio/workflow';
import { PATCHES } from './service-call.patches';

/**
 * The workflow's actions in flight, keyed (a process action, a routing round, an SLA record), and the
 * memory of how each one last ended. An action is never started twice at once, and never again for
 * the same version of the call: one that failed (refused, or out of retries) is tried again only once
 * the call has changed, and so is one that succeeded without moving the call (answered with no events,
 * or with events this run cannot fold yet): the same command would get the same answer.
 */
export class InFlight {
  private readonly running = new Set<string>();
  private readonly endedAt = new Map<string, { version: number; ok: boolean }>();
  private localActivities = 0;

  /**
   * @param version the call's version as the workflow knows it
   * @param settled told after every action that ended, whichever way
   */
  constructor(
    private readonly version: () => number,
    private readonly settled: () => void,
  ) {}

  get size(): number {
    return this.running.size;
  }

  /**
   * The local activities scheduled and not yet settled (commands, routing, loads). Their answers reach
   * a live run one activation at a time, but a replay all at once (see the gap-load in
   * service-call.workflow.ts): only while none runs does the run stand where every replay stands too.
   */
  get localActivitiesRunning(): number {
    return this.localActivities;
  }

  /**
   * Counts a local activity just scheduled as running until it settles, and returns the same promise
   * (the count's own reaction comes first and issues nothing: the awaiting code resumes in the same
   * microtask turn as before, so the commands' order does not change).
   */
  local<T>(activity: Promise<T>): Promise<T> {
    this.localActivities++;
    const settled = () => {
      this.localActivities--;
    };
    activity.then(settled, settled);
    return activity;
  }

  /** whether the action may start now */
  mayStart(key: string): boolean {
    if (this.running.has(key)) return false;
    const ended = this.endedAt.get(key);
    if (ended?.version !== this.version()) return true;
    // runs of the releases before replay the repeats they issued; they stop once they run live
    return ended.ok && !patched(PATCHES.oncePerVersion);
  }

  /**
   * Starts the action under `key` (when mayStart said so): `done` when it succeeds, `failed` when it
   * fails, and the memory of how it ended at the call's version then.
   */
  start<T>(key: string, action: () => Promise<T>, { done, failed }: { done?: (result: T) => void; failed: (error: unknown) => void }): void {
    this.running.add(key);
    action()
      .then(
        (result) => {
          this.endedAt.set(key, { version: this.version(), ok: true });
          done?.(result);
        },
        (error: unknown) => {
          this.endedAt.set(key, { version: this.version(), ok: false });
          failed(error);
        },
      )
      .finally(() => {
        this.running.delete(key);
        this.settled();
      });
  }
}
