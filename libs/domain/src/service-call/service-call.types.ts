import { PhaseStatus, StepStatus } from '../process/process-plan';
import type { Priority } from '../shared/priority';
import type { SlaPolicy } from '../sla/sla-policy';

export { PRIORITIES } from '../shared/priority';
export type { Priority } from '../shared/priority';

export const CHANNELS = ['PHONE', 'CHAT', 'WHATSAPP', 'EMAIL', 'SOCIAL', 'WEB', 'CALLBACK'] as const;
export type Channel = (typeof CHANNELS)[number];
export const CALL_STATUSES = ['OPEN', 'IN_PROGRESS', 'WAITING_ON_CUSTOMER', 'RESOLVED', 'CLOSED', 'CANCELLED'] as const;
export type CallStatus = (typeof CALL_STATUSES)[number];

/** The statuses in which a call's process is over (its aftercare is not). The one place this rule lives. */
export const FINISHED_STATUSES: readonly CallStatus[] = ['RESOLVED', 'CLOSED', 'CANCELLED'];

/** Whether the call (or a read model row of it) is RESOLVED, CLOSED or CANCELLED. */
export function isFinished(call: { readonly status: string }): boolean {
  return (FINISHED_STATUSES as readonly string[]).includes(call.status);
}

export const NOTE_KINDS = ['CUSTOMER_MEETING', 'CUSTOMER_FEEDBACK', 'INTERNAL'] as const;
export type NoteKind = (typeof NOTE_KINDS)[number];

/** One entry of the call's interaction log. */
export interface Note {
  id: string;
  kind: NoteKind;
  text: string;
  /** the actor who wrote it, e.g. `apikey:<name>` */
  author: string;
  at: string;
}

/** How the call was solved: the complaint record. */
export interface Compensation {
  kind: string;
  amount?: number;
  /** ISO 4217, e.g. EUR */
  currency?: string;
  description?: string;
}

export interface ResolutionDetails {
  agreedSolution: string;
  /** carried out at once (true), or promised by `promisedBy` (false) */
  implemented: boolean;
  promisedBy?: string;
  compensation?: Compensation;
  rootCause?: string;
  preventionSuggestion?: string;
}

export interface Resolution extends ResolutionDetails {
  /** who recorded it, and when */
  resolvedBy: string;
  resolvedAt: string;
}

export interface FeedbackDetails {
  satisfied: boolean;
  /** 1..5 */
  score?: number;
  wouldBuyAgain?: boolean;
  comment?: string;
}

export interface Feedback extends FeedbackDetails {
  by: string;
  at: string;
}

export const CONTACT_PURPOSES = ['FOLLOW_UP', 'RETENTION_CHECK_IN', 'PROMISE_REMINDER', 'PROGRESS_UPDATE'] as const;
export type ContactPurpose = (typeof CONTACT_PURPOSES)[number];

/** A contact with the customer the system scheduled, and what came of it. */
export interface Contact {
  id: string;
  purpose: ContactPurpose;
  channel: Channel;
  scheduledFor: string;
  sentAt?: string;
  outcome?: string;
}

export interface Escalation {
  reason: string;
  by: string;
  /** by the system (an SLA breach), not by a person */
  automatic: boolean;
  at: string;
}

export const SLA_TARGETS = ['FIRST_RESPONSE', 'RESOLUTION'] as const;
export type SlaTarget = (typeof SLA_TARGETS)[number];

/** Why a call was (re)assigned: the routing round's cause, or a manager's choice. */
export const ASSIGNMENT_TRIGGERS = ['OPENED', 'REROUTE', 'ASSIGNEE_ABSENT', 'ASSIGNEE_OFFLINE', 'REOPENED', 'QUEUE', 'MANUAL'] as const;
export type AssignmentTrigger = (typeof ASSIGNMENT_TRIGGERS)[number];
/** What takes an agent away from the call: a manager's reroute, the agent's absence, the agent going offline. */
export const UNASSIGN_TRIGGERS = ['REROUTE', 'ASSIGNEE_ABSENT', 'ASSIGNEE_OFFLINE'] as const;
export type UnassignTrigger = (typeof UNASSIGN_TRIGGERS)[number];

