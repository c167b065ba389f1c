import {
  isPhaseComplete,
  isProcessComplete,
  isStepDone,
  nextPhaseToStart,
  readyStepKeys,
  unmetDependencies,
} from '../process/process-plan';
import { SYSTEM_ACTOR } from '../process/process-template.decider';
import { ConflictError, ForbiddenError, NotFoundError } from '../shared/domain-error';
import { isoInstant, LIMITS, oneOf, optionalText, requiredText } from '../shared/validation';
import { validateFeedback, validateResolution } from './aftercare.validation';
import { validateOpenServiceCall } from './open-service-call.validation';
import { CommandContext, ServiceCallCommand, WORKFLOW_ACTOR } from './service-call.commands';
import { ServiceCallEvent } from './service-call.events';
import { decideRouting, evolveRouting, reopenRouting } from './service-call.routing';
import { CHANNELS, CONTACT_PURPOSES, NOTE_KINDS, Phase, ServiceCall, SLA_TARGETS, SlaRecord, Step } from './service-call.types';

export type ServiceCallState = { status: 'NONE'; version: 0 } | ServiceCall;
export const initialServiceCallState: ServiceCallState = { status: 'NONE', version: 0 };

export function callExists(state: ServiceCallState): state is ServiceCall {
  return state.status !== 'NONE';
}

const FINISHED = new Set(['RESOLVED', 'CLOSED', 'CANCELLED']);
const AFTER_RESOLUTION = new Set<ServiceCallCommand['type']>([
  'ResolveServiceCall',
  'AddNote',
  'RecordResolution',
  'RecordFeedback',
  'CloseServiceCall',
  'ReopenServiceCall',
  'ScheduleContact',
  'RecordContact',
  // a target met by the resolution is recorded once the call is resolved
  'RecordSlaMet',
  // an absence starting after the resolution: nothing to take away (decided as a no-op)
  'UnassignServiceCall',
]);
const RESOLVED_EARLY = 'the call was resolved';

/**
 * decide: (command, state) -> events. Throws a DomainError when the command is invalid or not allowed.
 * Commands that would change nothing (the process manager repeating itself) return no events.
 */
