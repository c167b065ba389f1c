import { normaliseCategory } from '../process/process-template.decider';
import { isOpen } from '../sla/business-clock';
import { BusinessHours, minuteOfTime, Weekday, WEEKDAYS } from '../sla/business-hours';
import { weekdayOfDay, zoneOffsetMs } from '../sla/time-zone';
import { isAbsentAt } from './absence';
import { RoutingCandidate, RoutingDecision, RoutingRequest, RoutingScore } from './routing.types';

/**
 * The routing policy (issue 5, item 2): which agents may take a call, and which of them gets it.
 * Pure: the caller passes the candidates and `now`, and records the decision (CallAssigned carries
 * the reasons and the runner-up). Nothing here reserves capacity; appending AgentCallTaken with the
 * agent stream's expected version does that.
 *
 * Eligible: not excluded, covers the call's region, has a CATEGORY skill for its category or a
 * PRODUCT skill for its product, holds the required role (if any), AVAILABLE, openCalls < capacity,
 * not absent now, inside working hours now. The rules are checked in that order (cheap first; the
 * working-hours check is the expensive one) and a refused agent counts under the first rule it fails.
 *
 * Language is preferred: when an eligible agent speaks the call's language, only those compete.
 * An eligible preferred agent (an absence's replacement) wins outright. Otherwise the score decides:
 *   1. lowest load ratio openCalls / capacity  (fair load first, so the best agent is not buried)
 *   2. higher skill level (best matching category or product skill)
 *   3. longest since the last assignment (never assigned comes first)
 *   4. agentId, so the decision never depends on the order of the candidates.
 */

export const ROUTING_RULES = ['excluded', 'region', 'skill', 'role', 'availability', 'capacity', 'absent', 'working-hours'] as const;
export type RoutingRule = (typeof ROUTING_RULES)[number];

/** The criterion that separated the winner from the runner-up (see `decided-by:` in the reasons). */
export type RoutingTieBreak = 'load' | 'skill' | 'idle' | 'agent-id';
// decided-by: is one of these, or 'preferred' (an eligible replacement) or 'only-candidate'.

const DAY_MS = 86_400_000;
const MINUTE_MS = 60_000;
const ANY_REGION = '*';

interface PreparedRequest {
  region: string | null;
  category: string;
  product: string | null;
  language: string | null;
  role: string | null;
  excluded: ReadonlySet<string> | null;
  preferred: string | null;
}

const norm = (value: string): string => value.trim().toLowerCase();
const normOrNull = (value: string | null | undefined): string | null => {
  if (value === undefined || value === null) return null;
  const text = norm(value);
  return text === '' ? null : text;
};
const primaryTag = (language: string): string => {
  const dash = language.indexOf('-');
  return dash < 0 ? language : language.slice(0, dash);
};

function prepare(request: RoutingRequest): PreparedRequest {
  const language = normOrNull(request.language);
  return {
    region: normOrNull(request.region),
    category: normaliseCategory(request.category),
    product: normOrNull(request.product),
    language,
    role: normOrNull(request.requiredRole),
    excluded: request.excludeAgentIds && request.excludeAgentIds.length > 0 ? new Set(request.excludeAgentIds) : null,
    preferred: request.preferredAgentId ?? null,
  };
}

interface LocalTime {
  weekday: Weekday;
  /** "YYYY-MM-DD", as holidays are written. */
  date: string;
  minute: number;
}

/**
 * `now` for one routing run, with the wall clock of each time zone met so far. isOpen reads the zone
 * through Intl for every call (microseconds each) and compiles each calendar object it has not seen
 * (agents read from the read model are new objects every time); a run over 1,000 agents asks the same
 * few zones again and again, so it asks Intl once per zone and reads the calendar's few intervals as
 * they are.
 */
class RoutingClock {
  readonly ms: number;
  private readonly zones = new Map<string, LocalTime | null>();

  constructor(readonly now: Date) {
    this.ms = now.getTime();
    if (Number.isNaN(this.ms)) throw new RangeError('now is not a valid date');
  }

  open(calendar: BusinessHours | null): boolean {
    if (!calendar) return true;
    let local = this.zones.get(calendar.timezone);
    if (local === undefined) {
      const offset = zoneOffsetMs(this.ms, calendar.timezone);
      // With one offset all around `now`, wall-clock minutes map one to one onto instants, so "the
      // local minute lies in an opening interval" is exactly isOpen. Near a DST switch: isOpen itself.
      const steady = zoneOffsetMs(this.ms - DAY_MS, calendar.timezone) === offset && zoneOffsetMs(this.ms + DAY_MS, calendar.timezone) === offset;
      if (steady) {
        const wall = this.ms + offset;
        const day = Math.floor(wall / DAY_MS);
        const weekday = WEEKDAYS[weekdayOfDay(day)];
        local = { weekday, date: new Date(day * DAY_MS).toISOString().slice(0, 10), minute: Math.floor((wall - day * DAY_MS) / MINUTE_MS) };
      } else local = null;
      this.zones.set(calendar.timezone, local);
    }
    if (local === null) return isOpen(this.now, calendar);
    for (const { day, from, to } of calendar.weekly) {
      if (day !== local.weekday) continue;
      if ((minuteOfTime(from) as number) <= local.minute && local.minute < (minuteOfTime(to, true) as number)) {
        return !calendar.holidays.includes(local.date);
      }
    }
    return false;
  }
}

