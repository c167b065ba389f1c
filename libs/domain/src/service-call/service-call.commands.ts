import { ProcessTemplate } from '../process/process-template';
import type { SlaPolicy } from '../sla/sla-policy';
import {
  AssignmentTrigger,
  CallDetails,
  Channel,
  ContactPurpose,
  FeedbackDetails,
  NoteKind,
  Priority,
  ResolutionDetails,
  SlaTarget,
  UnassignTrigger,
} from './service-call.types';

/** Who issues a command and when. Time is an input: the domain never reads the clock. */
export interface CommandContext {
  now: Date;
  /** `apikey:<name>` for people and integrators, `workflow` for the process manager */
  actor: string;
  /** the agent an AGENT key stands for (the key's name): they work the steps assigned to them, or to nobody */
  agentId?: string;
}

export type OpenServiceCallInput = Omit<CallDetails, 'priority'> & {
  /** default NORMAL */
  priority?: Priority;
  /** when the customer raised it; default now, never in the future */
  receivedAt?: string;
};

export type ServiceCallCommand =
  | {
      type: 'OpenServiceCall';
      data: {
        callId: string;
        trackingCode: string;
        input: OpenServiceCallInput;
        process: ProcessTemplate;
        /** the SLA policy that applies (the most specific at this moment); the call keeps a copy */
        slaPolicy?: SlaPolicy;
      };
    }
  | { type: 'StartPhase'; data: { phaseKey: string } }
  | { type: 'MarkStepsReady'; data: { phaseKey: string; stepKeys: string[] } }
  | { type: 'StartStep'; data: { stepKey: string } }
  | { type: 'CompleteStep'; data: { stepKey: string; outcome?: string } }
  | { type: 'SkipStep'; data: { stepKey: string; reason: string } }
  | { type: 'FailStep'; data: { stepKey: string; reason: string } }
  | { type: 'RetryStep'; data: { stepKey: string } }
  | { type: 'AddNote'; data: { kind: NoteKind; text: string } }
  | { type: 'CompletePhase'; data: { phaseKey: string } }
  /** without a resolution: the process manager, once every phase is done; with one: a person, now, skipping what is open */
  | { type: 'ResolveServiceCall'; data: { resolution?: ResolutionInput } }
  | { type: 'RecordResolution'; data: { resolution: ResolutionInput } }
  | { type: 'WaitForCustomer'; data: { reason: string } }
  /** the customer answered a call WAITING_ON_CUSTOMER (recorded as CustomerResponded) */
  | { type: 'RecordCustomerResponse'; data: Record<string, never> }
  | { type: 'EscalateServiceCall'; data: { reason: string } }
  | { type: 'RecordFeedback'; data: { feedback: FeedbackInput } }
  | { type: 'CloseServiceCall'; data: { reason: string } }
  | { type: 'ReopenServiceCall'; data: { reason: string } }
  | { type: 'ScheduleContact'; data: { contactId: string; purpose: ContactPurpose; channel: Channel; scheduledFor: string } }
  | { type: 'RecordContact'; data: { contactId: string; outcome: string } }
  /** the workflow only, when its SLA timer fires; once per (target, dueAt) */
  | { type: 'RecordSlaAtRisk'; data: { target: SlaTarget; dueAt: string } }
  /** the workflow only: SlaBreached and an automatic escalation; once per (target, dueAt) */
  | { type: 'RecordSlaBreach'; data: { target: SlaTarget; dueAt: string } }
  /** the workflow only: the target met; once per (target, dueAt) */
  | { type: 'RecordSlaMet'; data: { target: SlaTarget; dueAt: string } }
  /**
   * routing (the workflow, `automatic`) or a manager (trigger MANUAL): the call goes to `agentId`, who has
   * already taken it on their own stream; `steps` gives open human steps their agent (role holders)
   */
  | { type: 'AssignServiceCall'; data: AssignServiceCallData }
  /** takes the agent off the call (`expectedAgentId`: only if they still hold it); the workflow routes it again */
  | { type: 'UnassignServiceCall'; data: { trigger: UnassignTrigger; reason: string; expectedAgentId: string; preferredAgentId?: string | null } }
  /** the workflow only: routing found no eligible agent; the call waits in the queue */
  | { type: 'QueueServiceCall'; data: { reasons: string[] } }
  /** a customer waiting on a voice channel asks to be called back inside a window */
  | { type: 'RequestCallback'; data: { phone: unknown; windowFrom: unknown; windowTo: unknown } };

export interface AssignServiceCallData {
  agentId: string;
  trigger: AssignmentTrigger;
  reasons?: string[];
  runnerUp?: { agentId: string; reasons: string[] } | null;
  steps?: { stepKey: string; agentId: string }[];
  /** a manager's note */
  reason?: string;
}

/** As clients send them: checked by the decider (loosely typed on purpose). */
export type ResolutionInput = { [K in keyof ResolutionDetails]?: unknown };
export type FeedbackInput = { [K in keyof FeedbackDetails]?: unknown };
