import fc from 'fast-check';
import { isOpen } from '../sla/business-clock';
import { BusinessHours, validateBusinessHours, WEEKDAYS } from '../sla/business-hours';
import { compareRoutingScores, ineligibility, isEligible, routeCall, RoutingRule, speaksLanguage } from './routing-policy';
import { AgentAbsence, AgentSkill, RoutingCandidate, RoutingDecision, RoutingRequest } from './routing.types';

// Mon 2026-11-23 10:00Z = 11:00 in Berlin (CET).
const NOW = new Date('2026-11-23T10:00:00.000Z');
const BERLIN_OFFICE = validateBusinessHours({
  timezone: 'Europe/Berlin',
  weekly: ['MON', 'TUE', 'WED', 'THU', 'FRI'].map((day) => ({ day, from: '09:00', to: '17:00' })),
}) as BusinessHours;
const NIGHT_SHIFT = validateBusinessHours({
  timezone: 'Europe/Berlin',
  weekly: WEEKDAYS.map((day) => ({ day, from: '20:00', to: '24:00' })),
}) as BusinessHours;

const billing = (level = 3): AgentSkill => ({ kind: 'CATEGORY', key: 'billing', level });

function agent(agentId: string, over: Partial<RoutingCandidate> = {}): RoutingCandidate {
  return {
    agentId,
    regions: ['de-north'],
    skills: [billing()],
    languages: ['de'],
    roles: [],
    capacity: 5,
    openCalls: 0,
    availability: 'AVAILABLE',
    workingHours: null,
    absences: [],
    lastAssignedAt: null,
    ...over,
  };
}

function call(over: Partial<RoutingRequest> = {}): RoutingRequest {
  return { callId: 'call-1', region: 'de-north', category: 'billing', product: null, language: null, ...over };
}

const absence = (from: string, to: string, over: Partial<AgentAbsence> = {}): AgentAbsence => ({
  id: 'abs-1',
  from,
  to,
  reason: 'holiday',
  replacementAgentId: null,
  cancelledAt: null,
  ...over,
});

function assigned(decision: RoutingDecision): Extract<RoutingDecision, { outcome: 'ASSIGNED' }> {
  if (decision.outcome !== 'ASSIGNED') throw new Error(`expected ASSIGNED, got ${JSON.stringify(decision)}`);
  return decision;
}

describe('routing eligibility: each rule', () => {
  const cases: [string, Partial<RoutingCandidate>, Partial<RoutingRequest>, RoutingRule | null][] = [
    ['a matching available agent', {}, {}, null],
    ['excluded agent', {}, { excludeAgentIds: ['a'] }, 'excluded'],
    ['other region', { regions: ['de-south'] }, {}, 'region'],
    ['region compared case-insensitively', { regions: ['DE-North'] }, { region: ' de-NORTH ' }, null],
    ['"*" covers every region', { regions: ['*'] }, {}, null],
    ['a call without region fits any agent', { regions: ['fr'] }, { region: null }, null],
    ['no skill for the category', { skills: [{ kind: 'CATEGORY', key: 'repair', level: 5 }] }, {}, 'skill'],
    ['category skill compared case-insensitively', { skills: [{ kind: 'CATEGORY', key: 'Billing ', level: 1 }] }, {}, null],
    ['a product skill matches the call product', { skills: [{ kind: 'PRODUCT', key: 'DW-300', level: 2 }] }, { product: 'dw-300' }, null],
    ['a product skill never matches a category', { skills: [{ kind: 'PRODUCT', key: 'billing', level: 2 }] }, {}, 'skill'],
    ['a category skill never matches a product', { skills: [{ kind: 'CATEGORY', key: 'dw-300', level: 2 }] }, { category: 'x', product: 'dw-300' }, 'skill'],
    ['missing required role', { roles: ['agent'] }, { requiredRole: 'dispatcher' }, 'role'],
    ['holding the required role', { roles: ['Dispatcher'] }, { requiredRole: 'dispatcher' }, null],
    ['AWAY', { availability: 'AWAY' }, {}, 'availability'],
    ['OFFLINE', { availability: 'OFFLINE' }, {}, 'availability'],
    ['at capacity', { openCalls: 5, capacity: 5 }, {}, 'capacity'],
    ['one below capacity', { openCalls: 4, capacity: 5 }, {}, null],
    ['absent now', { absences: [absence('2026-11-20T00:00:00Z', '2026-11-30T00:00:00Z')] }, {}, 'absent'],
    ['absence ends exactly now ([from, to))', { absences: [absence('2026-11-20T00:00:00Z', '2026-11-23T10:00:00Z')] }, {}, null],
    ['absence starts exactly now', { absences: [absence('2026-11-23T10:00:00Z', '2026-11-30T00:00:00Z')] }, {}, 'absent'],
    ['cancelled absence', { absences: [absence('2026-11-20T00:00:00Z', '2026-11-30T00:00:00Z', { cancelledAt: '2026-11-19T00:00:00Z' })] }, {}, null],
    ['future absence', { absences: [absence('2026-12-20T00:00:00Z', '2026-12-30T00:00:00Z')] }, {}, null],
    ['inside working hours', { workingHours: BERLIN_OFFICE }, {}, null],
    ['outside working hours', { workingHours: NIGHT_SHIFT }, {}, 'working-hours'],
    ['on a holiday of the calendar', { workingHours: { ...BERLIN_OFFICE, holidays: ['2026-11-23'] } }, {}, 'working-hours'],
    ['the day after a holiday', { workingHours: { ...BERLIN_OFFICE, holidays: ['2026-11-22'] } }, {}, null],
    ['language is not mandatory', { languages: ['fr'] }, { language: 'de' }, null],
  ];
  it.each(cases)('%s', (_name, candidate, request, expected) => {
    expect(ineligibility(call(request), agent('a', candidate), NOW)).toBe(expected);
    expect(isEligible(call(request), agent('a', candidate), NOW)).toBe(expected === null);
  });

  it('reports the first failing rule in the documented order', () => {
    const c = agent('a', { regions: ['fr'], availability: 'OFFLINE', openCalls: 9 });
    expect(ineligibility(call(), c, NOW)).toBe('region');
    expect(ineligibility(call(), { ...c, regions: ['*'] }, NOW)).toBe('availability');
  });
});

