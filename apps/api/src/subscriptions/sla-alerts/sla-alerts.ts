import { ServiceCall, ServiceCallEvent } from '@app/domain';
import { RecordedEvent } from '@app/event-store';
import { Projector } from '@app/read-models';
import { Injectable } from '@nestjs/common';
import { ProjectedAlerts } from '../projected-alerts';
import { SlaAlert } from './sla-alert.model';

type SlaEvent = Extract<ServiceCallEvent, { type: 'SlaAtRisk' | 'SlaBreached' }>;

/** How many alert ids a process remembers to never send one alert twice (a few hours of a busy day's alerts). */
export const REMEMBERED_ALERT_IDS = 10_000;

/** The id of one SLA alert, shared with the webhook (its Idempotency-Key): one alert per target, kind and due time. */
export const slaAlertId = (callId: string, target: string, kind: SlaAlert['kind'], dueAt: string): string => `sla:${callId}:${target}:${kind}:${dueAt}`;

/** The alert for an event, if it calls for one: every SlaAtRisk and SlaBreached the read models applied. */
export function slaAlertOf(event: RecordedEvent, call: ServiceCall | undefined): SlaAlert | undefined {
  // no call: not a call's event
  if ((event.type !== 'SlaAtRisk' && event.type !== 'SlaBreached') || !call) return undefined;
  const data = event.data as SlaEvent['data'];
  const kind = event.type === 'SlaAtRisk' ? 'AT_RISK' : 'BREACHED';
  return {
    alertId: slaAlertId(call.id, data.target, kind, data.dueAt),
    callId: call.id,
    trackingCode: call.trackingCode,
    kind,
    target: data.target,
    dueAt: data.dueAt,
    at: data.at,
    cursor: String(event.position),
  };
}

/**
 * Tells managers when a call's SLA is at risk or breached, as the projector applies the workflow's
 * SlaAtRisk / SlaBreached events (the same fan-out as processAlerts). Each alert id goes out once per
 * process even if the same alert were recorded twice.
 */
@Injectable()
export class SlaAlerts extends ProjectedAlerts<SlaAlert> {
  /** recently sent ids in sending order (a Set keeps insertion order: the first is the oldest) */
  private readonly sent = new Set<string>();

  constructor(projector: Projector) {
    super(projector, 'SlaAlerts', slaAlertOf);
  }

  protected override keyOf(alert: SlaAlert): string {
    return alert.alertId;
  }

  override publish(alert: SlaAlert): void {
    if (this.sent.has(alert.alertId)) return;
    this.sent.add(alert.alertId);
    if (this.sent.size > REMEMBERED_ALERT_IDS) this.sent.delete(this.sent.values().next().value as string);
    super.publish(alert);
  }
}
