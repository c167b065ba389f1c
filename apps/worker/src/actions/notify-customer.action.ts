import { Channel, Customer, isStepDone, ServiceCall, WORKFLOW_ACTOR } from '@app/domain';
import { ContactChannel, ContactGateway } from '@app/outbound';
import { ChangeServiceCallCommand } from '@app/service-calls';
import { Injectable, Optional } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { AutomatedAction, AutomatedActionRun } from './automated-action';

/**
 * Tells the customer their call moved on (which phase is done, which comes next, the tracking code)
 * on their preferred channel, through the contact gateway: e-mail, or a text message to a phone
 * number. The contact is recorded on the call (`ContactScheduled`, then `CustomerContacted` with
 * purpose PROGRESS_UPDATE and the outcome), and the step's outcome says what was sent, how and to whom
 * (address masked). Safe to run twice: the commands are keyed by the contact, and the gateway's ledger
 * sends once per `<callId>:<contactId>` (one contact per attempt of the step).
 * Without a gateway (a worker built without the outbound module) it only says what it would send.
 */
@Injectable()
export class NotifyCustomerAction implements AutomatedAction {
  readonly name = 'notify-customer';

  constructor(
    @Optional() private readonly contacts?: ContactGateway,
    @Optional() private readonly commandBus?: CommandBus,
  ) {}

  async run(call: ServiceCall, stepKey: string, run?: AutomatedActionRun): Promise<string> {
    const text = progressMessage(call, stepKey);
    const route = contactRoute(call.customer, call.channel);
    if (!route) return `Not notified: no e-mail or phone number on file for ${call.customer.name}. The message would have been: "${text}"`;
    if (!this.contacts || !this.commandBus) return `Would notify ${call.customer.name} by ${route.channel} (${route.masked}): "${text}"`;

    const attempt = run?.attempt ?? 1;
    const contactId = `progress-${stepKey}${attempt > 1 ? `-${attempt}` : ''}`;
    const change = (command: ConstructorParameters<typeof ChangeServiceCallCommand>[1], key: string) =>
      this.commandBus!.execute(new ChangeServiceCallCommand(call.id, command, { actor: WORKFLOW_ACTOR, idempotencyKey: `${key}:${contactId}` }));
    await change({ type: 'ScheduleContact', data: { contactId, purpose: 'PROGRESS_UPDATE', channel: route.channel, scheduledFor: new Date().toISOString() } }, 'schedule-contact');
    // a phone number gets a text message: nobody is rung up by a machine
    const channel: ContactChannel = route.channel === 'EMAIL' || route.channel === 'WHATSAPP' ? route.channel : 'SMS';
    const result = await this.contacts.send({
      idempotencyKey: `${call.id}:${contactId}`,
      channel,
      to: { name: call.customer.name, email: call.customer.email, phone: call.customer.phone },
      purpose: 'PROGRESS_UPDATE',
      subject: `News on your service call (${call.trackingCode})`,
      body: `Dear ${call.customer.name},\n\n${text}`,
    });
    await change({ type: 'RecordContact', data: { contactId, outcome: result.outcome } }, 'record-contact');
    const sent = result.outcome === 'SENT';
    return `${sent ? 'Notified' : 'Not notified'} ${call.customer.name} by ${channel} (${route.masked}): ${result.outcome}. The message: "${text}"`;
  }
}

/** The channels a message can reach with what the call knows: an e-mail address or a phone number. */
const ADDRESS_OF: Partial<Record<Channel, (c: Customer) => string | undefined>> = {
  EMAIL: (c) => c.email,
  PHONE: (c) => c.phone,
  WHATSAPP: (c) => c.phone,
  CALLBACK: (c) => c.phone,
};

export interface ContactRoute {
  channel: Channel;
  address: string;
  masked: string;
}

/**
 * Where to send: the customer's preferred channel, else the channel the call came in on, when the
 * call has an address for it; otherwise e-mail, then phone. A callback preference means a phone call.
 */
export function contactRoute(customer: Customer, callChannel: Channel): ContactRoute | undefined {
  const candidates: Channel[] = [customer.preferredChannel ?? callChannel, callChannel, 'EMAIL', 'PHONE'];
  for (const candidate of candidates) {
    const address = ADDRESS_OF[candidate]?.(customer)?.trim();
    if (!address) continue;
    const channel = candidate === 'CALLBACK' ? 'PHONE' : candidate;
    return { channel, address, masked: channel === 'EMAIL' ? maskEmail(address) : maskPhone(address) };
  }
  return undefined;
}

/** j***@example.com: the first letter and the domain, enough for a person to recognise it. */
export function maskEmail(email: string): string {
  const at = email.lastIndexOf('@');
  if (at <= 0) return '***';
  return `${email[0]}***${email.slice(at)}`;
}

/** ***4567: the last four digits (two of a short number). */
export function maskPhone(phone: string): string {
  const digits = phone.replace(/\D/g, '');
  return `***${digits.slice(digits.length > 6 ? -4 : -2)}`;
}

/**
 * What the customer is told, from where the call stands: the phase the step belongs to is done when
 * every other step of it is, and the next phase follows; otherwise the phase before it is done and this
 * one is under way. Always with the tracking code.
 */
export function progressMessage(call: ServiceCall, stepKey: string): string {
  const index = call.phases.findIndex((p) => p.steps.some((s) => s.key === stepKey));
  const phase = call.phases[index];
  const code = call.trackingCode;
  if (!phase) return `There is news on your service call ${code}. Track it with your code ${code}.`;
  const phaseDone = phase.steps.every((s) => s.key === stepKey || isStepDone(s.status));
  const [done, next] = phaseDone ? [phase, call.phases[index + 1]] : [lastDoneBefore(call, index), phase];
  const parts = [`Your service call ${code} moved on`];
  if (done && next) parts.push(`: ${done.name} is done; next: ${next.name}.`);
  else if (done) parts.push(`: ${done.name} is done, the last phase; we will confirm the resolution with you.`);
  else parts.push(`: ${next.name} is under way.`);
  return `${parts.join('')} Track it with your code ${code}.`;
}

function lastDoneBefore(call: ServiceCall, index: number) {
  return call.phases
    .slice(0, index)
    .reverse()
    .find((p) => p.status === 'COMPLETED' || p.status === 'SKIPPED');
}
