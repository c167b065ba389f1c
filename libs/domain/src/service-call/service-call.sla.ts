import { computeSlaClock, SlaState, slaState } from '../sla/sla-clock';
import { DEFAULT_SLA_POLICY } from '../sla/sla-policy.events';
import { ServiceCall } from './service-call.types';

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
  const pauses = (call.pauses ?? []).map((p) => ({ from: new Date(p.from), to: p.to ? new Date(p.to) : null }));
  const receivedAt = new Date(call.receivedAt);
  const firstRespondedAt = call.firstRespondedAt ? new Date(call.firstRespondedAt) : null;
  const finished = (call.status === 'RESOLVED' || call.status === 'CLOSED') && call.resolvedAt !== undefined;
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
  return {
    policyKey: policy.key,
    firstResponseDueAt: clock.firstResponseDueAt,
    firstRespondedAt,
    resolutionDueAt: clock.resolutionDueAt,
    state,
    pausedSince: resolvedAt ? null : clock.pausedSince,
  };
}
