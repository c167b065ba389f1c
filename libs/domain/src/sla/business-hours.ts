import { ValidationError } from '../shared/domain-error';
import { oneOf } from '../shared/validation';
import { canonicalTimeZone, civilDay } from './time-zone';

export const WEEKDAYS = ['MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT', 'SUN'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

/** Opening hours on one weekday, wall-clock "HH:MM" in the calendar's zone; `to` may be "24:00" (midnight at the day's end). */
export interface OpeningHours {
  day: Weekday;
  from: string;
  to: string;
}

/**
 * A business-hours calendar (the contract's BusinessHoursInput, validated and normalised): opening
 * intervals sorted by weekday and time, holidays sorted and unique. Plain data, so it can live in
 * events; `null` wherever a calendar is expected means around the clock.
 */
export interface BusinessHours {
  timezone: string;
  weekly: OpeningHours[];
  holidays: string[];
}

/** What a manager sends (GraphQL's BusinessHoursInput). */
export interface BusinessHoursInput {
  timezone: string;
  weekly: readonly { day: string; from: string; to: string }[];
  holidays?: readonly string[] | null;
}

export const BUSINESS_HOURS_LIMITS = { intervals: 100, holidays: 1000 } as const;

const TIME = /^([01]\d|2[0-3]):([0-5]\d)$/;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Minutes since midnight of "HH:MM" ("24:00" -> 1440 when allowed), or undefined when malformed. */
export function minuteOfTime(text: string, allowEndOfDay = false): number | undefined {
  if (allowEndOfDay && text === '24:00') return 1440;
  const match = TIME.exec(text);
  return match ? Number(match[1]) * 60 + Number(match[2]) : undefined;
}

/**
 * Validates a calendar; `null`/absent means around the clock and gives null. Errors name the field
 * under `field`, e.g. `businessHours.weekly[2].from`.
 */
export function validateBusinessHours(input: unknown, field = 'businessHours'): BusinessHours | null {
  if (input === undefined || input === null) return null;
  if (typeof input !== 'object') throw new ValidationError(field, `${field} must be an object`);
  const raw = input as Partial<Record<keyof BusinessHoursInput, unknown>>;

  const timezone =
    typeof raw.timezone === 'string' && raw.timezone.trim() !== '' ? canonicalTimeZone(raw.timezone.trim()) : undefined;
  if (!timezone) {
    throw new ValidationError(`${field}.timezone`, `${field}.timezone must be an IANA time zone such as Europe/Berlin`);
  }

  if (!Array.isArray(raw.weekly)) throw new ValidationError(`${field}.weekly`, `${field}.weekly must be a list of opening hours`);
  if (raw.weekly.length === 0) {
    throw new ValidationError(`${field}.weekly`, `${field}.weekly has no opening hours; the calendar would never be open`);
  }
  if (raw.weekly.length > BUSINESS_HOURS_LIMITS.intervals) {
    throw new ValidationError(`${field}.weekly`, `${field}.weekly has more than ${BUSINESS_HOURS_LIMITS.intervals} intervals`);
  }
  const intervals = raw.weekly.map((entry: unknown, index) => {
    const path = `${field}.weekly[${index}]`;
    if (typeof entry !== 'object' || entry === null) throw new ValidationError(path, `${path} must be an object`);
    const { day, from, to } = entry as Record<string, unknown>;
    const weekday = oneOf(`${path}.day`, day, WEEKDAYS);
    const fromMinute = typeof from === 'string' ? minuteOfTime(from.trim()) : undefined;
    if (fromMinute === undefined) throw new ValidationError(`${path}.from`, `${path}.from must be a time "HH:MM" from 00:00 to 23:59`);
    const toMinute = typeof to === 'string' ? minuteOfTime(to.trim(), true) : undefined;
    if (toMinute === undefined) throw new ValidationError(`${path}.to`, `${path}.to must be a time "HH:MM" from 00:01 to 24:00`);
    if (fromMinute >= toMinute) throw new ValidationError(`${path}.to`, `${path}.to must be later than from`);
    return { index, day: weekday, fromMinute, toMinute, from: (from as string).trim(), to: (to as string).trim() };
  });
  // Overlaps on one day would count the same hour twice; touching intervals (12:00-12:00) are fine.
  const sorted = [...intervals].sort(
    (a, b) => WEEKDAYS.indexOf(a.day) - WEEKDAYS.indexOf(b.day) || a.fromMinute - b.fromMinute || a.index - b.index,
  );
  sorted.forEach((interval, i) => {
    const previous = sorted[i - 1];
    if (previous && previous.day === interval.day && interval.fromMinute < previous.toMinute) {
      const later = Math.max(previous.index, interval.index);
      const earlier = Math.min(previous.index, interval.index);
      throw new ValidationError(`${field}.weekly[${later}]`, `${field}.weekly[${later}] overlaps ${field}.weekly[${earlier}] on ${interval.day}`);
    }
  });

  let holidays: string[] = [];
  if (raw.holidays !== undefined && raw.holidays !== null) {
    if (!Array.isArray(raw.holidays)) throw new ValidationError(`${field}.holidays`, `${field}.holidays must be a list of dates`);
    if (raw.holidays.length > BUSINESS_HOURS_LIMITS.holidays) {
      throw new ValidationError(`${field}.holidays`, `${field}.holidays has more than ${BUSINESS_HOURS_LIMITS.holidays} dates`);
    }
    holidays = raw.holidays.map((value: unknown, index) => {
      const path = `${field}.holidays[${index}]`;
      const text = typeof value === 'string' ? value.trim() : '';
      if (!isCalendarDate(text)) throw new ValidationError(path, `${path} must be a date "YYYY-MM-DD" such as 2026-12-25`);
      return text;
    });
    holidays = [...new Set(holidays)].sort();
  }

  return { timezone, weekly: sorted.map(({ day, from, to }) => ({ day, from, to })), holidays };
}

function isCalendarDate(text: string): boolean {
  const match = DATE.exec(text);
  if (!match) return false;
  const [year, month, day] = match.slice(1).map(Number) as [number, number, number];
  const date = new Date(Date.UTC(year, month - 1, day));
  return year >= 1970 && date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

/** A calendar in the form the clock computes with: minutes per weekday (Monday = 0) and holidays as civil days. */
export interface CompiledCalendar {
  timezone: string;
  /** Per weekday, sorted [fromMinute, toMinute) pairs, touching intervals merged. */
  days: [number, number][][];
  holidays: Set<number>;
  /** How many consecutive closed days there can be at most (bounds every search for the next opening). */
  maxClosedRun: number;
  /** Open intervals of civil days already computed, by day (UTC ms pairs). */
  cache: Map<number, [number, number][]>;
}

const compiled = new WeakMap<BusinessHours, CompiledCalendar>();
// Calendars read back from events are new objects each time; equal content shares the compiled form and its day cache.
const compiledByContent = new Map<string, CompiledCalendar>();
const CONTENT_CACHE_LIMIT = 256;

export function compileCalendar(calendar: BusinessHours): CompiledCalendar {
  let result = compiled.get(calendar);
  if (result) return result;
  const content = JSON.stringify([calendar.timezone, calendar.weekly, calendar.holidays]);
  result = compiledByContent.get(content);
  if (!result) {
    const days = WEEKDAYS.map((weekday) => {
      const intervals = calendar.weekly
        .filter(({ day }) => day === weekday)
        .map(({ from, to }): [number, number] => [minuteOfTime(from) as number, minuteOfTime(to, true) as number])
        .sort((a, b) => a[0] - b[0]);
      const merged: [number, number][] = [];
      for (const [start, end] of intervals) {
        const last = merged[merged.length - 1];
        if (last && last[1] === start) last[1] = end;
        else merged.push([start, end]);
      }
      return merged;
    });
    const openWeekdays = days.filter((list) => list.length > 0).length;
    // Each holiday can close at most one otherwise open day; a DST gap can empty a day too.
    const maxClosedRun = openWeekdays === 0 ? 0 : 7 * (calendar.holidays.length + 2);
    result = { timezone: calendar.timezone, days, holidays: new Set(calendar.holidays.map(civilDay)), maxClosedRun, cache: new Map() };
    if (compiledByContent.size >= CONTENT_CACHE_LIMIT) compiledByContent.clear();
    compiledByContent.set(content, result);
  }
  compiled.set(calendar, result);
  return result;
}
