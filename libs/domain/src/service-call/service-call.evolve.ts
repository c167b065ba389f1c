import { isStepDone } from '../process/process-plan';
import { SYSTEM_ACTOR, WORKFLOW_ACTOR } from '../shared/actors';
import { ServiceCallEvent } from './service-call.events';
import { evolveRouting, reopenRouting } from './service-call.routing';
import { callExists, initialServiceCallState, ServiceCallState, upcastServiceCall, withPhase, withStep } from './service-call.state';
import { ServiceCall, SlaRecord, Step } from './service-call.types';

type EventOf<T extends ServiceCallEvent['type']> = Extract<ServiceCallEvent, { type: T }>;
type StepEvent = EventOf<'PhaseStarted' | 'StepReady' | 'StepStarted' | 'StepCompleted' | 'StepSkipped' | 'StepFailed' | 'StepRetried' | 'PhaseCompleted' | 'PhaseSkipped'>;
type AftercareEvent = EventOf<
  | 'NoteAdded'
  | 'ServiceCallResolved'
  | 'WaitingForCustomer'
  | 'CustomerResponded'
  | 'ServiceCallEscalated'
  | 'ResolutionRecorded'
  | 'FeedbackRecorded'
  | 'ServiceCallClosed'
  | 'ServiceCallReopened'
  | 'ContactScheduled'
  | 'CustomerContacted'
>;

