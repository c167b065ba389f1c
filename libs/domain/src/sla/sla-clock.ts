import { parseIsoDuration } from '../shared/duration';
import { addBusinessTime, businessTimeBetween } from './business-clock';
import { BusinessHours } from './business-hours';
import { SlaPolicy } from './sla-policy';

/**
 * The SLA clock of one call, as pure functions. A target is an amount of business time that must
 * elapse on the call's clock; the clock starts at `receivedAt` (or the next opening) and stands still
 * while the call waits for the customer. So a due time is the instant at which, counting only open
 * business time outside pauses, the target has elapsed. A pause therefore pushes a due time out by
 * exactly the business time it covers before that due time (a pause over a night or a weekend
 * counts only its open hours), and a pause that starts after a due time has passed changes nothing:
 * a breach stays a breach.
 */

export const SLA_STATES = ['ON_TRACK', 'AT_RISK', 'BREACHED', 'MET', 'PAUSED'] as const;
export type SlaState = (typeof SLA_STATES)[number];

/** A pause of the clock (waitForCustomer .. customerResponded); `to` absent while still waiting. */
export interface SlaPause {
  from: Date;
  to?: Date | null;
}

export interface SlaClockInput {
  policy: Pick<SlaPolicy, 'firstResponseTarget' | 'resolutionTarget' | 'warnAt' | 'businessHours'>;
  receivedAt: Date;
  pauses?: readonly SlaPause[];
  /**
   * Only used for a pause still open: its end is taken to be `now`, so the due times are those the
   * call would have if the customer answered now. Without `now` an open pause counts as ending at
   * its start (the due times as they were when the pause began).
   */
  now?: Date;
}

export interface SlaClock {
  /** null when the policy sets no first-response target. */
  firstResponseDueAt: Date | null;
  /** When warnAt of the first-response target has elapsed. */
  firstResponseAtRiskAt: Date | null;
  resolutionDueAt: Date;
  resolutionAtRiskAt: Date;
  /** Start of the pause still open, if any. */
  pausedSince: Date | null;
}

export function computeSlaClock(input: SlaClockInput): SlaClock {
  const { policy, receivedAt } = input;
  const pauses = mergePauses(input.pauses ?? []);
  const calendar = policy.businessHours;
  const due = (targetMs: number): Date => dueAfterPauses(receivedAt, targetMs, pauses, calendar, input.now);
  const resolutionMs = parseIsoDuration(policy.resolutionTarget) as number;
  const firstResponseMs = policy.firstResponseTarget === null ? undefined : parseIsoDuration(policy.firstResponseTarget);
  const open = pauses[pauses.length - 1];
  return {
    firstResponseDueAt: firstResponseMs === undefined ? null : due(firstResponseMs),
    firstResponseAtRiskAt: firstResponseMs === undefined ? null : due(Math.round(firstResponseMs * policy.warnAt)),
    resolutionDueAt: due(resolutionMs),
    resolutionAtRiskAt: due(Math.round(resolutionMs * policy.warnAt)),
    pausedSince: open && !open.to ? new Date(open.from) : null,
  };
}

/**
 * The state of the clock at `now`. BREACHED once a target's due time has come (at the due instant
 * itself) and stays so; a first response later than its due time also counts as breached. Otherwise
 * PAUSED while a pause is open, AT_RISK once warnAt of an open target has elapsed, else ON_TRACK.
 * The first-response target stops counting once `firstRespondedAt` is set. MET (a target met in time)
 * is for the caller to decide.
 */
export function slaState(now: Date, input: Omit<SlaClockInput, 'now'> & { firstRespondedAt?: Date | null }): Exclude<SlaState, 'MET'> {
  const clock = computeSlaClock({ ...input, now });
  const at = now.getTime();
  const responded = input.firstRespondedAt?.getTime();
  const firstDue = clock.firstResponseDueAt?.getTime();
  const firstBreached = firstDue !== undefined && (responded !== undefined ? responded > firstDue : at >= firstDue);
  if (firstBreached || at >= clock.resolutionDueAt.getTime()) return 'BREACHED';
  if (clock.pausedSince && clock.pausedSince.getTime() <= at) return 'PAUSED';
  const firstAtRisk = responded === undefined && clock.firstResponseAtRiskAt !== null && at >= clock.firstResponseAtRiskAt.getTime();
  if (firstAtRisk || at >= clock.resolutionAtRiskAt.getTime()) return 'AT_RISK';
  return 'ON_TRACK';
}

interface Span {
  from: number;
  to: number | undefined;
}

/** Sorted, overlapping or touching pauses merged; an open pause swallows every later one. */
function mergePauses(pauses: readonly SlaPause[]): Span[] {
  const sorted = pauses
    .map((p) => ({ from: p.from.getTime(), to: p.to ? p.to.getTime() : undefined }))
    .filter((p) => p.to === undefined || p.to > p.from)
    .sort((a, b) => a.from - b.from);
  const merged: Span[] = [];
  for (const pause of sorted) {
    const last = merged[merged.length - 1];
    if (last && (last.to === undefined || pause.from <= last.to)) {
      last.to = last.to === undefined || pause.to === undefined ? undefined : Math.max(last.to, pause.to);
    } else merged.push({ ...pause });
  }
  return merged;
}

/** The instant at which `targetMs` of business time has elapsed since `receivedAt`, not counting pauses. */
function dueAfterPauses(receivedAt: Date, targetMs: number, pauses: readonly Span[], calendar: BusinessHours | null, now?: Date): Date {
  let counting = receivedAt.getTime();
  let remaining = targetMs;
  for (const pause of pauses) {
    if (pause.to !== undefined && pause.to <= counting) continue;
    const pausedFrom = Math.max(pause.from, counting);
    const due = addBusinessTime(new Date(counting), remaining, calendar);
    // Reached before (or as) the clock stops: the pause does not matter, nor do later ones.
    if (due.getTime() <= pausedFrom) return due;
    remaining -= businessTimeBetween(new Date(counting), new Date(pausedFrom), calendar);
    counting = pause.to ?? Math.max(now?.getTime() ?? pausedFrom, pausedFrom);
  }
  return addBusinessTime(new Date(counting), remaining, calendar);
}

/**
 * When the state next changes by itself, and to what: the instant a workflow arms its timer for.
 * null while paused (nothing happens until the customer responds; then compute again) and once
 * BREACHED. Recompute whenever the inputs change (a pause, a resume, the first response).
 */
export function nextSlaTransition(
  now: Date,
  input: Omit<SlaClockInput, 'now'> & { firstRespondedAt?: Date | null },
): { at: Date; state: 'AT_RISK' | 'BREACHED' } | null {
  const current = slaState(now, input);
  if (current === 'PAUSED' || current === 'BREACHED') return null;
  const clock = computeSlaClock({ ...input, now });
  const firstOpen = !input.firstRespondedAt;
  const moments = [
    firstOpen ? clock.firstResponseAtRiskAt : null,
    firstOpen ? clock.firstResponseDueAt : null,
    clock.resolutionAtRiskAt,
    clock.resolutionDueAt,
  ]
    .filter((moment): moment is Date => moment !== null && moment.getTime() > now.getTime())
    .sort((a, b) => a.getTime() - b.getTime());
  for (const at of moments) {
    const state = slaState(at, input);
    if (state !== current && (state === 'AT_RISK' || state === 'BREACHED')) return { at, state };
  }
  return null;
}