export function decide(command: ServiceCallCommand, state: ServiceCallState, ctx: CommandContext): ServiceCallEvent[] {
  const at = ctx.now.toISOString();
  if (command.type === 'OpenServiceCall') {
    if (callExists(state)) throw new ConflictError(`service call ${state.id} already exists`, state.version);
    const { callId, trackingCode, input, process, slaPolicy } = command.data;
    const valid = validateOpenServiceCall(input, ctx.now);
    const phases = process.phases.map((p) => ({ key: p.key, name: p.name, steps: p.steps }));
    return [
      {
        type: 'ServiceCallOpened',
        data: { callId, trackingCode, ...valid, process: { key: process.key, version: process.version, phases }, ...(slaPolicy ? { sla: { policy: slaPolicy } } : {}), at },
      },
    ];
  }
  if (!callExists(state)) throw new NotFoundError('service call not found', 'callId');
  // the process is over once the call is resolved; its aftercare (record, feedback, contacts, notes) is not
  if (FINISHED.has(state.status) && !AFTER_RESOLUTION.has(command.type)) {
    throw new ConflictError(`service call is ${state.status}`, state.version);
  }

  switch (command.type) {
    case 'StartPhase': {
      const phase = findPhase(state, command.data.phaseKey);
      if (phase.status !== 'PENDING') return [];
      if (nextPhaseToStart(state.phases)?.key !== phase.key) {
        throw new ConflictError(`phase ${phase.key} cannot start before the phases before it are done`, state.version, 'phaseKey');
      }
      return [{ type: 'PhaseStarted', data: { phaseKey: phase.key, at } }];
    }
    case 'MarkStepsReady': {
      const phase = findPhase(state, command.data.phaseKey);
      if (phase.status !== 'ACTIVE') throw new ConflictError(`phase ${phase.key} is ${phase.status}`, state.version, 'phaseKey');
      const ready = new Set(readyStepKeys(phase.steps));
      const events: ServiceCallEvent[] = [];
      // a key named twice is still one step made ready once
      for (const stepKey of new Set(command.data.stepKeys)) {
        const step = findStep(state, stepKey).step;
        if (step.status !== 'PENDING') continue;
        if (!ready.has(stepKey)) throw dependencyConflict(state, phase, step);
        events.push({ type: 'StepReady', data: { phaseKey: phase.key, stepKey, at } });
      }
      return events;
    }
    case 'StartStep': {
      const { phase, step } = findStep(state, command.data.stepKey);
      assertActor(state, step, ctx);
      if (step.status === 'PENDING') throw dependencyConflict(state, phase, step);
      if (step.status !== 'READY') throw new ConflictError(`step ${step.key} is ${step.status}, not READY`, state.version, 'stepKey');
      return [{ type: 'StepStarted', data: { phaseKey: phase.key, stepKey: step.key, by: ctx.actor, at } }];
    }
    case 'CompleteStep': {
      const { phase, step } = findStep(state, command.data.stepKey);
      assertActor(state, step, ctx);
      const outcome = optionalText('outcome', command.data.outcome, LIMITS.outcome);
      if (step.status === 'PENDING') throw dependencyConflict(state, phase, step);
      if (step.status !== 'READY' && step.status !== 'IN_PROGRESS') {
        throw new ConflictError(`step ${step.key} is ${step.status}`, state.version, 'stepKey');
      }
      return [{ type: 'StepCompleted', data: { phaseKey: phase.key, stepKey: step.key, outcome, by: ctx.actor, at } }];
    }
    case 'SkipStep': {
      const { phase, step } = findStep(state, command.data.stepKey);
      const reason = requiredText('reason', command.data.reason, LIMITS.outcome);
      if (step.status === 'SKIPPED') return [];
      if (step.status === 'COMPLETED' || step.status === 'CANCELLED') {
        throw new ConflictError(`step ${step.key} is ${step.status} and cannot be skipped`, state.version, 'stepKey');
      }
      // a step of a later phase may be skipped ahead of time; it then counts as done when its phase starts
      return [{ type: 'StepSkipped', data: { phaseKey: phase.key, stepKey: step.key, reason, by: ctx.actor, at } }];
    }
    case 'FailStep': {
      const { phase, step } = findStep(state, command.data.stepKey);
      assertActor(state, step, ctx);
      const reason = requiredText('reason', command.data.reason, LIMITS.outcome);
      if (step.status === 'FAILED') return [];
      if (step.status === 'PENDING') throw dependencyConflict(state, phase, step);
      if (step.status !== 'READY' && step.status !== 'IN_PROGRESS') {
        throw new ConflictError(`step ${step.key} is ${step.status}; only a READY or IN_PROGRESS step can fail`, state.version, 'stepKey');
      }
      return [{ type: 'StepFailed', data: { phaseKey: phase.key, stepKey: step.key, reason, by: ctx.actor, at } }];
    }
    case 'RetryStep': {
      const { phase, step } = findStep(state, command.data.stepKey);
      assertAssignedTo(step, ctx);
      if (step.status !== 'FAILED') {
        throw new ConflictError(`step ${step.key} is ${step.status}; only a FAILED step can be retried`, state.version, 'stepKey');
      }
      return [{ type: 'StepRetried', data: { phaseKey: phase.key, stepKey: step.key, by: ctx.actor, at } }];
    }
    case 'AddNote': {
      const kind = oneOf('kind', command.data.kind, NOTE_KINDS);
      const text = requiredText('text', command.data.text, LIMITS.longText);
      return [{ type: 'NoteAdded', data: { noteId: `note-${state.version + 1}`, kind, text, author: ctx.actor, at } }];
    }
    case 'CompletePhase': {
      const phase = findPhase(state, command.data.phaseKey);
      if (phase.status === 'COMPLETED') return [];
      if (phase.status !== 'ACTIVE' || !isPhaseComplete(phase.steps)) {
        throw new ConflictError(`phase ${phase.key} still has open steps`, state.version, 'phaseKey');
      }
      return [{ type: 'PhaseCompleted', data: { phaseKey: phase.key, at } }];
    }
    case 'ResolveServiceCall': {
      const { resolution } = command.data;
      if (resolution === undefined) {
        // the process manager, once the last phase is done
        if (FINISHED.has(state.status)) return [];
        if (!isProcessComplete(state.phases)) throw new ConflictError('the process has unfinished phases', state.version);
        return [{ type: 'ServiceCallResolved', data: { at } }];
      }
      if (FINISHED.has(state.status)) {
        throw new ConflictError(`service call is already ${state.status}; recordResolution changes its record`, state.version);
      }
      const details = validateResolution(resolution, ctx.now);
      return [
        { type: 'ResolutionRecorded', data: { ...details, by: ctx.actor, at } },
        ...skipOpenWork(state, ctx.actor, at),
        { type: 'ServiceCallResolved', data: { at, by: ctx.actor, early: !isProcessComplete(state.phases) } },
      ];
    }
    case 'RecordResolution': {
      if (state.status === 'CANCELLED') throw new ConflictError('service call is CANCELLED', state.version);
      const details = validateResolution(command.data.resolution, ctx.now);
      return [{ type: 'ResolutionRecorded', data: { ...details, by: ctx.actor, at } }];
    }
    case 'WaitForCustomer': {
      const reason = requiredText('reason', command.data.reason, LIMITS.outcome);
      if (state.status === 'WAITING_ON_CUSTOMER') return [];
      return [{ type: 'WaitingForCustomer', data: { reason, by: ctx.actor, at } }];
    }
    case 'CustomerResponded': {
      if (state.status !== 'WAITING_ON_CUSTOMER') {
        throw new ConflictError(`service call is ${state.status}, not WAITING_ON_CUSTOMER`, state.version);
      }
      return [{ type: 'CustomerResponded', data: { by: ctx.actor, at } }];
    }
    case 'EscalateServiceCall': {
      const reason = requiredText('reason', command.data.reason, LIMITS.outcome);
      return [{ type: 'ServiceCallEscalated', data: { reason, by: ctx.actor, automatic: ctx.actor === WORKFLOW_ACTOR, at } }];
    }
    case 'RecordFeedback': {
      const feedback = validateFeedback(command.data.feedback);
      if (state.status !== 'RESOLVED' && state.status !== 'CLOSED') {
        throw new ConflictError(`feedback is asked for once the call is resolved; it is ${state.status}`, state.version);
      }
      const recorded: ServiceCallEvent = { type: 'FeedbackRecorded', data: { ...feedback, by: ctx.actor, at } };
      // a closed call's feedback (the retention check-in) is only recorded
      if (state.status === 'CLOSED') return [recorded];
      return feedback.satisfied
        ? [recorded, { type: 'ServiceCallClosed', data: { reason: 'the customer is satisfied', by: ctx.actor, at } }]
        : [recorded, reopened(state, 'the customer is not satisfied', ctx.actor, at)];
    }
    case 'CloseServiceCall': {
      const reason = requiredText('reason', command.data.reason, LIMITS.outcome);
      if (state.status === 'CLOSED') return [];
      if (state.status !== 'RESOLVED') throw new ConflictError(`only a RESOLVED call can be closed; it is ${state.status}`, state.version);
      return [{ type: 'ServiceCallClosed', data: { reason, by: ctx.actor, at } }];
    }
    case 'ReopenServiceCall': {
      const reason = requiredText('reason', command.data.reason, LIMITS.outcome);
      if (state.status !== 'RESOLVED' && state.status !== 'CLOSED') {
        throw new ConflictError(`only a RESOLVED or CLOSED call can be reopened; it is ${state.status}`, state.version);
      }
      return [reopened(state, reason, ctx.actor, at)];
    }
    case 'ScheduleContact': {
      const contactId = requiredText('contactId', command.data.contactId, LIMITS.key);
      if ((state.contacts ?? []).some((c) => c.id === contactId)) return [];
      const purpose = oneOf('purpose', command.data.purpose, CONTACT_PURPOSES);
      const channel = oneOf('channel', command.data.channel, CHANNELS);
      const scheduledFor = isoInstant('scheduledFor', command.data.scheduledFor).toISOString();
      return [{ type: 'ContactScheduled', data: { contactId, purpose, channel, scheduledFor, at } }];
    }
    case 'RecordContact': {
      const contact = (state.contacts ?? []).find((c) => c.id === command.data.contactId);
      if (!contact) throw new NotFoundError(`contact ${command.data.contactId} not found`, 'contactId');
      const outcome = requiredText('outcome', command.data.outcome, LIMITS.outcome);
      if (contact.outcome !== undefined) return [];
      return [{ type: 'CustomerContacted', data: { contactId: contact.id, purpose: contact.purpose, channel: contact.channel, outcome, at } }];
    }
    case 'AssignServiceCall':
    case 'UnassignServiceCall':
    case 'QueueServiceCall':
    case 'RequestCallback':
      return decideRouting(command, state, ctx);
    case 'RecordSlaAtRisk':
    case 'RecordSlaBreach':
    case 'RecordSlaMet': {
      const kind: SlaRecord['kind'] = command.type === 'RecordSlaAtRisk' ? 'AT_RISK' : command.type === 'RecordSlaBreach' ? 'BREACHED' : 'MET';
      if (ctx.actor !== WORKFLOW_ACTOR) throw new ConflictError('SLA states are recorded by the system only', state.version);
      const target = oneOf('target', command.data.target, SLA_TARGETS);
      const dueAt = isoInstant('dueAt', command.data.dueAt).toISOString();
      // once per (target, due time): a timer that fires again, or a retried command, records nothing
      if ((state.slaEvents ?? []).some((r) => r.kind === kind && r.target === target && r.dueAt === dueAt)) return [];
      if (kind === 'AT_RISK') return [{ type: 'SlaAtRisk', data: { target, dueAt, at } }];
      if (kind === 'MET') return [{ type: 'SlaMet', data: { target, dueAt, at } }];
      return [
        { type: 'SlaBreached', data: { target, dueAt, at } },
        { type: 'ServiceCallEscalated', data: { reason: `${target} SLA breached`, by: WORKFLOW_ACTOR, automatic: true, at } },
      ];
    }
    default:
      return exhaustive(command);
  }
}

