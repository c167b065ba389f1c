import { isStepDone } from '../process/process-plan';
import { validateCallbackRequest } from '../routing/callback';
import { routeCall } from '../routing/routing-policy';
import { RoutingCandidate, RoutingRequest } from '../routing/routing.types';
import { ROUTING_ACTOR, WORKFLOW_ACTOR } from '../shared/actors';
import { ConflictError, ForbiddenError, ValidationError } from '../shared/domain-error';
import { LIMITS, oneOf, optionalText, requiredText } from '../shared/validation';
import { CommandContext, ServiceCallCommand } from './service-call.commands';
import { ServiceCallEvent } from './service-call.events';
import { AssignmentTrigger, isFinished, Phase, ServiceCall, Step, UNASSIGN_TRIGGERS } from './service-call.types';

/**
 * The routing side of a service call: who holds it (CallAssigned / CallUnassigned), whether it waits
 * for an agent (CallQueued), and a customer's callback request. Which agent is chosen is the routing
 * policy's business (libs/domain/src/routing); the agent's own stream guards capacity. Here: what the
 * call records, and what its workflow is to do next.
 */

type RoutingCommand = Extract<ServiceCallCommand, { type: 'AssignServiceCall' | 'UnassignServiceCall' | 'QueueServiceCall' | 'RequestCallback' }>;

/** Channels on which a customer waits on the line: only they can ask to be called back. */
const VOICE_CHANNELS = new Set(['PHONE', 'CALLBACK']);
export const CALLBACK_STEP = { key: 'call-back', name: 'Call the customer back' } as const;

export function decideRouting(command: RoutingCommand, call: ServiceCall, ctx: CommandContext): ServiceCallEvent[] {
  switch (command.type) {
    case 'AssignServiceCall':
      return assign(command, call, ctx);
    case 'UnassignServiceCall':
      return unassign(command, call, ctx);
    case 'QueueServiceCall': {
      if (!isRouting(ctx.actor)) throw new ForbiddenError('only routing queues calls');
      if (call.assignee || call.queuedAt) return [];
      return [{ type: 'CallQueued', data: { reasons: command.data.reasons, by: ctx.actor, at: ctx.now.toISOString() } }];
    }
    case 'RequestCallback':
      return requestCallback(command, call, ctx);
  }
}

type Of<T extends RoutingCommand['type']> = Extract<RoutingCommand, { type: T }>;

function assign(command: Of<'AssignServiceCall'>, call: ServiceCall, ctx: CommandContext): ServiceCallEvent[] {
  const at = ctx.now.toISOString();
  const { agentId, trigger, reasons = [], runnerUp = null, steps = [] } = command.data;
  const reason = optionalText('reason', command.data.reason, LIMITS.outcome);
  const automatic = trigger !== 'MANUAL';
  if (automatic && !isRouting(ctx.actor)) throw new ForbiddenError('only routing assigns calls automatically');
  requiredText('agentId', agentId, LIMITS.key);
  // routing repeating itself for an agent who already holds the call changes nothing
  if (automatic && call.assignee === agentId) return [];
  for (const [i, s] of steps.entries()) {
    const found = call.phases.some((p) => p.steps.some((st) => st.key === s.stepKey));
    if (!found) throw new ValidationError(`steps[${i}].stepKey`, `no step ${s.stepKey} in this call`);
  }
  // the agent who had it: the one holding it now, or the one just taken off it (absence, reroute, reopen)
  const previousAgentId = call.assignee ?? call.unassignedFrom ?? null;
  const assigned: ServiceCallEvent = {
    type: 'CallAssigned',
    data: { agentId, previousAgentId, trigger, automatic, reasons, runnerUp, steps, ...(reason ? { reason } : {}), by: ctx.actor, at },
  };
  const callback = callbackStep(call, agentId, at);
  return callback ? [assigned, callback] : [assigned];
}

