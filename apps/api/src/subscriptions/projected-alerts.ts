import { ServiceCall, ValidationError } from '@app/domain';
import { RecordedEvent } from '@app/event-store';
import { Projector } from '@app/read-models';
import { Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { FanOut, SubscriberQueue } from './fan-out';

/** Alerts a manager may have queued; one who reads slower loses the oldest first. */
export const ALERTS_PER_SUBSCRIBER = 256;

/** Every alert carries its place in the log: its event's global position, as a string (`after` resumes behind it). */
export interface Alert {
  cursor: string;
}

/** A cursor as a client sends it back: the decimal position of an alert it had. */
export function parseCursor(after: string): number {
  if (!/^\d{1,15}$/.test(after)) throw new ValidationError('after', 'after must be the cursor of an alert received before (digits only)');
  return Number(after);
}

/**
 * A kind of manager alert: made from the events the projector applies (so a query after an alert sees
 * its change), fanned out to every subscriber's bounded queue. A subscription resolver hands out the queues.
 * A subscriber that comes back with the cursor of the last alert it had gets every alert since, read
 * from the log, then the live ones: a reconnect, to this replica or another, loses no alert.
 */
export abstract class ProjectedAlerts<T extends Alert> implements OnModuleInit, OnModuleDestroy {
  private readonly logger: Logger;
  private readonly fanOut = new FanOut<T>({ limit: ALERTS_PER_SUBSCRIBER, overflow: 'drop-oldest' });
  private stopListening?: () => void;

  protected constructor(
    private readonly projector: Projector,
    name: string,
    /** the alert for an event, if it calls for one */
    private readonly alertOf: (event: RecordedEvent, call: ServiceCall | undefined) => T | undefined,
  ) {
    this.logger = new Logger(name);
  }

  onModuleInit(): void {
    this.stopListening = this.projector.onProjected((event, call) => {
      // runs inside the projector's loop: never throw there
      try {
        const alert = this.alertOf(event, call);
        if (alert) this.publish(alert);
      } catch (error) {
        this.logger.error(`could not publish an alert for event ${event.position}: ${String(error)}`);
      }
    });
  }

  onModuleDestroy(): void {
    this.stopListening?.();
    this.fanOut.closeAll();
  }

  publish(alert: T): void {
    this.fanOut.publish(alert);
  }

  /** The live alerts from now on; with `after` (a cursor), first every alert after it. */
  subscribe(after?: number): AsyncIterableIterator<T> {
    const live = this.fanOut.subscribe();
    // listening first, then reading where the read models stand: every later alert reaches the queue
    return after === undefined ? live : this.since(after, this.projector.checkpoint, live);
  }

  /** The same alert raised twice yields one (for kinds whose alerts have an id). */
  protected keyOf(_alert: T): string | undefined {
    return undefined;
  }

  /**
   * The alerts of the events in (after, upTo], read from the log, then the queue's (all past upTo here;
   * past `after` is checked as well: this replica's read models may be behind the one the cursor came
   * from). Written out rather than as an async generator: ending the subscription must close the queue
   * at once, also while it waits for the next alert (a generator's return() would wait for that alert).
   */
  private since(after: number, upTo: number, live: SubscriberQueue<T>): AsyncIterableIterator<T> {
    const history = this.alertsSince(after, upTo);
    let inHistory = true;
    const iterator: AsyncIterableIterator<T> = {
      async next(): Promise<IteratorResult<T>> {
        if (inHistory) {
          const result = await history.next();
          if (!result.done) return result;
          inHistory = false;
        }
        for (;;) {
          const result = await live.next();
          if (result.done || Number(result.value.cursor) > after) return result;
        }
      },
      async return(): Promise<IteratorResult<T>> {
        live.close();
        void history.return(undefined); // finishes its page read, if one is under way, then ends
        return { value: undefined, done: true };
      },
      [Symbol.asyncIterator]: () => iterator,
    };
    return iterator;
  }

  /** The alerts the events in (after, upTo] called for, from the log; the same alert twice yields one. */
  private async *alertsSince(after: number, upTo: number): AsyncGenerator<T, undefined> {
    const seen = new Set<string>();
    for await (const [event, call] of this.projector.projectedSince(after, upTo)) {
      const alert = this.alertOf(event, call);
      const key = alert && this.keyOf(alert);
      if (!alert || (key !== undefined && seen.has(key))) continue;
      if (key !== undefined) seen.add(key);
      yield alert;
    }
    return undefined;
  }

  get subscriberCount(): number {
    return this.fanOut.subscriberCount;
  }
}
