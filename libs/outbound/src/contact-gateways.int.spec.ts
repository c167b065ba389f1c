import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { OutboundContact } from './contact';
import { PermanentSendError, TransientSendError } from './errors';
import { HttpMessagingGateway } from './http-messaging.contact-gateway';
import { OutboundLedger } from './outbound-ledger';
import { IdempotentContactGateway, RoutingContactGateway } from './routing.contact-gateway';
import { messageIdFor, SmtpContactGateway } from './smtp.contact-gateway';
import { HttpTestReceiver } from './testing/http-test-receiver';
import { outboundTestServers } from './testing/outbound-test-servers';
import { SmtpTestServer } from './testing/smtp-test-server';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'outbound-'));
const newLedger = (options: { inFlightLeaseMs?: number } = {}) =>
  new OutboundLedger({ path: path.join(dir, `${randomUUID()}.sqlite`), ...options });
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const FROM = 'Service Desk <service@example.com>';

function contact(overrides: Partial<OutboundContact> = {}): OutboundContact {
  return {
    idempotencyKey: `contact-${randomUUID()}`,
    channel: 'EMAIL',
    to: { name: 'Ada Lovelace', email: 'ada@example.org', phone: '+44 20 7946 0000' },
    purpose: 'FOLLOW_UP',
    subject: 'How did we do?',
    body: 'Hello Ada,\nyour call was resolved. Are you satisfied? Grüße',
    ...overrides,
  };
}

/** What a Temporal activity retry amounts to: call again with the same input until it does not throw transiently. */
async function withRetries<T>(attempt: () => Promise<T>, max = 5): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await attempt();
    } catch (error) {
      if (error instanceof PermanentSendError || i >= max) throw error;
    }
  }
}

