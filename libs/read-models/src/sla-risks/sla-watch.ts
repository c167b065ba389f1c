import { computeSlaClock, DEFAULT_SLA_POLICY, isFinished, ServiceCall, SlaTarget } from '@app/domain';

/**
 * What slaRisks needs of a call, stored with it so that the query is one index range: the earliest
 * moment an open target of the call is AT_RISK, and the soonest due time among them. Both are ISO
 * instants (they compare as text). At query time a call is AT_RISK or BREACHED exactly when
 * `atRiskAt <= now`, and BREACHED when also `dueAt <= now`, as `callSla` judges it.
 */
export interface SlaWatch {
  atRiskAt: string;
  dueAt: string;
}

/**
 * The figures of a call as it is now, from the same clock as `callSla`; null when no target can
 * become AT_RISK or BREACHED: a RESOLVED or CLOSED call (judged MET or BREACHED at its resolution),
 * or a call waiting for the customer whose targets had not been breached when the wait began.
 *
 * Which targets count (as slaState counts them): the first response while nobody has responded, or
 * when the response came after its due time (a breach stays a breach), and always the resolution.
 * While a pause is open the clock stands still, so the due times depend on when the customer answers;
 * then only targets already breached when the pause began are kept (their due times are fixed).
 * A breach the workflow recorded (SlaBreached) always counts, at its recorded due time.
 */
export function slaWatchOf(call: ServiceCall): SlaWatch | null {
  if (isFinished(call)) return null;
  const policy = call.slaPolicy ?? DEFAULT_SLA_POLICY;
  const pauses = call.pauses.map((p) => ({ from: new Date(p.from), to: p.to ? new Date(p.to) : null }));
  // without `now` an open pause counts as ending where it began: the due times as of the pause's start
  const clock = computeSlaClock({ policy, receivedAt: new Date(call.receivedAt), pauses });
  const responded = call.firstRespondedAt ? Date.parse(call.firstRespondedAt) : undefined;
  const recorded = call.slaEvents;
  // an AT_RISK the workflow recorded for the due time the target still has counts from when it was recorded
  // (the workflow's clock may run a little ahead of this reader's; callSla shows it so too)
  const atRisk = (target: SlaTarget, atRiskAt: Date, dueAt: Date): Date => {
    const record = recorded.find((r) => r.kind === 'AT_RISK' && r.target === target && r.dueAt === dueAt.toISOString());
    return record && Date.parse(record.at) < atRiskAt.getTime() ? new Date(record.at) : atRiskAt;
  };
  let targets: { atRiskAt: Date; dueAt: Date }[] = [{ atRiskAt: atRisk('RESOLUTION', clock.resolutionAtRiskAt, clock.resolutionDueAt), dueAt: clock.resolutionDueAt }];
  const firstDue = clock.firstResponseDueAt;
  if (firstDue && clock.firstResponseAtRiskAt && (responded === undefined || responded > firstDue.getTime())) {
    targets.push({ atRiskAt: atRisk('FIRST_RESPONSE', clock.firstResponseAtRiskAt, firstDue), dueAt: firstDue });
  }
  const pausedSince = clock.pausedSince?.getTime();
  if (pausedSince !== undefined) targets = targets.filter((t) => t.dueAt.getTime() <= pausedSince);
  // a breach the workflow recorded stays a breach (as callSla shows it), whatever moved since
  for (const breach of recorded.filter((r) => r.kind === 'BREACHED')) {
    const dueAt = new Date(breach.dueAt);
    targets.push({ atRiskAt: dueAt, dueAt });
  }
  if (targets.length === 0) return null;
  const earliest = (dates: Date[]) => new Date(Math.min(...dates.map((d) => d.getTime()))).toISOString();
  return { atRiskAt: earliest(targets.map((t) => t.atRiskAt)), dueAt: earliest(targets.map((t) => t.dueAt)) };
}

/**
 * Whether an event may have moved a call's SlaWatch: only these fields enter it (evolve keeps the
 * others' references, so most events, e.g. step changes, skip the clock arithmetic).
 */
export function slaWatchInputsChanged(before: ServiceCall, after: ServiceCall): boolean {
  return (
    before.status !== after.status ||
    before.receivedAt !== after.receivedAt ||
    before.pauses !== after.pauses ||
    before.firstRespondedAt !== after.firstRespondedAt ||
    before.slaEvents !== after.slaEvents ||
    before.slaPolicy !== after.slaPolicy
  );
}