describe('routing decision: score order and reasons', () => {
  it('picks the lowest load ratio, not the lowest count', () => {
    const d = assigned(routeCall(call(), [agent('a', { openCalls: 2, capacity: 10 }), agent('b', { openCalls: 1, capacity: 2 })], NOW));
    expect(d.agentId).toBe('a');
    expect(d.score).toMatchObject({ loadRatio: 0.2, openCalls: 2, capacity: 10, skillLevel: 3 });
    expect(d.runnerUp).toMatchObject({ agentId: 'b', score: { loadRatio: 0.5 } });
    expect(d.reasons).toEqual(['region:de-north', 'category:billing@3', 'load:2/10', 'decided-by:load']);
  });

  it('on equal load prefers the higher skill level', () => {
    const d = assigned(routeCall(call(), [agent('a', { skills: [billing(2)] }), agent('b', { skills: [billing(4)] })], NOW));
    expect(d.agentId).toBe('b');
    expect(d.reasons).toContain('category:billing@4');
    expect(d.reasons).toContain('decided-by:skill');
  });

  it('counts the best of the matching category and product skills', () => {
    const a = agent('a', { skills: [billing(2), { kind: 'PRODUCT', key: 'dw-300', level: 5 }] });
    const b = agent('b', { skills: [billing(4)] });
    const d = assigned(routeCall(call({ product: 'DW-300' }), [a, b], NOW));
    expect(d.agentId).toBe('a');
    expect(d.score.skillLevel).toBe(5);
    expect(d.reasons).toEqual(['region:de-north', 'category:billing@2', 'product:dw-300@5', 'load:0/5', 'decided-by:skill']);
  });

  it('on equal load and skill prefers the longest idle; never assigned comes first', () => {
    const candidates = [
      agent('a', { lastAssignedAt: '2026-11-23T09:00:00Z' }),
      agent('b', { lastAssignedAt: '2026-11-23T08:00:00Z' }),
      agent('c', { lastAssignedAt: null }),
    ];
    expect(assigned(routeCall(call(), candidates, NOW)).agentId).toBe('c');
    const d = assigned(routeCall(call(), candidates.slice(0, 2), NOW));
    expect(d.agentId).toBe('b');
    expect(d.reasons).toContain('decided-by:idle');
    // instants compared as instants, not strings: 10:30+02:00 is 08:30Z, later than 08:00Z
    expect(assigned(routeCall(call(), [agent('x', { lastAssignedAt: '2026-11-23T10:30:00+02:00' }), candidates[1]], NOW)).agentId).toBe('b');
  });

  it('breaks a full tie by agentId, whatever the order of the candidates', () => {
    const d1 = assigned(routeCall(call(), [agent('b'), agent('a')], NOW));
    const d2 = assigned(routeCall(call(), [agent('a'), agent('b')], NOW));
    expect(d1).toEqual(d2);
    expect(d1.agentId).toBe('a');
    expect(d1.reasons).toContain('decided-by:agent-id');
  });
});

