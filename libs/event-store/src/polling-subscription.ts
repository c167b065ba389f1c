import type { EventHandler, RecordedEvent, SubscribeOptions, Subscription } from './event-store.port';

/** Events a subscription reads at once; a full batch means more are waiting (no sleep before the next read). */
export const CATCH_UP_BATCH = 500;

/**
 * One reader loop per subscription, for the adapters whose log is a table (SQLite, PostgreSQL): read
 * the events after the last delivered position, hand each to the handler in turn, and when there is
 * nothing new, sleep until woken (an append in this process, a notification from another) or the poll
 * interval passes. A failed read is tried again with backoff (a busy file, a restarting server); a
 * failed handler ends the subscription (onError).
 */
export class PollingSubscription implements Subscription {
  private stopped = false;
  /** set by wake(): an append that lands while the handler runs must not wait for the next poll */
  private woken = false;
  private endSleep: (() => void) | undefined;
  private readonly done: Promise<void>;

  constructor(
    /** the next events after `after`, at most CATCH_UP_BATCH; `stopped` lets a waiting read give up */
    private readonly read: (after: number, stopped: () => boolean) => Promise<RecordedEvent[]> | RecordedEvent[],
    private readonly handler: EventHandler,
    private readonly options: SubscribeOptions,
    private readonly pollIntervalMs: number,
    onEnd: () => void,
  ) {
    this.done = this.run().finally(onEnd);
  }

  wake(): void {
    this.woken = true;
    this.endSleep?.();
  }

  /** Do not await this from inside the handler: it waits for the handler to return. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.endSleep?.();
    await this.done;
  }

  private async run(): Promise<void> {
    await Promise.resolve(); // let subscribeToAll return before the first read and handler call
    let position = this.options.fromPosition ?? 0;
    let failures = 0;
    while (!this.stopped) {
      this.woken = false;
      let batch: RecordedEvent[];
      try {
        batch = await this.read(position, () => this.stopped);
        failures = 0;
      } catch (error) {
        if (this.stopped) return;
        failures += 1;
        if (failures === 1 || failures % 20 === 0) console.warn(`event store subscription: reading failed ${failures}x, retrying: ${String(error)}`);
        await this.sleep(Math.min(5000, 100 * 2 ** Math.min(failures, 6)));
        continue;
      }
      for (const event of batch) {
        if (this.stopped) return;
        try {
          await this.handler(event);
        } catch (error) {
          this.stopped = true;
          (this.options.onError ?? reportUnhandled)(error);
          return;
        }
        position = event.position;
      }
      if (batch.length < CATCH_UP_BATCH && !this.woken) await this.sleep(this.pollIntervalMs);
      // a long catch-up must not starve the process (an awaited synchronous handler only yields to
      // microtasks): let timers and I/O, e.g. HTTP requests and /health, run between batches
      else await new Promise((resolve) => setImmediate(resolve));
    }
  }

  private sleep(ms: number): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.endSleep?.(), ms);
      this.endSleep = () => {
        clearTimeout(timer);
        this.endSleep = undefined;
        resolve();
      };
    });
  }
}

function reportUnhandled(error: unknown): void {
  console.error('event store subscription stopped after an error', error);
}
