/**
 * How a webhook delivery is retried (libs/outbound's WebhookSender), and what follows from it: how long
 * one send may run at most, how long the outbound ledger holds a send in flight before taking it for a
 * dead one, and how long the activity that sends may run. One definition, used by the configuration
 * (its defaults), the outbound ledger (its lease) and the workflows (their activity timeouts), so that
 * the three cannot drift apart.
 */
export interface WebhookRetry {
  /** attempts within one send (WEBHOOK_MAX_ATTEMPTS) */
  maxAttempts: number;
  /** first wait between attempts (WEBHOOK_INITIAL_BACKOFF_MS), doubling up to maxBackoffMs */
  initialBackoffMs: number;
  maxBackoffMs: number;
  /** per HTTP request (OUTBOUND_TIMEOUT_MS) */
  timeoutMs: number;
}

export const WEBHOOK_RETRY_DEFAULTS: WebhookRetry = { maxAttempts: 5, initialBackoffMs: 500, maxBackoffMs: 30_000, timeoutMs: 30_000 };

/** The longest one send can take: every attempt up to its timeout, plus the backoff between them. */
export function webhookSendMaxMs(retry: WebhookRetry): number {
  let backoff = 0;
  for (let i = 1, delay = retry.initialBackoffMs; i < retry.maxAttempts; i++, delay = Math.min(delay * 2, retry.maxBackoffMs)) backoff += delay;
  return retry.maxAttempts * retry.timeoutMs + backoff;
}

/**
 * The outbound ledger's lease on a send in flight: an attempt still running must never be taken for a
 * dead one, so the lease covers the longest send and a margin (at least a minute). 167.5 s by default.
 */
export function webhookLeaseMs(retry: WebhookRetry): number {
  return Math.max(60_000, webhookSendMaxMs(retry) + 10_000);
}

/**
 * startToCloseTimeout of an activity that sends a webhook: longer than the ledger's lease (or a retry
 * of a timed-out activity would wait on the first attempt's lease), rounded up to whole minutes after
 * a margin of 30 s. 4 minutes by default.
 */
export function webhookActivityTimeoutMs(retry: WebhookRetry): number {
  return Math.ceil((webhookLeaseMs(retry) + 30_000) / 60_000) * 60_000;
}
