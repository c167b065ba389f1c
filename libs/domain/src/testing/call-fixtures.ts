import { ProcessTemplate } from '../process/process-template';
import { STANDARD_COMPLAINT } from '../process/standard-complaint.template';
import { WORKFLOW_ACTOR } from '../shared/actors';
import { CommandContext, OpenServiceCallInput, ServiceCallCommand } from '../service-call/service-call.commands';
import { ServiceCallEvent } from '../service-call/service-call.events';
import { callSpecs } from './call-given-when-then';

// The service call's spec vocabulary (tests only): a call on the standard complaint, the events of its
// history and the commands under test, shared by the specs of every decider file.

export const CALL_ID = 'call-0001';
export const TRACKING = 'TRK-7Q4M-2XZ9';
/** when the given history happened */
export const EARLIER = '2025-03-10T08:00:00.000Z';
/** when the command under test is decided */
export const NOW = new Date('2025-03-10T09:00:00.000Z');
export const at = NOW.toISOString();
export const AGENT = 'apikey:agent-anna';
export const agent: CommandContext = { now: NOW, actor: AGENT };
export const workflow: CommandContext = { now: NOW, actor: WORKFLOW_ACTOR };

/** `given(...history).when(command, ctx = agent)`: the service call's spec language, decided as the agent unless a spec names another context */
export const given = callSpecs(agent);

// --- events -----------------------------------------------------------------------------------

export function processOf(template: ProcessTemplate) {
  return {
    key: template.key,
    version: template.version,
    phases: template.phases.map((p) => ({ key: p.key, name: p.name, steps: p.steps })),
  };
}

export function opened(template: ProcessTemplate = STANDARD_COMPLAINT): ServiceCallEvent {
  return {
    type: 'ServiceCallOpened',
    data: {
      callId: CALL_ID,
      trackingCode: TRACKING,
      channel: 'PHONE',
      priority: 'NORMAL',
      category: 'billing',
      summary: 'Charged twice for the March invoice',
      customer: { name: 'Ada Lovelace', email: 'ada@example.com' },
      receivedAt: EARLIER,
      process: processOf(template),
      at: EARLIER,
    },
  };
}

export function phaseOfStep(stepKey: string): string {
  const phase = STANDARD_COMPLAINT.phases.find((p) => p.steps.some((s) => s.key === stepKey));
  if (!phase) throw new Error(`test setup: no step ${stepKey} in the standard complaint`);
  return phase.key;
}

export const phaseStarted = (phaseKey: string, when = EARLIER): ServiceCallEvent => ({ type: 'PhaseStarted', data: { phaseKey, at: when } });
export const stepReady = (stepKey: string, when = EARLIER): ServiceCallEvent => ({
  type: 'StepReady',
  data: { phaseKey: phaseOfStep(stepKey), stepKey, at: when },
});
export const stepStarted = (stepKey: string, by = AGENT, when = EARLIER): ServiceCallEvent => ({
  type: 'StepStarted',
  data: { phaseKey: phaseOfStep(stepKey), stepKey, by, at: when },
});
export const stepCompleted = (stepKey: string, by = AGENT, when = EARLIER, outcome?: string): ServiceCallEvent => ({
  type: 'StepCompleted',
  data: { phaseKey: phaseOfStep(stepKey), stepKey, outcome, by, at: when },
});
export const phaseCompleted = (phaseKey: string, when = EARLIER): ServiceCallEvent => ({ type: 'PhaseCompleted', data: { phaseKey, at: when } });
export const resolved = (when = EARLIER): ServiceCallEvent => ({ type: 'ServiceCallResolved', data: { at: when } });

/** A phase of the standard complaint run from start to completion (template order is a topological order). */
export function phaseDone(phaseKey: string): ServiceCallEvent[] {
  const phase = STANDARD_COMPLAINT.phases.find((p) => p.key === phaseKey)!;
  return [
    phaseStarted(phaseKey),
    ...phase.steps.flatMap((s) => [stepReady(s.key), stepCompleted(s.key, s.automated ? WORKFLOW_ACTOR : AGENT)]),
    phaseCompleted(phaseKey),
  ];
}
export const allPhasesDone = (): ServiceCallEvent[] => STANDARD_COMPLAINT.phases.flatMap((p) => phaseDone(p.key));

