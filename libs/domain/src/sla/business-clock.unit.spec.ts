import fc from 'fast-check';
import { addBusinessTime, businessTimeBetween, isOpen, nextOpening } from './business-clock';
import { BusinessHours, validateBusinessHours, WEEKDAYS } from './business-hours';
import { instantOfLocalTime, zoneOffsetMs } from './time-zone';

const H = 3_600_000;
const M = 60_000;
const at = (iso: string): Date => new Date(iso);
const calendar = (input: unknown): BusinessHours => validateBusinessHours(input) as BusinessHours;
const weekdays = (timezone: string, hours: [string, string][], holidays: string[] = []): BusinessHours =>
  calendar({
    timezone,
    weekly: ['MON', 'TUE', 'WED', 'THU', 'FRI'].flatMap((day) => hours.map(([from, to]) => ({ day, from, to }))),
    holidays,
  });

// Calendar facts used below (2026): Jan 1 is a Thursday, so Mar 1 and Mar 29 are Sundays, Dec 25 is a Friday.
// Berlin: CET = UTC+1, CEST = UTC+2; spring forward 2026-03-29 02:00 CET -> 03:00 CEST (01:00Z),
// fall back 2026-10-25 03:00 CEST -> 02:00 CET (01:00Z).
// New York: EST = UTC-5, EDT = UTC-4; spring forward 2026-03-08 02:00 -> 03:00 (07:00Z), fall back 2026-11-01 02:00 -> 01:00 (06:00Z).
const berlin = weekdays('Europe/Berlin', [['09:00', '17:00']]);
const berlinLunch = weekdays('Europe/Berlin', [['09:00', '12:00'], ['13:00', '17:30']]);
const newYork = weekdays('America/New_York', [['09:00', '17:00']]);

describe('time zone conversions', () => {
  it('reads offsets from the zone rules on both sides of a switch', () => {
    expect(zoneOffsetMs(at('2026-03-29T00:59:59Z').getTime(), 'Europe/Berlin')).toBe(1 * H);
    expect(zoneOffsetMs(at('2026-03-29T01:00:00Z').getTime(), 'Europe/Berlin')).toBe(2 * H);
    expect(zoneOffsetMs(at('2026-11-01T06:00:00Z').getTime(), 'America/New_York')).toBe(-5 * H);
  });

  it('maps a wall time in the spring-forward gap to the moment of the switch', () => {
    const day = Date.UTC(2026, 2, 29) / 86_400_000;
    // 02:30 does not exist in Berlin on 2026-03-29; the first valid instant after the gap is 03:00 CEST = 01:00Z.
    expect(new Date(instantOfLocalTime(day, 150, 'Europe/Berlin')).toISOString()).toBe('2026-03-29T01:00:00.000Z');
    // 03:00 CEST itself.
    expect(new Date(instantOfLocalTime(day, 180, 'Europe/Berlin')).toISOString()).toBe('2026-03-29T01:00:00.000Z');
  });

  it('maps a repeated wall time to its earlier occurrence', () => {
    const day = Date.UTC(2026, 9, 25) / 86_400_000;
    // 02:30 happens at 00:30Z (CEST) and at 01:30Z (CET); the earlier wins.
    expect(new Date(instantOfLocalTime(day, 150, 'Europe/Berlin')).toISOString()).toBe('2026-10-25T00:30:00.000Z');
  });
});

