import { ProcessTemplate } from '../process/process-template';
import { CallDetails, NoteKind, Priority } from './service-call.types';

/** Who issues a command and when. Time is an input: the domain never reads the clock. */
export interface CommandContext {
  now: Date;
  /** `apikey:<name>` for people and integrators, `workflow` for the process manager */
  actor: string;
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
      data: { callId: string; trackingCode: string; input: OpenServiceCallInput; process: ProcessTemplate };
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
  | { type: 'ResolveServiceCall'; data: Record<string, never> };

export const WORKFLOW_ACTOR = 'workflow';
