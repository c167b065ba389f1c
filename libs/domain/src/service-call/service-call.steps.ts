import { isPhaseComplete, nextPhaseToStart, readyStepKeys, unmetDependencies } from '../process/process-plan';
import { WORKFLOW_ACTOR } from '../shared/actors';
import { ConflictError, ForbiddenError } from '../shared/domain-error';
import { LIMITS, optionalText, requiredText } from '../shared/validation';
import { CommandContext, ServiceCallCommand } from './service-call.commands';
import { ServiceCallEvent } from './service-call.events';
import { findPhase, findStep } from './service-call.state';
import { Phase, ServiceCall, Step } from './service-call.types';

/**
 * The process side of a service call: phases start and complete in order, steps become ready as their
 * dependencies are done, and are started, completed, skipped, failed and retried. Commands that would
 * change nothing (the process manager repeating itself) return no events.
 */

export type StepCommand = Extract<
  ServiceCallCommand,
  { type: 'StartPhase' | 'MarkStepsReady' | 'StartStep' | 'CompleteStep' | 'SkipStep' | 'FailStep' | 'RetryStep' | 'CompletePhase' }
>;
type Of<T extends StepCommand['type']> = Extract<StepCommand, { type: T }>;

export function decideStep(command: StepCommand, call: ServiceCall, ctx: CommandContext): ServiceCallEvent[] {
  switch (command.type) {
    case 'StartPhase':
      return startPhase(command, call, ctx);
    case 'MarkStepsReady':
      return markStepsReady(command, call, ctx);
    case 'StartStep':
      return startStep(command, call, ctx);
    case 'CompleteStep':
      return completeStep(command, call, ctx);
    case 'SkipStep':
      return skipStep(command, call, ctx);
    case 'FailStep':
      return failStep(command, call, ctx);
    case 'RetryStep':
      return retryStep(command, call, ctx);
    case 'CompletePhase':
      return completePhase(command, call, ctx);
  }
}

function startPhase(command: Of<'StartPhase'>, call: ServiceCall, ctx: CommandContext): ServiceCallEvent[] {
  const phase = findPhase(call, command.data.phaseKey);
  if (phase.status !== 'PENDING') return [];
  if (nextPhaseToStart(call.phases)?.key !== phase.key) {
    throw new ConflictError(`phase ${phase.key} cannot start before the phases before it are done`, call.version, 'phaseKey');
  }
  return [{ type: 'PhaseStarted', data: { phaseKey: phase.key, at: ctx.now.toISOString() } }];
}

function markStepsReady(command: Of<'MarkStepsReady'>, call: ServiceCall, ctx: CommandContext): ServiceCallEvent[] {
  const phase = findPhase(call, command.data.phaseKey);
  if (phase.status !== 'ACTIVE') throw new ConflictError(`phase ${phase.key} is ${phase.status}`, call.version, 'phaseKey');
  const ready = new Set(readyStepKeys(phase.steps));
  const events: ServiceCallEvent[] = [];
  // a key named twice is still one step made ready once
  for (const stepKey of new Set(command.data.stepKeys)) {
    const step = findStep(call, stepKey).step;
    if (step.status !== 'PENDING') continue;
    if (!ready.has(stepKey)) throw dependencyConflict(call, phase, step);
    events.push({ type: 'StepReady', data: { phaseKey: phase.key, stepKey, at: ctx.now.toISOString() } });
  }
  return events;
}

function startStep(command: Of<'StartStep'>, call: ServiceCall, ctx: CommandContext): ServiceCallEvent[] {
  const { phase, step } = findStep(call, command.data.stepKey);
  assertActor(step, ctx);
  if (step.status === 'PENDING') throw dependencyConflict(call, phase, step);
  if (step.status !== 'READY') throw new ConflictError(`step ${step.key} is ${step.status}, not READY`, call.version, 'stepKey');
  return [{ type: 'StepStarted', data: { phaseKey: phase.key, stepKey: step.key, by: ctx.actor, at: ctx.now.toISOString() } }];
}

