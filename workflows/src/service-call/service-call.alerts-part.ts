import { log } from '@temporalio/workflow';
import type { FoldedCall } from './folded-call';
import type { ServiceCallActivities } from './service-call.activities';

/**
 * Webhooks to the managers (a FAILED step; the SLA part's AT_RISK and BREACHED), sent as ordinary
 * activities beside the process. A failed send is logged, never retried by the workflow (the activity
 * has its own retries); the run ends only once every send has ended.
 */
export class AlertsPart {
  private readonly sending = new Set<Promise<unknown>>();
  private readonly alertedFailures = new Set<string>(); // `<stepKey>#<attempt>` of the failed steps told (or being told) in this run

  /** @param processAlertWebhook false in runs of the releases before the process-alert webhook (they replay without it) */
  /** @param send the alert activities (their timeout follows the webhook retry configuration) */
  constructor(
    private readonly call: FoldedCall,
    private readonly processAlertWebhook: boolean,
    readonly send: Pick<ServiceCallActivities, 'sendSlaAlert' | 'sendProcessAlert'>,
  ) {}

  get size(): number {
    return this.sending.size;
  }

  /** Tracks one send until it ends; `what` names it in the log when it fails. */
  track(send: Promise<unknown>, what: string, about: Record<string, unknown>): void {
    const sent: Promise<unknown> = send
      .catch((error: unknown) => log.warn(what, { callId: this.call.callId, ...about, error: String(error) }))
      .finally(() => {
        this.sending.delete(sent);
        this.call.touch();
      });
    this.sending.add(sent);
  }

  /** One webhook per failed step and attempt; the outbound ledger sends each once, also across runs. */
  failedSteps(): void {
    const call = this.call.call;
    if (!this.processAlertWebhook || !call) return;
    for (const phase of call.phases) {
      for (const step of phase.steps) {
        if (step.status !== 'FAILED') continue;
        const attempt = step.attempt;
        const key = `${step.key}#${attempt}`;
        if (this.alertedFailures.has(key)) continue;
        this.alertedFailures.add(key);
        const failedAt = step.failedAt ?? call.updatedAt;
        this.track(this.send.sendProcessAlert({ callId: this.call.callId, stepKey: step.key, attempt, failedAt }), 'process alert not sent', { stepKey: step.key });
      }
    }
  }
}
