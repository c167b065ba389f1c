import { BusinessHours } from '../sla/business-hours';

/**
 * Routing vocabulary shared by the agent aggregate (libs/domain/src/agent imports these, never
 * redeclares them) and the pure routing policy in this folder.
 */

export const AGENT_SKILL_KINDS = ['CATEGORY', 'PRODUCT'] as const;
export type AgentSkillKind = (typeof AGENT_SKILL_KINDS)[number];

/** A skill for a call category or a product; `key` is compared case-insensitively (normaliseCategory); level 1..5. */
export interface AgentSkill {
  kind: AgentSkillKind;
  key: string;
  level: number;
}

export const AGENT_SKILL_LEVEL = { min: 1, max: 5 } as const;

/** Only AVAILABLE agents get new calls; AWAY keeps its calls; OFFLINE has its open calls moved elsewhere. */
export const AGENT_AVAILABILITIES = ['AVAILABLE', 'AWAY', 'OFFLINE'] as const;
export type AgentAvailability = (typeof AGENT_AVAILABILITIES)[number];

/** A scheduled absence, [from, to) as ISO instants; a cancelled one (cancelledAt set) no longer counts. */
export interface AgentAbsence {
  id: string;
  from: string;
  to: string;
  reason: string;
  replacementAgentId: string | null;
  cancelledAt: string | null;
}

/** An agent as routing sees it: plain data, read from the agents read model or the agent stream. */
export interface RoutingCandidate {
  agentId: string;
  /** Regions covered; "*" covers all. */
  regions: string[];
  skills: AgentSkill[];
  languages: string[];
  /** Step roles held, e.g. "dispatcher". */
  roles: string[];
  capacity: number;
  openCalls: number;
  availability: AgentAvailability;
  /** null = around the clock. */
  workingHours: BusinessHours | null;
  absences: AgentAbsence[];
  lastAssignedAt: string | null;
}

/** What routing needs to know about one call. */
export interface RoutingRequest {
  callId: string;
  /** null = any region will do. */
  region: string | null;
  category: string;
  product: string | null;
  /** Preferred, not mandatory. */
  language: string | null;
  requiredRole?: string | null;
  excludeAgentIds?: string[];
  /** An absence's replacement agent: chosen whenever eligible. */
  preferredAgentId?: string | null;
}

/** Score of an eligible agent; compared in this field order (see compareScores). */
export interface RoutingScore {
  /** openCalls / capacity before the assignment; lower is better. */
  loadRatio: number;
  openCalls: number;
  capacity: number;
  /** Best level among the matching category/product skills; higher is better. */
  skillLevel: number;
  /** lastAssignedAt; null (never assigned) is best, then the oldest. */
  lastAssignedAt: string | null;
  languageMatch: boolean;
}

export type RoutingDecision =
  | {
      outcome: 'ASSIGNED';
      agentId: string;
      /** Machine-readable rules that matched, e.g. `region:de-north`, `category:billing@4`, `load:2/5`. */
      reasons: string[];
      score: RoutingScore;
      runnerUp: { agentId: string; score: RoutingScore } | null;
      eligible: number;
      considered: number;
    }
  | {
      outcome: 'QUEUED';
      /** Why nobody: counts per failed rule, e.g. `no-eligible-agent`, `capacity:3`, `region:5`. */
      reasons: string[];
      considered: number;
    };

/** A call waiting for an agent. */
export interface QueuedCall {
  callId: string;
  /** SLA due time; null (no SLA) waits behind every call that has one. */
  dueAt: string | null;
  queuedAt: string;
  receivedAt: string;
  request: RoutingRequest;
}

/** A customer's request to be called back inside a window [windowFrom, windowTo). */
export interface CallbackRequest {
  phone: string;
  windowFrom: string;
  windowTo: string;
}
