import { createHash } from 'node:crypto';
import { createTransport } from 'nodemailer';
import { Clock, ContactGateway, ContactResult, OutboundContact, systemClock } from './contact';
import { PermanentSendError, TransientSendError } from './errors';

export interface SmtpContactGatewayOptions {
  /** smtp://user:pass@host:587 or smtps://... (nodemailer's connection URL) */
  smtpUrl: string;
  /** the From header, e.g. "Service <service@example.com>" */
  from: string;
  /** per-connection timeouts; a hung server fails the attempt (transiently) instead of the activity timing out */
  timeoutMs?: number;
  clock?: Clock;
}

const EMAIL = /^[^\s@<>(),;:"]+@[^\s@<>(),;:"]+\.[^\s@<>(),;:"]+$/;

/**
 * The Message-ID of a contact's e-mail: derived from its idempotency key, so the rare duplicate (the
 * process died after the server accepted it, before the ledger recorded it) carries the same
 * Message-ID and mail clients and archives can detect or drop it.
 */
export function messageIdFor(idempotencyKey: string, from: string): string {
  const domain = /@([^\s>]+)/.exec(from)?.[1] ?? 'localhost';
  return `<${createHash('sha256').update(idempotencyKey).digest('hex').slice(0, 32)}@${domain}>`;
}

/** E-mail over SMTP with nodemailer. One connection per send: contacts are rare, a pool would only hold sockets. */
export class SmtpContactGateway extends ContactGateway {
  private readonly transport: ReturnType<typeof createTransport>;
  private readonly from: string;
  private readonly clock: Clock;

  constructor(options: SmtpContactGatewayOptions) {
    super();
    const timeout = options.timeoutMs ?? 30_000;
    const url = new URL(options.smtpUrl);
    if (url.protocol !== 'smtp:' && url.protocol !== 'smtps:') throw new Error('SMTP_URL must start with smtp:// or smtps://');
    this.transport = createTransport({
      url: options.smtpUrl,
      connectionTimeout: timeout,
      greetingTimeout: timeout,
      socketTimeout: timeout,
    } as Parameters<typeof createTransport>[0]);
    this.from = options.from;
    this.clock = options.clock ?? systemClock;
  }

  override async send(contact: OutboundContact): Promise<ContactResult> {
    const email = contact.to.email?.trim();
    if (!email) return { outcome: 'NO_ADDRESS', sentAt: this.clock().toISOString() };
    if (!EMAIL.test(email)) throw new PermanentSendError(`invalid e-mail address "${email}"`);
    const messageId = messageIdFor(contact.idempotencyKey, this.from);
    try {
      await this.transport.sendMail({
        from: this.from,
        to: { name: contact.to.name, address: email },
        subject: contact.subject,
        text: contact.body,
        messageId,
        headers: { 'X-Contact-Purpose': contact.purpose },
      });
    } catch (error) {
      throw classifySmtpError(error);
    }
    return { outcome: 'SENT', providerMessageId: messageId, sentAt: this.clock().toISOString() };
  }

  close(): void {
    this.transport.close();
  }
}

/** 5xx replies (mailbox unknown, relay denied, ...) and bad envelopes are permanent; 4xx and network trouble are not. */
function classifySmtpError(error: unknown): Error {
  const e = error as { responseCode?: number; code?: string; message?: string };
  const message = `SMTP: ${e.message ?? String(error)}`;
  if (typeof e.responseCode === 'number' && e.responseCode >= 500 && e.responseCode < 600) {
    return new PermanentSendError(message, e.responseCode);
  }
  if (e.code === 'EENVELOPE' && e.responseCode === undefined) return new PermanentSendError(message);
  return new TransientSendError(message, e.responseCode);
}
