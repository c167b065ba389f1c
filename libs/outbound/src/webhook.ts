import { WEBHOOK_RETRY_DEFAULTS } from '@app/domain';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { Clock, systemClock } from './contact';
import { isRetryableStatus, PermanentSendError, TransientSendError } from './errors';
import { OutboundLedger } from './outbound-ledger';

/**
 * Signature scheme (for receivers):
 *
 *   X-Webhook-Timestamp: <unix seconds when this attempt was signed>
 *   X-Signature: sha256=<lowercase hex HMAC-SHA256(key = WEBHOOK_SECRET, message = `${timestamp}.${rawBody}`)>
 *   Idempotency-Key: <alert id>   (also the body's "id"; deliveries of one alert all carry it)
 *
 * A receiver recomputes the HMAC over the timestamp header, a dot and the raw request bytes (before any
 * JSON parsing), compares in constant time, and rejects timestamps too far from its clock (replays).
 * Each retry is signed afresh with its own timestamp; the body is the same for every attempt.
 */
export const SIGNATURE_HEADER = 'x-signature';
export const TIMESTAMP_HEADER = 'x-webhook-timestamp';

export function signWebhook(secret: string, timestamp: number | string, rawBody: string | Buffer): string {
  return 'sha256=' + createHmac('sha256', secret).update(`${timestamp}.`).update(rawBody).digest('hex');
}

export interface VerifyWebhookInput {
  secret: string;
  rawBody: string | Buffer;
  /** the X-Signature header */
  signature: string | undefined;
  /** the X-Webhook-Timestamp header */
  timestamp: string | undefined;
  /** how far the timestamp may be from `now` (default 300 s); 0 skips the check */
  toleranceSeconds?: number;
  now?: Date;
}

export function verifyWebhookSignature(input: VerifyWebhookInput): boolean {
  const { secret, rawBody, signature, timestamp } = input;
  if (!signature || !timestamp || !/^\d+$/.test(timestamp)) return false;
  const tolerance = input.toleranceSeconds ?? 300;
  const now = Math.floor((input.now ?? new Date()).getTime() / 1000);
  if (tolerance > 0 && Math.abs(now - Number(timestamp)) > tolerance) return false;
  const expected = Buffer.from(signWebhook(secret, timestamp, rawBody));
  const given = Buffer.from(signature);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export interface WebhookEvent {
  /** the alert id: the idempotency key, sent once per id */
  id: string;
  type: string;
  data: Record<string, unknown>;
}

export interface WebhookResult {
  outcome: 'DELIVERED' | 'NO_GATEWAY';
  status?: number;
  attempts?: number;
  deliveredAt: string;
}

export interface WebhookSenderOptions {
  /** undefined: WEBHOOK_URL unset, every send ends as NO_GATEWAY */
  url?: string;
  secret?: string;
  /** attempts within one send (default 5), then a TransientSendError for the caller (activity) to retry later */
  maxAttempts?: number;
  /** first delay between attempts (default 500 ms), doubling up to maxBackoffMs (default 30 s) */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  timeoutMs?: number;
  clock?: Clock;
  sleep?: (ms: number) => Promise<void>;
}

/** Manager alerts as signed webhooks, each alert id delivered once (through the ledger) and retried with backoff. */
export class WebhookSender {
  private readonly clock: Clock;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(
    private readonly options: WebhookSenderOptions,
    private readonly ledger: OutboundLedger,
  ) {
    if (options.url && !options.secret) throw new Error('WEBHOOK_SECRET is required when WEBHOOK_URL is set');
    if (options.url) new URL(options.url);
    this.clock = options.clock ?? systemClock;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  get configured(): boolean {
    return !!this.options.url;
  }

  async send(event: WebhookEvent): Promise<WebhookResult> {
    if (!this.options.url) return { outcome: 'NO_GATEWAY', deliveredAt: this.clock().toISOString() };
    return this.ledger.once('webhook', event.id, event, () => this.deliver(event));
  }

  private async deliver(event: WebhookEvent): Promise<WebhookResult> {
    const body = JSON.stringify(event);
    const maxAttempts = Math.max(1, this.options.maxAttempts ?? WEBHOOK_RETRY_DEFAULTS.maxAttempts);
    let delay = this.options.initialBackoffMs ?? WEBHOOK_RETRY_DEFAULTS.initialBackoffMs;
    let last: TransientSendError | undefined;
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      if (attempt > 1) {
        await this.sleep(delay);
        delay = Math.min(delay * 2, this.options.maxBackoffMs ?? WEBHOOK_RETRY_DEFAULTS.maxBackoffMs);
      }
      const status = await this.post(event.id, body).catch((error: Error) => error);
      if (typeof status === 'number' && status >= 200 && status < 300) {
        return { outcome: 'DELIVERED', status, attempts: attempt, deliveredAt: this.clock().toISOString() };
      }
      if (typeof status === 'number' && !isRetryableStatus(status)) {
        throw new PermanentSendError(`webhook receiver answered ${status}`, status);
      }
      last =
        typeof status === 'number'
          ? new TransientSendError(`webhook receiver answered ${status}`, status)
          : new TransientSendError(`webhook receiver unreachable: ${status.message}`);
    }
    throw last!;
  }

  private async post(id: string, body: string): Promise<number> {
    const timestamp = Math.floor(this.clock().getTime() / 1000);
    const response = await fetch(this.options.url!, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'idempotency-key': id,
        [TIMESTAMP_HEADER]: String(timestamp),
        [SIGNATURE_HEADER]: signWebhook(this.options.secret!, timestamp, body),
      },
      body,
      signal: AbortSignal.timeout(this.options.timeoutMs ?? 10_000),
    });
    await response.arrayBuffer().catch(() => undefined); // free the socket
    return response.status;
  }
}
