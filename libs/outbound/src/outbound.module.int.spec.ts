import { AppConfig } from '@app/config';
import { Global, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ContactGateway } from './contact';
import { OutboundLedger } from './outbound-ledger';
import { inFlightLeaseMs, OutboundModule } from './outbound.module';
import { outboundTestServers } from './testing/outbound-test-servers';
import { verifyWebhookSignature, WebhookSender } from './webhook';

describe('outbound configuration', () => {
  it('defaults: nothing configured, a From for the embedded mode, 5 webhook attempts from 500 ms, 30 s timeouts', () => {
    expect(new AppConfig({}).outbound).toEqual({
      smtpUrl: undefined,
      mailFrom: 'Customer Service <service@localhost>',
      smsProviderUrl: undefined,
      smsProviderToken: undefined,
      webhookUrl: undefined,
      webhookSecret: undefined,
      webhookMaxAttempts: 5,
      webhookInitialBackoffMs: 500,
      timeoutMs: 30000,
    });
    expect(new AppConfig({ DATA_DIR: '/var/data' }).outboundLedgerPath).toBe('/var/data/outbound.sqlite');
  });

  it('the ledger lease outlasts the longest send: all webhook attempts at their timeout plus the backoff', () => {
    expect(inFlightLeaseMs(new AppConfig({}))).toBe(5 * 30_000 + (500 + 1000 + 2000 + 4000) + 10_000);
    expect(inFlightLeaseMs(new AppConfig({ OUTBOUND_TIMEOUT_MS: '1000', WEBHOOK_MAX_ATTEMPTS: '1' }))).toBe(60_000);
  });

  it('reads every variable', () => {
    const config = new AppConfig({
      SMTP_URL: 'smtps://u:p@mail.example.com:465',
      MAIL_FROM: 'Desk <desk@example.com>',
      SMS_PROVIDER_URL: 'https://sms.example.com/v1/messages',
      SMS_PROVIDER_TOKEN: 'tok',
      WEBHOOK_URL: 'https://hooks.example.com/sla',
      WEBHOOK_SECRET: 'sec',
      WEBHOOK_MAX_ATTEMPTS: '3',
      WEBHOOK_INITIAL_BACKOFF_MS: '100',
      OUTBOUND_TIMEOUT_MS: '5000',
    });
    expect(config.outbound).toEqual({
      smtpUrl: 'smtps://u:p@mail.example.com:465',
      mailFrom: 'Desk <desk@example.com>',
      smsProviderUrl: 'https://sms.example.com/v1/messages',
      smsProviderToken: 'tok',
      webhookUrl: 'https://hooks.example.com/sla',
      webhookSecret: 'sec',
      webhookMaxAttempts: 3,
      webhookInitialBackoffMs: 100,
      timeoutMs: 5000,
    });
  });

  it.each([
    [{ WEBHOOK_URL: 'https://hooks.example.com' }, /WEBHOOK_SECRET must be set/],
    [{ SMTP_URL: 'http://mail.example.com' }, /SMTP_URL must start with smtp:\/\/ or smtps:\/\//],
    [{ SMTP_URL: 'not a url with secret:pass' }, /^SMTP_URL must be a URL$/],
    [{ SMS_PROVIDER_URL: 'ftp://x' }, /SMS_PROVIDER_URL must start with http/],
    [{ WEBHOOK_URL: 'https://h', WEBHOOK_SECRET: 's', WEBHOOK_MAX_ATTEMPTS: '0' }, /WEBHOOK_MAX_ATTEMPTS must be at least 1/],
    [{ WEBHOOK_INITIAL_BACKOFF_MS: '-1' }, /WEBHOOK_INITIAL_BACKOFF_MS must be a non-negative integer/],
    [{ MAIL_FROM: 'nobody' }, /MAIL_FROM must contain an e-mail address/],
  ])('refuses %p', (env, message) => {
    expect(() => new AppConfig(env)).toThrow(message);
  });
});

describe('OutboundModule', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'outbound-module-'));
  const { smtp, receiver } = outboundTestServers();
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('provides the gateways from configuration, with the ledger in DATA_DIR', async () => {
    const config = new AppConfig({
      DATA_DIR: dir,
      SMTP_URL: smtp.url(),
      MAIL_FROM: 'Desk <desk@example.com>',
      SMS_PROVIDER_URL: receiver.url('/sms'),
      SMS_PROVIDER_TOKEN: 'tok',
      WEBHOOK_URL: receiver.url('/hook'),
      WEBHOOK_SECRET: 'sec',
    });
    @Global() // like ConfigModule in the apps
    @Module({ providers: [{ provide: AppConfig, useValue: config }], exports: [AppConfig] })
    class TestConfigModule {}
    @Module({ imports: [TestConfigModule, OutboundModule] })
    class TestModule {}
    const app = await NestFactory.createApplicationContext(TestModule, { logger: false });
    try {
      const contacts = app.get(ContactGateway);
      const c = {
        idempotencyKey: 'follow-up:call-1',
        channel: 'EMAIL' as const,
        to: { name: 'Ada', email: 'ada@example.org', phone: '+491701234567' },
        purpose: 'FOLLOW_UP' as const,
        subject: 'Hi',
        body: 'Satisfied?',
      };
      expect(await contacts.send(c)).toMatchObject({ outcome: 'SENT' });
      expect(await contacts.send(c)).toMatchObject({ outcome: 'SENT' });
      expect(smtp.received).toHaveLength(1);
      expect(await contacts.send({ ...c, idempotencyKey: 'sms:call-1', channel: 'SMS' })).toMatchObject({ outcome: 'SENT' });
      expect(receiver.requests[0].headers.authorization).toBe('Bearer tok');

      const result = await app.get(WebhookSender).send({ id: 'alert-1', type: 'SlaAtRisk', data: { callId: 'call-1' } });
      expect(result).toMatchObject({ outcome: 'DELIVERED' });
      const hook = receiver.requests[1];
      expect(hook.path).toBe('/hook');
      expect(
        verifyWebhookSignature({
          secret: 'sec',
          rawBody: hook.rawBody,
          signature: hook.headers['x-signature'] as string,
          timestamp: hook.headers['x-webhook-timestamp'] as string,
        }),
      ).toBe(true);
      expect(await app.get(OutboundLedger).lookup('contact', 'follow-up:call-1')).toMatchObject({ state: 'sent' });
      expect(fs.existsSync(path.join(dir, 'outbound.sqlite'))).toBe(true);
    } finally {
      await app.close();
    }
  });
});
