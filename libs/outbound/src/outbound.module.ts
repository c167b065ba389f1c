import { AppConfig } from '@app/config';
import { WEBHOOK_RETRY_DEFAULTS, WebhookRetry, webhookLeaseMs } from '@app/domain';
import { Inject, Module, OnApplicationShutdown } from '@nestjs/common';
import { ContactGateway } from './contact';
import { HttpMessagingGateway } from './http-messaging.contact-gateway';
import { OutboundLedger } from './outbound-ledger';
import { IdempotentContactGateway, RoutingContactGateway } from './routing.contact-gateway';
import { SmtpContactGateway } from './smtp.contact-gateway';
import { WebhookSender } from './webhook';

/**
 * Provides, from AppConfig (ConfigModule is global):
 *   ContactGateway — the routing gateway (SMTP for EMAIL, the messaging provider for SMS/WHATSAPP) behind the ledger
 *   WebhookSender  — signed manager alerts, once per alert id
 *   OutboundLedger — DATA_DIR/outbound.sqlite, or PostgreSQL's schema `outbound` when DATABASE_URL is set (every worker replica shares it)
 * Import it where the activities run (the worker).
 */
/** How the configured webhook sends are retried (the shared definition in libs/domain says what follows from it). */
export function webhookRetryOf(config: AppConfig): WebhookRetry {
  const o = config.outbound;
  return { ...WEBHOOK_RETRY_DEFAULTS, maxAttempts: o.webhookMaxAttempts, initialBackoffMs: o.webhookInitialBackoffMs, timeoutMs: o.timeoutMs };
}

/** An attempt still running must never be taken for a dead one: the lease covers the longest webhook send. */
export function inFlightLeaseMs(config: AppConfig): number {
  return webhookLeaseMs(webhookRetryOf(config));
}

@Module({
  providers: [
    {
      provide: OutboundLedger,
      inject: [AppConfig],
      useFactory: (config: AppConfig) =>
        new OutboundLedger({
          path: config.outboundLedgerPath,
          databaseUrl: config.databaseUrl,
          synchronous: config.sqliteSynchronous,
          inFlightLeaseMs: inFlightLeaseMs(config),
        }),
    },
    {
      provide: ContactGateway,
      inject: [AppConfig, OutboundLedger],
      useFactory: (config: AppConfig, ledger: OutboundLedger) => {
        const o = config.outbound;
        const routing = new RoutingContactGateway({
          email: o.smtpUrl ? new SmtpContactGateway({ smtpUrl: o.smtpUrl, from: o.mailFrom, timeoutMs: o.timeoutMs }) : undefined,
          messaging: o.smsProviderUrl
            ? new HttpMessagingGateway({ url: o.smsProviderUrl, token: o.smsProviderToken, timeoutMs: o.timeoutMs })
            : undefined,
        });
        return new IdempotentContactGateway(routing, ledger);
      },
    },
    {
      provide: WebhookSender,
      inject: [AppConfig, OutboundLedger],
      useFactory: (config: AppConfig, ledger: OutboundLedger) => {
        const o = config.outbound;
        return new WebhookSender(
          {
            url: o.webhookUrl,
            secret: o.webhookSecret,
            maxAttempts: o.webhookMaxAttempts,
            initialBackoffMs: o.webhookInitialBackoffMs,
            timeoutMs: o.timeoutMs,
          },
          ledger,
        );
      },
    },
  ],
  exports: [ContactGateway, WebhookSender, OutboundLedger],
})
export class OutboundModule implements OnApplicationShutdown {
  constructor(@Inject(OutboundLedger) private readonly ledger: OutboundLedger) {}

  onApplicationShutdown(): Promise<void> {
    return this.ledger.close();
  }
}