describe('business clock: worked examples', () => {
  it('skips the weekend', () => {
    // Fri 2026-03-06 15:00 CET (14:00Z) + 4h: Fri 15:00-17:00 = 2h, Sat/Sun closed, Mon 09:00 + 2h = 11:00 CET = 10:00Z.
    expect(addBusinessTime(at('2026-03-06T14:00:00Z'), 4 * H, berlin).toISOString()).toBe('2026-03-09T10:00:00.000Z');
    expect(businessTimeBetween(at('2026-03-06T14:00:00Z'), at('2026-03-09T10:00:00Z'), berlin)).toBe(4 * H);
  });

  it('skips the lunch break', () => {
    // Tue 2026-03-03 10:30 CET (09:30Z) + 3h: 10:30-12:00 = 1.5h, lunch closed, 13:00 + 1.5h = 14:30 CET = 13:30Z.
    expect(addBusinessTime(at('2026-03-03T09:30:00Z'), 3 * H, berlinLunch).toISOString()).toBe('2026-03-03T13:30:00.000Z');
    // A start in the lunch break counts from 13:00: 12:30 CET + 1h = 14:00 CET = 13:00Z.
    expect(addBusinessTime(at('2026-03-03T11:30:00Z'), 1 * H, berlinLunch).toISOString()).toBe('2026-03-03T13:00:00.000Z');
    // A whole day is 3h + 4.5h = 7.5h.
    expect(businessTimeBetween(at('2026-03-03T00:00:00Z'), at('2026-03-04T00:00:00Z'), berlinLunch)).toBe(7.5 * H);
  });

  it('treats holidays as closed', () => {
    const christmas = weekdays('Europe/Berlin', [['09:00', '17:00']], ['2026-12-25', '2026-12-24']);
    // Wed 2026-12-23 16:00 CET (15:00Z) + 10h: Wed 1h, Thu 24 + Fri 25 holidays, weekend,
    // Mon 28 09:00-17:00 = 8h (9h so far), Tue 29 09:00 + 1h = 10:00 CET = 09:00Z.
    expect(addBusinessTime(at('2026-12-23T15:00:00Z'), 10 * H, christmas).toISOString()).toBe('2026-12-29T09:00:00.000Z');
    expect(isOpen(at('2026-12-24T10:00:00Z'), christmas)).toBe(false);
    expect(nextOpening(at('2026-12-24T10:00:00Z'), christmas).toISOString()).toBe('2026-12-28T08:00:00.000Z');
  });

  it('starts counting at the next opening when received outside opening hours', () => {
    // Mon 2026-03-02 07:00 CET (06:00Z): opens 09:00 CET (08:00Z); + 1h = 09:00Z.
    expect(addBusinessTime(at('2026-03-02T06:00:00Z'), 1 * H, berlin).toISOString()).toBe('2026-03-02T09:00:00.000Z');
    // Sat 2026-03-07 12:00 CET: Monday 09:00 CET + 30 min = 08:30Z.
    expect(addBusinessTime(at('2026-03-07T11:00:00Z'), 30 * M, berlin).toISOString()).toBe('2026-03-09T08:30:00.000Z');
    // After closing: Mon 18:00 CET -> Tue 09:00 CET + 8h = Tue 17:00 CET = 16:00Z (the end of the interval, not Wed 09:00).
    expect(addBusinessTime(at('2026-03-02T17:00:00Z'), 8 * H, berlin).toISOString()).toBe('2026-03-03T16:00:00.000Z');
  });
});