/** One routing decision or manager's assignment, with its reasons: the call's assignment log. */
export interface Assignment {
  agentId: string;
  previousAgentId: string | null;
  trigger: AssignmentTrigger;
  /** decided by routing (true), or chosen by a manager (false) */
  automatic: boolean;
  /** the rules that matched, e.g. `region:de-north`, `category:billing@4`, `load:1/5`, `decided-by:load` */
  reasons: string[];
  runnerUp: { agentId: string; reasons: string[] } | null;
  /** a manager's note */
  reason?: string;
  by: string;
  at: string;
}

/** A customer on a voice channel asked to be called back in [windowFrom, windowTo). */
export interface CallbackInfo {
  phone: string;
  windowFrom: string;
  windowTo: string;
  requestedBy: string;
  requestedAt: string;
  /** the "call back" step, once an agent took the call inside the window */
  stepKey?: string;
  agentId?: string;
}

/** What the workflow recorded about one SLA target: AT_RISK, BREACHED or MET, for the due time it had then. */
export interface SlaRecord {
  kind: 'AT_RISK' | 'BREACHED' | 'MET';
  target: SlaTarget;
  dueAt: string;
  at: string;
}

/** A time the call waited for the customer (the SLA clock pauses). */
export interface Pause {
  reason: string;
  from: string;
  to?: string;
}

export interface Customer {
  name: string;
  phone?: string;
  email?: string;
  address?: string;
  preferredChannel?: Channel;
}

export interface Step {
  key: string;
  name: string;
  status: StepStatus;
  dependsOn: string[];
  automated: boolean;
  action?: string;
  role?: string;
  instructions?: string;
  expectedDuration?: string;
  assignee?: string;
  /** 1 for the first try; each retryStep adds one */
  attempt: number;
  readyAt?: string;
  startedAt?: string;
  completedAt?: string;
  failedAt?: string;
  skippedAt?: string;
  /** the result of a COMPLETED step, or the reason a step was FAILED or SKIPPED */
  outcome?: string;
}

export interface Phase {
  key: string;
  name: string;
  order: number;
  status: PhaseStatus;
  startedAt?: string;
  completedAt?: string;
  steps: Step[];
}

/** What the caller tells about a call when it is opened. */
export interface CallDetails {
  channel: Channel;
  priority: Priority;
  category: string;
  product?: string;
  region?: string;
  /** the customer's language, e.g. `de`, `en-gb` (routing prefers agents who speak it) */
  language?: string;
  summary: string;
  description?: string;
  customer: Customer;
  receivedBy?: string;
}

/** A service call as its events describe it: the decider's state and the read model's document. */
export interface ServiceCall extends CallDetails {
  id: string;
  trackingCode: string;
  /** number of events in the call's stream */
  version: number;
  status: CallStatus;
  receivedAt: string;
  assignee?: string;
  openedAt: string;
  resolvedAt?: string;
  closedAt?: string;
  processKey: string;
  processVersion: number;
  phases: Phase[];
  /** the interaction log, oldest first */
  notes: Note[];
  escalated: boolean;
  escalations: Escalation[];
  pauses: Pause[];
  /** the SLA policy copied when the call opened; absent for calls opened before SLA policies existed */
  slaPolicy?: SlaPolicy;
  /** the first human action: a step started or completed by a person, or a CUSTOMER_MEETING note */
  firstRespondedAt?: string;
  /** SlaAtRisk / SlaBreached / SlaMet as the workflow recorded them, oldest first */
  slaEvents: SlaRecord[];
  resolution?: Resolution;
  feedback: Feedback[];
  contacts: Contact[];
  reopenedAt?: string;
  /** routing: every assignment, oldest first */
  assignments: Assignment[];
  /** routing round: 1 from the start, +1 per unassignment or reopen; the workflow routes once per round */
  routingRound: number;
  /** why the current round routes: OPENED, REROUTE, ASSIGNEE_ABSENT, ASSIGNEE_OFFLINE, REOPENED */
  routingTrigger?: AssignmentTrigger;
  /** agents the current round must not pick (the one just taken off the call) */
  routingExcluded?: string[];
  /** the agent last taken off the call (absence, offline, reroute, reopen), until it is assigned again */
  unassignedFrom?: string;
  /** an absence's replacement agent, or the agent of a reopened call: routing prefers them when eligible */
  preferredAgentId?: string;
  /** waiting for an agent since (no eligible agent when routed), and why */
  queuedAt?: string;
  queueReasons?: string[];
  callback?: CallbackInfo;
  updatedAt: string;
}
