/**
 * The contact gateway port: one way to reach a customer (or an assignee/manager) on a channel.
 * Framework-free; the adapters live next to it and OutboundModule wires them from configuration.
 */

/** The domain's channels plus SMS (a provider channel a customer may not have chosen for calls). */
export type ContactChannel = 'EMAIL' | 'SMS' | 'WHATSAPP' | 'PHONE' | 'CHAT' | 'SOCIAL' | 'WEB' | 'CALLBACK';
export type ContactPurpose = 'FOLLOW_UP' | 'RETENTION_CHECK_IN' | 'PROMISE_REMINDER' | 'PROGRESS_UPDATE';

export interface ContactAddress {
  name: string;
  email?: string;
  phone?: string;
}

export interface OutboundContact {
  /** the same key always means the same contact: a repeat returns the first result, nobody is contacted twice */
  idempotencyKey: string;
  channel: ContactChannel;
  to: ContactAddress;
  purpose: ContactPurpose;
  subject: string;
  body: string;
}

/**
 * SENT: handed to the SMTP server / messaging provider. NO_ADDRESS: the contact has no e-mail/phone for
 * the channel. UNSUPPORTED_CHANNEL: no machine can contact on this channel (PHONE, CHAT, ...: a human must).
 * NO_GATEWAY: the channel is supported but not configured (SMTP_URL / SMS_PROVIDER_URL unset).
 */
export type ContactOutcome = 'SENT' | 'NO_ADDRESS' | 'UNSUPPORTED_CHANNEL' | 'NO_GATEWAY';

export interface ContactResult {
  outcome: ContactOutcome;
  providerMessageId?: string;
  /** when the outcome was decided (for SENT: when the server/provider accepted it) */
  sentAt: string;
}

export abstract class ContactGateway {
  /** Throws TransientSendError (or any other error) to be retried, PermanentSendError when retrying cannot help. */
  abstract send(contact: OutboundContact): Promise<ContactResult>;
}

export type Clock = () => Date;
export const systemClock: Clock = () => new Date();
