import type { AgentAbsence, AgentAvailability, AgentSkill } from '../routing/routing.types';
import type { BusinessHours } from '../sla/business-hours';

/** What a manager sets about an agent (registerAgent, updateAgent): validated, normalised, plain data. */
export interface AgentProfile {
  name: string;
  /** Regions covered, lower-cased; "*" covers every region. */
  regions: string[];
  skills: AgentSkill[];
  /** BCP-47-ish language tags, lower-cased: "de", "en-gb". */
  languages: string[];
  /** Step roles held, e.g. "dispatcher" (templates' `step.role`). */
  roles: string[];
  /** How many calls the agent works at once. */
  capacity: number;
  /** null: around the clock. */
  workingHours: BusinessHours | null;
}

/**
 * An agent as its stream makes it: the profile, availability, absences (cancelled ones kept, with
 * cancelledAt) and the calls the agent holds now. Load lives here, on the agent's own stream, so the
 * append with the stream's expected version is what keeps two routings from over-assigning.
 */
export interface Agent extends AgentProfile {
  status: 'ACTIVE';
  id: string;
  version: number;
  availability: AgentAvailability;
  absences: AgentAbsence[];
  /** ids of the calls held now, in the order taken */
  openCalls: string[];
  lastAssignedAt: string | null;
  registeredBy: string;
  registeredAt: string;
  updatedAt: string;
}

export type AgentState = { status: 'NONE'; version: 0 } | Agent;
export const initialAgentState: AgentState = { status: 'NONE', version: 0 };

export const AGENT_STREAM_PREFIX = 'Agent-';
export const agentStreamId = (agentId: string): string => `${AGENT_STREAM_PREFIX}${agentId}`;

export function agentExists(state: AgentState): state is Agent {
  return state.status === 'ACTIVE';
}
