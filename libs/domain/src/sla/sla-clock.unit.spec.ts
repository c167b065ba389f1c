import fc from 'fast-check';
import { isOpen } from './business-clock';
import { BusinessHours, validateBusinessHours } from './business-hours';
import { computeSlaClock, nextSlaTransition, SlaPause, slaState } from './sla-clock';
import { SlaPolicy } from './sla-policy';

const at = (iso: string): Date => new Date(iso);
const iso = (date: Date | null): string | null => date && date.toISOString();
const berlin = validateBusinessHours({
  timezone: 'Europe/Berlin',
  weekly: ['MON', 'TUE', 'WED', 'THU', 'FRI'].map((day) => ({ day, from: '09:00', to: '17:00' })),
}) as BusinessHours;
const policy: SlaPolicy = {
  key: 'standard',
  priority: null,
  category: null,
  firstResponseTarget: 'PT2H',
  resolutionTarget: 'PT8H',
  warnAt: 0.8,
  businessHours: berlin,
};
// Mon 2026-03-02 09:00 CET (Berlin is UTC+1 in March before the 29th).
const receivedAt = at('2026-03-02T08:00:00Z');
// Waiting for the customer from Mon 16:00 CET to Tue 10:00 CET: spans midnight; only Mon 16-17 and Tue 9-10 are open (2h).
const overnight: SlaPause = { from: at('2026-03-02T15:00:00Z'), to: at('2026-03-03T09:00:00Z') };

describe('SLA clock: worked examples', () => {
  it('due and at-risk times without pauses', () => {
    // First response 2h: 09:00 + 2h = 11:00 CET = 10:00Z; at risk after 0.8 * 2h = 1h36m: 10:36 CET = 09:36Z.
    // Resolution 8h: 17:00 CET = 16:00Z; at risk after 6h24m: 15:24 CET = 14:24Z.
    const clock = computeSlaClock({ policy, receivedAt });
    expect([iso(clock.firstResponseDueAt), iso(clock.firstResponseAtRiskAt), iso(clock.resolutionDueAt), iso(clock.resolutionAtRiskAt)]).toEqual([
      '2026-03-02T10:00:00.000Z',
      '2026-03-02T09:36:00.000Z',
      '2026-03-02T16:00:00.000Z',
      '2026-03-02T14:24:00.000Z',
    ]);
    expect(clock.pausedSince).toBeNull();
  });

  it('a pause spanning midnight pushes the due time out by its open hours only', () => {
    // 7h elapsed by Mon 16:00 CET; the clock resumes Tue 10:00 CET with 1h left: Tue 11:00 CET = 10:00Z
    // (= the unpaused due time, Mon 17:00, plus the 2 open hours paused). Targets reached before the pause stay.
    const clock = computeSlaClock({ policy, receivedAt, pauses: [overnight] });
    expect(iso(clock.resolutionDueAt)).toBe('2026-03-03T10:00:00.000Z');
    expect(iso(clock.resolutionAtRiskAt)).toBe('2026-03-02T14:24:00.000Z');
    expect(iso(clock.firstResponseDueAt)).toBe('2026-03-02T10:00:00.000Z');
  });

  it('a pause over a weekend counts only open hours', () => {
    // Received Fri 2026-03-06 09:00 CET (08:00Z); paused Fri 15:00 CET (14:00Z) to Mon 10:00 CET (09:00Z).
    // 6h elapsed before the pause, 2h left from Mon 10:00 CET: 12:00 CET = 11:00Z.
    const clock = computeSlaClock({
      policy,
      receivedAt: at('2026-03-06T08:00:00Z'),
      pauses: [{ from: at('2026-03-06T14:00:00Z'), to: at('2026-03-09T09:00:00Z') }],
    });
    expect(iso(clock.resolutionDueAt)).toBe('2026-03-09T11:00:00.000Z');
  });

  it('a call received outside opening hours starts at the next opening', () => {
    // Sat 2026-03-07 11:00 CET: counting starts Mon 09:00 CET; first response 11:00 CET = 10:00Z, resolution 17:00 CET = 16:00Z.
    const clock = computeSlaClock({ policy, receivedAt: at('2026-03-07T10:00:00Z') });
    expect(iso(clock.firstResponseDueAt)).toBe('2026-03-09T10:00:00.000Z');
    expect(iso(clock.resolutionDueAt)).toBe('2026-03-09T16:00:00.000Z');
  });

  it('an open pause is counted up to now (or not at all without now)', () => {
    const open = { from: overnight.from };
    const paused = computeSlaClock({ policy, receivedAt, pauses: [open], now: at('2026-03-03T09:00:00Z') });
    expect(iso(paused.resolutionDueAt)).toBe('2026-03-03T10:00:00.000Z');
    expect(iso(paused.pausedSince)).toBe('2026-03-02T15:00:00.000Z');
    expect(iso(computeSlaClock({ policy, receivedAt, pauses: [open] }).resolutionDueAt)).toBe('2026-03-02T16:00:00.000Z');
  });

  it('a pause after the due time changes nothing (a breach stays a breach)', () => {
    const late = { from: at('2026-03-02T17:00:00Z'), to: at('2026-03-03T12:00:00Z') };
    expect(iso(computeSlaClock({ policy, receivedAt, pauses: [late] }).resolutionDueAt)).toBe('2026-03-02T16:00:00.000Z');
  });

  it('overlapping pauses count once', () => {
    const clock = computeSlaClock({
      policy,
      receivedAt,
      pauses: [overnight, { from: at('2026-03-02T15:30:00Z'), to: at('2026-03-02T20:00:00Z') }],
    });
    expect(iso(clock.resolutionDueAt)).toBe('2026-03-03T10:00:00.000Z');
  });

  it('a policy without first-response target has no first-response times', () => {
    const clock = computeSlaClock({ policy: { ...policy, firstResponseTarget: null }, receivedAt });
    expect(clock.firstResponseDueAt).toBeNull();
    expect(clock.firstResponseAtRiskAt).toBeNull();
  });
});