/** The agent who takes a callback call gets the "call back" step (in the active phase, else the next one). */
function callbackStep(call: ServiceCall, agentId: string, at: string): ServiceCallEvent | undefined {
  if (!call.callback || call.callback.stepKey) return undefined;
  const phase = call.phases.find((p) => p.status === 'ACTIVE') ?? call.phases.find((p) => p.status === 'PENDING');
  if (!phase) return undefined;
  const taken = new Set(call.phases.flatMap((p) => p.steps.map((s) => s.key)));
  let stepKey: string = CALLBACK_STEP.key;
  for (let n = 2; taken.has(stepKey); n++) stepKey = `${CALLBACK_STEP.key}-${n}`;
  return { type: 'CallbackStepCreated', data: { phaseKey: phase.key, stepKey, name: CALLBACK_STEP.name, agentId, phone: call.callback.phone, at } };
}

function unassign(command: Of<'UnassignServiceCall'>, call: ServiceCall, ctx: CommandContext): ServiceCallEvent[] {
  const trigger = oneOf('trigger', command.data.trigger, UNASSIGN_TRIGGERS);
  const reason = requiredText('reason', command.data.reason, LIMITS.outcome);
  // someone else holds it by now (or nobody), or the call is over: nothing to take away
  if (isFinished(call) || !call.assignee || call.assignee !== command.data.expectedAgentId) return [];
  const preferredAgentId = command.data.preferredAgentId ?? null;
  return [{ type: 'CallUnassigned', data: { agentId: call.assignee, trigger, reason, preferredAgentId, by: ctx.actor, at: ctx.now.toISOString() } }];
}

function requestCallback(command: Of<'RequestCallback'>, call: ServiceCall, ctx: CommandContext): ServiceCallEvent[] {
  if (!VOICE_CHANNELS.has(call.channel)) {
    throw new ConflictError(`callbacks are for calls on a voice channel (PHONE, CALLBACK); this call came in on ${call.channel}`, call.version);
  }
  if (call.assignee) throw new ConflictError(`the call is with agent ${call.assignee} already`, call.version);
  const request = validateCallbackRequest(command.data, ctx.now);
  return [{ type: 'CallbackRequested', data: { ...request, by: ctx.actor, at: ctx.now.toISOString() } }];
}

/** The routing (the workflow's router or the worker's) works calls automatically; nobody else may. */
function isRouting(actor: string): boolean {
  return actor === WORKFLOW_ACTOR || actor === ROUTING_ACTOR;
}

/** The routing events' effect on the call (called by evolve). */
export function evolveRouting(next: ServiceCall, event: ServiceCallEvent): ServiceCall {
  switch (event.type) {
    case 'CallAssigned': {
      const { agentId, previousAgentId, trigger, automatic, reasons, runnerUp, steps, reason, by, at } = event.data;
      const stepAgents = new Map(steps.map((s) => [s.stepKey, s.agentId]));
      return {
        ...next,
        assignee: agentId,
        assignments: [...next.assignments, { agentId, previousAgentId, trigger, automatic, reasons, runnerUp, ...(reason ? { reason } : {}), by, at }],
        queuedAt: undefined,
        queueReasons: undefined,
        preferredAgentId: undefined,
        routingExcluded: undefined,
        unassignedFrom: undefined,
        phases: next.phases.map((p) => ({
          ...p,
          steps: p.steps.map((s) => (stepAgents.has(s.key) ? { ...s, assignee: stepAgents.get(s.key) } : s)),
        })),
      };
    }
    case 'CallUnassigned':
      return {
        ...withoutAssignee(next, event.data.agentId),
        routingRound: next.routingRound + 1,
        routingTrigger: event.data.trigger,
        routingExcluded: [event.data.agentId],
        unassignedFrom: event.data.agentId,
        ...(event.data.preferredAgentId ? { preferredAgentId: event.data.preferredAgentId } : { preferredAgentId: undefined }),
      };
    case 'CallQueued':
      return { ...next, queuedAt: event.data.at, queueReasons: event.data.reasons };
    case 'CallbackRequested': {
      const { phone, windowFrom, windowTo, by, at } = event.data;
      return { ...next, callback: { phone, windowFrom, windowTo, requestedBy: by, requestedAt: at } };
    }
    case 'CallbackStepCreated':
      return withCallbackStep(next, event);
    default:
      return next;
  }
}

