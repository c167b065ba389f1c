import { Customer, foldServiceCall, PhaseTemplate, ServiceCall, ServiceCallEvent } from '@app/domain';
import { contactRoute, maskEmail, maskPhone, NotifyCustomerAction, progressMessage } from './notify-customer.action';

const AT = '2026-03-02T09:00:00.000Z';
const PHASES: PhaseTemplate[] = [
  {
    key: 'intake',
    name: 'Intake',
    steps: [
      { key: 'greet', name: 'Greet', dependsOn: [], automated: true, action: 'notify-customer' },
      { key: 'record', name: 'Record', dependsOn: [], automated: false },
    ],
  },
  {
    key: 'visit',
    name: 'Visit',
    steps: [
      { key: 'book', name: 'Book', dependsOn: [], automated: false },
      { key: 'tell-booked', name: 'Tell', dependsOn: ['book'], automated: true, action: 'notify-customer' },
    ],
  },
  {
    key: 'repair',
    name: 'Repair',
    steps: [
      { key: 'announce', name: 'Announce', dependsOn: [], automated: true, action: 'notify-customer' },
      { key: 'fix', name: 'Fix', dependsOn: [], automated: false },
      { key: 'tell-fixed', name: 'Tell', dependsOn: ['fix'], automated: true, action: 'notify-customer' },
    ],
  },
];

/** A call on the process above, moved on by the given events. */
function call(customer: Customer, ...events: ServiceCallEvent[]): ServiceCall {
  const opened: ServiceCallEvent = {
    type: 'ServiceCallOpened',
    data: {
      callId: 'c1',
      trackingCode: 'SC-7K2M9Q',
      channel: 'PHONE',
      priority: 'NORMAL',
      category: 'appliances',
      summary: 'Leaks',
      customer,
      receivedAt: AT,
      process: { key: 'repair', version: 1, phases: PHASES },
      at: AT,
    },
  };
  return foldServiceCall([opened, ...events]) as ServiceCall;
}
const phase = (type: 'PhaseStarted' | 'PhaseCompleted', phaseKey: string): ServiceCallEvent => ({ type, data: { phaseKey, at: AT } });
const completed = (phaseKey: string, stepKey: string): ServiceCallEvent => ({ type: 'StepCompleted', data: { phaseKey, stepKey, at: AT } });
const skipped = (phaseKey: string, stepKey: string): ServiceCallEvent => ({
  type: 'StepSkipped',
  data: { phaseKey, stepKey, reason: 'n/a', by: 'apikey:m', at: AT },
});

const JANE: Customer = { name: 'Jane Doe', email: 'jane.doe@example.com', phone: '+49 170 1234567' };
const afterIntake = [phase('PhaseStarted', 'intake'), completed('intake', 'greet'), completed('intake', 'record'), phase('PhaseCompleted', 'intake')];

describe('notify-customer: what the customer is told', () => {
  it('the closing step of a phase: that phase is done, the next one follows', () => {
    const c = call(JANE, ...afterIntake, phase('PhaseStarted', 'visit'), completed('visit', 'book'));
    expect(progressMessage(c, 'tell-booked')).toBe('Your service call SC-7K2M9Q moved on: Visit is done; next: Repair. Track it with your code SC-7K2M9Q.');
  });

  it('a step at the start of a phase: the phase before is done, this one is next', () => {
    const visitSkipped = [skipped('visit', 'book'), skipped('visit', 'tell-booked'), phase('PhaseCompleted', 'visit')];
    const inRepair = call(JANE, ...afterIntake, phase('PhaseStarted', 'visit'), ...visitSkipped, phase('PhaseStarted', 'repair'));
    expect(progressMessage(inRepair, 'announce')).toBe('Your service call SC-7K2M9Q moved on: Visit is done; next: Repair. Track it with your code SC-7K2M9Q.');
  });

  it('the last phase done: the resolution is confirmed next', () => {
    const c = call(JANE, ...afterIntake, phase('PhaseStarted', 'repair'), completed('repair', 'announce'), completed('repair', 'fix'));
    expect(progressMessage(c, 'tell-fixed')).toContain('Repair is done, the last phase; we will confirm the resolution with you.');
  });

  it('nothing done yet: the first phase is under way', () => {
    expect(progressMessage(call(JANE, phase('PhaseStarted', 'intake')), 'greet')).toBe(
      'Your service call SC-7K2M9Q moved on: Intake is under way. Track it with your code SC-7K2M9Q.',
    );
  });
});

describe('notify-customer: on which channel, to whom', () => {
  it.each<[string, Customer, string, string | undefined]>([
    ['the preferred channel, e-mail', { ...JANE, preferredChannel: 'EMAIL' }, 'PHONE', 'EMAIL j***@example.com'],
    ['the preferred channel, WhatsApp, to the phone', { ...JANE, preferredChannel: 'WHATSAPP' }, 'EMAIL', 'WHATSAPP ***4567'],
    ['a callback preference is a phone call', { ...JANE, preferredChannel: 'CALLBACK' }, 'EMAIL', 'PHONE ***4567'],
    ['no preference: the channel the call came in on', JANE, 'PHONE', 'PHONE ***4567'],
    ['a preferred channel without an address (chat): the call’s channel', { ...JANE, preferredChannel: 'CHAT' }, 'EMAIL', 'EMAIL j***@example.com'],
    ['no address for the preferred nor the call’s channel: e-mail, then phone', { name: 'P', phone: '0301234', preferredChannel: 'EMAIL' }, 'WEB', 'PHONE ***1234'],
    ['no address at all', { name: 'Anon', preferredChannel: 'EMAIL' }, 'CHAT', undefined],
  ])('%s', (_, customer, channel, expected) => {
    const route = contactRoute(customer, channel as never);
    expect(route && `${route.channel} ${route.masked}`).toBe(expected);
  });

  it('masks addresses: the first letter and the domain of an e-mail, the last digits of a phone number', () => {
    expect(maskEmail('jane.doe@example.com')).toBe('j***@example.com');
    expect(maskEmail('not-an-address')).toBe('***');
    expect(maskPhone('+49 (170) 123-4567')).toBe('***4567');
    expect(maskPhone('12345')).toBe('***45');
  });
});

describe('notify-customer: the action', () => {
  const action = new NotifyCustomerAction();
  const run = { attempt: 1, idempotencyKey: 'c1:tell-booked#1' };

  it('records what it would send, and the same again when run twice (sends nothing until the contact gateway exists)', async () => {
    const c = call({ ...JANE, preferredChannel: 'EMAIL' }, ...afterIntake, phase('PhaseStarted', 'visit'), completed('visit', 'book'));
    const outcome = await action.run(c, 'tell-booked', run);
    expect(outcome).toBe(
      'Would notify Jane Doe by EMAIL (j***@example.com): "Your service call SC-7K2M9Q moved on: Visit is done; next: Repair. Track it with your code SC-7K2M9Q."',
    );
    expect(outcome).not.toContain('jane.doe');
    await expect(action.run(c, 'tell-booked', run)).resolves.toBe(outcome);
  });

  it('a customer without an address: the outcome says so (the step still completes)', async () => {
    const c = call({ name: 'Anon' }, phase('PhaseStarted', 'intake'));
    await expect(action.run(c, 'greet', run)).resolves.toMatch(/^Not notified: no e-mail or phone number on file for Anon\. The message would have been: "Your service call SC-7K2M9Q/);
  });
});
