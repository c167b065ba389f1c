import { ServiceCall } from '@app/domain';
import { Projector } from '@app/read-models';
import { Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { FanOut, SubscriberQueue } from '../fan-out';

/**
 * States of one call a subscriber may have queued before the oldest is sent. A client that falls
 * further behind gets only the newest state (its queue keeps the latest): versions then jump, and
 * the client can read `history` for what happened in between.
 */
export const CALL_CHANGES_PER_SUBSCRIBER = 64;

/** Each change of a call, once the read models include it, to the subscribers of that call only. */
@Injectable()
export class ServiceCallChanges implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('ServiceCallChanges');
  private readonly fanOut = new FanOut<ServiceCall>({ limit: CALL_CHANGES_PER_SUBSCRIBER, overflow: 'keep-latest' });
  private stopListening?: () => void;

  constructor(private readonly projector: Projector) {}

  onModuleInit(): void {
    this.stopListening = this.projector.onCallChanged((call) => {
      // runs inside the projector's loop: never throw there
      try {
        this.fanOut.publish(call, call.id);
      } catch (error) {
        this.logger.error(`could not publish call ${call.id} v${call.version}: ${String(error)}`);
      }
    });
  }

  onModuleDestroy(): void {
    this.stopListening?.();
    this.fanOut.closeAll();
  }

  /** The call's later states, in order (keep-latest when the subscriber falls behind). */
  subscribe(callId: string): SubscriberQueue<ServiceCall> {
    return this.fanOut.subscribe(callId);
  }

  get subscriberCount(): number {
    return this.fanOut.subscriberCount;
  }
}
