/**
 * The workflow's actions in flight, keyed (a process action, a routing round, an SLA record), and the
 * memory of how each one last ended: an action is never started twice at once, and one that failed
 * (refused, or out of retries) is tried again only once the call has changed.
 */
export class InFlight {
  private readonly running = new Set<string>();
  private readonly failedAt = new Map<string, number>();

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

  /** whether the action may start now */
  mayStart(key: string): boolean {
    return !this.running.has(key) && this.failedAt.get(key) !== this.version();
  }

  /**
   * Starts the action under `key` (when mayStart said so): `done` when it succeeds, `failed` when it
   * fails, and the memory of a failure at the call's version then.
   */
  start<T>(key: string, action: () => Promise<T>, { done, failed }: { done?: (result: T) => void; failed: (error: unknown) => void }): void {
    this.running.add(key);
    action()
      .then(
        (result) => {
          this.failedAt.delete(key);
          done?.(result);
        },
        (error: unknown) => {
          this.failedAt.set(key, this.version());
          failed(error);
        },
      )
      .finally(() => {
        this.running.delete(key);
        this.settled();
      });
  }
}
