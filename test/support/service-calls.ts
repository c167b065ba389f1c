/** GraphQL documents and small helpers for driving service calls over HTTP, shared by the e2e tests. */
import { GraphQLClient, waitFor } from './graphql-client';

export const STEP_FIELDS = 'key name status dependsOn automated outcome readyAt startedAt completedAt';
export const PHASE_FIELDS = `key name order status progress startedAt completedAt steps { ${STEP_FIELDS} }`;
export const CALL_FIELDS = `id trackingCode version status priority channel category summary processKey progress openedAt resolvedAt
  customer { name email phone }
  phases { ${PHASE_FIELDS} }`;
export const HISTORY_FIELDS = 'history { type version at data }';

export type StepStatus = 'PENDING' | 'READY' | 'IN_PROGRESS' | 'COMPLETED' | 'FAILED' | 'SKIPPED' | 'CANCELLED';
export type PhaseStatus = 'PENDING' | 'ACTIVE' | 'COMPLETED' | 'SKIPPED' | 'CANCELLED';

export interface StepView {
  key: string;
  name: string;
  status: StepStatus;
  dependsOn: string[];
  automated: boolean;
  outcome: string | null;
  readyAt: string | null;
  startedAt: string | null;
  completedAt: string | null;
}

export interface PhaseView {
  key: string;
  name: string;
  order: number;
  status: PhaseStatus;
  progress: number;
  startedAt: string | null;
  completedAt: string | null;
  steps: StepView[];
}

export interface CallEventView {
  type: string;
  version: number;
  at: string;
  data: string;
}

export interface CallView {
  id: string;
  trackingCode: string;
  version: number;
  status: string;
  priority: string;
  channel: string;
  category: string;
  summary: string;
  processKey: string;
  progress: number;
  openedAt: string;
  resolvedAt: string | null;
  customer: { name: string; email: string | null; phone: string | null };
  phases: PhaseView[];
  history?: CallEventView[];
}

/** The built-in `standard-complaint` process (issue 2, item 5). */
export const STANDARD_COMPLAINT = {
  phases: ['intake', 'diagnosis', 'resolution'],
  steps: {
    intake: ['record-complaint', 'confirm-understanding'],
    diagnosis: ['review-customer-history', 'inspect-problem', 'identify-cause'],
    resolution: ['propose-solution', 'agree-solution', 'carry-out-solution', 'offer-compensation', 'confirm-with-customer'],
  } as Record<string, string[]>,
  automated: ['review-customer-history'],
};
export const ALL_STEPS = Object.values(STANDARD_COMPLAINT.steps).flat();
export const HUMAN_STEPS = ALL_STEPS.filter((s) => !STANDARD_COMPLAINT.automated.includes(s));

export const OPEN_CALL = `mutation Open($input: OpenServiceCallInput!) { openServiceCall(input: $input) { ${CALL_FIELDS} } }`;
export const GET_CALL = `query Call($id: ID!) { serviceCall(id: $id) { ${CALL_FIELDS} } }`;
export const GET_CALL_WITH_HISTORY = `query CallWithHistory($id: ID!) { serviceCall(id: $id) { ${CALL_FIELDS} ${HISTORY_FIELDS} } }`;
export const START_STEP = `mutation Start($callId: ID!, $stepKey: String!, $expectedVersion: Int, $idempotencyKey: String) {
  startStep(callId: $callId, stepKey: $stepKey, expectedVersion: $expectedVersion, idempotencyKey: $idempotencyKey) { ${CALL_FIELDS} } }`;
export const COMPLETE_STEP = `mutation Complete($input: CompleteStepInput!) { completeStep(input: $input) { ${CALL_FIELDS} } }`;
export const LIST_CALLS = `query Calls($status: CallStatus, $first: Int, $after: String) {
  serviceCalls(status: $status, first: $first, after: $after) { nodes { id status version } endCursor hasNextPage } }`;