/** evolve: (state, event) -> state. Total: events it does not know only advance the version. */
export function evolve(state: ServiceCallState, event: ServiceCallEvent): ServiceCallState {
  if (event.type === 'ServiceCallOpened') {
    const d = event.data;
    return {
      id: d.callId,
      trackingCode: d.trackingCode,
      version: state.version + 1,
      status: 'OPEN',
      priority: d.priority,
      channel: d.channel,
      category: d.category,
      product: d.product,
      region: d.region,
      ...(d.language ? { language: d.language } : {}),
      summary: d.summary,
      description: d.description,
      customer: d.customer,
      receivedBy: d.receivedBy,
      receivedAt: d.receivedAt,
      openedAt: d.at,
      processKey: d.process.key,
      processVersion: d.process.version,
      phases: d.process.phases.map((p, order) => ({
        key: p.key,
        name: p.name,
        order,
        status: 'PENDING',
        steps: p.steps.map((s) => ({ ...s, dependsOn: [...s.dependsOn], status: 'PENDING', attempt: 1 })),
      })),
      notes: [],
      escalated: false,
      escalations: [],
      pauses: [],
      ...(d.sla ? { slaPolicy: d.sla.policy } : {}),
      feedback: [],
      contacts: [],
      updatedAt: d.at,
    };
  }
  if (!callExists(state)) return state;
  // an event type this code does not know (written by a newer version) may lack `data.at`
  const at: unknown = (event as { data?: { at?: unknown } }).data?.at;
  const next: ServiceCall = { ...state, version: state.version + 1, updatedAt: typeof at === 'string' ? at : state.updatedAt };
  switch (event.type) {
    case 'PhaseStarted':
      return withPhase(next, event.data.phaseKey, (p) => ({ ...p, status: 'ACTIVE', startedAt: event.data.at }));
    case 'StepReady':
      return withStep(next, event.data.stepKey, (s) => ({ ...s, status: 'READY', readyAt: event.data.at }));
    case 'StepStarted':
      return withStep(
        { ...firstResponse(next, event.data.by, event.data.at), status: next.status === 'OPEN' ? 'IN_PROGRESS' : next.status },
        event.data.stepKey,
        (s) => ({ ...s, status: 'IN_PROGRESS', startedAt: event.data.at }),
      );
    case 'StepCompleted':
      return withStep(
        { ...firstResponse(next, event.data.by, event.data.at), status: next.status === 'OPEN' ? 'IN_PROGRESS' : next.status },
        event.data.stepKey,
        (s) => ({ ...s, status: 'COMPLETED', startedAt: s.startedAt ?? event.data.at, completedAt: event.data.at, outcome: event.data.outcome }),
      );
    case 'StepSkipped':
      return withStep(next, event.data.stepKey, (s) => ({ ...s, status: 'SKIPPED', skippedAt: event.data.at, outcome: event.data.reason }));
    case 'StepFailed':
      return withStep(next, event.data.stepKey, (s) => ({ ...s, status: 'FAILED', failedAt: event.data.at, outcome: event.data.reason }));
    case 'StepRetried':
      return withStep(next, event.data.stepKey, (s) => ({
        ...s,
        status: 'READY',
        attempt: (s.attempt ?? 1) + 1,
        readyAt: event.data.at,
        startedAt: undefined,
        failedAt: undefined,
        outcome: undefined,
      }));
    case 'NoteAdded': {
      const { noteId, kind, text, author } = event.data;
      const responded = kind === 'CUSTOMER_MEETING' ? firstResponse(next, author, event.data.at) : next;
      return { ...responded, notes: [...(next.notes ?? []), { id: noteId, kind, text, author, at: event.data.at }] };
    }
    case 'PhaseCompleted':
      return withPhase(next, event.data.phaseKey, (p) => ({ ...p, status: 'COMPLETED', completedAt: event.data.at }));
    case 'ServiceCallResolved':
      return { ...closePause(next, event.data.at), status: 'RESOLVED', resolvedAt: event.data.at };
    case 'PhaseSkipped':
      return withPhase(next, event.data.phaseKey, (p) => ({
        ...p,
        status: 'SKIPPED',
        steps: p.steps.map((s) => (isStepDone(s.status) ? s : { ...s, status: 'SKIPPED', skippedAt: event.data.at, outcome: event.data.reason })),
      }));
    case 'WaitingForCustomer':
      return { ...next, status: 'WAITING_ON_CUSTOMER', pauses: [...(next.pauses ?? []), { reason: event.data.reason, from: event.data.at }] };
    case 'CustomerResponded': {
      const worked = next.phases.some((p) => p.steps.some((s) => s.startedAt !== undefined || s.completedAt !== undefined));
      return { ...closePause(next, event.data.at), status: worked ? 'IN_PROGRESS' : 'OPEN' };
    }
    case 'ServiceCallEscalated': {
      const { reason, by, automatic } = event.data;
      return { ...next, escalated: true, escalations: [...(next.escalations ?? []), { reason, by, automatic, at: event.data.at }] };
    }
    case 'ResolutionRecorded': {
      const { by, at: recordedAt, ...details } = event.data;
      return { ...next, resolution: { ...details, resolvedBy: by, resolvedAt: recordedAt } };
    }
    case 'FeedbackRecorded':
      return { ...next, feedback: [...(next.feedback ?? []), { ...event.data }] };
    case 'ServiceCallClosed':
      return { ...next, status: 'CLOSED', closedAt: event.data.at };
    case 'ServiceCallReopened': {
      const { phaseKey } = event.data;
      const reopenedCall: ServiceCall = reopenRouting({ ...next, status: 'IN_PROGRESS', resolvedAt: undefined, closedAt: undefined, reopenedAt: event.data.at });
      if (!phaseKey) return reopenedCall;
      return withPhase(reopenedCall, phaseKey, (p) => ({
        ...p,
        status: 'ACTIVE',
        completedAt: undefined,
        steps: p.steps.map((s) => ({
          key: s.key,
          name: s.name,
          dependsOn: s.dependsOn,
          automated: s.automated,
          ...(s.action ? { action: s.action } : {}),
          ...(s.role ? { role: s.role } : {}),
          ...(s.instructions ? { instructions: s.instructions } : {}),
          ...(s.expectedDuration ? { expectedDuration: s.expectedDuration } : {}),
          ...(s.assignee ? { assignee: s.assignee } : {}),
          status: 'PENDING',
          attempt: (s.attempt ?? 1) + 1,
        })),
      }));
    }
    case 'ContactScheduled': {
      const { contactId, purpose, channel, scheduledFor } = event.data;
      if ((next.contacts ?? []).some((c) => c.id === contactId)) return next;
      return { ...next, contacts: [...(next.contacts ?? []), { id: contactId, purpose, channel, scheduledFor }] };
    }
    case 'CustomerContacted':
      return {
        ...next,
        contacts: (next.contacts ?? []).map((c) => (c.id === event.data.contactId ? { ...c, sentAt: event.data.at, outcome: event.data.outcome } : c)),
      };
    case 'CallAssigned':
    case 'CallUnassigned':
    case 'CallQueued':
    case 'CallbackRequested':
    case 'CallbackStepCreated':
      return evolveRouting(next, event);
    case 'SlaAtRisk':
    case 'SlaBreached':
    case 'SlaMet': {
      const kind: SlaRecord['kind'] = event.type === 'SlaAtRisk' ? 'AT_RISK' : event.type === 'SlaBreached' ? 'BREACHED' : 'MET';
      const { target, dueAt } = event.data;
      return { ...next, slaEvents: [...(next.slaEvents ?? []), { kind, target, dueAt, at: event.data.at }] };
    }
    default: {
      // compile-time exhaustiveness only: at run time, unknown events just advance the version
      const unknown: never = event;
      void unknown;
      return next;
    }
  }
}

