import { StepTemplate } from '../process/process-template';
import { OpenServiceCallInput } from './service-call.commands';
import { NoteKind, Priority } from './service-call.types';

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
  | { type: 'ServiceCallResolved'; data: { at: string } }
  | { type: 'NoteAdded'; data: { noteId: string; kind: NoteKind; text: string; author: string; at: string } };

export type ServiceCallEventType = ServiceCallEvent['type'];
export const SERVICE_CALL_EVENT_TYPES: readonly ServiceCallEventType[] = [
  'ServiceCallOpened',
  'PhaseStarted',
  'StepReady',
  'StepStarted',
  'StepCompleted',
  'StepSkipped',
  'StepFailed',
  'StepRetried',
  'PhaseCompleted',
  'ServiceCallResolved',
  'NoteAdded',
];

export function isServiceCallEvent(event: { type: string }): event is ServiceCallEvent {
  return (SERVICE_CALL_EVENT_TYPES as readonly string[]).includes(event.type);
}

export const SERVICE_CALL_STREAM_PREFIX = 'ServiceCall-';
export const serviceCallStreamId = (callId: string): string => `${SERVICE_CALL_STREAM_PREFIX}${callId}`;
export const callIdOfStream = (streamId: string): string | undefined =>
  streamId.startsWith(SERVICE_CALL_STREAM_PREFIX) ? streamId.slice(SERVICE_CALL_STREAM_PREFIX.length) : undefined;