function completeStep(command: Of<'CompleteStep'>, call: ServiceCall, ctx: CommandContext): ServiceCallEvent[] {
  const { phase, step } = findStep(call, command.data.stepKey);
  assertActor(step, ctx);
  const outcome = optionalText('outcome', command.data.outcome, LIMITS.outcome);
  if (step.status === 'PENDING') throw dependencyConflict(call, phase, step);
  if (step.status !== 'READY' && step.status !== 'IN_PROGRESS') {
    throw new ConflictError(`step ${step.key} is ${step.status}`, call.version, 'stepKey');
  }
  return [{ type: 'StepCompleted', data: { phaseKey: phase.key, stepKey: step.key, outcome, by: ctx.actor, at: ctx.now.toISOString() } }];
}

function skipStep(command: Of<'SkipStep'>, call: ServiceCall, ctx: CommandContext): ServiceCallEvent[] {
  const { phase, step } = findStep(call, command.data.stepKey);
  const reason = requiredText('reason', command.data.reason, LIMITS.outcome);
  if (step.status === 'SKIPPED') return [];
  if (step.status === 'COMPLETED' || step.status === 'CANCELLED') {
    throw new ConflictError(`step ${step.key} is ${step.status} and cannot be skipped`, call.version, 'stepKey');
  }
  // a step of a later phase may be skipped ahead of time; it then counts as done when its phase starts
  return [{ type: 'StepSkipped', data: { phaseKey: phase.key, stepKey: step.key, reason, by: ctx.actor, at: ctx.now.toISOString() } }];
}

function failStep(command: Of<'FailStep'>, call: ServiceCall, ctx: CommandContext): ServiceCallEvent[] {
  const { phase, step } = findStep(call, command.data.stepKey);
  assertActor(step, ctx);
  const reason = requiredText('reason', command.data.reason, LIMITS.outcome);
  if (step.status === 'FAILED') return [];
  if (step.status === 'PENDING') throw dependencyConflict(call, phase, step);
  if (step.status !== 'READY' && step.status !== 'IN_PROGRESS') {
    throw new ConflictError(`step ${step.key} is ${step.status}; only a READY or IN_PROGRESS step can fail`, call.version, 'stepKey');
  }
  return [{ type: 'StepFailed', data: { phaseKey: phase.key, stepKey: step.key, reason, by: ctx.actor, at: ctx.now.toISOString() } }];
}

function retryStep(command: Of<'RetryStep'>, call: ServiceCall, ctx: CommandContext): ServiceCallEvent[] {
  const { phase, step } = findStep(call, command.data.stepKey);
  assertAssignedTo(step, ctx);
  if (step.status !== 'FAILED') {
    throw new ConflictError(`step ${step.key} is ${step.status}; only a FAILED step can be retried`, call.version, 'stepKey');
  }
  return [{ type: 'StepRetried', data: { phaseKey: phase.key, stepKey: step.key, by: ctx.actor, at: ctx.now.toISOString() } }];
}

function completePhase(command: Of<'CompletePhase'>, call: ServiceCall, ctx: CommandContext): ServiceCallEvent[] {
  const phase = findPhase(call, command.data.phaseKey);
  if (phase.status === 'COMPLETED') return [];
  if (phase.status !== 'ACTIVE' || !isPhaseComplete(phase.steps)) {
    throw new ConflictError(`phase ${phase.key} still has open steps`, call.version, 'phaseKey');
  }
  return [{ type: 'PhaseCompleted', data: { phaseKey: phase.key, at: ctx.now.toISOString() } }];
}

function dependencyConflict(call: ServiceCall, phase: Phase, step: Step): ConflictError {
  if (phase.status !== 'ACTIVE') {
    return new ConflictError(`step ${step.key} belongs to phase ${phase.key}, which is ${phase.status}`, call.version, 'stepKey');
  }
  const unmet = unmetDependencies(phase.steps, step.key);
  return new ConflictError(`step ${step.key} waits for ${unmet.join(', ') || 'its phase'} to complete`, call.version, 'stepKey');
}

/** Automated steps belong to the system; people work the others. */
function assertActor(step: Step, ctx: CommandContext): void {
  if (step.automated && ctx.actor !== WORKFLOW_ACTOR) throw new ForbiddenError(`step ${step.key} is automated and run by the system`, 'stepKey');
  assertAssignedTo(step, ctx);
}

/** An agent works the steps assigned to them (or to nobody); integrators and managers work any. */
function assertAssignedTo(step: Step, ctx: CommandContext): void {
  if (ctx.agentId !== undefined && step.assignee !== undefined && step.assignee !== ctx.agentId) {
    throw new ForbiddenError(`step ${step.key} is assigned to agent ${step.assignee}`, 'stepKey');
  }
}
