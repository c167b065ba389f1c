import { ServiceCall, ServiceCallEvent, WORKFLOW_ACTOR } from '@app/domain';
import { RecordedEvent } from '@app/event-store';
import { Projector } from '@app/read-models';
import { Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { FanOut, SubscriberQueue } from '../fan-out';
import { ProcessAlert } from './process-alert.model';

/** Alerts a manager may have queued; one who reads slower loses the oldest first. */
export const ALERTS_PER_SUBSCRIBER = 256;

type StepFailed = Extract<ServiceCallEvent, { type: 'StepFailed' }>;

/** The alert for an event, if it calls for one: every StepFailed the read models applied. */
export function processAlertOf(event: RecordedEvent, call: ServiceCall | undefined): ProcessAlert | undefined {
  // no call: not a call's event, or one the projections had already applied (no second alert)
  if (event.type !== 'StepFailed' || !call) return undefined;
  const data = event.data as StepFailed['data'];
  return {
    callId: call.id,
    trackingCode: call.trackingCode,
    phaseKey: data.phaseKey,
    stepKey: data.stepKey,
    reason: data.reason,
    automated: data.by === WORKFLOW_ACTOR,
    by: data.by,
    at: data.at,
  };
}

/**
 * Tells managers when a process needs them, as the projector applies the events. Other kinds of
 * alerts (the SLA issue's slaAlerts) follow the same shape: a FanOut fed from the projector, and a
 * subscription resolver that hands out its queues.
 */
@Injectable()
export class ProcessAlerts implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('ProcessAlerts');
  private readonly fanOut = new FanOut<ProcessAlert>({ limit: ALERTS_PER_SUBSCRIBER, overflow: 'drop-oldest' });
  private stopListening?: () => void;

  constructor(private readonly projector: Projector) {}

  onModuleInit(): void {
    this.stopListening = this.projector.onProjected((event, call) => {
      // runs inside the projector's loop: never throw there
      try {
        const alert = processAlertOf(event, call);
        if (alert) this.fanOut.publish(alert);
      } catch (error) {
        this.logger.error(`could not publish an alert for event ${event.position}: ${String(error)}`);
      }
    });
  }

  onModuleDestroy(): void {
    this.stopListening?.();
    this.fanOut.closeAll();
  }

  subscribe(): SubscriberQueue<ProcessAlert> {
    return this.fanOut.subscribe();
  }

  get subscriberCount(): number {
    return this.fanOut.subscriberCount;
  }
}