describe('business clock: daylight saving switches', () => {
  it('follows the Berlin spring-forward switch (2026-03-29)', () => {
    // Fri 2026-03-27 16:00 CET (15:00Z) + 4h: Fri 1h, Mon 2026-03-30 09:00 CEST = 07:00Z, + 3h = 10:00Z.
    // A fixed +01:00 offset would wrongly give 11:00Z.
    expect(addBusinessTime(at('2026-03-27T15:00:00Z'), 4 * H, berlin).toISOString()).toBe('2026-03-30T10:00:00.000Z');
    // A Sunday night shift 01:00-05:00 is only 3h that night: 01:00 CET = 00:00Z to 05:00 CEST = 03:00Z.
    const nightShift = calendar({ timezone: 'Europe/Berlin', weekly: [{ day: 'SUN', from: '01:00', to: '05:00' }] });
    expect(businessTimeBetween(at('2026-03-28T00:00:00Z'), at('2026-03-30T00:00:00Z'), nightShift)).toBe(3 * H);
    // Received Sat 12:00, 3.5h: Sun 00:00Z-03:00Z gives 3h, the rest 30 min from next Sunday 01:00 CEST (Sat 2026-04-04 23:00Z).
    expect(addBusinessTime(at('2026-03-28T11:00:00Z'), 3.5 * H, nightShift).toISOString()).toBe('2026-04-04T23:30:00.000Z');
    // An opening inside the gap (02:30) starts at the first valid instant after it: 03:00 CEST = 01:00Z.
    const gapOpening = calendar({ timezone: 'Europe/Berlin', weekly: [{ day: 'SUN', from: '02:30', to: '04:00' }] });
    expect(nextOpening(at('2026-03-29T00:00:00Z'), gapOpening).toISOString()).toBe('2026-03-29T01:00:00.000Z');
    expect(businessTimeBetween(at('2026-03-29T00:00:00Z'), at('2026-03-30T00:00:00Z'), gapOpening)).toBe(1 * H);
    // An interval lying wholly in the gap does not happen that day; the next Sunday it does (02:00 CEST = 00:00Z).
    const inGap = calendar({ timezone: 'Europe/Berlin', weekly: [{ day: 'SUN', from: '02:00', to: '02:45' }] });
    expect(nextOpening(at('2026-03-28T00:00:00Z'), inGap).toISOString()).toBe('2026-04-05T00:00:00.000Z');
  });

  it('follows the Berlin fall-back switch (2026-10-25)', () => {
    // The night shift 01:00 CEST (2026-10-24T23:00Z) to 05:00 CET (04:00Z) lasts 5h that night.
    const nightShift = calendar({ timezone: 'Europe/Berlin', weekly: [{ day: 'SUN', from: '01:00', to: '05:00' }] });
    expect(businessTimeBetween(at('2026-10-24T00:00:00Z'), at('2026-10-26T00:00:00Z'), nightShift)).toBe(5 * H);
    // Opening at the repeated 02:30 opens at its first occurrence (00:30Z); 06:00 CET = 05:00Z; so 4.5h.
    const repeated = calendar({ timezone: 'Europe/Berlin', weekly: [{ day: 'SUN', from: '02:30', to: '06:00' }] });
    expect(nextOpening(at('2026-10-24T12:00:00Z'), repeated).toISOString()).toBe('2026-10-25T00:30:00.000Z');
    expect(businessTimeBetween(at('2026-10-24T12:00:00Z'), at('2026-10-26T00:00:00Z'), repeated)).toBe(4.5 * H);
    // Weekdays: Fri 2026-10-23 16:00 CEST (14:00Z) + 4h: Fri 1h, Mon 26 09:00 CET = 08:00Z, + 3h = 11:00Z.
    expect(addBusinessTime(at('2026-10-23T14:00:00Z'), 4 * H, berlin).toISOString()).toBe('2026-10-26T11:00:00.000Z');
  });

  it('follows the New York switches (2026-03-08 and 2026-11-01)', () => {
    // Fri 2026-03-06 16:00 EST (21:00Z) + 2h: Fri 1h, Mon 03-09 09:00 EDT = 13:00Z, + 1h = 14:00Z.
    expect(addBusinessTime(at('2026-03-06T21:00:00Z'), 2 * H, newYork).toISOString()).toBe('2026-03-09T14:00:00.000Z');
    // Fri 2026-10-30 16:00 EDT (20:00Z) + 2h: Fri 1h, Mon 11-02 09:00 EST = 14:00Z, + 1h = 15:00Z.
    expect(addBusinessTime(at('2026-10-30T20:00:00Z'), 2 * H, newYork).toISOString()).toBe('2026-11-02T15:00:00.000Z');
    // Around the clock on the spring-forward Sunday: that day has 23 hours.
    const allDay = calendar({ timezone: 'America/New_York', weekly: [{ day: 'SUN', from: '00:00', to: '24:00' }] });
    expect(businessTimeBetween(at('2026-03-07T00:00:00Z'), at('2026-03-10T00:00:00Z'), allDay)).toBe(23 * H);
    expect(businessTimeBetween(at('2026-10-31T00:00:00Z'), at('2026-11-03T00:00:00Z'), allDay)).toBe(25 * H);
  });
});