describe('routing decision: language, preferred agent, reasons', () => {
  it('lets only speakers of the call language compete when there are any', () => {
    const d = assigned(routeCall(call({ language: 'en' }), [agent('a', { openCalls: 0 }), agent('b', { openCalls: 3, languages: ['de', 'en-GB'] })], NOW));
    expect(d.agentId).toBe('b');
    expect(d.reasons).toContain('language:en');
    expect(d.score.languageMatch).toBe(true);
    expect(d.runnerUp).toBeNull();
    expect(d.eligible).toBe(2);
  });

  it('falls back to any eligible agent when nobody speaks the language, and says so', () => {
    const d = assigned(routeCall(call({ language: 'fr' }), [agent('a'), agent('b', { openCalls: 1 })], NOW));
    expect(d.agentId).toBe('a');
    expect(d.reasons).toContain('language-unmatched:fr');
    expect(d.runnerUp?.agentId).toBe('b');
  });

  it('matches languages by tag or primary language', () => {
    expect(speaksLanguage(['de'], 'de-AT')).toBe(true);
    expect(speaksLanguage(['en-us'], 'en-gb')).toBe(true);
    expect(speaksLanguage(['de'], 'fr')).toBe(false);
  });

  it('gives the call to an eligible preferred agent (absence replacement) over a better score', () => {
    const d = assigned(routeCall(call({ preferredAgentId: 'r' }), [agent('a'), agent('r', { openCalls: 4 })], NOW));
    expect(d.agentId).toBe('r');
    expect(d.reasons[0]).toBe('preferred:r');
    expect(d.reasons).toContain('decided-by:preferred');
    expect(d.runnerUp?.agentId).toBe('a');
  });

  it('routes by score when the preferred agent is not eligible, and records why', () => {
    const d = assigned(routeCall(call({ preferredAgentId: 'r' }), [agent('a'), agent('r', { availability: 'AWAY' })], NOW));
    expect(d.agentId).toBe('a');
    expect(d.reasons[0]).toBe('preferred-ineligible:availability');
    expect(assigned(routeCall(call({ preferredAgentId: 'ghost' }), [agent('a')], NOW)).reasons[0]).toBe('preferred-ineligible:unknown-agent');
  });

  it('names the region matched through "*" and the role', () => {
    const d = assigned(routeCall(call({ requiredRole: 'dispatcher' }), [agent('a', { regions: ['*'], roles: ['dispatcher'] })], NOW));
    expect(d.reasons).toEqual(['region:*', 'category:billing@3', 'role:dispatcher', 'load:0/5', 'decided-by:only-candidate']);
    expect(assigned(routeCall(call({ region: null }), [agent('a')], NOW)).reasons[0]).toBe('region:any');
  });

  it('queues with counts per rule when nobody is eligible', () => {
    const candidates = [
      agent('a', { regions: ['fr'] }),
      agent('b', { regions: ['fr'] }),
      agent('c', { availability: 'OFFLINE' }),
      agent('d', { openCalls: 5 }),
      agent('e', { absences: [absence('2026-11-01T00:00:00Z', '2026-12-01T00:00:00Z')] }),
      agent('f', { workingHours: NIGHT_SHIFT }),
      agent('g', { skills: [] }),
    ];
    expect(routeCall(call(), candidates, NOW)).toEqual({
      outcome: 'QUEUED',
      reasons: ['no-eligible-agent', 'agents:7', 'region:2', 'skill:1', 'availability:1', 'capacity:1', 'absent:1', 'working-hours:1'],
      considered: 7,
    });
    expect(routeCall(call(), [], NOW)).toEqual({ outcome: 'QUEUED', reasons: ['no-eligible-agent', 'agents:0'], considered: 0 });
  });

  it('compares scores as routing does', () => {
    const s = { loadRatio: 0, openCalls: 1, capacity: 4, skillLevel: 3, lastAssignedAt: null, languageMatch: false };
    expect(compareRoutingScores({ ...s, agentId: 'a' }, { ...s, openCalls: 2, agentId: 'b' })).toBeLessThan(0);
    expect(compareRoutingScores({ ...s, agentId: 'a' }, { ...s, skillLevel: 4, agentId: 'b' })).toBeGreaterThan(0);
  });
});

