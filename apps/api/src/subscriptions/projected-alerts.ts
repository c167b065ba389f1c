import { ServiceCall } from '@app/domain';
import { RecordedEvent } from '@app/event-store';
import { Projector } from '@app/read-models';
import { Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { FanOut, SubscriberQueue } from './fan-out';

/** Alerts a manager may have queued; one who reads slower loses the oldest first. */
export const ALERTS_PER_SUBSCRIBER = 256;

/**
 * A kind of manager alert: made from the events the projector applies (so a query after an alert sees
 * its change), fanned out to every subscriber's bounded queue. A subscription resolver hands out the queues.
 */
export abstract class ProjectedAlerts<T> implements OnModuleInit, OnModuleDestroy {
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

  subscribe(): SubscriberQueue<T> {
    return this.fanOut.subscribe();
  }

  get subscriberCount(): number {
    return this.fanOut.subscriberCount;
  }
}
