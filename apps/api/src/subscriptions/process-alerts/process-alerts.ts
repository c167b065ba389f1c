import { ServiceCall, ServiceCallEvent, WORKFLOW_ACTOR } from '@app/domain';
import { RecordedEvent } from '@app/event-store';
import { Projector } from '@app/read-models';
import { Injectable } from '@nestjs/common';
import { ProjectedAlerts } from '../projected-alerts';
import { ProcessAlert } from './process-alert.model';

type StepFailed = Extract<ServiceCallEvent, { type: 'StepFailed' }>;

/** The alert for an event, if it calls for one: every StepFailed the read models applied. */
export function processAlertOf(event: RecordedEvent, call: ServiceCall | undefined): ProcessAlert | undefined {
  // no call: not a call's event
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
    cursor: String(event.position),
  };
}

/** Tells managers when a process needs them: one alert per failed step. */
@Injectable()
export class ProcessAlerts extends ProjectedAlerts<ProcessAlert> {
  constructor(projector: Projector) {
    super(projector, 'ProcessAlerts', processAlertOf);
  }
}
