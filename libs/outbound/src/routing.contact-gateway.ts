import { Clock, ContactChannel, ContactGateway, ContactResult, OutboundContact, systemClock } from './contact';
import { OutboundLedger } from './outbound-ledger';

export interface RoutingContactGatewayOptions {
  /** undefined: e-mail is not configured (SMTP_URL unset), e-mail contacts end as NO_GATEWAY */
  email?: ContactGateway;
  /** undefined: SMS_PROVIDER_URL unset, SMS and WhatsApp contacts end as NO_GATEWAY */
  messaging?: ContactGateway;
  clock?: Clock;
}

const MESSAGING: readonly ContactChannel[] = ['SMS', 'WHATSAPP'];

/**
 * Picks the adapter by channel: EMAIL over SMTP, SMS and WHATSAPP through the messaging provider.
 * Other channels (PHONE, CALLBACK, CHAT, ...) need a person: UNSUPPORTED_CHANNEL, and the caller decides
 * whether to fall back to another channel (a different contact, so a different idempotency key).
 */
export class RoutingContactGateway extends ContactGateway {
  private readonly clock: Clock;

  constructor(private readonly options: RoutingContactGatewayOptions) {
    super();
    this.clock = options.clock ?? systemClock;
  }

  override send(contact: OutboundContact): Promise<ContactResult> {
    const gateway =
      contact.channel === 'EMAIL' ? this.options.email : MESSAGING.includes(contact.channel) ? this.options.messaging : null;
    if (gateway === null) return Promise.resolve({ outcome: 'UNSUPPORTED_CHANNEL', sentAt: this.clock().toISOString() });
    if (gateway === undefined) return Promise.resolve({ outcome: 'NO_GATEWAY', sentAt: this.clock().toISOString() });
    return gateway.send(contact);
  }

  /** whether a channel can be contacted by machine with the current configuration */
  supports(channel: ContactChannel): boolean {
    return channel === 'EMAIL' ? !!this.options.email : MESSAGING.includes(channel) && !!this.options.messaging;
  }
}

/**
 * The gateway activities use: any gateway behind the ledger, so a retried activity (same idempotency
 * key) gets the first result back instead of contacting the customer again.
 */
export class IdempotentContactGateway extends ContactGateway {
  constructor(
    private readonly inner: ContactGateway,
    private readonly ledger: OutboundLedger,
  ) {
    super();
  }

  override send(contact: OutboundContact): Promise<ContactResult> {
    const { idempotencyKey, ...request } = contact;
    return this.ledger.once('contact', idempotencyKey, request, () => this.inner.send(contact));
  }
}
