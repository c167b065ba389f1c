// The routing side of `npm run bench` (issue 5): the pure routing policy from the built dist/ (the
// product's own code), without starting the product. Target: one routing decision p99 under 5 ms with
// 1,000 agents.
//
//   1. builds (scripts/build.mjs: swc of apps/, libs/ and workflows/ to dist/; skipped when up to date)
//      and loads libs/domain from dist/;
//   2. makes BENCH_ROUTING_AGENTS (1,000) random agents: 8 regions (5% cover "*"), 1-4 skills among 12
//      categories and 20 products, 1-2 of 6 languages, capacity 1-10 at a random load, 85% AVAILABLE,
//      10% with an absence (half of them now), working hours from 5 zones (a third around the clock),
//      each agent with its own calendar object as the read model would give it;
//   3. routes BENCH_ROUTING_WARMUP (1,000) then BENCH_ROUTING_DECISIONS (10,000) random calls one by one
//      (region, category, product half of the time, language, a required role 10% of the time), timing
//      each routeCall; an assigned call adds to the agent's load and every call frees a random held call
//      about as often, so loads stay mid-range instead of filling up;
//   4. the worst case, BENCH_ROUTING_BROAD (500) decisions in which every agent within working hours is
//      eligible, each on freshly copied agents (as a read-model query returns them): reported, no target;
//   5. serves a queue of 200 calls that arrive at once against 10 agents (capacity 30, skill levels 1-5) and checks
//      that no agent is over capacity and that the load spread is at most one call.
// Deterministic for a given BENCH_ROUTING_SEED (and `now` is fixed).
import { createRequire } from 'node:module';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { build } from '../build.mjs';
import { ms, summarize, table } from './stats.mjs';

export const ROUTING_TARGET = { decisionP99Ms: 5 };

function prng(seed) {
  let t = seed >>> 0;
  return () => {
    t = (t + 0x6d2b79f5) >>> 0;
    let r = Math.imul(t ^ (t >>> 15), 1 | t);
    r = (r + Math.imul(r ^ (r >>> 7), 61 | r)) ^ r;
    return ((r ^ (r >>> 14)) >>> 0) / 4294967296;
  };
}

const REGIONS = ['de-north', 'de-south', 'de-east', 'de-west', 'at', 'ch', 'fr', 'nl'];
const CATEGORIES = ['billing', 'repair', 'complaint', 'installation', 'delivery', 'warranty', 'returns', 'account', 'technical', 'sales', 'cancellation', 'feedback'];
const PRODUCTS = Array.from({ length: 20 }, (_, i) => `product-${i + 1}`);
const LANGUAGES = ['de', 'en', 'fr', 'nl', 'it', 'tr'];
const ROLES = ['dispatcher', 'technician', 'supervisor'];
const ZONES = ['Europe/Berlin', 'Europe/London', 'America/New_York', 'Asia/Kolkata', 'Australia/Sydney'];
const WEEKDAYS = ['MON', 'TUE', 'WED', 'THU', 'FRI'];

