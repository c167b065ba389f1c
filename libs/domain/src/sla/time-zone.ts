/**
 * Conversions between UTC instants and the wall-clock time of an IANA time zone, through Intl (Node
 * ships full ICU). Offsets are always read from the zone's rules at the instant in question, never
 * assumed fixed, so daylight-saving changes fall where the zone's rules put them.
 *
 * Days are "civil day numbers": days since 1970-01-01 of the proleptic Gregorian calendar, zone-free.
 */

const DAY_MS = 86_400_000;
const MINUTE_MS = 60_000;

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

/** The canonical name of an IANA zone ("europe/berlin" -> "Europe/Berlin"), or undefined when Intl does not know it. */
export function canonicalTimeZone(name: string): string | undefined {
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: name }).resolvedOptions().timeZone;
  } catch {
    return undefined;
  }
}

/** The zone's wall-clock time at `instantMs`, expressed as if it were UTC milliseconds (whole seconds). */
function wallClockMs(instantMs: number, timeZone: string): number {
  const parts = formatterFor(timeZone).formatToParts(new Date(instantMs));
  const get = (type: Intl.DateTimeFormatPartTypes): number => Number(parts.find((p) => p.type === type)?.value);
  // Era-less en-US years are positive; the product's dates are all far from year 1.
  return Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
}

/** The zone's offset from UTC at `instantMs`, in ms (Berlin in summer: +7_200_000). */
export function zoneOffsetMs(instantMs: number, timeZone: string): number {
  const wholeSecond = Math.floor(instantMs / 1000) * 1000;
  return wallClockMs(wholeSecond, timeZone) - wholeSecond;
}

/** The local civil day and minute of the day of an instant in the zone. */
export function localDayAndMinute(instantMs: number, timeZone: string): { day: number; minute: number } {
  const wall = instantMs + zoneOffsetMs(instantMs, timeZone);
  const day = Math.floor(wall / DAY_MS);
  return { day, minute: Math.floor((wall - day * DAY_MS) / MINUTE_MS) };
}

/**
 * The instant at which the zone's clocks show minute `minuteOfDay` (0..1440; 1440 is the next day's
 * 00:00) of civil day `day`. Wall times that do not map to exactly one instant are resolved so the
 * mapping stays monotonic (a later wall time never gives an earlier instant), which keeps a day's
 * opening intervals in order and disjoint:
 *  - a wall time in a spring-forward gap (02:30 in Berlin on 2026-03-29) does not exist: it resolves to
 *    the first instant after the gap, i.e. the moment of the switch (03:00 CEST = 01:00Z);
 *  - a wall time repeated by a fall-back (02:30 in Berlin on 2026-10-25 happens at 00:30Z and 01:30Z)
 *    resolves to its earlier occurrence.
 */
export function instantOfLocalTime(day: number, minuteOfDay: number, timeZone: string): number {
  const wall = day * DAY_MS + minuteOfDay * MINUTE_MS;
  // Offsets just around the wall time; a zone changes its offset at most once within two days.
  const before = zoneOffsetMs(wall - DAY_MS, timeZone);
  const after = zoneOffsetMs(wall + DAY_MS, timeZone);
  const candidates = [wall - before, wall - after]
    .filter((instant) => wallClockMs(instant, timeZone) === wall)
    .sort((a, b) => a - b);
  if (candidates.length > 0) return candidates[0];
  return switchInstant(Math.min(wall - before, wall - after), Math.max(wall - before, wall - after), timeZone, after);
}

/** The first instant in (low, high] at which the zone's offset is `offsetAfter` (binary search, to the second). */
function switchInstant(low: number, high: number, timeZone: string, offsetAfter: number): number {
  let lo = Math.floor(low / 1000);
  let hi = Math.ceil(high / 1000);
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (zoneOffsetMs(mid * 1000, timeZone) === offsetAfter) hi = mid;
    else lo = mid;
  }
  return hi * 1000;
}

/** Civil day number of a "YYYY-MM-DD" date. */
export function civilDay(date: string): number {
  const [year, month, day] = date.split('-').map(Number) as [number, number, number];
  return Math.floor(Date.UTC(year, month - 1, day) / DAY_MS);
}

/** Weekday of a civil day, Monday = 0 .. Sunday = 6 (1970-01-01 was a Thursday). */
export function weekdayOfDay(day: number): number {
  return (((day + 3) % 7) + 7) % 7;
}
