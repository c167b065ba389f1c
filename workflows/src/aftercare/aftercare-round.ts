import { Channel, ContactPurpose, ServiceCall } from '@app/domain';
import { ActivityFailure, condition } from '@temporalio/workflow';
import type { AftercareCall } from './aftercare-call';
import type { AftercareActivities, AftercareWorkflowInput } from './aftercare.messages';
import { durationMs, followUpDueAt } from './aftercare-schedule';
import type { DueTimes } from './due-times';

export const UNANSWERED_FOLLOW_UP = 'the follow-up was not answered';

/** The note that records a promise reminder: its prefix identifies it, so a new run never sends it twice. */
export const promiseReminderNote = (call: ServiceCall, promisedBy: string, outcome: string): string =>
  `Promise reminder (${promisedBy}): "${call.resolution?.agreedSolution ?? ''}" was promised by ${promisedBy} and is not carried out yet; the assignee${call.assignee ? ` (${call.assignee})` : ''} and the manager were told (${outcome}).`;
const promiseReminderPrefix = (promisedBy: string) => `Promise reminder (${promisedBy}):`;

/**
 * One round of aftercare (the n-th resolution of the call), its three tasks run side by side: the
 * follow-up and its answer window, the retention check-in, the promise reminder. Each derives what is
 * left to do from the folded call, so a new run picks up where the last one stood.
 */
export class AftercareRound {
  /** the follow-up and the check-in are done: the promise task may wait for a change that never comes */
  private otherTasksDone = false;

  constructor(
    private readonly input: AftercareWorkflowInput,
    private readonly folded: AftercareCall,
    private readonly due: DueTimes,
    private readonly outbound: AftercareActivities,
    readonly round: number,
    readonly resolvedAt: Date,
  ) {}

  /** still this round: resolved or closed, and not resolved again since */
  readonly sameRound = (): boolean => this.folded.inAftercare && this.folded.resolutions === this.round;

  async run(): Promise<void> {
    const promise = this.promiseReminder();
    await Promise.all([this.followUp(), this.retentionCheckIn()]);
    this.otherTasksDone = true;
    await promise;
  }

  private async followUp(): Promise<void> {
    const contactId = `follow-up-${this.round}`;
    const done = () => this.folded.call.contacts.find((c) => c.id === contactId)?.outcome !== undefined;
    // feedback given (or the call closed or reopened) before the follow-up makes it unnecessary
    const unnecessary = () => !this.sameRound() || this.folded.call.status !== 'RESOLVED';
    // the answer is awaited from when the follow-up went out: this run's own time when it sent it
    let sentAt: number | undefined;
    if (!done()) {
      const at = followUpDueAt(this.resolvedAt, this.input.followUpAfter, this.folded.call.slaPolicy?.businessHours ?? null);
      if (!(await this.due.dueAt('follow-up', at, unnecessary))) return;
      await this.contact(contactId, 'FOLLOW_UP');
      this.due.release('follow-up');
      // the answer window starts now, however late the follow-up went out
      sentAt = Date.now();
    }
    const contacted = this.folded.call.contacts.find((c) => c.id === contactId);
    if (!contacted?.sentAt) return;
    const deadline = new Date((sentAt ?? new Date(contacted.sentAt).getTime()) + durationMs(this.input.followUpAnswerTimeout));
    if (await this.due.dueAt('follow-up-unanswered', deadline, unnecessary)) {
      await this.folded.issue({ type: 'CloseServiceCall', data: { reason: UNANSWERED_FOLLOW_UP } }, `close-unanswered:${this.round}`);
      this.due.release('follow-up-unanswered');
    }
  }

  private async retentionCheckIn(): Promise<void> {
    const at = new Date(this.resolvedAt.getTime() + durationMs(this.input.retentionCheckInAfter));
    if (await this.due.dueAt('retention-check-in', at, () => !this.sameRound())) {
      await this.contact(`retention-check-in-${this.round}`, 'RETENTION_CHECK_IN');
      this.due.release('retention-check-in');
    }
  }

  /** Re-armed whenever the resolution changes its promise; ends once carried out, reminded, or the round is over. */
  private async promiseReminder(): Promise<void> {
    // the dates reminded of by this run: never twice, even before its note is seen
    const remindedOf = new Set<string>();
    for (;;) {
      if (!this.sameRound()) return;
      const resolution = this.folded.call.resolution;
      const promisedBy = resolution && !resolution.implemented ? resolution.promisedBy : undefined;
      const promiseChanged = () => !this.sameRound() || this.folded.call.resolution !== resolution;
      if (!promisedBy) {
        // nothing promised (yet): a later ResolutionRecorded may promise something
        if (!(await this.waitForChange(promiseChanged))) return;
        continue;
      }
      const reminded = () => remindedOf.has(promisedBy) || this.folded.call.notes.some((n) => n.kind === 'INTERNAL' && n.text.startsWith(promiseReminderPrefix(promisedBy)));
      if (reminded()) {
        if (!(await this.waitForChange(promiseChanged))) return;
        continue;
      }
      const effect = `promise-reminder:${promisedBy}`;
      if (!(await this.due.dueAt(effect, new Date(promisedBy), promiseChanged))) continue;
      const { outcome } = await this.outbound.sendPromiseReminder({ callId: this.input.callId, promisedBy });
      await this.folded.issue({ type: 'AddNote', data: { kind: 'INTERNAL', text: promiseReminderNote(this.folded.call, promisedBy, outcome) } }, effect);
      this.due.release(effect);
      if (this.folded.settles()) remindedOf.add(promisedBy);
    }
  }

  /** Schedules the contact, sends it and records the outcome; nothing again for a contact already recorded. */
  private async contact(contactId: string, purpose: ContactPurpose): Promise<void> {
    const existing = this.folded.call.contacts.find((c) => c.id === contactId);
    if (existing?.outcome !== undefined) return;
    const channel = existing?.channel ?? contactChannel(this.folded.call);
    if (!existing) {
      const scheduledFor = new Date(Date.now()).toISOString();
      await this.folded.issue({ type: 'ScheduleContact', data: { contactId, purpose, channel, scheduledFor } }, `schedule-contact:${contactId}`);
    }
    let outcome: string;
    try {
      ({ outcome } = await this.outbound.contactCustomer({ callId: this.input.callId, contactId, purpose, channel }));
    } catch (error) {
      if (!(error instanceof ActivityFailure)) throw error;
      outcome = `FAILED: ${(error.cause?.message || error.message || 'the contact failed').slice(0, 400)}`;
    }
    await this.folded.issue({ type: 'RecordContact', data: { contactId, outcome } }, `record-contact:${contactId}`);
  }

  /** Waits for `changed`, or for the other tasks to end; false when they ended with nothing changed. */
  private async waitForChange(changed: () => boolean): Promise<boolean> {
    await condition(() => changed() || this.otherTasksDone || this.folded.hasGap);
    if (this.folded.hasGap) await this.folded.catchUp();
    return !this.otherTasksDone || changed();
  }
}

/** The customer's preferred channel; else e-mail if there is an address, a phone call if a number, else the channel they came on. */
export function contactChannel(call: ServiceCall): Channel {
  const customer = call.customer;
  return customer.preferredChannel ?? (customer.email ? 'EMAIL' : customer.phone ? 'PHONE' : call.channel);
}
