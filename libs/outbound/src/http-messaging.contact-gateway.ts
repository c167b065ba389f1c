import { Clock, ContactGateway, ContactResult, OutboundContact, systemClock } from './contact';
import { isRetryableStatus, PermanentSendError, TransientSendError } from './errors';

export interface HttpMessagingGatewayOptions {
  /** the provider's send endpoint */
  url: string;
  /** sent as `Authorization: Bearer <token>` */
  token?: string;
  timeoutMs?: number;
  clock?: Clock;
}

const PHONE = /^\+?[0-9][0-9 ()./-]{4,30}$/;

/**
 * SMS and WhatsApp through one HTTP messaging provider:
 *   POST <url>  Authorization: Bearer <token>  Idempotency-Key: <contact key>
 *   {"channel":"SMS"|"WHATSAPP","to":"+49...","text":"...","purpose":"FOLLOW_UP"}
 * A 2xx accepts (the message id is read from the JSON response's `id` or `messageId`, if any);
 * 408, 429 and 5xx are retried; any other 4xx is permanent. The provider is expected to honour
 * Idempotency-Key, which absorbs the duplicate a crash after its acceptance would otherwise cause.
 */
export class HttpMessagingGateway extends ContactGateway {
  private readonly clock: Clock;

  constructor(private readonly options: HttpMessagingGatewayOptions) {
    super();
    new URL(options.url); // fail at startup, not at the first contact
    this.clock = options.clock ?? systemClock;
  }

  override async send(contact: OutboundContact): Promise<ContactResult> {
    if (contact.channel !== 'SMS' && contact.channel !== 'WHATSAPP') {
      return { outcome: 'UNSUPPORTED_CHANNEL', sentAt: this.clock().toISOString() };
    }
    const phone = contact.to.phone?.trim();
    if (!phone) return { outcome: 'NO_ADDRESS', sentAt: this.clock().toISOString() };
    if (!PHONE.test(phone)) throw new PermanentSendError(`invalid phone number "${phone}"`);
    const text = contact.subject ? `${contact.subject}\n\n${contact.body}` : contact.body;
    let response: Response;
    try {
      response = await fetch(this.options.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'idempotency-key': contact.idempotencyKey,
          ...(this.options.token ? { authorization: `Bearer ${this.options.token}` } : {}),
        },
        body: JSON.stringify({ channel: contact.channel, to: phone, text, purpose: contact.purpose }),
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 30_000),
      });
    } catch (error) {
      throw new TransientSendError(`messaging provider unreachable: ${(error as Error).message}`);
    }
    const reply = await response.text().catch(() => '');
    if (!response.ok) {
      const message = `messaging provider answered ${response.status}: ${reply.slice(0, 200)}`;
      throw isRetryableStatus(response.status) ? new TransientSendError(message, response.status) : new PermanentSendError(message, response.status);
    }
    return { outcome: 'SENT', ...messageIdOf(reply), sentAt: this.clock().toISOString() };
  }
}

function messageIdOf(reply: string): { providerMessageId?: string } {
  try {
    const json = JSON.parse(reply) as { id?: unknown; messageId?: unknown };
    const id = json.id ?? json.messageId;
    return typeof id === 'string' || typeof id === 'number' ? { providerMessageId: String(id) } : {};
  } catch {
    return {};
  }
}
