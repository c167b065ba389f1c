import { activeAbsence } from '../routing/absence';
import { AGENT_AVAILABILITIES, RoutingCandidate } from '../routing/routing.types';
import { ConflictError, NotFoundError } from '../shared/domain-error';
import { exhaustive } from '../shared/exhaustive';
import { LIMITS, oneOf, requiredText } from '../shared/validation';
import { AgentCommand, AgentCommandContext } from './agent.commands';
import { AgentEvent } from './agent.events';
import { Agent, agentExists, AgentProfile, AgentState, initialAgentState } from './agent.types';
import { validateAbsenceInput, validateAgentInput, validateAgentUpdate } from './agent.validation';

/**
 * The agent aggregate's decisions. Refusals throw (ValidationError for bad input, NotFoundError,
 * ConflictError with the agent's version); a command that would change nothing returns [] (so a
 * repeated takeCall, releaseCall or availability change is harmless).
 */
export function decideAgent(command: AgentCommand, state: AgentState, ctx: AgentCommandContext): AgentEvent[] {
  const at = ctx.now.toISOString();
  const by = ctx.actor;
  if (command.type === 'RegisterAgent') {
    if (agentExists(state)) throw new ConflictError(`agent ${state.id} already exists`, state.version, 'id');
    const profile = validateAgentInput(command.data.input);
    return [{ type: 'AgentRegistered', data: { agentId: command.data.agentId, ...profile, by, at } }];
  }
  if (!agentExists(state)) throw new NotFoundError('agent not found', 'agentId');
  const agentId = state.id;

  switch (command.type) {
    case 'UpdateAgent': {
      const changes = changedFields(state, validateAgentUpdate(command.data.input));
      return Object.keys(changes).length === 0 ? [] : [{ type: 'AgentUpdated', data: { agentId, changes, by, at } }];
    }
    case 'ScheduleAbsence': {
      if (state.absences.some((a) => a.id === command.data.absenceId)) return [];
      const { from, to, reason, replacementAgentId } = validateAbsenceInput(command.data.input, agentId, ctx.now);
      return [{ type: 'AgentAbsenceScheduled', data: { agentId, absence: { id: command.data.absenceId, from, to, reason, replacementAgentId }, by, at } }];
    }
    case 'CancelAbsence': {
      const absence = state.absences.find((a) => a.id === command.data.absenceId);
      if (!absence) throw new NotFoundError(`agent ${agentId} has no absence ${command.data.absenceId}`, 'absenceId');
      if (absence.cancelledAt !== null) return [];
      if (Date.parse(absence.to) <= ctx.now.getTime()) throw new ConflictError(`absence ${absence.id} is already over`, state.version, 'absenceId');
      return [{ type: 'AgentAbsenceCancelled', data: { agentId, absenceId: absence.id, by, at } }];
    }
    case 'SetAgentAvailability': {
      const to = oneOf('availability', command.data.availability, AGENT_AVAILABILITIES);
      return to === state.availability ? [] : [{ type: 'AgentAvailabilityChanged', data: { agentId, from: state.availability, to, by, at } }];
    }
    case 'TakeCall': {
      const { callId } = command.data;
      const override = command.data.override === true;
      if (state.openCalls.includes(callId)) return [];
      if (state.availability !== 'AVAILABLE') throw new ConflictError(`agent ${agentId} is ${state.availability}`, state.version, 'agentId');
      const absence = activeAbsence(state, ctx.now);
      if (absence) throw new ConflictError(`agent ${agentId} is absent until ${absence.to} (${absence.reason})`, state.version, 'agentId');
      if (!override && state.openCalls.length >= state.capacity) {
        throw new ConflictError(`agent ${agentId} is at capacity (${state.openCalls.length}/${state.capacity})`, state.version, 'agentId');
      }
      return [{ type: 'AgentCallTaken', data: { agentId, callId, override, by, at } }];
    }
    case 'ReleaseCall': {
      const { callId } = command.data;
      if (!state.openCalls.includes(callId)) return [];
      const reason = requiredText('reason', command.data.reason, LIMITS.summary);
      return [{ type: 'AgentCallReleased', data: { agentId, callId, reason, by, at } }];
    }
    default:
      return exhaustive(command);
  }
}

export function evolveAgent(state: AgentState, event: AgentEvent): AgentState {
  const version = state.version + 1;
  if (event.type === 'AgentRegistered') {
    const { agentId, by, at, ...profile } = event.data;
    return {
      status: 'ACTIVE',
      id: agentId,
      version,
      ...profile,
      availability: 'AVAILABLE',
      absences: [],
      openCalls: [],
      lastAssignedAt: null,
      registeredBy: by,
      registeredAt: at,
      updatedAt: at,
    };
  }
  if (!agentExists(state)) return { ...state, version } as AgentState; // an event before registration: count it, change nothing
  const agent: Agent = { ...state, version, updatedAt: event.data.at };
  switch (event.type) {
    case 'AgentUpdated':
      return { ...agent, ...event.data.changes };
    case 'AgentAbsenceScheduled':
      return { ...agent, absences: [...agent.absences, { ...event.data.absence, cancelledAt: null }] };
    case 'AgentAbsenceCancelled':
      return { ...agent, absences: agent.absences.map((a) => (a.id === event.data.absenceId ? { ...a, cancelledAt: event.data.at } : a)) };
    case 'AgentAvailabilityChanged':
      return { ...agent, availability: event.data.to };
    case 'AgentCallTaken':
      return agent.openCalls.includes(event.data.callId)
        ? agent
        : { ...agent, openCalls: [...agent.openCalls, event.data.callId], lastAssignedAt: event.data.at };
    case 'AgentCallReleased':
      return { ...agent, openCalls: agent.openCalls.filter((id) => id !== event.data.callId) };
    default:
      return exhaustive(event);
  }
}

export function foldAgent(events: readonly { type: string; data: unknown }[]): AgentState {
  return events.reduce<AgentState>((state, event) => evolveAgent(state, event as AgentEvent), initialAgentState);
}

/** Open calls / capacity (0 for an idle agent; above 1 only after a manager's override). */
export function agentLoadRatio(agent: Pick<Agent, 'openCalls' | 'capacity'>): number {
  return agent.openCalls.length / agent.capacity;
}

/** The agent as the routing policy sees it. */
export function routingCandidateOf(agent: Agent): RoutingCandidate {
  return {
    agentId: agent.id,
    regions: agent.regions,
    skills: agent.skills,
    languages: agent.languages,
    roles: agent.roles,
    capacity: agent.capacity,
    openCalls: agent.openCalls.length,
    availability: agent.availability,
    workingHours: agent.workingHours,
    absences: agent.absences,
    lastAssignedAt: agent.lastAssignedAt,
  };
}

/** Only what differs from the agent as it is, so a resent update appends nothing. */
function changedFields(agent: Agent, changes: Partial<AgentProfile>): Partial<AgentProfile> {
  return Object.fromEntries(Object.entries(changes).filter(([key, value]) => JSON.stringify(agent[key as keyof AgentProfile]) !== JSON.stringify(value)));
}
