import fc from 'fast-check';
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PermanentSendError, TransientSendError } from './errors';
import { OutboundLedger } from './outbound-ledger';
import { HttpTestReceiver } from './testing/http-test-receiver';
import { signWebhook, verifyWebhookSignature, WebhookEvent, WebhookSender } from './webhook';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'webhook-'));
const ledgers: OutboundLedger[] = [];
const newLedger = () => {
  const ledger = new OutboundLedger({ path: path.join(dir, `${randomUUID()}.sqlite`) });
  ledgers.push(ledger);
  return ledger;
};
afterAll(async () => {
  await Promise.all(ledgers.map((l) => l.close()));
  fs.rmSync(dir, { recursive: true, force: true });
});

const SECRET = 'whsec-test';
const alert = (): WebhookEvent => ({
  id: `alert-${randomUUID()}`,
  type: 'SlaBreached',
  data: { callId: 'call-1', kind: 'BREACHED', dueAt: '2026-11-23T12:00:00.000Z', at: '2026-11-23T12:00:01.000Z' },
});

describe('verifyWebhookSignature', () => {
  const body = JSON.stringify(alert());
  const now = new Date('2026-11-23T12:00:00Z');
  const ts = String(now.getTime() / 1000);
  const signature = signWebhook(SECRET, ts, body);

  it('accepts the signature over timestamp and raw body', () => {
    expect(signature).toMatch(/^sha256=[0-9a-f]{64}$/);
    expect(verifyWebhookSignature({ secret: SECRET, rawBody: body, signature, timestamp: ts, now })).toBe(true);
    expect(verifyWebhookSignature({ secret: SECRET, rawBody: Buffer.from(body), signature, timestamp: ts, now })).toBe(true);
  });

  it('rejects a wrong secret, an altered body, an altered timestamp, a stale timestamp or missing headers', () => {
    expect(verifyWebhookSignature({ secret: 'other', rawBody: body, signature, timestamp: ts, now })).toBe(false);
    expect(verifyWebhookSignature({ secret: SECRET, rawBody: body.replace('call-1', 'call-2'), signature, timestamp: ts, now })).toBe(false);
    expect(verifyWebhookSignature({ secret: SECRET, rawBody: body, signature, timestamp: String(Number(ts) + 1), now })).toBe(false);
    const later = new Date(now.getTime() + 301_000);
    expect(verifyWebhookSignature({ secret: SECRET, rawBody: body, signature, timestamp: ts, now: later })).toBe(false);
    expect(verifyWebhookSignature({ secret: SECRET, rawBody: body, signature, timestamp: ts, now: later, toleranceSeconds: 0 })).toBe(true);
    expect(verifyWebhookSignature({ secret: SECRET, rawBody: body, signature: undefined, timestamp: ts, now })).toBe(false);
    expect(verifyWebhookSignature({ secret: SECRET, rawBody: body, signature, timestamp: undefined, now })).toBe(false);
    expect(verifyWebhookSignature({ secret: SECRET, rawBody: body, signature: 'sha256=00', timestamp: ts, now })).toBe(false);
  });
});

describe('verifyWebhookSignature (properties)', () => {
  const now = new Date('2026-11-23T12:00:00Z');
  const ts = String(now.getTime() / 1000);

  it('verifies what was signed with the same secret, and nothing with one byte of the body changed', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), fc.uint8Array({ minLength: 1, maxLength: 300 }), fc.nat(), (secret, bytes, at) => {
        const body = Buffer.from(bytes);
        const signature = signWebhook(secret, ts, body);
        expect(verifyWebhookSignature({ secret, rawBody: body, signature, timestamp: ts, now })).toBe(true);
        const altered = Buffer.from(body);
        altered[at % altered.length] ^= 0x01;
        expect(verifyWebhookSignature({ secret, rawBody: altered, signature, timestamp: ts, now })).toBe(false);
        expect(verifyWebhookSignature({ secret: secret + 'x', rawBody: body, signature, timestamp: ts, now })).toBe(false);
      }),
    );
  });
});