describe('e-mail over SMTP (a real SMTP server in the test process)', () => {
  let smtp: SmtpTestServer;
  let email: SmtpContactGateway;
  beforeAll(async () => {
    smtp = await new SmtpTestServer().start();
    email = new SmtpContactGateway({ smtpUrl: smtp.url('mailer', 's3cret'), from: FROM, timeoutMs: 5000 });
  });
  afterAll(() => smtp.stop());
  beforeEach(() => smtp.received.splice(0));

  it('delivers the contact with its recipient, subject, body and a Message-ID derived from the key', async () => {
    const c = contact();
    const result = await email.send(c);
    expect(result).toEqual({ outcome: 'SENT', providerMessageId: messageIdFor(c.idempotencyKey, FROM), sentAt: expect.any(String) });
    expect(smtp.received).toHaveLength(1);
    const [mail] = smtp.received;
    expect(mail.envelopeTo).toEqual(['ada@example.org']);
    expect(mail.user).toBe('mailer');
    expect(mail.parsed.to).toMatchObject({ value: [{ address: 'ada@example.org', name: 'Ada Lovelace' }] });
    expect(mail.parsed.from).toMatchObject({ value: [{ address: 'service@example.com', name: 'Service Desk' }] });
    expect(mail.parsed.subject).toBe(c.subject);
    expect(mail.parsed.text?.trim()).toBe(c.body);
    expect(mail.parsed.messageId).toBe(result.providerMessageId);
    expect(mail.parsed.headers.get('x-contact-purpose')).toBe('FOLLOW_UP');
  });

  it('the Message-ID is the same for the same key and differs between keys', () => {
    expect(messageIdFor('k1', FROM)).toBe(messageIdFor('k1', FROM));
    expect(messageIdFor('k1', FROM)).not.toBe(messageIdFor('k2', FROM));
    expect(messageIdFor('k1', FROM)).toMatch(/^<[0-9a-f]{32}@example\.com>$/);
  });

  it('a contact without an e-mail address is NO_ADDRESS and sends nothing', async () => {
    expect(await email.send(contact({ to: { name: 'Bob' } }))).toMatchObject({ outcome: 'NO_ADDRESS' });
    expect(smtp.received).toHaveLength(0);
  });

  it('an invalid address is a permanent failure', async () => {
    await expect(email.send(contact({ to: { name: 'Bob', email: 'not an address' } }))).rejects.toBeInstanceOf(PermanentSendError);
    expect(smtp.received).toHaveLength(0);
  });

  it('a 4xx reply is transient, a 5xx reply permanent', async () => {
    smtp.rejectNext(1, 451);
    const transient = await email.send(contact()).catch((e: unknown) => e);
    expect(transient).toBeInstanceOf(TransientSendError);
    expect(transient).toMatchObject({ status: 451 });
    smtp.rejectNext(1, 550);
    const permanent = await email.send(contact()).catch((e: unknown) => e);
    expect(permanent).toBeInstanceOf(PermanentSendError);
    expect(permanent).toMatchObject({ name: 'PermanentSendError' });
    expect(smtp.received).toHaveLength(0);
  });

  it('an unreachable server is transient', async () => {
    const down = new SmtpContactGateway({ smtpUrl: 'smtp://127.0.0.1:1', from: FROM, timeoutMs: 2000 });
    await expect(down.send(contact())).rejects.toBeInstanceOf(TransientSendError);
  });

  describe('behind the ledger', () => {
    it('sending twice with one key delivers once and returns the first result', async () => {
      const gateway = new IdempotentContactGateway(email, newLedger());
      const c = contact();
      const first = await gateway.send(c);
      const second = await gateway.send(c);
      expect(second).toEqual(first);
      expect(smtp.received).toHaveLength(1);
    });

    it('a transient rejection is retried by the caller and then delivered once', async () => {
      const ledger = newLedger();
      const gateway = new IdempotentContactGateway(email, ledger);
      const c = contact();
      smtp.rejectNext(1, 451);
      const result = await withRetries(() => gateway.send(c));
      expect(result.outcome).toBe('SENT');
      expect(await gateway.send(c)).toEqual(result); // a later retry of the activity
      expect(smtp.received).toHaveLength(1);
      expect(smtp.received[0].parsed.messageId).toBe(messageIdFor(c.idempotencyKey, FROM));
      expect(await ledger.lookup('contact', c.idempotencyKey)).toMatchObject({ state: 'sent', attempts: 2 });
    });

    it('concurrent attempts with one key contact the customer once (the second waits for the first)', async () => {
      const gateway = new IdempotentContactGateway(email, newLedger());
      const c = contact();
      const results = await Promise.allSettled([gateway.send(c), gateway.send(c)]);
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      const rejected = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
      expect(rejected.reason).toBeInstanceOf(TransientSendError); // retried later, it gets the stored result
      expect(await gateway.send(c)).toMatchObject({ outcome: 'SENT' });
      expect(smtp.received).toHaveLength(1);
    });

    it('survives a restart: a new ledger on the same file still knows the key was sent', async () => {
      const file = path.join(dir, `${randomUUID()}.sqlite`);
      const c = contact();
      const first = new OutboundLedger({ path: file });
      await new IdempotentContactGateway(email, first).send(c);
      await first.close();
      const reopened = new OutboundLedger({ path: file });
      await new IdempotentContactGateway(email, reopened).send(c);
      await reopened.close();
      expect(smtp.received).toHaveLength(1);
    });

    it('an attempt that died mid-send (key left "sending") is taken over after the lease, with the same Message-ID', async () => {
      let now = 1_000_000;
      const file = path.join(dir, `${randomUUID()}.sqlite`);
      const c = contact();
      const { idempotencyKey, ...request } = c;
      // a worker claims the key and dies before recording the outcome (its send never settles)
      const dead = new OutboundLedger({ path: file, now: () => now });
      void dead.once('contact', idempotencyKey, request, () => new Promise<never>(() => undefined));
      expect(await dead.lookup('contact', idempotencyKey)).toMatchObject({ state: 'sending', attempts: 1 });

      const ledger = new OutboundLedger({ path: file, inFlightLeaseMs: 60_000, now: () => now });
      const gateway = new IdempotentContactGateway(email, ledger);
      await expect(gateway.send(c)).rejects.toBeInstanceOf(TransientSendError); // still within the lease
      expect(smtp.received).toHaveLength(0);
      now += 60_001;
      expect(await gateway.send(c)).toMatchObject({ outcome: 'SENT', providerMessageId: messageIdFor(idempotencyKey, FROM) });
      expect(await ledger.lookup('contact', idempotencyKey)).toMatchObject({ state: 'sent', attempts: 2 });
      expect(smtp.received).toHaveLength(1);
      await dead.close();
      await ledger.close();
    });

    it('the same key for a different contact is refused, and a permanent failure is remembered', async () => {
      const gateway = new IdempotentContactGateway(email, newLedger());
      const c = contact();
      await gateway.send(c);
      await expect(gateway.send({ ...c, body: 'something else' })).rejects.toThrow(/already used/);
      const bad = contact({ to: { name: 'X', email: 'bad address' } });
      await expect(gateway.send(bad)).rejects.toBeInstanceOf(PermanentSendError);
      await expect(gateway.send(bad)).rejects.toBeInstanceOf(PermanentSendError);
      expect(smtp.received).toHaveLength(1);
    });
  });
});

