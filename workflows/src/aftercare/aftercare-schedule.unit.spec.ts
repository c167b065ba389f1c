import { BusinessHours, isOpen, validateBusinessHours } from '@app/domain';
import fc from 'fast-check';
import { followUpDueAt } from './aftercare-schedule';

// Berlin, Mon-Fri 09:00-17:00 with a lunch break, Christmas Day a holiday (2026-11-20 is a Friday).
const berlin = validateBusinessHours({
  timezone: 'Europe/Berlin',
  weekly: ['MON', 'TUE', 'WED', 'THU', 'FRI'].flatMap((day) => [
    { day, from: '09:00', to: '12:00' },
    { day, from: '13:00', to: '17:00' },
  ]),
  holidays: ['2026-12-25'],
}) as BusinessHours;

const due = (resolvedAt: string, after: string, calendar: BusinessHours | null = berlin) => followUpDueAt(new Date(resolvedAt), after, calendar).toISOString();

describe('followUpDueAt: whole days are business days of the call calendar, at the same local time', () => {
  test.each([
    ['Friday 15:00 + P2D -> Tuesday 15:00', '2026-11-20T14:00:00Z', 'P2D', '2026-11-24T14:00:00.000Z'],
    ['Saturday 10:00 (closed) -> counts from Monday 09:00 -> Wednesday 09:00', '2026-11-21T09:00:00Z', 'P2D', '2026-11-25T08:00:00.000Z'],
    ['Friday 18:00 (closed) -> counts from Monday 09:00 -> Wednesday 09:00', '2026-11-20T17:00:00Z', 'P2D', '2026-11-25T08:00:00.000Z'],
    ['Monday 12:30 (lunch) -> counts from 13:00 -> Tuesday 13:00', '2026-11-23T11:30:00Z', 'P1D', '2026-11-24T12:00:00.000Z'],
    ['Friday 16:30 + P2DT1H -> Tuesday 17:30 is closed -> Wednesday 09:00', '2026-11-20T15:30:00Z', 'P2DT1H', '2026-11-25T08:00:00.000Z'],
    ['Thursday before Christmas 10:00 + P2D -> the holiday and weekend skipped -> Tuesday 10:00', '2026-12-24T09:00:00Z', 'P2D', '2026-12-29T09:00:00.000Z'],
    ['Friday 15:00 + P2DT1H -> Tuesday 16:00', '2026-11-20T14:00:00Z', 'P2DT1H', '2026-11-24T15:00:00.000Z'],
    ['Friday 10:00 + PT2S (a test delay) -> two seconds later', '2026-11-20T09:00:00Z', 'PT2S', '2026-11-20T09:00:02.000Z'],
    // the last Sunday of March switches Berlin to summer time: the same local time is an hour earlier in UTC
    ['Friday 10:00 CET + P2D across the DST switch -> Tuesday 10:00 CEST', '2026-03-27T09:00:00Z', 'P2D', '2026-03-31T08:00:00.000Z'],
  ])('%s', (_what, resolvedAt, after, expected) => {
    expect(due(resolvedAt, after)).toBe(expected);
  });

  test('without a calendar (around the clock) it is plain time', () => {
    expect(due('2026-11-20T14:00:00Z', 'P2D', null)).toBe('2026-11-22T14:00:00.000Z');
  });

  test('properties: never earlier than plain time, always while open, later resolution never gives an earlier follow-up', () => {
    const instant = fc.integer({ min: Date.UTC(2026, 0, 1), max: Date.UTC(2027, 11, 31) });
    fc.assert(
      fc.property(instant, fc.integer({ min: 0, max: 3 * 86_400_000 }), fc.integer({ min: 1, max: 10 }), (at, later, days) => {
        const a = followUpDueAt(new Date(at), `P${days}D`, berlin);
        const b = followUpDueAt(new Date(at + later), `P${days}D`, berlin);
        expect(a.getTime()).toBeGreaterThanOrEqual(at + days * 86_400_000 - 3_600_000); // DST may take an hour
        expect(isOpen(a, berlin)).toBe(true);
        expect(b.getTime()).toBeGreaterThanOrEqual(a.getTime());
      }),
      { numRuns: 200 },
    );
  });
});