describe('WebhookSender (a real local HTTP receiver)', () => {
  let receiver: HttpTestReceiver;
  beforeAll(async () => {
    receiver = await new HttpTestReceiver().start();
  });
  afterAll(() => receiver.stop());
  beforeEach(() => receiver.requests.splice(0));

  const sender = (options: { maxAttempts?: number; initialBackoffMs?: number } = {}, ledger = newLedger()) =>
    new WebhookSender({ url: receiver.url('/hooks/sla'), secret: SECRET, initialBackoffMs: 20, ...options }, ledger);

  it('POSTs the alert as JSON, signed so the receiver verifies it, with the alert id as Idempotency-Key', async () => {
    const event = alert();
    const result = await sender().send(event);
    expect(result).toMatchObject({ outcome: 'DELIVERED', status: 200, attempts: 1 });
    expect(receiver.requests).toHaveLength(1);
    const [req] = receiver.requests;
    expect(req.method).toBe('POST');
    expect(req.path).toBe('/hooks/sla');
    expect(req.headers['content-type']).toBe('application/json');
    expect(req.headers['idempotency-key']).toBe(event.id);
    expect(JSON.parse(req.rawBody)).toEqual(event);
    const verify = (secret: string, rawBody: string) =>
      verifyWebhookSignature({
        secret,
        rawBody,
        signature: req.headers['x-signature'] as string,
        timestamp: req.headers['x-webhook-timestamp'] as string,
      });
    expect(verify(SECRET, req.rawBody)).toBe(true);
    expect(verify('wrong-secret', req.rawBody)).toBe(false);
    expect(verify(SECRET, req.rawBody.replace('BREACHED', 'AT_RISK'))).toBe(false);
  });

  it('retries with exponential backoff until the receiver accepts, every attempt signed', async () => {
    receiver.replyNext(500, 503, 429);
    const result = await sender({ initialBackoffMs: 40 }).send(alert());
    expect(result).toMatchObject({ outcome: 'DELIVERED', attempts: 4 });
    expect(receiver.requests).toHaveLength(4);
    const gaps = receiver.requests.slice(1).map((r, i) => r.at - receiver.requests[i].at);
    expect(gaps[0]).toBeGreaterThanOrEqual(35);
    expect(gaps[1]).toBeGreaterThanOrEqual(75);
    expect(gaps[2]).toBeGreaterThanOrEqual(155);
    for (const req of receiver.requests) {
      expect(
        verifyWebhookSignature({
          secret: SECRET,
          rawBody: req.rawBody,
          signature: req.headers['x-signature'] as string,
          timestamp: req.headers['x-webhook-timestamp'] as string,
        }),
      ).toBe(true);
    }
  });

  it('gives up after the configured attempts with a transient error; a later retry (activity) delivers, once', async () => {
    const s = sender({ maxAttempts: 2 });
    const event = alert();
    receiver.replyNext(500, 500);
    await expect(s.send(event)).rejects.toBeInstanceOf(TransientSendError);
    expect(receiver.requests).toHaveLength(2);
    expect(await s.send(event)).toMatchObject({ outcome: 'DELIVERED', attempts: 1 });
    expect(receiver.requests).toHaveLength(3);
  });

  it('sends once per alert id, across retries and a restart', async () => {
    const file = path.join(dir, `${randomUUID()}.sqlite`);
    const event = alert();
    const ledger = new OutboundLedger({ path: file });
    const first = await sender({}, ledger).send(event);
    expect(await sender({}, ledger).send(event)).toEqual(first);
    await ledger.close();
    const reopened = new OutboundLedger({ path: file });
    ledgers.push(reopened);
    expect(await sender({}, reopened).send(event)).toEqual(first);
    expect(receiver.requests).toHaveLength(1);
    expect(await sender({}, reopened).send(alert())).toMatchObject({ outcome: 'DELIVERED' }); // another alert is sent
    expect(receiver.requests).toHaveLength(2);
  });

  it('a 4xx other than 408/429 is permanent and not retried', async () => {
    receiver.replyNext(400);
    const error = await sender().send(alert()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PermanentSendError);
    expect(error).toMatchObject({ status: 400 });
    expect(receiver.requests).toHaveLength(1);
  });

  it('without WEBHOOK_URL nothing is sent (NO_GATEWAY); a URL without a secret is refused', async () => {
    expect(await new WebhookSender({}, newLedger()).send(alert())).toMatchObject({ outcome: 'NO_GATEWAY' });
    expect(() => new WebhookSender({ url: receiver.url() }, newLedger())).toThrow(/WEBHOOK_SECRET/);
  });
});
