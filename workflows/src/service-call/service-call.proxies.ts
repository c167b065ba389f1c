import { webhookActivityTimeoutMs, WebhookRetry } from '@app/domain';
import { proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { FoldedCall } from './folded-call';
import type { InFlight } from './in-flight';
import type { ProcessCommand, ServiceCallActivities } from './service-call.activities';
import { DOMAIN_ERROR_TYPE, PERMANENT_SEND_ERROR_TYPE } from './service-call.activities';

// Commands are short writes to the event store: local activities, retried until they succeed.
export const commands = proxyLocalActivities<ServiceCallActivities>({
  startToCloseTimeout: '15s',
  retry: { initialInterval: '50ms', maximumInterval: '5s', nonRetryableErrorTypes: [DOMAIN_ERROR_TYPE] },
});

// Automations may call other systems: ordinary activities with their own retry budget. The server
// notices a worker that died mid-action (kill -9) only when startToCloseTimeout runs out, and until
// then the call waits: keep it near what an action needs (today's one reads the local read models).
export const automation = proxyActivities<ServiceCallActivities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', maximumInterval: '30s', maximumAttempts: 5, nonRetryableErrorTypes: [DOMAIN_ERROR_TYPE] },
});

/**
 * Alerts go to other systems (the webhook): retried with backoff. The outbound ledger takes a send still
 * running for a dead one only after its lease (derived from the webhook retry configuration): the
 * activity's timeout is derived from the same definition, longer than the lease, or a retry would wait
 * on the first attempt's lease.
 */
export function alertActivities(retry: WebhookRetry): ServiceCallActivities {
  return proxyActivities<ServiceCallActivities>({
    startToCloseTimeout: webhookActivityTimeoutMs(retry),
    retry: { initialInterval: '1s', maximumInterval: '1m', maximumAttempts: 20, nonRetryableErrorTypes: [PERMANENT_SEND_ERROR_TYPE] },
  });
}

/** Issues a command as the workflow (a local activity, counted in `inFlight`) and folds the events it answers with. */
export async function issue(call: FoldedCall, inFlight: InFlight, command: ProcessCommand, idempotencyKey: string): Promise<void> {
  call.receive(await inFlight.local(commands.issueCommand({ callId: call.callId, command, idempotencyKey, atVersion: call.version })));
}