// --- histories the specs start from -----------------------------------------------------------

/** intake started and its first step, record-complaint, READY */
export const intakeReady = (): ServiceCallEvent[] => [opened(), phaseStarted('intake'), stepReady('record-complaint')];
/** record-complaint being worked by the agent: the call IN_PROGRESS */
export const intakeWorking = (): ServiceCallEvent[] => [...intakeReady(), stepStarted('record-complaint')];
/** every phase done and the call RESOLVED */
export const resolvedCall = (): ServiceCallEvent[] => [opened(), ...allPhasesDone(), resolved()];

// --- commands ---------------------------------------------------------------------------------

export const validInput = (): OpenServiceCallInput => ({
  channel: 'PHONE',
  category: 'billing',
  summary: 'Charged twice for the March invoice',
  customer: { name: 'Ada Lovelace', email: 'ada@example.com', phone: '+44 20 7946 0958' },
});

/** Loosely typed on purpose: clients send strings, and the domain must refuse what the types would not allow. */
export type InputPatch = { [field: string]: unknown; customer?: { [field: string]: unknown } };

export function openCall(patch: InputPatch = {}, process: ProcessTemplate = STANDARD_COMPLAINT): ServiceCallCommand {
  const base = validInput();
  const customer = 'customer' in patch && patch.customer === undefined ? undefined : { ...base.customer, ...patch.customer };
  const input = { ...base, ...patch, customer } as unknown as OpenServiceCallInput;
  return { type: 'OpenServiceCall', data: { callId: CALL_ID, trackingCode: TRACKING, input, process } };
}
export const startPhase = (phaseKey: string): ServiceCallCommand => ({ type: 'StartPhase', data: { phaseKey } });
export const markReady = (phaseKey: string, ...stepKeys: string[]): ServiceCallCommand => ({ type: 'MarkStepsReady', data: { phaseKey, stepKeys } });
export const startStep = (stepKey: string): ServiceCallCommand => ({ type: 'StartStep', data: { stepKey } });
export const completeStep = (stepKey: string, outcome?: string): ServiceCallCommand => ({ type: 'CompleteStep', data: { stepKey, outcome } });
export const completePhase = (phaseKey: string): ServiceCallCommand => ({ type: 'CompletePhase', data: { phaseKey } });
export const resolve = (): ServiceCallCommand => ({ type: 'ResolveServiceCall', data: {} });
export const skipStep = (stepKey: string, reason = 'not needed for this customer'): ServiceCallCommand => ({ type: 'SkipStep', data: { stepKey, reason } });
export const failStep = (stepKey: string, reason = 'part not available'): ServiceCallCommand => ({ type: 'FailStep', data: { stepKey, reason } });
export const retryStep = (stepKey: string): ServiceCallCommand => ({ type: 'RetryStep', data: { stepKey } });
export const addNote = (kind: string, text: string): ServiceCallCommand => ({ type: 'AddNote', data: { kind, text } as never });
export const MANAGER = 'apikey:manager-mia';
export const manager: CommandContext = { now: NOW, actor: MANAGER };
export const stepSkipped = (stepKey: string, by = MANAGER, reason = 'not needed'): ServiceCallEvent => ({
  type: 'StepSkipped',
  data: { phaseKey: phaseOfStep(stepKey), stepKey, reason, by, at: EARLIER },
});
export const stepFailed = (stepKey: string, by = AGENT, reason = 'part not available'): ServiceCallEvent => ({
  type: 'StepFailed',
  data: { phaseKey: phaseOfStep(stepKey), stepKey, reason, by, at: EARLIER },
});
export const stepRetried = (stepKey: string, by = MANAGER): ServiceCallEvent => ({
  type: 'StepRetried',
  data: { phaseKey: phaseOfStep(stepKey), stepKey, by, at: EARLIER },
});
