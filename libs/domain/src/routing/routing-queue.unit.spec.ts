import fc from 'fast-check';
import { isEligible } from './routing-policy';
import { compareQueued, mustWaitBehind, orderQueue, serveQueue } from './routing-queue';
import { QueuedCall, RoutingCandidate, RoutingRequest } from './routing.types';

const NOW = new Date('2026-11-23T10:00:00.000Z');
const minutesAgo = (m: number): string => new Date(NOW.getTime() - m * 60_000).toISOString();
const inMinutes = (m: number): string => new Date(NOW.getTime() + m * 60_000).toISOString();

function agent(agentId: string, over: Partial<RoutingCandidate> = {}): RoutingCandidate {
  return {
    agentId,
    regions: ['*'],
    skills: [{ kind: 'CATEGORY', key: 'billing', level: 3 }],
    languages: ['de'],
    roles: [],
    capacity: 1,
    openCalls: 0,
    availability: 'AVAILABLE',
    workingHours: null,
    absences: [],
    lastAssignedAt: null,
    ...over,
  };
}

function queued(callId: string, over: Partial<Omit<QueuedCall, 'request'>> = {}, request: Partial<RoutingRequest> = {}): QueuedCall {
  return {
    callId,
    dueAt: null,
    queuedAt: minutesAgo(5),
    receivedAt: minutesAgo(10),
    ...over,
    request: { callId, region: 'de-north', category: 'billing', product: null, language: null, ...request },
  };
}

describe('queue order', () => {
  it('serves the soonest SLA due time first, calls without one last', () => {
    const q = [queued('none', { receivedAt: minutesAgo(99) }), queued('later', { dueAt: inMinutes(30) }), queued('soon', { dueAt: inMinutes(5) })];
    expect(orderQueue(q).map((c) => c.callId)).toEqual(['soon', 'later', 'none']);
  });

  it('within equal due times, the oldest received first, then the first queued, then callId', () => {
    const due = inMinutes(30);
    const q = [
      queued('c', { dueAt: due, receivedAt: minutesAgo(10), queuedAt: minutesAgo(1) }),
      queued('b', { dueAt: due, receivedAt: minutesAgo(10), queuedAt: minutesAgo(2) }),
      queued('a', { dueAt: due, receivedAt: minutesAgo(10), queuedAt: minutesAgo(1) }),
      queued('old', { dueAt: due, receivedAt: minutesAgo(20) }),
    ];
    expect(orderQueue(q).map((c) => c.callId)).toEqual(['old', 'b', 'a', 'c']);
  });

  it('compares instants, not strings (offsets)', () => {
    const a = queued('a', { dueAt: '2026-11-23T11:30:00+02:00' }); // 09:30Z
    const b = queued('b', { dueAt: '2026-11-23T10:00:00Z' });
    expect(compareQueued(a, b)).toBeLessThan(0);
  });

  it('is a total order: antisymmetric, and ties only for the same call', () => {
    const callArb = fc.record({
      callId: fc.constantFrom('a', 'b', 'c'),
      dueAt: fc.option(fc.integer({ min: 0, max: 3 }).map(inMinutes)),
      receivedAt: fc.integer({ min: 0, max: 3 }).map(minutesAgo),
      queuedAt: fc.integer({ min: 0, max: 3 }).map(minutesAgo),
    });
    fc.assert(
      fc.property(callArb, callArb, (x, y) => {
        const a = queued(x.callId, x);
        const b = queued(y.callId, y);
        expect(Math.sign(compareQueued(a, b))).toBe(-Math.sign(compareQueued(b, a)) || 0);
        if (compareQueued(a, b) === 0) expect(a.callId).toBe(b.callId);
      }),
    );
  });
});

describe('serving the queue', () => {
  it('gives freed capacity to the most urgent call, and counts each assignment into the load', () => {
    const q = [queued('new', { receivedAt: minutesAgo(1) }), queued('urgent', { dueAt: inMinutes(3) }), queued('old', { receivedAt: minutesAgo(30) })];
    const agents = [agent('a'), agent('b')];
    const served = serveQueue(q, agents, NOW);
    expect(served.assignments.map((a) => [a.callId, a.decision.agentId])).toEqual([
      ['urgent', 'a'],
      ['old', 'b'],
    ]);
    expect(served.remaining.map((c) => c.callId)).toEqual(['new']);
    expect(served.assignments[1]?.decision.score).toMatchObject({ openCalls: 0, capacity: 1 });
    // the caller's candidates are not changed
    expect(agents.map((a) => a.openCalls)).toEqual([0, 0]);
  });

  it('lets a newer call through only to an agent the older waiting call cannot use', () => {
    const q = [
      queued('old-fr', { receivedAt: minutesAgo(30) }, { language: null, region: 'fr' }),
      queued('new-de', { receivedAt: minutesAgo(1) }, { region: 'de-north' }),
    ];
    const served = serveQueue(q, [agent('de-only', { regions: ['de-north'] })], NOW);
    expect(served.assignments.map((a) => a.callId)).toEqual(['new-de']);
    expect(served.remaining.map((c) => c.callId)).toEqual(['old-fr']);
  });

  it('keeps everything waiting, in order, when every agent is full', () => {
    const q = [queued('b', { receivedAt: minutesAgo(1) }), queued('a', { receivedAt: minutesAgo(2) })];
    const served = serveQueue(q, [agent('x', { openCalls: 1 })], NOW);
    expect(served).toEqual({ assignments: [], remaining: [q[1], q[0]] });
  });

  it('sets lastAssignedAt so the next equal agent gets the next call', () => {
    const q = [queued('1', { receivedAt: minutesAgo(3) }), queued('2', { receivedAt: minutesAgo(2) }), queued('3', { receivedAt: minutesAgo(1) })];
    const served = serveQueue(q, [agent('a', { capacity: 5 }), agent('b', { capacity: 5 }), agent('c', { capacity: 5 })], NOW);
    expect(served.assignments.map((a) => a.decision.agentId)).toEqual(['a', 'b', 'c']);
  });
});