describe('business clock: edges, calendars from events, bad arguments', () => {
  it('is open at the opening minute and closed at the closing minute', () => {
    expect(isOpen(at('2026-03-02T08:00:00Z'), berlin)).toBe(true);
    expect(isOpen(at('2026-03-02T07:59:59.999Z'), berlin)).toBe(false);
    expect(isOpen(at('2026-03-02T16:00:00Z'), berlin)).toBe(false);
    expect(nextOpening(at('2026-03-02T10:00:00Z'), berlin).toISOString()).toBe('2026-03-02T10:00:00.000Z');
  });

  it('counts across midnight when Monday closes at 24:00 and Tuesday opens at 00:00', () => {
    const late = calendar({ timezone: 'UTC', weekly: [{ day: 'MON', from: '20:00', to: '24:00' }, { day: 'TUE', from: '00:00', to: '02:00' }] });
    expect(isOpen(at('2026-03-03T00:00:00Z'), late)).toBe(true);
    // Mon 2026-03-02 22:00Z + 3h = Tue 01:00Z.
    expect(addBusinessTime(at('2026-03-02T22:00:00Z'), 3 * H, late).toISOString()).toBe('2026-03-03T01:00:00.000Z');
  });

  it('works on a calendar read back from an event (a plain copy, intervals in any order)', () => {
    const copy: BusinessHours = JSON.parse(JSON.stringify(berlinLunch));
    copy.weekly.reverse();
    // Same as the lunch-break example: Tue 10:30 CET + 3h = 14:30 CET = 13:30Z.
    expect(addBusinessTime(at('2026-03-03T09:30:00Z'), 3 * H, copy).toISOString()).toBe('2026-03-03T13:30:00.000Z');
  });

  it('rounds a fractional duration to whole milliseconds', () => {
    const due = addBusinessTime(at('2026-03-02T08:00:00Z'), 1.6, berlin);
    expect(due.toISOString()).toBe('2026-03-02T08:00:00.002Z');
    expect(businessTimeBetween(at('2026-03-02T08:00:00Z'), due, berlin)).toBe(2);
  });

  it('around the clock (null) is plain arithmetic', () => {
    expect(addBusinessTime(at('2026-03-29T00:30:00Z'), 2 * H, null).toISOString()).toBe('2026-03-29T02:30:00.000Z');
    expect(businessTimeBetween(at('2026-03-29T00:00:00Z'), at('2026-03-30T00:00:00Z'), null)).toBe(24 * H);
    expect(isOpen(at('2026-12-25T03:00:00Z'), null)).toBe(true);
  });

  it('refuses bad arguments and never loops on a calendar that never opens', () => {
    expect(() => addBusinessTime(at('2026-03-02T00:00:00Z'), -1, berlin)).toThrow(RangeError);
    expect(() => addBusinessTime(new Date(Number.NaN), 1, berlin)).toThrow(RangeError);
    // Not a valid calendar (validation refuses it), but the clock must still stop.
    const never: BusinessHours = { timezone: 'UTC', weekly: [], holidays: [] };
    expect(() => addBusinessTime(at('2026-03-02T00:00:00Z'), H, never)).toThrow(/never open/);
    expect(() => nextOpening(at('2026-03-02T00:00:00Z'), never)).toThrow(/never open/);
  });

  it('iterates by interval: a year of business time is quick', () => {
    const started = Date.now();
    const due = addBusinessTime(at('2026-01-05T08:00:00Z'), 250 * 8 * H, berlin);
    expect(businessTimeBetween(at('2026-01-05T08:00:00Z'), due, berlin)).toBe(250 * 8 * H);
    expect(Date.now() - started).toBeLessThan(2000);
  });
});

// Random valid calendars: a few zones with switches (and a 30-minute one), per day 0-2 intervals on half-hour bounds.
const TIME_ZONES = ['Europe/Berlin', 'America/New_York', 'UTC', 'Australia/Lord_Howe', 'Asia/Kolkata'];
const halfHour = (n: number): string => (n === 48 ? '24:00' : `${String(Math.floor(n / 2)).padStart(2, '0')}:${n % 2 ? '30' : '00'}`);
const dayHours = fc
  .uniqueArray(fc.integer({ min: 0, max: 48 }), { maxLength: 4 })
  .map((points) => {
    const sorted = [...points].sort((a, b) => a - b);
    const pairs: [number, number][] = [];
    for (let i = 0; i + 1 < sorted.length; i += 2) pairs.push([sorted[i], sorted[i + 1]]);
    return pairs;
  });