describe('working hours inside routing agree with the business clock', () => {
  const zones = ['Europe/Berlin', 'America/New_York', 'Australia/Sydney', 'Asia/Kolkata', 'UTC'];
  const calendarArb = fc
    .record({
      timezone: fc.constantFrom(...zones),
      days: fc.subarray([...WEEKDAYS], { minLength: 1 }),
      from: fc.integer({ min: 0, max: 22 }),
      length: fc.integer({ min: 1, max: 24 }),
      holiday: fc.boolean(),
    })
    .map(({ timezone, days, from, length, holiday }) => {
      const to = Math.min(24, from + length);
      const hh = (h: number): string => `${String(h).padStart(2, '0')}:00`;
      return validateBusinessHours({
        timezone,
        weekly: days.map((day) => ({ day, from: hh(from), to: hh(to) })),
        holidays: holiday ? ['2026-03-29', '2026-11-01'] : [],
      }) as BusinessHours;
    });
  // 2026, around both DST switches of Europe and the US (and Sydney's April / October ones).
  const minute = (ms: number): Date => new Date(Math.floor(ms / 60_000) * 60_000);
  const instantArb = fc.oneof(
    fc.integer({ min: Date.UTC(2026, 2, 1), max: Date.UTC(2026, 10, 30) }).map(minute),
    // around the holidays below (local dates differ from UTC ones by up to a day)
    fc.integer({ min: Date.UTC(2026, 2, 28), max: Date.UTC(2026, 2, 31) }).map(minute),
    fc.integer({ min: Date.UTC(2026, 9, 31), max: Date.UTC(2026, 10, 3) }).map(minute),
  );

  it('eligible on working hours exactly when isOpen says so', () => {
    fc.assert(
      fc.property(calendarArb, instantArb, (calendar, now) => {
        const open = ineligibility(call(), agent('a', { workingHours: calendar }), now) !== 'working-hours';
        expect(open).toBe(isOpen(now, calendar));
      }),
      { numRuns: 500 },
    );
  });

  it('also at DST switches, minute by minute', () => {
    const calendar = validateBusinessHours({ timezone: 'Europe/Berlin', weekly: WEEKDAYS.map((day) => ({ day, from: '02:00', to: '03:30' })) }) as BusinessHours;
    for (let ms = Date.UTC(2026, 2, 28, 23); ms < Date.UTC(2026, 2, 29, 3); ms += 60_000) {
      const now = new Date(ms);
      expect(isEligible(call(), agent('a', { workingHours: calendar }), now)).toBe(isOpen(now, calendar));
    }
    for (let ms = Date.UTC(2026, 9, 24, 23); ms < Date.UTC(2026, 9, 25, 3); ms += 60_000) {
      const now = new Date(ms);
      expect(isEligible(call(), agent('a', { workingHours: calendar }), now)).toBe(isOpen(now, calendar));
    }
  });
});

// ------------------------------------------------------------------------------------------------ properties

const REGIONS = ['de-north', 'de-south', 'fr', '*'];
const CATEGORIES = ['billing', 'repair', 'complaint'];
const candidateArb = (agentId: string): fc.Arbitrary<RoutingCandidate> =>
  fc
    .record({
      regions: fc.subarray(REGIONS, { minLength: 1 }),
      skills: fc.array(
        fc.record({ kind: fc.constantFrom('CATEGORY' as const, 'PRODUCT' as const), key: fc.constantFrom(...CATEGORIES, 'dw-300'), level: fc.integer({ min: 1, max: 5 }) }),
        { maxLength: 3 },
      ),
      languages: fc.subarray(['de', 'en', 'fr']),
      roles: fc.subarray(['dispatcher', 'technician']),
      capacity: fc.integer({ min: 1, max: 6 }),
      load: fc.integer({ min: 0, max: 7 }),
      availability: fc.constantFrom('AVAILABLE' as const, 'AVAILABLE' as const, 'AWAY' as const, 'OFFLINE' as const),
      absent: fc.boolean(),
      hours: fc.constantFrom(null, BERLIN_OFFICE, NIGHT_SHIFT),
      lastAssignedAt: fc.option(fc.integer({ min: 0, max: 10_000 }).map((m) => new Date(NOW.getTime() - m * 60_000).toISOString())),
    })
    .map(({ load, absent, hours, ...rest }) => ({
      agentId,
      ...rest,
      openCalls: Math.min(load, rest.capacity),
      workingHours: hours,
      absences: absent ? [absence('2026-11-23T00:00:00Z', '2026-11-24T00:00:00Z')] : [],
    }));
