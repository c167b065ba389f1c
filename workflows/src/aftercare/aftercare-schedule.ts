import {
  BusinessHours,
  civilDay,
  instantOfLocalTime,
  isOpen,
  localDayAndMinute,
  nextOpening,
  parseIsoDuration,
  weekdayOfDay,
  WEEKDAYS,
} from '@app/domain';

const DAY_MS = 86_400_000;

export function durationMs(text: string): number {
  const ms = parseIsoDuration(text);
  if (ms === undefined) throw new Error(`not an ISO 8601 duration: ${text}`);
  return ms;
}

/**
 * When the follow-up is due: `after` from the resolution, where each whole day counts as a business
 * day of the call's calendar (a day on which it opens at all and that is not a holiday), and the rest
 * of the duration as wall-clock time after that. Counting starts at the resolution if the office is
 * open then, else at its next opening (as the SLA clock does); the result is the same local time that
 * many business days later, moved to the next opening if the office is closed then. So with the
 * default P2D and a Mon-Fri calendar, a call resolved on Friday 15:00 is followed up on Tuesday 15:00;
 * resolved on Friday 18:00 or on Saturday, on Wednesday at opening time. Without a calendar (around
 * the clock) it is plain time.
 */
export function followUpDueAt(resolvedAt: Date, after: string, calendar: BusinessHours | null): Date {
  const ms = durationMs(after);
  // a calendar without any opening day would never get there: plain time then
  if (!calendar || !calendar.weekly.length) return new Date(resolvedAt.getTime() + ms);
  const days = Math.floor(ms / DAY_MS);
  const rest = ms - days * DAY_MS;
  const opensOn = (day: number) => {
    const weekday = WEEKDAYS[weekdayOfDay(day)];
    return calendar.weekly.some((h) => h.day === weekday) && !calendar.holidays.some((h) => civilDay(h) === day);
  };
  const start = isOpen(resolvedAt, calendar) ? resolvedAt : nextOpening(resolvedAt, calendar);
  const local = localDayAndMinute(start.getTime(), calendar.timezone);
  const withinMinute = ((start.getTime() % 60_000) + 60_000) % 60_000; // zone offsets are whole minutes
  let day = local.day;
  for (let counted = 0; counted < days; ) if (opensOn(++day)) counted++;
  const due = new Date(instantOfLocalTime(day, local.minute, calendar.timezone) + withinMinute + rest);
  return isOpen(due, calendar) ? due : nextOpening(due, calendar);
}