const arbCalendar = fc
  .record({
    timezone: fc.constantFrom(...TIME_ZONES),
    days: fc.array(dayHours, { minLength: 7, maxLength: 7 }),
    holidays: fc.uniqueArray(fc.integer({ min: 0, max: 800 }), { maxLength: 20 }),
  })
  .filter(({ days }) => days.some((pairs) => pairs.length > 0))
  .map(({ timezone, days, holidays }) =>
    calendar({
      timezone,
      weekly: days.flatMap((pairs, d) => pairs.map(([from, to]) => ({ day: WEEKDAYS[d], from: halfHour(from), to: halfHour(to) }))),
      holidays: holidays.map((offset) => new Date(Date.UTC(2025, 11, 1) + offset * 86_400_000).toISOString().slice(0, 10)),
    }),
  );
const arbInstant = fc.integer({ min: Date.UTC(2025, 11, 1), max: Date.UTC(2027, 11, 1) }).map((ms) => new Date(ms));
const arbDuration = fc.integer({ min: 0, max: 120 * H });

describe('business clock: properties', () => {
  it('a due time lies in an open interval or at its closing instant (opening < due <= closing); 0 gives the next opening', () => {
    fc.assert(
      fc.property(arbCalendar, arbInstant, arbDuration, (cal, start, duration) => {
        const due = addBusinessTime(start, duration, cal);
        if (duration === 0) return isOpen(due, cal) && due.getTime() === nextOpening(start, cal).getTime();
        return isOpen(new Date(due.getTime() - 1), cal) && due.getTime() > start.getTime();
      }),
      { numRuns: 150 },
    );
  });

  it('a longer duration never gives an earlier due time', () => {
    fc.assert(
      fc.property(arbCalendar, arbInstant, arbDuration, arbDuration, (cal, start, a, b) => {
        const [short, long] = a <= b ? [a, b] : [b, a];
        return addBusinessTime(start, short, cal).getTime() <= addBusinessTime(start, long, cal).getTime();
      }),
      { numRuns: 150 },
    );
  });

  it('businessTimeBetween round-trips addBusinessTime and adds up over a split', () => {
    fc.assert(
      fc.property(arbCalendar, arbInstant, arbDuration, arbInstant, (cal, start, duration, other) => {
        const due = addBusinessTime(start, duration, cal);
        const whole = businessTimeBetween(start, other, cal);
        const split = businessTimeBetween(start, due, cal) + businessTimeBetween(due, other, cal);
        return businessTimeBetween(start, due, cal) === duration && whole === split;
      }),
      { numRuns: 150 },
    );
  });

  it('nextOpening is open and nothing is open before it', () => {
    fc.assert(
      fc.property(arbCalendar, arbInstant, (cal, instant) => {
        const opening = nextOpening(instant, cal);
        return isOpen(opening, cal) && businessTimeBetween(instant, opening, cal) === 0 && isOpen(instant, cal) === (opening.getTime() === instant.getTime());
      }),
      { numRuns: 150 },
    );
  });

  it('around the clock equals plain addition', () => {
    fc.assert(
      fc.property(arbInstant, arbDuration, (start, duration) => {
        const due = addBusinessTime(start, duration, null);
        return due.getTime() === start.getTime() + duration && businessTimeBetween(start, due, null) === duration;
      }),
    );
  });

  it('a calendar open all week (00:00-24:00) in UTC equals plain addition', () => {
    const always = calendar({ timezone: 'UTC', weekly: WEEKDAYS.map((day) => ({ day, from: '00:00', to: '24:00' })) });
    fc.assert(
      fc.property(arbInstant, arbDuration, (start, duration) => addBusinessTime(start, duration, always).getTime() === start.getTime() + duration),
    );
  });
});
