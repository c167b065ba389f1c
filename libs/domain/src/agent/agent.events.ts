import type { AgentAbsence, AgentAvailability } from '../routing/routing.types';
import type { AgentProfile } from './agent.types';

/** Events of the agent aggregate (stream `Agent-<id>`). Each carries `at`, so evolve never reads a clock. */
export type AgentEvent =
  | { type: 'AgentRegistered'; data: AgentProfile & { agentId: string; by: string; at: string } }
  /** only the fields that changed */
  | { type: 'AgentUpdated'; data: { agentId: string; changes: Partial<AgentProfile>; by: string; at: string } }
  | { type: 'AgentAbsenceScheduled'; data: { agentId: string; absence: Omit<AgentAbsence, 'cancelledAt'>; by: string; at: string } }
  | { type: 'AgentAbsenceCancelled'; data: { agentId: string; absenceId: string; by: string; at: string } }
  | { type: 'AgentAvailabilityChanged'; data: { agentId: string; from: AgentAvailability; to: AgentAvailability; by: string; at: string } }
  /** `override`: a manager's assignment that may exceed capacity */
  | { type: 'AgentCallTaken'; data: { agentId: string; callId: string; override: boolean; by: string; at: string } }
  | { type: 'AgentCallReleased'; data: { agentId: string; callId: string; reason: string; by: string; at: string } };

export type AgentEventType = AgentEvent['type'];
export const AGENT_EVENT_TYPES: readonly AgentEventType[] = [
  'AgentRegistered',
  'AgentUpdated',
  'AgentAbsenceScheduled',
  'AgentAbsenceCancelled',
  'AgentAvailabilityChanged',
  'AgentCallTaken',
  'AgentCallReleased',
];
