import { isProcessComplete, isStepDone } from '../process/process-plan';
import { WORKFLOW_ACTOR } from '../shared/actors';
import { ConflictError, NotFoundError } from '../shared/domain-error';
import { isoInstant, LIMITS, oneOf, requiredText } from '../shared/validation';
import { validateFeedback, validateResolution } from './aftercare.validation';
import { CommandContext, ServiceCallCommand } from './service-call.commands';
import { ServiceCallEvent } from './service-call.events';
import { CHANNELS, CONTACT_PURPOSES, isFinished, NOTE_KINDS, ServiceCall } from './service-call.types';

/**
 * Everything around the process: notes, resolving (by the process manager, or by a person now), the
 * complaint record, waiting for the customer, escalation, feedback, closing, reopening and contacts.
 */

export type AftercareCommand = Extract<
  ServiceCallCommand,
  {
    type:
      | 'AddNote'
      | 'ResolveServiceCall'
      | 'RecordResolution'
      | 'WaitForCustomer'
      | 'RecordCustomerResponse'
      | 'EscalateServiceCall'
      | 'RecordFeedback'
      | 'CloseServiceCall'
      | 'ReopenServiceCall'
      | 'ScheduleContact'
      | 'RecordContact';
  }
>;
type Of<T extends AftercareCommand['type']> = Extract<AftercareCommand, { type: T }>;

const RESOLVED_EARLY = 'the call was resolved';

export function decideAftercare(command: AftercareCommand, call: ServiceCall, ctx: CommandContext): ServiceCallEvent[] {
  switch (command.type) {
    case 'AddNote':
      return addNote(command, call, ctx);
    case 'ResolveServiceCall':
      return resolve(command, call, ctx);
    case 'RecordResolution':
      return recordResolution(command, call, ctx);
    case 'WaitForCustomer':
      return waitForCustomer(command, call, ctx);
    case 'RecordCustomerResponse':
      return recordCustomerResponse(call, ctx);
    case 'EscalateServiceCall':
      return escalate(command, ctx);
    case 'RecordFeedback':
      return recordFeedback(command, call, ctx);
    case 'CloseServiceCall':
      return close(command, call, ctx);
    case 'ReopenServiceCall':
      return reopen(command, call, ctx);
    case 'ScheduleContact':
      return scheduleContact(command, call, ctx);
    case 'RecordContact':
      return recordContact(command, call, ctx);
  }
}

function addNote(command: Of<'AddNote'>, call: ServiceCall, ctx: CommandContext): ServiceCallEvent[] {
  const kind = oneOf('kind', command.data.kind, NOTE_KINDS);
  const text = requiredText('text', command.data.text, LIMITS.longText);
  return [{ type: 'NoteAdded', data: { noteId: `note-${call.version + 1}`, kind, text, author: ctx.actor, at: ctx.now.toISOString() } }];
}

/** Without a resolution: the process manager, once the last phase is done. With one: a person, now, skipping what is open. */
function resolve(command: Of<'ResolveServiceCall'>, call: ServiceCall, ctx: CommandContext): ServiceCallEvent[] {
  const at = ctx.now.toISOString();
  const { resolution } = command.data;
  if (resolution === undefined) {
    if (isFinished(call)) return [];
    if (!isProcessComplete(call.phases)) throw new ConflictError('the process has unfinished phases', call.version);
    return [{ type: 'ServiceCallResolved', data: { at } }];
  }
  if (isFinished(call)) {
    throw new ConflictError(`service call is already ${call.status}; recordResolution changes its record`, call.version);
  }
  const details = validateResolution(resolution, ctx.now);
  return [
    { type: 'ResolutionRecorded', data: { ...details, by: ctx.actor, at } },
    ...skipOpenWork(call, ctx.actor, at),
    { type: 'ServiceCallResolved', data: { at, by: ctx.actor, early: !isProcessComplete(call.phases) } },
  ];
}

function recordResolution(command: Of<'RecordResolution'>, call: ServiceCall, ctx: CommandContext): ServiceCallEvent[] {
  if (call.status === 'CANCELLED') throw new ConflictError('service call is CANCELLED', call.version);
  const details = validateResolution(command.data.resolution, ctx.now);
  return [{ type: 'ResolutionRecorded', data: { ...details, by: ctx.actor, at: ctx.now.toISOString() } }];
}

function waitForCustomer(command: Of<'WaitForCustomer'>, call: ServiceCall, ctx: CommandContext): ServiceCallEvent[] {
  const reason = requiredText('reason', command.data.reason, LIMITS.outcome);
  if (call.status === 'WAITING_ON_CUSTOMER') return [];
  return [{ type: 'WaitingForCustomer', data: { reason, by: ctx.actor, at: ctx.now.toISOString() } }];
}

function recordCustomerResponse(call: ServiceCall, ctx: CommandContext): ServiceCallEvent[] {
  if (call.status !== 'WAITING_ON_CUSTOMER') {
    throw new ConflictError(`service call is ${call.status}, not WAITING_ON_CUSTOMER`, call.version);
  }
  return [{ type: 'CustomerResponded', data: { by: ctx.actor, at: ctx.now.toISOString() } }];
}

