import { defineQuery, defineSignal, Sinks } from '@temporalio/workflow';
import type { ServiceCallState, WebhookRetry } from '@app/domain';

/** One event of the call's stream, as the dispatcher delivers it and as commands return it. */
export interface CallEventMessage {
  type: string;
  /** the event's version in the call's stream (1-based) */
  version: number;
  data: Record<string, unknown>;
}

export interface ServiceCallWorkflowInput {
  callId: string;
  /** history events after which a run continues as new (default 2,000; tests use less) */
  historyLimit?: number;
  /** how the worker retries webhook sends (its configuration); the alert activities' timeout follows from it (default: the defaults) */
  webhookRetry?: WebhookRetry;
}

export const callEventSignal = defineSignal<[CallEventMessage]>('callEvent');
export const callStateQuery = defineQuery<ServiceCallState>('callState');

/** Workflow ids that mean something: one workflow per call. */
export const serviceCallWorkflowId = (callId: string): string => `service-call-${callId}`;
export const SERVICE_CALL_WORKFLOW_TYPE = 'serviceCallWorkflow';

/**
 * Sinks the workflow calls (fire and forget, not recorded in its history). `slaTimers.armed`: the call's
 * next SLA moment (epoch ms), null when nothing is due until the call changes (paused, finished).
 */
export interface SlaTimerSinks extends Sinks {
  slaTimers: { armed(callId: string, at: number | null): void };
}