/** Folds a stream's events into the call. Unknown event types still count towards the version. */
/**
 * The SLA's first response is the first human action on the call; the workflow's own (automated
 * steps) and actions of unknown origin do not count. Later actions keep the first time.
 */
function firstResponse(call: ServiceCall, by: string | undefined, at: string): ServiceCall {
  if (call.firstRespondedAt !== undefined || by === undefined || by === WORKFLOW_ACTOR || by === SYSTEM_ACTOR) return call;
  return { ...call, firstRespondedAt: at };
}

export function foldServiceCall(events: readonly { type: string; data: unknown }[]): ServiceCallState {
  return events.reduce<ServiceCallState>((state, event) => evolve(state, event as ServiceCallEvent), initialServiceCallState);
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

function closePause(call: ServiceCall, at: string): ServiceCall {
  const pauses = call.pauses ?? [];
  const open = pauses[pauses.length - 1];
  if (!open || open.to !== undefined) return call;
  return { ...call, pauses: [...pauses.slice(0, -1), { ...open, to: at }] };
}

function findPhase(call: ServiceCall, phaseKey: string): Phase {
  const phase = call.phases.find((p) => p.key === phaseKey);
  if (!phase) throw new NotFoundError(`phase ${phaseKey} not found in process ${call.processKey}`, 'phaseKey');
  return phase;
}

export function findStep(call: ServiceCall, stepKey: string): { phase: Phase; step: Step } {
  requiredText('stepKey', stepKey, LIMITS.key);
  for (const phase of call.phases) {
    const step = phase.steps.find((s) => s.key === stepKey);
    if (step) return { phase, step };
  }
  throw new NotFoundError(`step ${stepKey} not found in process ${call.processKey}`, 'stepKey');
}

function dependencyConflict(call: ServiceCall, phase: Phase, step: Step): ConflictError {
  if (phase.status !== 'ACTIVE') {
    return new ConflictError(`step ${step.key} belongs to phase ${phase.key}, which is ${phase.status}`, call.version, 'stepKey');
  }
  const unmet = unmetDependencies(phase.steps, step.key);
  return new ConflictError(`step ${step.key} waits for ${unmet.join(', ') || 'its phase'} to complete`, call.version, 'stepKey');
}

/** Automated steps belong to the system; people work the others. */
function assertActor(call: ServiceCall, step: Step, ctx: CommandContext): void {
  if (step.automated && ctx.actor !== WORKFLOW_ACTOR) {
    throw new ConflictError(`step ${step.key} is automated and run by the system`, call.version, 'stepKey');
  }
  assertAssignedTo(step, ctx);
}

/** An agent works the steps assigned to them (or to nobody); integrators and managers work any. */
function assertAssignedTo(step: Step, ctx: CommandContext): void {
  if (ctx.agentId !== undefined && step.assignee !== undefined && step.assignee !== ctx.agentId) {
    throw new ForbiddenError(`step ${step.key} is assigned to agent ${step.assignee}`, 'stepKey');
  }
}

function withPhase(call: ServiceCall, phaseKey: string, change: (p: Phase) => Phase): ServiceCall {
  return { ...call, phases: call.phases.map((p) => (p.key === phaseKey ? change(p) : p)) };
}

function withStep(call: ServiceCall, stepKey: string, change: (s: Step) => Step): ServiceCall {
  return {
    ...call,
    phases: call.phases.map((p) =>
      p.steps.some((s) => s.key === stepKey) ? { ...p, steps: p.steps.map((s) => (s.key === stepKey ? change(s) : s)) } : p,
    ),
  };
}

function exhaustive(value: never): never {
  throw new Error(`unhandled: ${JSON.stringify(value)}`);
}