export async function routingSide({ root, cfg, say }) {
  say(`\n=== routing: ${cfg.agents} agents, ${cfg.decisions} decisions (pure policy, no product) ===`);
  build();
  const require = createRequire(path.join(root, 'package.json'));
  const domain = require(path.join(root, 'dist', 'libs/domain/src/index.js'));
  const { routeCall, serveQueue, validateBusinessHours } = domain;

  const random = prng(cfg.seed);
  const pick = (list) => list[Math.floor(random() * list.length)];
  const some = (list, min, max) => {
    const n = min + Math.floor(random() * (max - min + 1));
    return [...list].sort(() => random() - 0.5).slice(0, n);
  };
  // A fixed Wednesday noon (UTC), so the figures do not depend on when the bench runs: open in
  // Berlin, London, New York (07:00) and Kolkata, closed in Sydney (23:00).
  const now = new Date('2026-11-25T12:00:00.000Z');
  const iso = (offsetMs) => new Date(now.getTime() + offsetMs).toISOString();

  // ------------------------------------------------------------------------------------------- agents
  const calendarJson = ZONES.map((timezone) =>
    JSON.stringify(validateBusinessHours({ timezone, weekly: WEEKDAYS.map((day) => ({ day, from: '07:00', to: '22:00' })), holidays: ['2026-12-25', '2027-01-01'] })),
  );
  const agents = Array.from({ length: cfg.agents }, (_, i) => {
    const capacity = 1 + Math.floor(random() * 10);
    const absent = random() < 0.1;
    const absentNow = absent && random() < 0.5;
    return {
      agentId: `agt_${String(i).padStart(5, '0')}`,
      regions: random() < 0.05 ? ['*'] : some(REGIONS, 1, 3),
      skills: [
        ...some(CATEGORIES, 1, 3).map((key) => ({ kind: 'CATEGORY', key, level: 1 + Math.floor(random() * 5) })),
        ...some(PRODUCTS, 0, 2).map((key) => ({ kind: 'PRODUCT', key, level: 1 + Math.floor(random() * 5) })),
      ],
      languages: some(LANGUAGES, 1, 2),
      roles: random() < 0.3 ? some(ROLES, 1, 2) : [],
      capacity,
      openCalls: Math.floor(random() * capacity),
      availability: random() < 0.85 ? 'AVAILABLE' : pick(['AWAY', 'OFFLINE']),
      workingHours: random() < 0.33 ? null : JSON.parse(pick(calendarJson)),
      absences: absent
        ? [{ id: `abs-${i}`, from: iso(absentNow ? -86_400_000 : 86_400_000), to: iso(absentNow ? 86_400_000 : 3 * 86_400_000), reason: 'holiday', replacementAgentId: null, cancelledAt: null }]
        : [],
      lastAssignedAt: random() < 0.2 ? null : iso(-Math.floor(random() * 8 * 3_600_000)),
    };
  });
  const byId = new Map(agents.map((a) => [a.agentId, a]));
  const held = []; // [agentId] of calls assigned during the run, to free some again

  const request = (n) => ({
    callId: `call-${n}`,
    region: random() < 0.1 ? null : pick(REGIONS),
    category: pick(CATEGORIES),
    product: random() < 0.5 ? pick(PRODUCTS) : null,
    language: random() < 0.2 ? null : pick(LANGUAGES),
    requiredRole: random() < 0.1 ? pick(ROLES) : null,
  });

  // ------------------------------------------------------------------------------------------ decisions
  const times = [];
  let assigned = 0;
  let queued = 0;
  let overCapacity = 0;
  let eligibleSum = 0;
  const total = cfg.warmup + cfg.decisions;
  for (let n = 0; n < total; n += 1) {
    const req = request(n);
    const t0 = performance.now();
    const decision = routeCall(req, agents, now);
    const dt = performance.now() - t0;
    if (n >= cfg.warmup) {
      times.push(dt);
      if (decision.outcome === 'ASSIGNED') {
        assigned += 1;
        eligibleSum += decision.eligible;
      } else queued += 1;
    }
    if (decision.outcome === 'ASSIGNED') {
      const agent = byId.get(decision.agentId);
      if (agent.openCalls >= agent.capacity) overCapacity += 1;
      agent.openCalls += 1;
      agent.lastAssignedAt = now.toISOString();
      held.push(agent.agentId);
    }
    // Free a call about as often as one is assigned, so the loads stay where they started.
    if (held.length > 0 && random() < 0.9) {
      const i = Math.floor(random() * held.length);
      const agent = byId.get(held[i]);
      held[i] = held[held.length - 1];
      held.pop();
      agent.openCalls -= 1;
    }
  }
  const decisionMs = summarize(times);

  // ------------------------------------------------------------------ worst case: everyone competes
  // Every agent covers every region and the category, with room and no absence (working hours as
  // before), each decision on freshly copied agents as a read-model query would return them.
  const broad = agents.map((a) => ({ ...a, regions: ['*'], skills: [...a.skills, { kind: 'CATEGORY', key: 'broad', level: 3 }], availability: 'AVAILABLE', absences: [], openCalls: Math.min(a.openCalls, a.capacity - 1) }));
  const broadTimes = [];
  let broadEligible = 0;
  for (let n = 0; n < cfg.broadDecisions; n += 1) {
    const fresh = broad.map((a) => ({ ...a, workingHours: a.workingHours && JSON.parse(JSON.stringify(a.workingHours)) }));
    const req = { callId: `broad-${n}`, region: null, category: 'broad', product: null, language: pick(LANGUAGES) };
    const t0 = performance.now();
    const decision = routeCall(req, fresh, now);
    broadTimes.push(performance.now() - t0);
    if (decision.outcome === 'ASSIGNED') broadEligible = decision.eligible;
  }
  const broadMs = summarize(broadTimes);
  const decisionPass = decisionMs.p99 < ROUTING_TARGET.decisionP99Ms && overCapacity === 0;

  // ---------------------------------------------------------------------------- 200 calls at once
  const equal = Array.from({ length: 10 }, (_, i) => ({
    agentId: `eq-${i}`,
    regions: ['*'],
    skills: [{ kind: 'CATEGORY', key: 'complaint', level: 1 + (i % 5) }],
    languages: ['de'],
    roles: [],
    capacity: 30,
    openCalls: 0,
    availability: 'AVAILABLE',
    workingHours: null,
    absences: [],
    lastAssignedAt: null,
  }));
  const receivedAt = iso(-1000);
  const burst = Array.from({ length: 200 }, (_, n) => ({
    callId: `burst-${String(n).padStart(3, '0')}`,
    dueAt: iso(3_600_000),
    queuedAt: receivedAt,
    receivedAt,
    request: { callId: `burst-${n}`, region: 'de-north', category: 'complaint', product: null, language: 'de' },
  }));
  const b0 = performance.now();
  const served = serveQueue(burst, equal, now);
  const burstMs = performance.now() - b0;
  const loads = new Map(equal.map((a) => [a.agentId, 0]));
  for (const { decision } of served.assignments) loads.set(decision.agentId, loads.get(decision.agentId) + 1);
  const loadList = [...loads.values()];
  const burstOver = loadList.filter((l) => l > 30).length;
  const spread = Math.max(...loadList) - Math.min(...loadList);
  const burstPass = burstOver === 0 && spread <= 1 && served.assignments.length === 200;

  const verdict = (ok) => (ok ? 'PASS' : 'FAIL');
  say('');
  say(
    table([
      ['measure', 'value', 'target', 'result'],
      [`routeCall, ${cfg.agents} agents, ${cfg.decisions} decisions p50 / p90`, `${ms(decisionMs.p50, 3)} / ${ms(decisionMs.p90, 3)}`, '', ''],
      ['routeCall p99 / max', `${ms(decisionMs.p99, 3)} / ${ms(decisionMs.max, 2)}`, `p99 < ${ROUTING_TARGET.decisionP99Ms} ms`, verdict(decisionMs.p99 < ROUTING_TARGET.decisionP99Ms)],
      ['decisions assigned / queued', `${assigned} / ${queued} (eligible agents per assigned call: ${assigned ? (eligibleSum / assigned).toFixed(1) : 'n/a'})`, '', ''],
      ['assignments over capacity', String(overCapacity), '0', verdict(overCapacity === 0)],
      [`worst case: ${broadEligible} eligible of ${cfg.agents}, fresh objects, p50 / p99`, `${ms(broadMs.p50, 3)} / ${ms(broadMs.p99, 3)} (n=${broadMs.count})`, '', ''],
      ['200 calls at once, 10 agents x capacity 30: serveQueue', `${ms(burstMs, 1)}, ${served.assignments.length} assigned, loads ${Math.min(...loadList)}-${Math.max(...loadList)}`, 'none over, spread <= 1', verdict(burstPass)],
    ]),
  );
  return {
    pass: decisionPass && burstPass,
    json: {
      target: ROUTING_TARGET,
      agents: cfg.agents,
      decisions: cfg.decisions,
      seed: cfg.seed,
      decisionMs,
      worstCase: { eligible: broadEligible, ms: broadMs },
      assigned,
      queued,
      overCapacity,
      burst: { calls: 200, agents: 10, capacity: 30, ms: burstMs, assigned: served.assignments.length, loads: loadList, spread, overCapacity: burstOver },
    },
  };
}
