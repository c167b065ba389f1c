import { StepTemplate } from '../process/process-template';
import type { SlaPolicy } from '../sla/sla-policy';
import { OpenServiceCallInput } from './service-call.commands';
import { Assignment, Channel, ContactPurpose, FeedbackDetails, NoteKind, Priority, ResolutionDetails, SlaTarget, UnassignTrigger } from './service-call.types';

/** Everything that can happen to a service call. PascalCase, past tense; `at` is when it happened. */
export type ServiceCallEvent =
  | {
      type: 'ServiceCallOpened';
      data: Omit<OpenServiceCallInput, 'priority' | 'receivedAt'> & {
        callId: string;
        trackingCode: string;
        priority: Priority;
        receivedAt: string;
        /** the process the call runs, copied from the template so the call keeps its version */
        process: { key: string; version: number; phases: { key: string; name: string; steps: StepTemplate[] }[] };
        /** the SLA policy the call is measured by, copied when it opened; absent in calls opened before SLA policies existed */
        sla?: { policy: SlaPolicy };
        at: string;
      };
    }
  | { type: 'PhaseStarted'; data: { phaseKey: string; at: string } }
  | { type: 'StepReady'; data: { phaseKey: string; stepKey: string; at: string } }
  | { type: 'StepStarted'; data: { phaseKey: string; stepKey: string; by?: string; at: string } }
  | { type: 'StepCompleted'; data: { phaseKey: string; stepKey: string; outcome?: string; by?: string; at: string } }
  | { type: 'StepSkipped'; data: { phaseKey: string; stepKey: string; reason: string; by: string; at: string } }
  /** a person gave up on the step, or the system ran out of retries on an automated one (`by` = workflow) */
  | { type: 'StepFailed'; data: { phaseKey: string; stepKey: string; reason: string; by: string; at: string } }
  /** FAILED -> READY: the step is tried again (its attempt number goes up by one) */
  | { type: 'StepRetried'; data: { phaseKey: string; stepKey: string; by: string; at: string } }
  | { type: 'PhaseCompleted'; data: { phaseKey: string; at: string } }
  /** a later phase left out when the call was resolved early; its open steps count as skipped */
  | { type: 'PhaseSkipped'; data: { phaseKey: string; reason: string; at: string } }
  /** `early`: resolved by a person before the process finished (resolveServiceCall) */
  | { type: 'ServiceCallResolved'; data: { at: string; by?: string; early?: boolean } }
  | { type: 'WaitingForCustomer'; data: { reason: string; by: string; at: string } }
  | { type: 'CustomerResponded'; data: { by: string; at: string } }
  | { type: 'ServiceCallEscalated'; data: { reason: string; by: string; automatic: boolean; at: string } }
  | { type: 'ResolutionRecorded'; data: ResolutionDetails & { by: string; at: string } }
  | { type: 'FeedbackRecorded'; data: FeedbackDetails & { by: string; at: string } }
  | { type: 'ServiceCallClosed'; data: { reason: string; by: string; at: string } }
  /** back to work in `phaseKey` (the last phase), whose steps start over as a new attempt */
  | { type: 'ServiceCallReopened'; data: { reason: string; phaseKey?: string; by: string; at: string } }
  | { type: 'ContactScheduled'; data: { contactId: string; purpose: ContactPurpose; channel: Channel; scheduledFor: string; at: string } }
  | { type: 'CustomerContacted'; data: { contactId: string; purpose: ContactPurpose; channel: Channel; outcome: string; at: string } }
  /** by the workflow: warnAt of the target has elapsed (dueAt: the due time it had then) */
  | { type: 'SlaAtRisk'; data: { target: SlaTarget; dueAt: string; at: string } }
  /** by the workflow, at the due time; the same command escalates the call automatically */
  | { type: 'SlaBreached'; data: { target: SlaTarget; dueAt: string; at: string } }
  /** by the workflow: the target was met (first response, or resolution, before its due time) */
  | { type: 'SlaMet'; data: { target: SlaTarget; dueAt: string; at: string } }
  | { type: 'NoteAdded'; data: { noteId: string; kind: NoteKind; text: string; author: string; at: string } }
  /** the call has an agent: routing's decision (its reasons and the runner-up) or a manager's choice */
  | {
      type: 'CallAssigned';
      /** the assignment as the call's log keeps it, and the open human steps' agents (the assignee, or the best holder of a step's role) */
      data: Assignment & { steps: { stepKey: string; agentId: string }[] };
    }
  /** the agent was taken off the call (absent, offline, a manager's reroute); routing runs again */
  | { type: 'CallUnassigned'; data: { agentId: string; trigger: UnassignTrigger; reason: string; preferredAgentId: string | null; by: string; at: string } }
  /** no eligible agent: the call waits, ordered by SLA due time then age */
  | { type: 'CallQueued'; data: { reasons: string[]; by: string; at: string } }
  | { type: 'CallbackRequested'; data: { phone: string; windowFrom: string; windowTo: string; by: string; at: string } }
  /** an agent took a callback call inside its window: a READY "call back" step for them */
  | { type: 'CallbackStepCreated'; data: { phaseKey: string; stepKey: string; name: string; agentId: string; phone: string; at: string } };

export type ServiceCallEventType = ServiceCallEvent['type'];
export const SERVICE_CALL_STREAM_PREFIX = 'ServiceCall-';
export const serviceCallStreamId = (callId: string): string => `${SERVICE_CALL_STREAM_PREFIX}${callId}`;
export const callIdOfStream = (streamId: string): string | undefined =>
  streamId.startsWith(SERVICE_CALL_STREAM_PREFIX) ? streamId.slice(SERVICE_CALL_STREAM_PREFIX.length) : undefined;
