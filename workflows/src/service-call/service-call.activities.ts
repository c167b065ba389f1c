import type { ServiceCallCommand } from '@app/domain';
import type { CallEventMessage } from './service-call.messages';

export type ProcessCommand = Exclude<ServiceCallCommand, { type: 'OpenServiceCall' }>;

/** Activity types only: the implementations are injectable providers of apps/worker. */
export interface ServiceCallActivities {
  /** the call's events after `afterVersion`, oldest first */
  loadCallEvents(callId: string, afterVersion: number): Promise<CallEventMessage[]>;
  /**
   * runs a command through the command bus as the workflow; returns the events it produced (again, on a
   * retry). `atVersion`: the call's version the workflow decided on (for logs and tests: the workflow
   * issues a key at most once per version; absent from the aftercare's commands)
   */
  issueCommand(input: { callId: string; command: ProcessCommand; idempotencyKey: string; atVersion?: number }): Promise<CallEventMessage[]>;
  /**
   * performs an automated step's action and returns its outcome; safe to run twice within one attempt
   * of the step (`attempt`, 1 when absent: histories of the release before retries), done again for a new one
   */
  runAutomatedAction(input: { callId: string; stepKey: string; action: string; attempt?: number }): Promise<{ outcome: string }>;
  /**
   * tells the managers that an SLA target is at risk or breached: a signed webhook (WEBHOOK_URL), sent
   * once per `alertId` however often the activity runs; `NO_GATEWAY` without a webhook configured
   */
  sendSlaAlert(input: SlaAlertInput): Promise<{ outcome: string }>;
  /**
   * routes the call for its routing round: the best eligible agent takes it on their stream and the call
   * records CallAssigned (reasons, runner-up), or CallQueued when nobody is eligible; nothing when no
   * agents exist. Returns the call's events after `afterVersion` (all of them again on a retry).
   */
  routeCall(input: { callId: string; round: number; afterVersion: number }): Promise<CallEventMessage[]>;
  /**
   * tells the managers that a step FAILED (a person failed it, or its automation ran out of retries): a
   * signed webhook (`WEBHOOK_URL`, type `step.failed`), sent once per `<callId>:<stepKey>#<attempt>`
   */
  sendProcessAlert(input: { callId: string; stepKey: string; attempt: number; failedAt: string }): Promise<{ outcome: string }>;
  /** the agent of a finished call gives its capacity back (once, however often it runs); the queue is served */
  releaseAgent(input: { callId: string; agentId: string }): Promise<void>;
}

export interface SlaAlertInput {
  callId: string;
  /** `sla:<callId>:<target>:<kind>:<dueAt>` */
  alertId: string;
  kind: 'AT_RISK' | 'BREACHED';
  target: 'FIRST_RESPONSE' | 'RESOLUTION';
  dueAt: string;
  /** when the workflow saw the state change (workflow time) */
  at: string;
}

export const slaAlertId = (callId: string, target: string, kind: string, dueAt: string): string => `sla:${callId}:${target}:${kind}:${dueAt}`;

/** Error type of a webhook the receiver refused for good (libs/outbound PermanentSendError): not retried. */
export const PERMANENT_SEND_ERROR_TYPE = 'PermanentSendError';

/** Error type of a command the domain refused: retrying cannot help. */
export const DOMAIN_ERROR_TYPE = 'DomainError';
