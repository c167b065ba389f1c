import { WORKFLOW_ACTOR } from '../shared/actors';
import { ForbiddenError } from '../shared/domain-error';
import { isoInstant, oneOf } from '../shared/validation';
import { computeSlaClock, SlaClock, SlaState, slaState } from '../sla/sla-clock';
import { DEFAULT_SLA_POLICY } from '../sla/sla-policy.events';
import { CommandContext, ServiceCallCommand } from './service-call.commands';
import { ServiceCallEvent } from './service-call.events';
import { isFinished, ServiceCall, SLA_TARGETS, SlaRecord, SlaTarget } from './service-call.types';

/** The contract's `Sla` of a call at one moment. */
export interface CallSla {
  policyKey: string;
  firstResponseDueAt: Date | null;
  firstRespondedAt: Date | null;
  resolutionDueAt: Date;
  state: SlaState;
  pausedSince: Date | null;
}

/**
 * The SLA of a call at `now`, from the policy it copied when it opened (calls opened before SLA
 * policies existed are measured by the built-in default's values), its receivedAt, its pauses and
 * its first response. A RESOLVED or CLOSED call is judged at its resolution: MET when both targets
 * were met by then, BREACHED otherwise; resolving also ends the wait for a first response.
 */
export function callSla(call: ServiceCall, now: Date): CallSla {
  const policy = call.slaPolicy ?? DEFAULT_SLA_POLICY;
  const pauses = call.pauses.map((p) => ({ from: new Date(p.from), to: p.to ? new Date(p.to) : null }));
  const receivedAt = new Date(call.receivedAt);
  const firstRespondedAt = call.firstRespondedAt ? new Date(call.firstRespondedAt) : null;
  const finished = isFinished(call) && call.resolvedAt !== undefined;
  const resolvedAt = finished ? new Date(call.resolvedAt as string) : undefined;
  const at = resolvedAt ?? now;
  const clock = computeSlaClock({ policy, receivedAt, pauses, now: at });
  let state: SlaState;
  if (resolvedAt) {
    const judged = slaState(resolvedAt, { policy, receivedAt, pauses, firstRespondedAt: firstRespondedAt ?? resolvedAt });
    state = judged === 'BREACHED' ? 'BREACHED' : 'MET';
  } else {
    state = slaState(now, { policy, receivedAt, pauses, firstRespondedAt });
  }
  state = withRecorded(call, state, clock);
  return {
    policyKey: policy.key,
    firstResponseDueAt: clock.firstResponseDueAt,
    firstRespondedAt,
    resolutionDueAt: clock.resolutionDueAt,
    state,
    pausedSince: resolvedAt ? null : clock.pausedSince,
  };
}

/**
 * What the workflow recorded wins over the clock's own judgement where they differ at the edges: a
 * recorded breach stays a breach (also once resolved), and an AT_RISK recorded for a due time the call
 * still has shows even if this reader's clock is a little behind the workflow's.
 */
function withRecorded(call: ServiceCall, state: SlaState, clock: SlaClock): SlaState {
  const recorded = call.slaEvents;
  if (recorded.length === 0 || state === 'BREACHED') return state;
  if (recorded.some((r) => r.kind === 'BREACHED')) return 'BREACHED';
  if (state !== 'ON_TRACK') return state;
  const due = (target: SlaTarget) => (target === 'FIRST_RESPONSE' ? (call.firstRespondedAt ? null : clock.firstResponseDueAt) : clock.resolutionDueAt);
  const atRisk = recorded.some((r) => r.kind === 'AT_RISK' && due(r.target)?.toISOString() === r.dueAt);
  return atRisk ? 'AT_RISK' : state;
}

/** One thing the workflow is to record now: RecordSlaAtRisk, RecordSlaBreach or RecordSlaMet. */
export type SlaAction = Omit<SlaRecord, 'at'>;

/**
 * The SLA part of the call's process, as a pure function of the folded call and the workflow's time:
 * what is to be recorded now (each target AT_RISK once warnAt has elapsed, BREACHED at its due time, MET
 * when the first response or the resolution came in time), leaving out what the call already records
 * for that due time, and when to look again (null while paused, and once nothing is left to wait for).
 * A due time moved by a pause is a new due time: its transitions are recorded again.
 */
