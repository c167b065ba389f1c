import { WEBHOOK_RETRY_DEFAULTS, webhookActivityTimeoutMs, webhookLeaseMs, webhookSendMaxMs } from './webhook-retry';

describe('webhook retry: one definition for the configuration, the outbound ledger and the workflows', () => {
  it('by default: 5 attempts of up to 30 s with 0.5 + 1 + 2 + 4 s between them; a 167.5 s lease; a 4 minute activity', () => {
    expect(webhookSendMaxMs(WEBHOOK_RETRY_DEFAULTS)).toBe(157_500);
    expect(webhookLeaseMs(WEBHOOK_RETRY_DEFAULTS)).toBe(167_500);
    expect(webhookActivityTimeoutMs(WEBHOOK_RETRY_DEFAULTS)).toBe(240_000);
  });

  it('the backoff is capped, the lease is at least a minute, and the activity always outlasts the lease', () => {
    const many = { ...WEBHOOK_RETRY_DEFAULTS, maxAttempts: 10, timeoutMs: 1_000 };
    // 0.5 + 1 + 2 + 4 + 8 + 16 + 30 + 30 + 30 s of backoff
    expect(webhookSendMaxMs(many)).toBe(10_000 + 121_500);
    expect(webhookLeaseMs({ ...WEBHOOK_RETRY_DEFAULTS, maxAttempts: 1, timeoutMs: 1_000 })).toBe(60_000);
    for (const retry of [WEBHOOK_RETRY_DEFAULTS, many, { ...WEBHOOK_RETRY_DEFAULTS, maxAttempts: 20 }]) {
      expect(webhookActivityTimeoutMs(retry)).toBeGreaterThan(webhookLeaseMs(retry));
    }
  });
});
