import type { Channel, ContactPurpose, WebhookRetry } from '@app/domain';
import type { CallEventMessage } from '../service-call/service-call.messages';

/** The delays of the aftercare (from configuration: FOLLOW_UP_AFTER, FOLLOW_UP_ANSWER_TIMEOUT, RETENTION_CHECK_IN_AFTER). */
export interface AftercareDelays {
  /** ISO 8601; whole days count as business days of the call's SLA calendar, the rest as business time */
  followUpAfter: string;
  followUpAnswerTimeout: string;
  /** ISO 8601, calendar time */
  retentionCheckInAfter: string;
}

export const DEFAULT_AFTERCARE_DELAYS: AftercareDelays = { followUpAfter: 'P2D', followUpAnswerTimeout: 'P7D', retentionCheckInAfter: 'P30D' };

export interface AftercareWorkflowInput extends AftercareDelays {
  callId: string;
  /** how the worker retries webhook sends (its configuration); the send activities' timeout follows from it (default: the defaults) */
  webhookRetry?: WebhookRetry;
}

/** One aftercare workflow per call at a time; each resolution is a round of it (a new run once the last ended). */
export const aftercareWorkflowId = (callId: string): string => `aftercare-${callId}`;
export const AFTERCARE_WORKFLOW_TYPE = 'aftercareWorkflow';

/**
 * The events the aftercare cares about; ServiceCallResolved starts it (signal-with-start), the rest only
 * signal it. Notes are not among them (the dispatcher would ask Temporal for an aftercare run for every
 * note of every open call): the run learns its own reminder note from its command, the rest from the stream.
 */
export const AFTERCARE_START_EVENT = 'ServiceCallResolved';
export const AFTERCARE_EVENTS: ReadonlySet<string> = new Set([
  'ServiceCallResolved',
  'FeedbackRecorded',
  'ServiceCallReopened',
  'ServiceCallClosed',
  'ResolutionRecorded',
  'ContactScheduled',
  'CustomerContacted',
]);

export interface AftercareActivities {
  /**
   * Contacts the customer for a scheduled contact through the contact gateway, once per `${callId}:${contactId}`
   * (a retry gets the first result). Returns the outcome to record (SENT, NO_ADDRESS, UNSUPPORTED_CHANNEL, NO_GATEWAY).
   * Throws PermanentSendError (not retried) when the gateway refused for good.
   */
  contactCustomer(input: { callId: string; contactId: string; purpose: ContactPurpose; channel: Channel }): Promise<{ outcome: string }>;
  /** Tells the assignee and the manager (signed webhook, alert id `promise:<callId>:<promisedBy>`, once) that a promised date passed. */
  sendPromiseReminder(input: { callId: string; promisedBy: string }): Promise<{ outcome: string }>;
  /** Tells the manager (signed webhook, alert id `feedback:<callId>:<round>`, once) that the customer was not satisfied and the call is reopened. */
  sendUnsatisfiedFeedbackAlert(input: { callId: string; round: number }): Promise<{ outcome: string }>;
}

export type { CallEventMessage };