const candidatesArb = fc.integer({ min: 0, max: 12 }).chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => candidateArb(`agt-${i}`))));
const requestArb = fc.record({
  callId: fc.constant('call-p'),
  region: fc.constantFrom(null, 'de-north', 'de-south', 'fr'),
  category: fc.constantFrom(...CATEGORIES),
  product: fc.constantFrom(null, 'dw-300'),
  language: fc.constantFrom(null, 'de', 'en', 'fr'),
  requiredRole: fc.constantFrom(null, 'dispatcher'),
});

describe('routing properties', () => {
  it('never assigns an ineligible agent, never one at capacity; queues only when nobody is eligible', () => {
    fc.assert(
      fc.property(requestArb, candidatesArb, (request, candidates) => {
        const decision = routeCall(request, candidates, NOW);
        const eligible = candidates.filter((c) => isEligible(request, c, NOW));
        if (decision.outcome === 'QUEUED') {
          expect(eligible).toHaveLength(0);
          return;
        }
        const chosen = candidates.find((c) => c.agentId === decision.agentId) as RoutingCandidate;
        expect(isEligible(request, chosen, NOW)).toBe(true);
        expect(chosen.openCalls).toBeLessThan(chosen.capacity);
        expect(decision.eligible).toBe(eligible.length);
        if (decision.runnerUp) expect(isEligible(request, candidates.find((c) => c.agentId === decision.runnerUp?.agentId) as RoutingCandidate, NOW)).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });

  it('gives the call to an agent with the minimal load ratio among those competing', () => {
    fc.assert(
      fc.property(requestArb, candidatesArb, (request, candidates) => {
        const decision = routeCall(request, candidates, NOW);
        if (decision.outcome !== 'ASSIGNED') return;
        const eligible = candidates.filter((c) => isEligible(request, c, NOW));
        const speakers = request.language ? eligible.filter((c) => speaksLanguage(c.languages, request.language as string)) : [];
        const competing = speakers.length > 0 ? speakers : eligible;
        const minRatio = Math.min(...competing.map((c) => c.openCalls / c.capacity));
        expect(decision.score.loadRatio).toBeCloseTo(minRatio, 12);
        // and the runner-up never ranks before the winner
        if (decision.runnerUp) {
          expect(compareRoutingScores({ ...decision.score, agentId: decision.agentId }, { ...decision.runnerUp.score, agentId: decision.runnerUp.agentId })).toBeLessThan(0);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('does not depend on the order of the candidates', () => {
    fc.assert(
      fc.property(requestArb, candidatesArb, fc.integer(), (request, candidates, seed) => {
        const shuffled = [...candidates].sort((a, b) => ((a.agentId.charCodeAt(4) * 31 + seed) % 7) - ((b.agentId.charCodeAt(4) * 31 + seed) % 7));
        expect(routeCall(request, shuffled, NOW)).toEqual(routeCall(request, candidates, NOW));
      }),
      { numRuns: 300 },
    );
  });

  it('200 calls over 10 equal agents, routed one by one, end with a load spread of at most one call', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ level: fc.integer({ min: 1, max: 5 }), idle: fc.option(fc.nat(1000)) }), { minLength: 10, maxLength: 10 }),
        fc.integer({ min: 20, max: 40 }),
        (profiles, capacity) => {
          const agents = profiles.map((p, i) =>
            agent(`agt-${i}`, { skills: [billing(p.level)], capacity, lastAssignedAt: p.idle === null ? null : new Date(NOW.getTime() - p.idle * 1000).toISOString() }),
          );
          for (let n = 0; n < 200; n += 1) {
            const d = assigned(routeCall(call({ callId: `call-${n}` }), agents, NOW));
            const chosen = agents.find((a) => a.agentId === d.agentId) as RoutingCandidate;
            chosen.openCalls += 1;
            chosen.lastAssignedAt = NOW.toISOString();
          }
          const loads = agents.map((a) => a.openCalls);
          expect(Math.max(...loads) - Math.min(...loads)).toBeLessThanOrEqual(1);
          expect(loads.reduce((s, l) => s + l, 0)).toBe(200);
          expect(Math.max(...loads)).toBeLessThanOrEqual(capacity);
        },
      ),
      { numRuns: 50 },
    );
  });
});