// ------------------------------------------------------------------------------------------------ properties

const REGIONS = ['de-north', 'fr', '*'];
const CATEGORIES = ['billing', 'repair'];
const agentArb = (id: string): fc.Arbitrary<RoutingCandidate> =>
  fc
    .record({
      regions: fc.subarray(REGIONS, { minLength: 1 }),
      category: fc.constantFrom(...CATEGORIES),
      level: fc.integer({ min: 1, max: 5 }),
      capacity: fc.integer({ min: 1, max: 3 }),
      openCalls: fc.integer({ min: 0, max: 3 }),
      availability: fc.constantFrom('AVAILABLE' as const, 'AVAILABLE' as const, 'AWAY' as const),
    })
    .map(({ category, level, openCalls, capacity, ...rest }) =>
      agent(id, { ...rest, capacity, openCalls: Math.min(openCalls, capacity), skills: [{ kind: 'CATEGORY', key: category, level }] }),
    );
const queueArb = fc.array(
  fc.record({
    dueAt: fc.option(fc.integer({ min: 0, max: 2 }).map((m) => inMinutes(m * 10))),
    receivedAt: fc.integer({ min: 0, max: 50 }).map(minutesAgo),
    region: fc.constantFrom('de-north', 'fr', null),
    category: fc.constantFrom(...CATEGORIES),
  }),
  { maxLength: 25 },
);
const scenarioArb = fc.tuple(
  fc.integer({ min: 0, max: 6 }).chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => agentArb(`agt-${i}`)))),
  queueArb.map((calls) => calls.map((c, i) => queued(`call-${String(i).padStart(2, '0')}`, { dueAt: c.dueAt, receivedAt: c.receivedAt }, { region: c.region, category: c.category }))),
);

describe('a new call and the calls already waiting', () => {
  it('waits when an older waiting call of the same urgency would take the one free agent', () => {
    const older = queued('older', { receivedAt: minutesAgo(10) });
    const fresh = queued('fresh', { receivedAt: minutesAgo(0) });
    expect(mustWaitBehind(fresh, [older], [agent('a')], NOW)).toBe(true);
  });
  it('goes ahead when there is an agent left for it, or the waiting calls cannot use any agent', () => {
    const older = queued('older', { receivedAt: minutesAgo(10) });
    const fresh = queued('fresh', { receivedAt: minutesAgo(0) });
    expect(mustWaitBehind(fresh, [older], [agent('a'), agent('b')], NOW)).toBe(false);
    const repair = queued('repair', { receivedAt: minutesAgo(10) }, { category: 'repair' });
    expect(mustWaitBehind(fresh, [repair], [agent('a')], NOW)).toBe(false);
    expect(mustWaitBehind(fresh, [], [agent('a')], NOW)).toBe(false);
  });
  it('goes ahead of waiting calls that are less urgent (a later SLA due time)', () => {
    const relaxed = queued('relaxed', { receivedAt: minutesAgo(10), dueAt: inMinutes(240) });
    const urgent = queued('urgent', { receivedAt: minutesAgo(0), dueAt: inMinutes(30) });
    expect(mustWaitBehind(urgent, [relaxed], [agent('a')], NOW)).toBe(false);
  });
});

describe('queue properties', () => {
  it('never lets a later call take an agent an earlier waiting call could have had', () => {
    fc.assert(
      fc.property(scenarioArb, ([agents, queue]) => {
        const served = serveQueue(queue, agents, NOW);
        const ordered = orderQueue(queue);
        const position = new Map(ordered.map((c, i) => [c.callId, i]));
        for (const waiting of served.remaining) {
          for (const { callId, decision } of served.assignments) {
            if ((position.get(callId) as number) < (position.get(waiting.callId) as number)) continue;
            // The agent as it was just before this later assignment: loads only grow, so it had at
            // least that much room when the waiting call's turn came.
            const before = { ...(agents.find((a) => a.agentId === decision.agentId) as RoutingCandidate), openCalls: decision.score.openCalls };
            expect(isEligible(waiting.request, before, NOW)).toBe(false);
          }
        }
      }),
      { numRuns: 500 },
    );
  });

  it('never assigns over capacity, serves in queue order, and loses no call', () => {
    fc.assert(
      fc.property(scenarioArb, ([agents, queue]) => {
        const served = serveQueue(queue, agents, NOW);
        const taken = new Map<string, number>();
        for (const { decision } of served.assignments) taken.set(decision.agentId, (taken.get(decision.agentId) ?? 0) + 1);
        for (const a of agents) {
          const extra = taken.get(a.agentId) ?? 0;
          if (extra > 0) expect(a.openCalls + extra).toBeLessThanOrEqual(a.capacity);
        }
        const ordered = orderQueue(queue).map((c) => c.callId);
        const assignedIds = served.assignments.map((a) => a.callId);
        expect(assignedIds).toEqual(ordered.filter((id) => assignedIds.includes(id)));
        expect(served.remaining.map((c) => c.callId)).toEqual(ordered.filter((id) => !assignedIds.includes(id)));
      }),
      { numRuns: 500 },
    );
  });
});
