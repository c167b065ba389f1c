import { webhookActivityTimeoutMs, WebhookRetry } from '@app/domain';
import { proxyActivities } from '@temporalio/workflow';
import type { ServiceCallActivities } from '../service-call/service-call.activities';
import { DOMAIN_ERROR_TYPE, PERMANENT_SEND_ERROR_TYPE } from '../service-call/service-call.activities';
import type { AftercareActivities } from './aftercare.messages';

// Ordinary activities, not local ones: the aftercare issues a handful of commands over weeks, and an
// ordinary activity's result is in the history, so a worker that dropped the run from its cache while a
// signal came in never has to wait out a workflow task timeout to learn it again.
export const commands = proxyActivities<ServiceCallActivities>({
  startToCloseTimeout: '15s',
  retry: { initialInterval: '50ms', maximumInterval: '5s', nonRetryableErrorTypes: [DOMAIN_ERROR_TYPE] },
});

/**
 * Sends reach other systems: ordinary activities, retried with backoff; the outbound ledger makes a
 * retry send nothing twice. A webhook delivery may use all its attempts, and the ledger holds a send in
 * flight for its lease: the timeout follows from the worker's webhook retry configuration (4 minutes
 * with the defaults), as the call workflow's alerts do.
 */
export function outboundActivities(retry: WebhookRetry): AftercareActivities {
  return proxyActivities<AftercareActivities>({
    startToCloseTimeout: webhookActivityTimeoutMs(retry),
    retry: { initialInterval: '1s', maximumInterval: '1m', maximumAttempts: 10, nonRetryableErrorTypes: [PERMANENT_SEND_ERROR_TYPE, DOMAIN_ERROR_TYPE] },
  });
}
