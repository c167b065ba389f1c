import { ProcessTemplate } from '../process/process-template';
import { Channel, Customer, Priority } from './service-call.types';

/** Who issues a command and when. Time is an input: the domain never reads the clock. */
export interface CommandContext {
  now: Date;
  /** `apikey:<name>` for people and integrators, `workflow` for the process manager */
  actor: string;
}

export interface OpenServiceCallInput {
  channel: Channel;
  priority?: Priority;
  category: string;
  product?: string;
  region?: string;
  summary: string;
  description?: string;
  customer: Customer;
  receivedBy?: string;
  receivedAt?: string;
}

export type ServiceCallCommand =
  | {
      type: 'OpenServiceCall';
      data: { callId: string; trackingCode: string; input: OpenServiceCallInput; process: ProcessTemplate };
    }
  | { type: 'StartPhase'; data: { phaseKey: string } }
  | { type: 'MarkStepsReady'; data: { phaseKey: string; stepKeys: string[] } }
  | { type: 'StartStep'; data: { stepKey: string } }
  | { type: 'CompleteStep'; data: { stepKey: string; outcome?: string } }
  | { type: 'CompletePhase'; data: { phaseKey: string } }
  | { type: 'ResolveServiceCall'; data: Record<string, never> };

export const WORKFLOW_ACTOR = 'workflow';