/** evolve: (state, event) -> state. Total: events it does not know only advance the version. */
export function evolve(state: ServiceCallState, event: ServiceCallEvent): ServiceCallState {
  if (event.type === 'ServiceCallOpened') return openedCall(event.data, state.version + 1);
  if (!callExists(state)) return state;
  // an event type this code does not know (written by a newer version) may lack `data.at`
  const at: unknown = (event as { data?: { at?: unknown } }).data?.at;
  const next: ServiceCall = { ...upcastServiceCall(state), version: state.version + 1, updatedAt: typeof at === 'string' ? at : state.updatedAt };
  switch (event.type) {
    case 'PhaseStarted':
    case 'StepReady':
    case 'StepStarted':
    case 'StepCompleted':
    case 'StepSkipped':
    case 'StepFailed':
    case 'StepRetried':
    case 'PhaseCompleted':
    case 'PhaseSkipped':
      return evolveStepEvent(next, event);
    case 'NoteAdded':
    case 'ServiceCallResolved':
    case 'WaitingForCustomer':
    case 'CustomerResponded':
    case 'ServiceCallEscalated':
    case 'ResolutionRecorded':
    case 'FeedbackRecorded':
    case 'ServiceCallClosed':
    case 'ServiceCallReopened':
    case 'ContactScheduled':
    case 'CustomerContacted':
      return evolveAftercareEvent(next, event);
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
      return { ...next, slaEvents: [...next.slaEvents, { kind, target, dueAt, at: event.data.at }] };
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
export function foldServiceCall(events: readonly { type: string; data: unknown }[]): ServiceCallState {
  return events.reduce<ServiceCallState>((state, event) => evolve(state, event as ServiceCallEvent), initialServiceCallState);
}

function openedCall(d: EventOf<'ServiceCallOpened'>['data'], version: number): ServiceCall {
  return {
    id: d.callId,
    trackingCode: d.trackingCode,
    version,
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
    slaEvents: [],
    feedback: [],
    contacts: [],
    assignments: [],
    routingRound: 1,
    updatedAt: d.at,
  };
}

/** The process's own events: phases and their steps. */
function evolveStepEvent(next: ServiceCall, event: StepEvent): ServiceCall {
  switch (event.type) {
    case 'PhaseStarted':
      return withPhase(next, event.data.phaseKey, (p) => ({ ...p, status: 'ACTIVE', startedAt: event.data.at }));
    case 'StepReady':
      return withStep(next, event.data.stepKey, (s) => ({ ...s, status: 'READY', readyAt: event.data.at }));
    case 'StepStarted':
      return withStep(worked(next, event.data.by, event.data.at), event.data.stepKey, (s) => ({ ...s, status: 'IN_PROGRESS', startedAt: event.data.at }));
    case 'StepCompleted':
      return withStep(worked(next, event.data.by, event.data.at), event.data.stepKey, (s) => ({
        ...s,
        status: 'COMPLETED',
        startedAt: s.startedAt ?? event.data.at,
        completedAt: event.data.at,
        outcome: event.data.outcome,
      }));
    case 'StepSkipped':
      return withStep(next, event.data.stepKey, (s) => ({ ...s, status: 'SKIPPED', skippedAt: event.data.at, outcome: event.data.reason }));
    case 'StepFailed':
      return withStep(next, event.data.stepKey, (s) => ({ ...s, status: 'FAILED', failedAt: event.data.at, outcome: event.data.reason }));
    case 'StepRetried':
      return withStep(next, event.data.stepKey, (s) => ({
        ...s,
        status: 'READY',
        attempt: s.attempt + 1,
        readyAt: event.data.at,
        startedAt: undefined,
        failedAt: undefined,
        outcome: undefined,
      }));
    case 'PhaseCompleted':
      return withPhase(next, event.data.phaseKey, (p) => ({ ...p, status: 'COMPLETED', completedAt: event.data.at }));
    case 'PhaseSkipped':
      return withPhase(next, event.data.phaseKey, (p) => ({
        ...p,
        status: 'SKIPPED',
        steps: p.steps.map((s) => (isStepDone(s.status) ? s : { ...s, status: 'SKIPPED', skippedAt: event.data.at, outcome: event.data.reason })),
      }));
  }
}

/** Resolution, waiting, escalation, feedback, closing, reopening, notes and contacts. */
function evolveAftercareEvent(next: ServiceCall, event: AftercareEvent): ServiceCall {
  switch (event.type) {
    case 'NoteAdded': {
      const { noteId, kind, text, author } = event.data;
      const responded = kind === 'CUSTOMER_MEETING' ? firstResponse(next, author, event.data.at) : next;
      return { ...responded, notes: [...next.notes, { id: noteId, kind, text, author, at: event.data.at }] };
    }
    case 'ServiceCallResolved':
      return { ...closePause(next, event.data.at), status: 'RESOLVED', resolvedAt: event.data.at };
    case 'WaitingForCustomer':
      return { ...next, status: 'WAITING_ON_CUSTOMER', pauses: [...next.pauses, { reason: event.data.reason, from: event.data.at }] };
    case 'CustomerResponded': {
      const workedOn = next.phases.some((p) => p.steps.some((s) => s.startedAt !== undefined || s.completedAt !== undefined));
      return { ...closePause(next, event.data.at), status: workedOn ? 'IN_PROGRESS' : 'OPEN' };
    }
    case 'ServiceCallEscalated': {
      const { reason, by, automatic } = event.data;
      return { ...next, escalated: true, escalations: [...next.escalations, { reason, by, automatic, at: event.data.at }] };
    }
    case 'ResolutionRecorded': {
      const { by, at: recordedAt, ...details } = event.data;
      return { ...next, resolution: { ...details, resolvedBy: by, resolvedAt: recordedAt } };
    }
    case 'FeedbackRecorded':
      return { ...next, feedback: [...next.feedback, { ...event.data }] };
    case 'ServiceCallClosed':
      return { ...next, status: 'CLOSED', closedAt: event.data.at };
    case 'ServiceCallReopened':
      return reopenedCall(next, event);
    case 'ContactScheduled': {
      const { contactId, purpose, channel, scheduledFor } = event.data;
      if (next.contacts.some((c) => c.id === contactId)) return next;
      return { ...next, contacts: [...next.contacts, { id: contactId, purpose, channel, scheduledFor }] };
    }
    case 'CustomerContacted':
      return {
        ...next,
        contacts: next.contacts.map((c) => (c.id === event.data.contactId ? { ...c, sentAt: event.data.at, outcome: event.data.outcome } : c)),
      };
  }
}

/** Back to work: routing runs again, and the reopened phase's steps start over as a new attempt. */
function reopenedCall(next: ServiceCall, event: EventOf<'ServiceCallReopened'>): ServiceCall {
  const { phaseKey } = event.data;
  const call: ServiceCall = reopenRouting({ ...next, status: 'IN_PROGRESS', resolvedAt: undefined, closedAt: undefined, reopenedAt: event.data.at });
  if (!phaseKey) return call;
  return withPhase(call, phaseKey, (p) => ({ ...p, status: 'ACTIVE', completedAt: undefined, steps: p.steps.map(stepStartingOver) }));
}

/** The step as its template made it (plus its agent), PENDING, on its next attempt. */
function stepStartingOver(s: Step): Step {
  return {
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
    attempt: s.attempt + 1,
  };
}

/** Someone worked a step: the call is IN_PROGRESS once it leaves OPEN, and a person's first action is its first response. */
function worked(call: ServiceCall, by: string | undefined, at: string): ServiceCall {
  return { ...firstResponse(call, by, at), status: call.status === 'OPEN' ? 'IN_PROGRESS' : call.status };
}

/**
 * The SLA's first response is the first human action on the call; the workflow's own (automated
 * steps) and actions of unknown origin do not count. Later actions keep the first time.
 */
function firstResponse(call: ServiceCall, by: string | undefined, at: string): ServiceCall {
  if (call.firstRespondedAt !== undefined || by === undefined || by === WORKFLOW_ACTOR || by === SYSTEM_ACTOR) return call;
  return { ...call, firstRespondedAt: at };
}

function closePause(call: ServiceCall, at: string): ServiceCall {
  const open = call.pauses[call.pauses.length - 1];
  if (!open || open.to !== undefined) return call;
  return { ...call, pauses: [...call.pauses.slice(0, -1), { ...open, to: at }] };
}