describe('SLA state', () => {
  const responded = { policy, receivedAt, firstRespondedAt: at('2026-03-02T09:30:00Z') };

  it.each([
    ['before any threshold', '2026-03-02T09:00:00Z', 'ON_TRACK'],
    ['first response at risk (09:36Z)', '2026-03-02T09:40:00Z', 'AT_RISK'],
    ['first response due (10:00Z), nobody answered', '2026-03-02T10:00:00Z', 'BREACHED'],
  ])('not yet responded, %s', (_name, now, state) => {
    expect(slaState(at(now), { policy, receivedAt })).toBe(state);
  });

  it.each([
    ['first response in time', '2026-03-02T14:00:00Z', 'ON_TRACK'],
    ['resolution at risk (14:24Z)', '2026-03-02T14:30:00Z', 'AT_RISK'],
    ['resolution due (16:00Z)', '2026-03-02T16:00:00Z', 'BREACHED'],
  ])('responded at 09:30Z, %s', (_name, now, state) => {
    expect(slaState(at(now), responded)).toBe(state);
  });

  it('a late first response stays a breach', () => {
    expect(slaState(at('2026-03-02T11:00:00Z'), { ...responded, firstRespondedAt: at('2026-03-02T10:30:00Z') })).toBe('BREACHED');
  });

  it('is PAUSED while waiting for the customer, and resumes where it stopped', () => {
    // At-risk since 14:24Z; paused at 15:00Z; however late "now" is, a paused clock does not breach.
    expect(slaState(at('2026-03-02T15:30:00Z'), { ...responded, pauses: [{ from: overnight.from }] })).toBe('PAUSED');
    expect(slaState(at('2026-03-04T15:30:00Z'), { ...responded, pauses: [{ from: overnight.from }] })).toBe('PAUSED');
    // Resumed Tue 09:00Z with 1h left: at risk until 10:00Z, breached from then.
    expect(slaState(at('2026-03-03T09:30:00Z'), { ...responded, pauses: [overnight] })).toBe('AT_RISK');
    expect(slaState(at('2026-03-03T10:00:00Z'), { ...responded, pauses: [overnight] })).toBe('BREACHED');
  });

  it('a breached call paused afterwards stays BREACHED', () => {
    expect(slaState(at('2026-03-02T18:00:00Z'), { ...responded, pauses: [{ from: at('2026-03-02T17:00:00Z') }] })).toBe('BREACHED');
  });
});

