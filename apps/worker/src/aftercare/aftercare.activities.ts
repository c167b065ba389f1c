import { Channel, ContactPurpose, ServiceCall } from '@app/domain';
import { ContactGateway, WebhookSender } from '@app/outbound';
import { ServiceCallRepository } from '@app/service-calls';
import { AftercareActivities, DOMAIN_ERROR_TYPE } from '@app/workflows';
import { Injectable } from '@nestjs/common';
import { ApplicationFailure } from '@temporalio/common';

const SUBJECTS: Record<ContactPurpose, string> = {
  FOLLOW_UP: 'How did we do?',
  RETENTION_CHECK_IN: 'Checking in a month later',
  PROMISE_REMINDER: 'About what we promised',
  PROGRESS_UPDATE: 'News on your service call',
};

/** What the customer reads: short, with the tracking code to answer about and to follow the call. */
export function contactText(call: ServiceCall, purpose: ContactPurpose): { subject: string; body: string } {
  const greeting = `Dear ${call.customer.name},`;
  const about = `your service call "${call.summary}" (tracking code ${call.trackingCode})`;
  const body =
    purpose === 'FOLLOW_UP'
      ? `${greeting}\n\nwe resolved ${about}. Are you satisfied with the solution? Please tell us, quoting the tracking code.`
      : purpose === 'RETENTION_CHECK_IN'
        ? `${greeting}\n\na month ago we resolved ${about}. Is everything still working for you? We would be glad to hear from you.`
        : purpose === 'PROMISE_REMINDER'
          ? `${greeting}\n\nabout ${about}: we have not yet carried out what we promised, and we are on it.`
          : `${greeting}\n\nthere is news on ${about}.`;
  return { subject: `${SUBJECTS[purpose]} (${call.trackingCode})`, body };
}

/** The aftercare workflow's sends. Both are safe to run twice: the outbound ledger sends once per key. */
@Injectable()
export class AftercareActivitiesService implements AftercareActivities {
  constructor(
    private readonly calls: ServiceCallRepository,
    private readonly contacts: ContactGateway,
    private readonly webhooks: WebhookSender,
  ) {}

  async contactCustomer(input: { callId: string; contactId: string; purpose: ContactPurpose; channel: Channel }): Promise<{ outcome: string }> {
    const call = await this.callOf(input.callId);
    const result = await this.contacts.send({
      idempotencyKey: `${input.callId}:${input.contactId}`,
      channel: input.channel,
      to: { name: call.customer.name, email: call.customer.email, phone: call.customer.phone },
      purpose: input.purpose,
      ...contactText(call, input.purpose),
    });
    return { outcome: result.outcome };
  }

  async sendPromiseReminder(input: { callId: string; promisedBy: string }): Promise<{ outcome: string }> {
    const call = await this.callOf(input.callId);
    const result = await this.webhooks.send({
      id: `promise:${input.callId}:${input.promisedBy}`,
      type: 'PROMISE_REMINDER',
      data: {
        callId: call.id,
        trackingCode: call.trackingCode,
        assignee: call.assignee ?? null,
        promisedBy: input.promisedBy,
        agreedSolution: call.resolution?.agreedSolution ?? null,
      },
    });
    return { outcome: result.outcome };
  }

  async sendUnsatisfiedFeedbackAlert(input: { callId: string; round: number }): Promise<{ outcome: string }> {
    const call = await this.callOf(input.callId);
    const feedback = call.feedback[call.feedback.length - 1];
    const result = await this.webhooks.send({
      id: `feedback:${input.callId}:${input.round}`,
      type: 'UNSATISFIED_FEEDBACK',
      data: {
        callId: call.id,
        trackingCode: call.trackingCode,
        assignee: call.assignee ?? null,
        status: call.status,
        score: feedback?.score ?? null,
        comment: feedback?.comment ?? null,
      },
    });
    return { outcome: result.outcome };
  }

  private async callOf(callId: string): Promise<ServiceCall> {
    const call = await this.calls.load(callId);
    if (!call) throw ApplicationFailure.create({ type: DOMAIN_ERROR_TYPE, message: `call ${callId} not found`, nonRetryable: true });
    return call;
  }

  asActivities(): AftercareActivities {
    return {
      contactCustomer: this.contactCustomer.bind(this),
      sendPromiseReminder: this.sendPromiseReminder.bind(this),
      sendUnsatisfiedFeedbackAlert: this.sendUnsatisfiedFeedbackAlert.bind(this),
    };
  }
}
