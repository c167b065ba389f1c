import type { ServiceCallCommand } from '@app/domain';
import type { CallEventMessage } from './service-call.messages';

export type ProcessCommand = Exclude<ServiceCallCommand, { type: 'OpenServiceCall' }>;

/** Activity types only: the implementations are injectable providers of apps/worker. */
export interface ServiceCallActivities {
  /** the call's events after `afterVersion`, oldest first */
  loadCallEvents(callId: string, afterVersion: number): Promise<CallEventMessage[]>;
  /** runs a command through the command bus as the workflow; returns the events it produced (again, on a retry) */
  issueCommand(input: { callId: string; command: ProcessCommand; idempotencyKey: string }): Promise<CallEventMessage[]>;
  /**
   * performs an automated step's action and returns its outcome; safe to run twice within one attempt
   * of the step (`attempt`, 1 when absent: histories of the release before retries), done again for a new one
   */
  runAutomatedAction(input: { callId: string; stepKey: string; action: string; attempt?: number }): Promise<{ outcome: string }>;
}

/** Error type of a command the domain refused: retrying cannot help. */
export const DOMAIN_ERROR_TYPE = 'DomainError';