function coversRegion(candidate: RoutingCandidate, region: string | null): boolean {
  if (region === null) return true;
  for (const r of candidate.regions) {
    const covered = norm(r);
    if (covered === ANY_REGION || covered === region) return true;
  }
  return false;
}

/** Best level among the skills matching the call's category or product; 0 when none does. */
function skillLevel(candidate: RoutingCandidate, req: PreparedRequest): number {
  let best = 0;
  for (const skill of candidate.skills) {
    if (skill.level <= best) continue;
    const key = normaliseCategory(skill.key);
    if (skill.kind === 'CATEGORY' ? key === req.category : req.product !== null && key === req.product) best = skill.level;
  }
  return best;
}

function holdsRole(candidate: RoutingCandidate, role: string | null): boolean {
  return role === null || candidate.roles.some((r) => norm(r) === role);
}

/** Whether the agent speaks the language: the same tag, or the same primary language ("en-gb" and "en"). */
export function speaksLanguage(languages: readonly string[], language: string): boolean {
  const wanted = norm(language);
  const primary = primaryTag(wanted);
  return languages.some((l) => {
    const spoken = norm(l);
    return spoken === wanted || primaryTag(spoken) === primary;
  });
}

/** The first rule the agent fails, or its best matching skill level when eligible. */
function evaluate(req: PreparedRequest, c: RoutingCandidate, clock: RoutingClock): RoutingRule | number {
  if (req.excluded !== null && req.excluded.has(c.agentId)) return 'excluded';
  if (!coversRegion(c, req.region)) return 'region';
  const level = skillLevel(c, req);
  if (level === 0) return 'skill';
  if (!holdsRole(c, req.role)) return 'role';
  if (c.availability !== 'AVAILABLE') return 'availability';
  if (!(c.openCalls < c.capacity)) return 'capacity';
  if (c.absences.length > 0 && isAbsentAt(c, clock.now)) return 'absent';
  if (!clock.open(c.workingHours)) return 'working-hours';
  return level;
}

/** The first routing rule the agent fails for this call, or null when eligible. */
export function ineligibility(request: RoutingRequest, candidate: RoutingCandidate, now: Date): RoutingRule | null {
  const result = evaluate(prepare(request), candidate, new RoutingClock(now));
  return typeof result === 'number' ? null : result;
}

export function isEligible(request: RoutingRequest, candidate: RoutingCandidate, now: Date): boolean {
  return ineligibility(request, candidate, now) === null;
}

interface Entry {
  candidate: RoutingCandidate;
  level: number;
  lastMs: number; // -Infinity when never assigned
  speaks: boolean;
}

/** Negative when `a` ranks before `b`, with the criterion that decided. */
function rank(a: Entry, b: Entry): [number, RoutingTieBreak] {
  // a.open / a.cap vs b.open / b.cap without floating-point division.
  const load = a.candidate.openCalls * b.candidate.capacity - b.candidate.openCalls * a.candidate.capacity;
  if (load !== 0) return [load, 'load'];
  if (a.level !== b.level) return [b.level - a.level, 'skill'];
  if (a.lastMs !== b.lastMs) return [a.lastMs < b.lastMs ? -1 : 1, 'idle'];
  return [a.candidate.agentId < b.candidate.agentId ? -1 : a.candidate.agentId > b.candidate.agentId ? 1 : 0, 'agent-id'];
}

/** Orders two agents' scores as routing does (negative: `a` is preferred). */
export function compareRoutingScores(a: RoutingScore & { agentId: string }, b: RoutingScore & { agentId: string }): number {
  const entry = (s: RoutingScore & { agentId: string }): Entry => ({
    candidate: { agentId: s.agentId, openCalls: s.openCalls, capacity: s.capacity } as RoutingCandidate,
    level: s.skillLevel,
    lastMs: s.lastAssignedAt === null ? -Infinity : Date.parse(s.lastAssignedAt),
    speaks: s.languageMatch,
  });
  return rank(entry(a), entry(b))[0];
}

