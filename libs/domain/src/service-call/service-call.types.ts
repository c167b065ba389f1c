import { PhaseStatus, StepStatus } from '../process/process-plan';

export const CHANNELS = ['PHONE', 'CHAT', 'WHATSAPP', 'EMAIL', 'SOCIAL', 'WEB', 'CALLBACK'] as const;
export type Channel = (typeof CHANNELS)[number];
export const PRIORITIES = ['LOW', 'NORMAL', 'HIGH', 'URGENT'] as const;
export type Priority = (typeof PRIORITIES)[number];
export const CALL_STATUSES = ['OPEN', 'IN_PROGRESS', 'WAITING_ON_CUSTOMER', 'RESOLVED', 'CLOSED', 'CANCELLED'] as const;
export type CallStatus = (typeof CALL_STATUSES)[number];

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
  readyAt?: string;
  startedAt?: string;
  completedAt?: string;
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

/** A service call as its events describe it: the decider's state and the read model's document. */
export interface ServiceCall {
  id: string;
  trackingCode: string;
  /** number of events in the call's stream */
  version: number;
  status: CallStatus;
  priority: Priority;
  channel: Channel;
  category: string;
  product?: string;
  region?: string;
  summary: string;
  description?: string;
  customer: Customer;
  receivedBy?: string;
  receivedAt: string;
  assignee?: string;
  openedAt: string;
  resolvedAt?: string;
  closedAt?: string;
  processKey: string;
  processVersion: number;
  phases: Phase[];
  updatedAt: string;
}
