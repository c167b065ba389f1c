import { BusinessHours, CompiledCalendar, compileCalendar } from './business-hours';
import { instantOfLocalTime, localDayAndMinute, weekdayOfDay } from './time-zone';

/**
 * Business time: time during which a calendar is open. Open intervals are half-open, [opening,
 * closing): open at 09:00:00, closed at 17:30:00. A `null` calendar is open around the clock.
 * Everything walks the calendar interval by interval (never minute by minute), and every walk is
 * bounded: a calendar that never opens (which validation refuses) makes the functions throw rather
 * than loop.
 */

const CACHE_LIMIT = 4096;

/** The open intervals of a civil day in UTC ms, [start, end), in order; empty on holidays. */
function openIntervalsOfDay(calendar: CompiledCalendar, day: number): [number, number][] {
  let intervals = calendar.cache.get(day);
  if (!intervals) {
    intervals = [];
    if (!calendar.holidays.has(day)) {
      for (const [from, to] of calendar.days[weekdayOfDay(day)]) {
        const start = instantOfLocalTime(day, from, calendar.timezone);
        const end = instantOfLocalTime(day, to, calendar.timezone);
        // An interval lying wholly in a spring-forward gap does not happen that day.
        if (end > start) intervals.push([start, end]);
      }
    }
    if (calendar.cache.size >= CACHE_LIMIT) calendar.cache.clear();
    calendar.cache.set(day, intervals);
  }
  return intervals;
}

/**
 * The open intervals that end after `fromMs`, in order, day by day. Intervals that touch across
 * midnight (Monday to 24:00, Tuesday from 00:00) stay two: every function here treats a closing
 * instant that is also an opening as open, so they need no merging. Endless; throws when the
 * calendar stays closed longer than it can.
 */
function* openIntervals(calendar: BusinessHours, fromMs: number): Generator<[number, number]> {
  const compiled = compileCalendar(calendar);
  let day = localDayAndMinute(fromMs, compiled.timezone).day;
  let closedDays = 0;
  for (;;) {
    const intervals = openIntervalsOfDay(compiled, day).filter(([, end]) => end > fromMs);
    if (intervals.length === 0) {
      closedDays += 1;
      if (closedDays > compiled.maxClosedRun) throw new Error(`The business-hours calendar (${compiled.timezone}) is never open`);
    } else closedDays = 0;
    yield* intervals;
    day += 1;
  }
}

function assertInstant(name: string, value: Date): number {
  const ms = value.getTime();
  if (Number.isNaN(ms)) throw new RangeError(`${name} is not a valid date`);
  return ms;
}

/** Whether the calendar is open at `instant` (open at the opening minute, closed at the closing minute). */
export function isOpen(instant: Date, calendar: BusinessHours | null): boolean {
  const at = assertInstant('instant', instant);
  if (!calendar) return true;
  const [start] = openIntervals(calendar, at).next().value as [number, number];
  return start <= at;
}

/** `instant` itself when the calendar is open then, otherwise the start of the next open interval. */
export function nextOpening(instant: Date, calendar: BusinessHours | null): Date {
  const at = assertInstant('instant', instant);
  if (!calendar) return new Date(at);
  const [start] = openIntervals(calendar, at).next().value as [number, number];
  return new Date(Math.max(start, at));
}

/**
 * The instant by which `durationMs` of business time has passed since `start`. Counting starts at
 * `start` when open, otherwise at the next opening; closed time (nights, weekends, holidays, lunch
 * breaks) does not count.
 *
 * Where the result lands: for a duration > 0 it is the earliest instant with that much open time
 * behind it, so it lies inside an open interval or exactly at its closing instant (opening < due <=
 * closing), never at an opening and never in closed time. A duration of 0 gives `nextOpening(start)`.
 */
export function addBusinessTime(start: Date, durationMs: number, calendar: BusinessHours | null): Date {
  const from = assertInstant('start', start);
  if (!Number.isFinite(durationMs) || durationMs < 0) throw new RangeError('durationMs must be a finite number >= 0');
  // Whole milliseconds, as Date holds them, so the result round-trips through businessTimeBetween.
  const duration = Math.round(durationMs);
  if (!calendar) return new Date(from + duration);
  let remaining = duration;
  for (const [intervalStart, intervalEnd] of openIntervals(calendar, from)) {
    const counting = Math.max(intervalStart, from);
    if (remaining === 0) return new Date(counting);
    if (intervalEnd - counting >= remaining) return new Date(counting + remaining);
    remaining -= intervalEnd - counting;
  }
  throw new Error('unreachable: openIntervals is endless');
}

/**
 * Business time in ms between `a` and `b`: the open time in [a, b). Negative when b is before a
 * (businessTimeBetween(b, a) === -businessTimeBetween(a, b)).
 */
export function businessTimeBetween(a: Date, b: Date, calendar: BusinessHours | null): number {
  const from = assertInstant('a', a);
  const to = assertInstant('b', b);
  if (to < from) return -businessTimeBetween(b, a, calendar);
  if (!calendar) return to - from;
  let total = 0;
  for (const [intervalStart, intervalEnd] of openIntervals(calendar, from)) {
    if (intervalStart >= to) break;
    total += Math.min(intervalEnd, to) - Math.max(intervalStart, from);
  }
  return total;
}