/** The "call back" step joins its phase: READY at once in the active phase, else PENDING until the phase starts. */
function withCallbackStep(next: ServiceCall, event: Extract<ServiceCallEvent, { type: 'CallbackStepCreated' }>): ServiceCall {
  const { phaseKey, stepKey, name, agentId, phone, at } = event.data;
  const stepIn = (p: Phase): Step => ({
    key: stepKey,
    name,
    dependsOn: [],
    automated: false,
    assignee: agentId,
    instructions: `Call the customer back on ${phone}`,
    status: p.status === 'ACTIVE' ? 'READY' : 'PENDING',
    ...(p.status === 'ACTIVE' ? { readyAt: at } : {}),
    attempt: 1,
  });
  return {
    ...next,
    callback: next.callback ? { ...next.callback, stepKey, agentId } : next.callback,
    phases: next.phases.map((p) => (p.key !== phaseKey ? p : { ...p, steps: [...p.steps, stepIn(p)] })),
  };
}

/** A reopened call goes back to work: its agent released it at resolution, so routing runs again, preferring them. */
export function reopenRouting(call: ServiceCall): ServiceCall {
  if (!call.assignee && call.assignments.length === 0) return call;
  const previous = call.assignee;
  return {
    ...withoutAssignee(call, previous),
    routingRound: call.routingRound + 1,
    routingTrigger: 'REOPENED',
    routingExcluded: undefined,
    ...(previous ? { unassignedFrom: previous } : {}),
    ...(previous ? { preferredAgentId: previous } : {}),
  };
}

function withoutAssignee(call: ServiceCall, agentId: string | undefined): ServiceCall {
  return {
    ...call,
    assignee: undefined,
    queuedAt: undefined,
    queueReasons: undefined,
    // steps the agent had and has not finished go back to whoever routing picks next
    phases: call.phases.map((p) => ({
      ...p,
      steps: p.steps.map((s) => (s.assignee === agentId && !isStepDone(s.status) ? { ...s, assignee: undefined } : s)),
    })),
  };
}

/** What the call's workflow is to do about routing now. */
export type RoutingAction =
  | { kind: 'RouteCall'; round: number; trigger: AssignmentTrigger; request: RoutingRequest }
  | { kind: 'ReleaseAgent'; round: number; agentId: string };

/**
 * An open call without an agent is routed once per round (a routing that finds nobody queues the call;
 * the queue is then served as agents free up). A finished call's agent releases it (their capacity).
 */
export function nextRoutingAction(call: ServiceCall): RoutingAction | null {
  const round = call.routingRound;
  if (isFinished(call)) return call.assignee ? { kind: 'ReleaseAgent', round, agentId: call.assignee } : null;
  if (call.assignee || call.queuedAt) return null;
  return { kind: 'RouteCall', round, trigger: call.routingTrigger ?? 'OPENED', request: routingRequestOf(call) };
}

/** What routing needs to know about the call. */
export function routingRequestOf(call: ServiceCall): RoutingRequest {
  return {
    callId: call.id,
    region: call.region ?? null,
    category: call.category,
    product: call.product ?? null,
    language: call.language ?? null,
    excludeAgentIds: call.routingExcluded ?? [],
    preferredAgentId: call.preferredAgentId ?? null,
  };
}

/** For stepAssignments: the best eligible agent holding a role, for this call (no slot is taken: a step is not a call). */
export function bestRoleHolder(request: RoutingRequest, candidates: readonly RoutingCandidate[], now: Date): (role: string) => string | null {
  return (role) => {
    const decision = routeCall({ ...request, requiredRole: role, excludeAgentIds: [], preferredAgentId: null }, candidates, now);
    return decision.outcome === 'ASSIGNED' ? decision.agentId : null;
  };
}

/** Open human steps and their agent: the assignee, unless the step names a role they do not hold (then `byRole`). */
export function stepAssignments(
  call: ServiceCall,
  agentId: string,
  agentRoles: readonly string[],
  byRole: (role: string) => string | null,
): { stepKey: string; agentId: string }[] {
  const holds = new Set(agentRoles.map((r) => r.trim().toLowerCase()));
  const result: { stepKey: string; agentId: string }[] = [];
  for (const phase of call.phases) {
    for (const step of phase.steps) {
      if (step.automated || isStepDone(step.status)) continue;
      const role = step.role?.trim().toLowerCase();
      const chosen = !role || holds.has(role) ? agentId : (byRole(step.role as string) ?? agentId);
      result.push({ stepKey: step.key, agentId: chosen });
    }
  }
  return result;
}