describe('next SLA transition (the timer to arm)', () => {
  const responded = { policy, receivedAt, firstRespondedAt: at('2026-03-02T09:30:00Z') };
  const next = (now: string, input: Parameters<typeof nextSlaTransition>[1]) => {
    const transition = nextSlaTransition(at(now), input);
    return transition && [transition.state, transition.at.toISOString()];
  };

  it('walks ON_TRACK -> AT_RISK -> BREACHED', () => {
    // Not responded: first response at risk 09:36Z, due 10:00Z.
    expect(next('2026-03-02T08:00:00Z', { policy, receivedAt })).toEqual(['AT_RISK', '2026-03-02T09:36:00.000Z']);
    expect(next('2026-03-02T09:36:00Z', { policy, receivedAt })).toEqual(['BREACHED', '2026-03-02T10:00:00.000Z']);
    // Responded at 09:30Z: only the resolution target counts (at risk 14:24Z, due 16:00Z).
    expect(next('2026-03-02T09:30:00Z', responded)).toEqual(['AT_RISK', '2026-03-02T14:24:00.000Z']);
    expect(next('2026-03-02T14:24:00Z', responded)).toEqual(['BREACHED', '2026-03-02T16:00:00.000Z']);
    expect(next('2026-03-02T16:00:00Z', responded)).toBeNull();
  });

  it('arms nothing while paused, and the moved due time once resumed', () => {
    expect(next('2026-03-02T15:30:00Z', { ...responded, pauses: [{ from: overnight.from }] })).toBeNull();
    expect(next('2026-03-03T09:00:00Z', { ...responded, pauses: [overnight] })).toEqual(['BREACHED', '2026-03-03T10:00:00.000Z']);
  });

  it('skips a moment that does not change the state (first response at risk while resolution is already at risk)', () => {
    const tight = { ...policy, firstResponseTarget: 'PT7H' };
    // First response 7h: at risk after 5h36m (14:36 CET = 13:36Z), due 16:00 CET (15:00Z);
    // resolution 8h: at risk after 6h24m (14:24Z). At 13:36Z: AT_RISK; the next change is the first-response breach at 15:00Z.
    expect(next('2026-03-02T13:36:00Z', { policy: tight, receivedAt })).toEqual(['BREACHED', '2026-03-02T15:00:00.000Z']);
  });
});

describe('SLA clock: properties', () => {
  const arbInstant = (min: number, max: number) => fc.integer({ min, max }).map((ms) => new Date(ms));
  const start = Date.UTC(2026, 0, 1);
  const end = Date.UTC(2026, 11, 31);
  const arbPauses = fc.array(
    fc.tuple(fc.integer({ min: start, max: end }), fc.integer({ min: 0, max: 10 * 86_400_000 }), fc.boolean()).map(
      ([from, length, open]): SlaPause => ({ from: new Date(from), to: open ? undefined : new Date(from + length) }),
    ),
    { maxLength: 4 },
  );
  const arbPolicy = fc
    .record({ target: fc.integer({ min: 1, max: 80 }), warnAt: fc.double({ min: 0.05, max: 0.95, noNaN: true }), calendar: fc.constantFrom(berlin, null) })
    .map(({ target, warnAt, calendar }): SlaPolicy => ({ ...policy, firstResponseTarget: null, resolutionTarget: `PT${target}H`, warnAt, businessHours: calendar }));

  it('pausing never brings a due time forward, and due times lie at the end of open business time', () => {
    fc.assert(
      fc.property(arbPolicy, arbInstant(start, end), arbPauses, arbInstant(start, end), (p, received, pauses, now) => {
        const plain = computeSlaClock({ policy: p, receivedAt: received });
        const paused = computeSlaClock({ policy: p, receivedAt: received, pauses, now });
        const due = paused.resolutionDueAt;
        return (
          due.getTime() >= plain.resolutionDueAt.getTime() &&
          paused.resolutionAtRiskAt.getTime() >= plain.resolutionAtRiskAt.getTime() &&
          paused.resolutionAtRiskAt.getTime() <= due.getTime() &&
          isOpen(new Date(due.getTime() - 1), p.businessHours)
        );
      }),
      { numRuns: 100 },
    );
  });

  it('without pauses the state only moves forward (ON_TRACK -> AT_RISK -> BREACHED)', () => {
    const rank = { ON_TRACK: 0, AT_RISK: 1, BREACHED: 2, PAUSED: -1 };
    fc.assert(
      fc.property(arbPolicy, arbInstant(start, end), arbInstant(start, end), arbInstant(start, end), (p, received, a, b) => {
        const [earlier, later] = a <= b ? [a, b] : [b, a];
        return rank[slaState(earlier, { policy: p, receivedAt: received })] <= rank[slaState(later, { policy: p, receivedAt: received })];
      }),
      { numRuns: 100 },
    );
  });

  it('a longer target never gives an earlier due time', () => {
    fc.assert(
      fc.property(arbPolicy, fc.integer({ min: 1, max: 40 }), arbInstant(start, end), arbPauses, (p, extra, received, pauses) => {
        const longer = { ...p, resolutionTarget: `PT${Number(p.resolutionTarget.slice(2, -1)) + extra}H` };
        return (
          computeSlaClock({ policy: p, receivedAt: received, pauses }).resolutionDueAt.getTime() <=
          computeSlaClock({ policy: longer, receivedAt: received, pauses }).resolutionDueAt.getTime()
        );
      }),
      { numRuns: 100 },
    );
  });
});