export function slaActions(call: ServiceCall, now: Date): { record: SlaAction[]; nextAt: Date | null } {
  const policy = call.slaPolicy ?? DEFAULT_SLA_POLICY;
  const pauses = call.pauses.map((p) => ({ from: new Date(p.from), to: p.to ? new Date(p.to) : null }));
  const clock = computeSlaClock({ policy, receivedAt: new Date(call.receivedAt), pauses, now });
  const finished = isFinished(call) && call.resolvedAt !== undefined;
  const resolvedAt = finished ? new Date(call.resolvedAt as string) : undefined;
  const recorded = call.slaEvents;
  const has = (a: SlaAction) => recorded.some((r) => r.kind === a.kind && r.target === a.target && r.dueAt === a.dueAt);
  const record: SlaAction[] = [];
  const moments: Date[] = [];
  const targets: { target: SlaTarget; dueAt: Date | null; atRiskAt: Date | null; doneAt?: Date }[] = [
    {
      target: 'FIRST_RESPONSE',
      dueAt: clock.firstResponseDueAt,
      atRiskAt: clock.firstResponseAtRiskAt,
      doneAt: call.firstRespondedAt ? new Date(call.firstRespondedAt) : resolvedAt,
    },
    { target: 'RESOLUTION', dueAt: clock.resolutionDueAt, atRiskAt: clock.resolutionAtRiskAt, doneAt: resolvedAt },
  ];
  for (const { target, dueAt, atRiskAt, doneAt } of targets) {
    if (!dueAt || !atRiskAt) continue;
    const due = dueAt.toISOString();
    const breach: SlaAction = { kind: 'BREACHED', target, dueAt: due };
    if (recorded.some((r) => r.kind === 'BREACHED' && r.target === target)) continue; // a breach stays a breach
    if (doneAt) {
      // as slaState judges: a first response at the due instant is in time, a resolution is not
      const late = target === 'FIRST_RESPONSE' ? doneAt > dueAt : doneAt >= dueAt;
      // late: the timer recorded the breach at the due time, or (resolved meanwhile) the call's sla shows it
      if (late) {
        if (!finished && !has(breach)) record.push(breach);
      } else if (!recorded.some((r) => r.kind === 'MET' && r.target === target)) record.push({ kind: 'MET', target, dueAt: due });
      continue;
    }
    if (now >= dueAt) {
      if (!has(breach)) record.push(breach);
      continue;
    }
    const atRisk: SlaAction = { kind: 'AT_RISK', target, dueAt: due };
    if (now >= atRiskAt) {
      if (!has(atRisk)) record.push(atRisk);
    } else if (!has(atRisk)) moments.push(atRiskAt);
    moments.push(dueAt);
  }
  // while paused the due times move with every moment of the pause: nothing fires until the customer answers
  const nextAt = clock.pausedSince || finished ? null : (moments.sort((a, b) => a.getTime() - b.getTime())[0] ?? null);
  return { record, nextAt };
}

export type SlaRecordCommand = Extract<ServiceCallCommand, { type: 'RecordSlaAtRisk' | 'RecordSlaBreach' | 'RecordSlaMet' }>;

/** The command that records an SLA action (issued by the call's workflow, or by the worker's SLA due timers). */
export function slaRecordCommand(action: SlaAction): SlaRecordCommand {
  const data = { target: action.target, dueAt: action.dueAt };
  if (action.kind === 'AT_RISK') return { type: 'RecordSlaAtRisk', data };
  if (action.kind === 'BREACHED') return { type: 'RecordSlaBreach', data };
  return { type: 'RecordSlaMet', data };
}

/** Its idempotency key: one per (kind, target, due time), whoever issues it, so it is recorded once. */
export const slaRecordKey = (action: SlaAction): string =>
  `${action.kind === 'AT_RISK' ? 'sla-at-risk' : action.kind === 'BREACHED' ? 'sla-breach' : 'sla-met'}:${action.target}:${action.dueAt}`;

/**
 * Records an SLA state the workflow saw (RecordSlaAtRisk, RecordSlaBreach, RecordSlaMet): once per
 * (target, due time), so a timer that fires again, or a retried command, records nothing. A breach
 * also escalates the call automatically.
 */
export function decideSla(command: SlaRecordCommand, call: ServiceCall, ctx: CommandContext): ServiceCallEvent[] {
  const at = ctx.now.toISOString();
  const kind: SlaRecord['kind'] = command.type === 'RecordSlaAtRisk' ? 'AT_RISK' : command.type === 'RecordSlaBreach' ? 'BREACHED' : 'MET';
  if (ctx.actor !== WORKFLOW_ACTOR) throw new ForbiddenError('SLA states are recorded by the system only');
  const target = oneOf('target', command.data.target, SLA_TARGETS);
  const dueAt = isoInstant('dueAt', command.data.dueAt).toISOString();
  if (call.slaEvents.some((r) => r.kind === kind && r.target === target && r.dueAt === dueAt)) return [];
  if (kind === 'AT_RISK') return [{ type: 'SlaAtRisk', data: { target, dueAt, at } }];
  if (kind === 'MET') return [{ type: 'SlaMet', data: { target, dueAt, at } }];
  return [
    { type: 'SlaBreached', data: { target, dueAt, at } },
    { type: 'ServiceCallEscalated', data: { reason: `${target} SLA breached`, by: WORKFLOW_ACTOR, automatic: true, at } },
  ];
}