describe('SMS and WhatsApp through the HTTP messaging provider (a real local HTTP receiver)', () => {
  let provider: HttpTestReceiver;
  let messaging: HttpMessagingGateway;
  beforeAll(async () => {
    provider = await new HttpTestReceiver().start();
    messaging = new HttpMessagingGateway({ url: provider.url('/v1/messages'), token: 'provider-token', timeoutMs: 5000 });
  });
  afterAll(() => provider.stop());
  beforeEach(() => provider.requests.splice(0));

  it.each(['SMS', 'WHATSAPP'] as const)('posts a %s with the bearer token, the Idempotency-Key and the message', async (channel) => {
    const c = contact({ channel });
    const result = await messaging.send(c);
    expect(result).toEqual({ outcome: 'SENT', providerMessageId: 'msg-1', sentAt: expect.any(String) });
    expect(provider.requests).toHaveLength(1);
    const [req] = provider.requests;
    expect(req.method).toBe('POST');
    expect(req.path).toBe('/v1/messages');
    expect(req.headers.authorization).toBe('Bearer provider-token');
    expect(req.headers['idempotency-key']).toBe(c.idempotencyKey);
    expect(req.headers['content-type']).toBe('application/json');
    expect(JSON.parse(req.rawBody)).toEqual({ channel, to: '+44 20 7946 0000', text: `${c.subject}\n\n${c.body}`, purpose: 'FOLLOW_UP' });
  });

  it('500 is transient; retried through the ledger it is sent once, under the same Idempotency-Key', async () => {
    const gateway = new IdempotentContactGateway(messaging, newLedger());
    const c = contact({ channel: 'SMS' });
    provider.replyNext(500);
    const result = await withRetries(() => gateway.send(c));
    expect(result.outcome).toBe('SENT');
    expect(await gateway.send(c)).toEqual(result);
    expect(provider.requests).toHaveLength(2); // the failed attempt and the accepted one
    expect(provider.requests.map((r) => r.headers['idempotency-key'])).toEqual([c.idempotencyKey, c.idempotencyKey]);
  });

  it.each([408, 429, 502, 503])('%s is transient', async (status) => {
    provider.replyNext(status);
    const error = await messaging.send(contact({ channel: 'SMS' })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransientSendError);
    expect(error).toMatchObject({ status });
  });

  it.each([400, 401, 404, 422])('%s is a non-retryable PermanentSendError', async (status) => {
    provider.replyNext(status);
    const error = await messaging.send(contact({ channel: 'WHATSAPP' })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PermanentSendError);
    expect(error).toMatchObject({ name: 'PermanentSendError', nonRetryable: true, status });
  });

  it('no phone number is NO_ADDRESS, an invalid one permanent; nothing is posted', async () => {
    expect(await messaging.send(contact({ channel: 'SMS', to: { name: 'Bob', email: 'b@example.org' } }))).toMatchObject({ outcome: 'NO_ADDRESS' });
    await expect(messaging.send(contact({ channel: 'SMS', to: { name: 'Bob', phone: 'call me' } }))).rejects.toBeInstanceOf(PermanentSendError);
    expect(provider.requests).toHaveLength(0);
  });

  it('an unreachable provider is transient', async () => {
    const down = new HttpMessagingGateway({ url: 'http://127.0.0.1:1/send', timeoutMs: 2000 });
    await expect(down.send(contact({ channel: 'SMS' }))).rejects.toBeInstanceOf(TransientSendError);
  });
});

describe('the routing gateway', () => {
  const { smtp, receiver: provider } = outboundTestServers();

  it('sends EMAIL over SMTP and SMS/WHATSAPP through the provider; other channels are UNSUPPORTED_CHANNEL', async () => {
    const routing = new RoutingContactGateway({
      email: new SmtpContactGateway({ smtpUrl: smtp.url(), from: FROM }),
      messaging: new HttpMessagingGateway({ url: provider.url('/send'), token: 't' }),
    });
    expect(await routing.send(contact({ channel: 'EMAIL' }))).toMatchObject({ outcome: 'SENT' });
    expect(await routing.send(contact({ channel: 'SMS' }))).toMatchObject({ outcome: 'SENT' });
    expect(await routing.send(contact({ channel: 'WHATSAPP' }))).toMatchObject({ outcome: 'SENT' });
    for (const channel of ['PHONE', 'CALLBACK', 'CHAT', 'WEB', 'SOCIAL'] as const) {
      expect(await routing.send(contact({ channel }))).toMatchObject({ outcome: 'UNSUPPORTED_CHANNEL' });
    }
    expect(smtp.received).toHaveLength(1);
    expect(JSON.parse(provider.requests[0].rawBody)).toMatchObject({ channel: 'SMS' });
    expect(JSON.parse(provider.requests[1].rawBody)).toMatchObject({ channel: 'WHATSAPP' });
    expect(routing.supports('EMAIL') && routing.supports('SMS') && !routing.supports('PHONE')).toBe(true);
  });

  it('without configured gateways the supported channels are NO_GATEWAY', async () => {
    const routing = new RoutingContactGateway({});
    expect(await routing.send(contact({ channel: 'EMAIL' }))).toMatchObject({ outcome: 'NO_GATEWAY' });
    expect(await routing.send(contact({ channel: 'SMS' }))).toMatchObject({ outcome: 'NO_GATEWAY' });
    expect(await routing.send(contact({ channel: 'PHONE' }))).toMatchObject({ outcome: 'UNSUPPORTED_CHANNEL' });
  });
});
