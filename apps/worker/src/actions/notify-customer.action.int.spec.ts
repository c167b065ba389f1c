// notify-customer against a real SMTP server in the test process and a real SQLite event store: the
// customer gets one e-mail with the progress and the tracking code, the call records the contact
// (PROGRESS_UPDATE, SENT), a repeated run (a retried activity) sends and records nothing more, and a
// new attempt of the step is a new contact.
import { AppConfig } from '@app/config';
import { serviceCallStreamId } from '@app/domain';
import { EventStore } from '@app/event-store';
import { OpenServiceCallCommand } from '@app/service-calls';
import { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { CommandBus } from '@nestjs/cqrs';
import { sqliteTestDir } from '../../../../libs/event-store/src/testing/sqlite-test-dir';
import { SmtpTestServer } from '../../../../libs/outbound/src/testing/smtp-test-server';
import { workerTestModule } from '../../../../test/support/temporal-test-env';
import { NotifyCustomerAction } from './notify-customer.action';

let app: INestApplicationContext;
let smtp: SmtpTestServer;
const data = sqliteTestDir('notify-customer-', { scope: 'all' });

beforeAll(async () => {
  smtp = await new SmtpTestServer().start();
  const config = new AppConfig({ DATA_DIR: data.dir, SMTP_URL: `smtp://user:pass@127.0.0.1:${smtp.port}`, MAIL_FROM: 'Service <service@example.com>' });
  app = await NestFactory.createApplicationContext(workerTestModule(config), { logger: ['error'] });
  data.atTeardown(() => app.close());
}, 60_000);

afterAll(() => smtp?.stop());

it('e-mails the customer once per attempt of the step and records each contact on the call', async () => {
  const input = { channel: 'EMAIL' as const, category: 'router', summary: 'No internet', customer: { name: 'Nora Net', email: 'nora@example.com' } };
  const { call } = await app.get(CommandBus).execute(new OpenServiceCallCommand(input, { actor: 'apikey:test' }));
  const action = app.get(NotifyCustomerAction);
  const first = { attempt: 1, idempotencyKey: `${call.id}:intake#1` };

  const outcome = await action.run(call, 'record-complaint', first);
  expect(outcome).toMatch(/^Notified Nora Net by EMAIL \(n\*\*\*@example\.com\): SENT\. The message: "Your service call/);
  const mails = () => smtp.received.filter((m) => m.envelopeTo.includes('nora@example.com'));
  expect(mails()).toHaveLength(1);
  expect(mails()[0].parsed.subject).toBe(`News on your service call (${call.trackingCode})`);
  expect(mails()[0].parsed.text).toContain(`Track it with your code ${call.trackingCode}`);

  const types = async () => (await app.get(EventStore).readStream(serviceCallStreamId(call.id))).map((e) => [e.type, e.data.purpose, e.data.outcome]);
  expect(await types()).toEqual([
    ['ServiceCallOpened', undefined, undefined],
    ['ContactScheduled', 'PROGRESS_UPDATE', undefined],
    ['CustomerContacted', 'PROGRESS_UPDATE', 'SENT'],
  ]);

  // the activity retried: the same contact, nothing sent or recorded again
  await expect(action.run(call, 'record-complaint', first)).resolves.toMatch(/SENT/);
  expect(mails()).toHaveLength(1);
  expect(await types()).toHaveLength(3);

  // the step tried again (retryStep): a new contact
  await action.run(call, 'record-complaint', { attempt: 2, idempotencyKey: `${call.id}:intake#2` });
  expect(mails()).toHaveLength(2);
  expect(await types()).toHaveLength(5);
});