function escalate(command: Of<'EscalateServiceCall'>, ctx: CommandContext): ServiceCallEvent[] {
  const reason = requiredText('reason', command.data.reason, LIMITS.outcome);
  return [{ type: 'ServiceCallEscalated', data: { reason, by: ctx.actor, automatic: ctx.actor === WORKFLOW_ACTOR, at: ctx.now.toISOString() } }];
}

function recordFeedback(command: Of<'RecordFeedback'>, call: ServiceCall, ctx: CommandContext): ServiceCallEvent[] {
  const at = ctx.now.toISOString();
  const feedback = validateFeedback(command.data.feedback);
  if (call.status !== 'RESOLVED' && call.status !== 'CLOSED') {
    throw new ConflictError(`feedback is asked for once the call is resolved; it is ${call.status}`, call.version);
  }
  const recorded: ServiceCallEvent = { type: 'FeedbackRecorded', data: { ...feedback, by: ctx.actor, at } };
  // a closed call's feedback (the retention check-in) is only recorded
  if (call.status === 'CLOSED') return [recorded];
  return feedback.satisfied
    ? [recorded, { type: 'ServiceCallClosed', data: { reason: 'the customer is satisfied', by: ctx.actor, at } }]
    : [recorded, reopened(call, 'the customer is not satisfied', ctx.actor, at)];
}

function close(command: Of<'CloseServiceCall'>, call: ServiceCall, ctx: CommandContext): ServiceCallEvent[] {
  const reason = requiredText('reason', command.data.reason, LIMITS.outcome);
  if (call.status === 'CLOSED') return [];
  if (call.status !== 'RESOLVED') throw new ConflictError(`only a RESOLVED call can be closed; it is ${call.status}`, call.version);
  return [{ type: 'ServiceCallClosed', data: { reason, by: ctx.actor, at: ctx.now.toISOString() } }];
}

function reopen(command: Of<'ReopenServiceCall'>, call: ServiceCall, ctx: CommandContext): ServiceCallEvent[] {
  const reason = requiredText('reason', command.data.reason, LIMITS.outcome);
  if (call.status !== 'RESOLVED' && call.status !== 'CLOSED') {
    throw new ConflictError(`only a RESOLVED or CLOSED call can be reopened; it is ${call.status}`, call.version);
  }
  return [reopened(call, reason, ctx.actor, ctx.now.toISOString())];
}

function scheduleContact(command: Of<'ScheduleContact'>, call: ServiceCall, ctx: CommandContext): ServiceCallEvent[] {
  const contactId = requiredText('contactId', command.data.contactId, LIMITS.key);
  if (call.contacts.some((c) => c.id === contactId)) return [];
  const purpose = oneOf('purpose', command.data.purpose, CONTACT_PURPOSES);
  const channel = oneOf('channel', command.data.channel, CHANNELS);
  const scheduledFor = isoInstant('scheduledFor', command.data.scheduledFor).toISOString();
  return [{ type: 'ContactScheduled', data: { contactId, purpose, channel, scheduledFor, at: ctx.now.toISOString() } }];
}

function recordContact(command: Of<'RecordContact'>, call: ServiceCall, ctx: CommandContext): ServiceCallEvent[] {
  const contact = call.contacts.find((c) => c.id === command.data.contactId);
  if (!contact) throw new NotFoundError(`contact ${command.data.contactId} not found`, 'contactId');
  const outcome = requiredText('outcome', command.data.outcome, LIMITS.outcome);
  if (contact.outcome !== undefined) return [];
  return [{ type: 'CustomerContacted', data: { contactId: contact.id, purpose: contact.purpose, channel: contact.channel, outcome, at: ctx.now.toISOString() } }];
}

/** What resolving now leaves undone: the active phase's open steps are skipped and it completes; later phases are skipped. */
function skipOpenWork(call: ServiceCall, by: string, at: string): ServiceCallEvent[] {
  const events: ServiceCallEvent[] = [];
  for (const phase of call.phases) {
    if (phase.status === 'ACTIVE') {
      for (const step of phase.steps) {
        if (!isStepDone(step.status)) events.push({ type: 'StepSkipped', data: { phaseKey: phase.key, stepKey: step.key, reason: RESOLVED_EARLY, by, at } });
      }
      events.push({ type: 'PhaseCompleted', data: { phaseKey: phase.key, at } });
    } else if (phase.status === 'PENDING') {
      events.push({ type: 'PhaseSkipped', data: { phaseKey: phase.key, reason: RESOLVED_EARLY, at } });
    }
  }
  return events;
}

/** Back to work in the last phase of the process. */
function reopened(call: ServiceCall, reason: string, by: string, at: string): ServiceCallEvent {
  const last = call.phases[call.phases.length - 1];
  return { type: 'ServiceCallReopened', data: { reason, ...(last ? { phaseKey: last.key } : {}), by, at } };
}