/** Best two entries of a pool, kept as the candidates stream past (no sorting of all of them). */
class TopTwo {
  first: Entry | undefined;
  second: Entry | undefined;
  add(e: Entry): void {
    if (!this.first || rank(e, this.first)[0] < 0) {
      this.second = this.first;
      this.first = e;
    } else if (!this.second || rank(e, this.second)[0] < 0) this.second = e;
  }
}

function scoreOf(e: Entry): RoutingScore {
  const { openCalls, capacity, lastAssignedAt } = e.candidate;
  return { loadRatio: openCalls / capacity, openCalls, capacity, skillLevel: e.level, lastAssignedAt, languageMatch: e.speaks };
}

function matchReasons(req: PreparedRequest, e: Entry): string[] {
  const c = e.candidate;
  const reasons: string[] = [];
  if (req.region === null) reasons.push('region:any');
  else reasons.push(c.regions.some((r) => norm(r) === req.region) ? `region:${req.region}` : `region:${ANY_REGION}`);
  let category = 0;
  let product = 0;
  for (const skill of c.skills) {
    const key = normaliseCategory(skill.key);
    if (skill.kind === 'CATEGORY' && key === req.category) category = Math.max(category, skill.level);
    if (skill.kind === 'PRODUCT' && req.product !== null && key === req.product) product = Math.max(product, skill.level);
  }
  if (category > 0) reasons.push(`category:${req.category}@${category}`);
  if (product > 0) reasons.push(`product:${req.product}@${product}`);
  if (req.language !== null) reasons.push(e.speaks ? `language:${req.language}` : `language-unmatched:${req.language}`);
  if (req.role !== null) reasons.push(`role:${req.role}`);
  reasons.push(`load:${c.openCalls}/${c.capacity}`);
  return reasons;
}

function decide(req: PreparedRequest, candidates: readonly RoutingCandidate[], clock: RoutingClock): RoutingDecision {
  const failures = new Map<RoutingRule, number>();
  const all = new TopTwo();
  const speakers = new TopTwo();
  let eligible = 0;
  let preferred: Entry | undefined;
  let preferredFailure: RoutingRule | undefined;

  for (const candidate of candidates) {
    const result = evaluate(req, candidate, clock);
    if (typeof result !== 'number') {
      failures.set(result, (failures.get(result) ?? 0) + 1);
      if (candidate.agentId === req.preferred) preferredFailure = result;
      continue;
    }
    eligible += 1;
    const entry: Entry = {
      candidate,
      level: result,
      lastMs: candidate.lastAssignedAt === null ? -Infinity : Date.parse(candidate.lastAssignedAt),
      speaks: req.language !== null && speaksLanguage(candidate.languages, req.language),
    };
    all.add(entry);
    if (entry.speaks) speakers.add(entry);
    if (candidate.agentId === req.preferred) preferred = entry;
  }

  if (eligible === 0) {
    const reasons = ['no-eligible-agent', `agents:${candidates.length}`];
    for (const rule of ROUTING_RULES) {
      const count = failures.get(rule);
      if (count) reasons.push(`${rule}:${count}`);
    }
    return { outcome: 'QUEUED', reasons, considered: candidates.length };
  }

  // Only speakers of the call's language compete when there are any.
  const pool = speakers.first ? speakers : all;
  const winner = preferred ?? pool.first;
  if (!winner) throw new Error('an eligible agent is always in its pool');
  const runnerUp = winner === pool.first ? pool.second : pool.first;

  const reasons = matchReasons(req, winner);
  if (preferred) reasons.unshift(`preferred:${preferred.candidate.agentId}`);
  else if (req.preferred !== null) reasons.unshift(`preferred-ineligible:${preferredFailure ?? 'unknown-agent'}`);
  if (preferred) reasons.push('decided-by:preferred');
  else if (runnerUp) reasons.push(`decided-by:${rank(winner, runnerUp)[1]}`);
  else reasons.push('decided-by:only-candidate');

  return {
    outcome: 'ASSIGNED',
    agentId: winner.candidate.agentId,
    reasons,
    score: scoreOf(winner),
    runnerUp: runnerUp ? { agentId: runnerUp.candidate.agentId, score: scoreOf(runnerUp) } : null,
    eligible,
    considered: candidates.length,
  };
}

/**
 * Routes one call: ASSIGNED with the agent, the reasons (rules matched, load, what decided against the
 * runner-up) and the runner-up; or QUEUED with how many agents each rule ruled out.
 */
export function routeCall(request: RoutingRequest, candidates: readonly RoutingCandidate[], now: Date): RoutingDecision {
  return decide(prepare(request), candidates, new RoutingClock(now));
}

/** For serveQueue: one clock for a whole run over the queue. */
export function routeCallsWith(now: Date): (request: RoutingRequest, candidates: readonly RoutingCandidate[]) => RoutingDecision {
  const clock = new RoutingClock(now);
  return (request, candidates) => decide(prepare(request), candidates, clock);
}