let seq = 0;
/** A valid OpenServiceCallInput; override any field. Each call gets its own customer unless given one. */
export function callInput(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const n = `${process.pid}-${Date.now().toString(36)}-${++seq}`;
  return {
    channel: 'PHONE',
    priority: 'NORMAL',
    category: 'billing',
    product: 'Fibre 500',
    region: 'north',
    summary: `Charged twice for the same month (${n})`,
    description: 'The customer sees two identical debits on their statement.',
    customer: { name: `Ada Lovelace ${n}`, email: `ada.${n}@example.com`, phone: `+49 30 ${String(Math.floor(Math.random() * 1e7)).padStart(7, '0')}` },
    receivedBy: 'e2e',
    ...overrides,
  };
}

export async function openCall(client: GraphQLClient, input: Record<string, unknown> = callInput()): Promise<CallView> {
  return (await client.ok<{ openServiceCall: CallView }>(OPEN_CALL, { input })).openServiceCall;
}

export async function getCall(client: GraphQLClient, id: string, withHistory = false): Promise<CallView> {
  const data = await client.ok<{ serviceCall: CallView | null }>(withHistory ? GET_CALL_WITH_HISTORY : GET_CALL, { id });
  if (!data.serviceCall) throw new Error(`service call ${id} not found`);
  return data.serviceCall;
}

export async function completeStep(
  client: GraphQLClient,
  callId: string,
  stepKey: string,
  extra: { outcome?: string; expectedVersion?: number; idempotencyKey?: string } = {},
): Promise<CallView> {
  return (await client.ok<{ completeStep: CallView }>(COMPLETE_STEP, { input: { callId, stepKey, ...extra } })).completeStep;
}

export async function startStep(client: GraphQLClient, callId: string, stepKey: string, extra: { expectedVersion?: number; idempotencyKey?: string } = {}): Promise<CallView> {
  return (await client.ok<{ startStep: CallView }>(START_STEP, { callId, stepKey, ...extra })).startStep;
}

export const stepsOf = (call: CallView): StepView[] => call.phases.flatMap((p) => p.steps);
export const stepOf = (call: CallView, key: string): StepView => {
  const step = stepsOf(call).find((s) => s.key === key);
  if (!step) throw new Error(`no step ${key} in call ${call.id}`);
  return step;
};
export const readyHumanSteps = (call: CallView): StepView[] =>
  stepsOf(call).filter((s) => !s.automated && (s.status === 'READY' || s.status === 'IN_PROGRESS'));

/** Waits until the call has a READY/IN_PROGRESS human step or is finished; returns the call as then. */
export function waitForWork(client: GraphQLClient, id: string, timeoutMs = 30_000): Promise<CallView> {
  return waitFor(
    async () => {
      const call = await getCall(client, id);
      return call.status === 'RESOLVED' || readyHumanSteps(call).length > 0 ? call : undefined;
    },
    timeoutMs,
    { description: `call ${id} to have a READY human step or be RESOLVED` },
  );
}

/** Every page of serviceCalls (optionally filtered by status). */
export async function listAllCalls(client: GraphQLClient, status?: string, first = 200): Promise<{ id: string; status: string; version: number }[]> {
  const all: { id: string; status: string; version: number }[] = [];
  let after: string | undefined;
  for (;;) {
    const page = (
      await client.ok<{ serviceCalls: { nodes: { id: string; status: string; version: number }[]; endCursor: string | null; hasNextPage: boolean } }>(
        LIST_CALLS,
        { status, first, after },
      )
    ).serviceCalls;
    all.push(...page.nodes);
    if (!page.hasNextPage) return all;
    after = page.endCursor ?? undefined;
  }
}

/** Parsed `data` of a history entry. */
export const dataOf = (event: CallEventView): Record<string, unknown> => JSON.parse(event.data) as Record<string, unknown>;

/** Counts history entries by `type` and the step or phase they are about, e.g. `StepCompleted:record-complaint`. */
export function countEvents(history: CallEventView[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const event of history) {
    const data = dataOf(event);
    const subject = (data.stepKey ?? data.phaseKey ?? '') as string;
    const key = subject ? `${event.type}:${subject}` : event.type;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}
