// Seeds a DATA_DIR with service calls in every stage of their process, for the read-side benchmark
// (`npm run bench` with BENCH_ONLY=read, or alone: `npm run seed`).
//
// The calls are real: each is a history of domain events made by the product's own decide()/evolve()
// (from the built dist/, so the rules are exactly the product's) and appended to the SQLite event
// store of the DATA_DIR through the product's own SqliteEventStore. Each call is played forward in
// simulated time from its opening (spread over the last SEED_DAYS days) up to now: the workflow's
// part as the workflow does it (nextProcessActions: start phases, mark steps ready, run automated
// steps, complete phases, resolve), people's steps started and completed after a wait and a working
// time drawn around each step's expected duration, a few failed (left FAILED for a manager) or
// skipped by a manager. Whatever was due after "now" has not happened yet, so the calls end up spread
// over every phase and status, with realistic times in phase and overdue calls.
//
// The seeded calls stand for calls whose workflows are idle, waiting for people: the worker's dispatcher
// checkpoint ('workflow-dispatcher' in the read-model file) is set to the end of the log, so the worker
// does not start 10,000 workflows for history that already happened. A call that is worked on later
// (completeStep over the API) gets its workflow then, from the dispatcher, which starts it from the
// call's stream. Run this while the product is stopped (the worker keeps its checkpoint in memory and
// would overwrite ours); the projector builds the read models from the seeded events when the product starts.
//
// Uses only Node built-ins and the project's own built code (dist/) and better-sqlite3.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
export const DISPATCHER_CHECKPOINT = 'workflow-dispatcher'; // apps/worker/src/dispatcher/workflow-dispatcher.ts

/** A second process, so that processKey filters select something; shares no phase keys with the standard complaint. */
const FIELD_REPAIR = {
  key: 'field-repair',
  title: 'Field repair',
  department: 'Field Service',
  purpose: 'Repair an installed appliance at the customer site.',
  terms: [{ term: 'Site visit', definition: 'A technician at the customer’s address.' }],
  phases: [
    {
      key: 'triage',
      name: 'Triage',
      steps: [
        { key: 'check-warranty', name: 'Check the warranty', dependsOn: [], automated: false, role: 'agent', expectedDuration: 'PT20M' },
        { key: 'book-visit', name: 'Book a site visit', dependsOn: ['check-warranty'], automated: false, role: 'agent', expectedDuration: 'PT30M' },
      ],
    },
    {
      key: 'site-visit',
      name: 'Site visit',
      steps: [
        { key: 'repair', name: 'Repair on site', dependsOn: [], automated: false, role: 'technician', expectedDuration: 'P2D' },
        { key: 'order-parts', name: 'Order spare parts', dependsOn: [], automated: false, role: 'technician', expectedDuration: 'PT2H' },
      ],
    },
    {
      key: 'close-out',
      name: 'Close out',
      steps: [{ key: 'confirm-fixed', name: 'Confirm with the customer', dependsOn: [], automated: false, role: 'agent', expectedDuration: 'PT15M' }],
    },
  ],
};

const CATEGORIES = ['Billing', 'billing', 'Delivery', 'Late delivery', 'Damaged item', 'Refund', 'Technical fault', 'Account', 'Warranty', 'Noise', 'Leak', 'Installation'];
const FIELD_CATEGORIES = new Set(['warranty', 'noise', 'leak', 'installation']);
const CHANNELS = ['PHONE', 'CHAT', 'WHATSAPP', 'EMAIL', 'SOCIAL', 'WEB', 'CALLBACK'];
const PRIORITIES = [['LOW', 0.2], ['NORMAL', 0.5], ['HIGH', 0.22], ['URGENT', 0.08]];
const AGENT = 'apikey:seed-agent';
const MANAGER = 'apikey:seed-manager';
const WORKFLOW = 'workflow';
export const SEED_CATEGORIES = CATEGORIES;

/** mulberry32: a small seeded PRNG, so a seed gives the same calls every time. */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Appends `calls` seeded calls to DATA_DIR's event store and sets the dispatcher checkpoint.
 * onProgress({ calls, events, seconds }) is called about every progressSeconds.
 */
export async function seedCalls({ root, dataDir, calls = 10_000, days = 30, seed = 1, now = new Date(), batch = 250, progressSeconds = 2, onProgress = () => {} }) {
  const require = createRequire(path.join(root, 'package.json'));
  const dist = (p) => require(path.join(root, 'dist', p));
  const domain = dist('libs/domain/src/index.js');
  const { SqliteEventStore, NO_STREAM } = dist('libs/event-store/src/index.js');
  const { openReadModelDatabase, closeReadModelDatabase, readCheckpoint, writeCheckpoint } = dist('libs/read-models/src/read-model.database.js');
  const { decide, evolve, nextProcessActions, parseIsoDuration, serviceCallStreamId, STANDARD_COMPLAINT } = domain;

  const random = prng(seed);
  const pick = (list) => list[Math.floor(random() * list.length)];
  const weighted = (pairs) => {
    let r = random();
    for (const [value, weight] of pairs) if ((r -= weight) < 0) return value;
    return pairs[pairs.length - 1][0];
  };
  // log-normal around a median: people are sometimes much slower than expected, rarely much faster
  const around = (median, sigma) => median * Math.exp(sigma * gaussian());
  function gaussian() {
    const u = 1 - random();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
  }
  const hex = (n) => Array.from({ length: n }, () => Math.floor(random() * 16).toString(16)).join('');
  const uuid = () => `${hex(8)}-${hex(4)}-4${hex(3)}-${(8 + Math.floor(random() * 4)).toString(16)}${hex(3)}-${hex(12)}`;
  const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
  const trackingCode = () => {
    const c = Array.from({ length: 12 }, () => CROCKFORD[Math.floor(random() * 32)]).join('');
    return `${c.slice(0, 4)}-${c.slice(4, 8)}-${c.slice(8, 12)}`;
  };

  fs.mkdirSync(dataDir, { recursive: true });
  const store = new SqliteEventStore({ path: path.join(dataDir, 'events.sqlite') });
  const readModels = await openReadModelDatabase(path.join(dataDir, 'read-models.sqlite'));
  const startPosition = await store.lastPosition();
  const dispatcherBefore = await readCheckpoint(readModels, DISPATCHER_CHECKPOINT);
  const nowMs = now.getTime();

  // the second process is an ordinary template, defined the way defineProcessTemplate stores one
  let fieldRepair = { ...FIELD_REPAIR, version: 1 };
  const templateStream = domain.processTemplateStreamId?.(FIELD_REPAIR.key);
  if (templateStream && domain.defineProcessTemplate && !(await store.readStream(templateStream)).length) {
    const definedAt = new Date(nowMs - days * DAY - DAY);
    const definition = domain.validateProcessTemplateInput ? domain.validateProcessTemplateInput(FIELD_REPAIR) : FIELD_REPAIR;
    const event = domain.defineProcessTemplate(definition, 0, { now: definedAt, actor: MANAGER });
    await store.appendToStream(templateStream, [{ type: event.type, data: event.data, metadata: { at: event.data.at, actor: MANAGER } }], NO_STREAM);
    fieldRepair = { ...definition, version: event.data.version };
  }

  /** One call's whole history up to now, as the product would have recorded it. */
  function simulateCall(n) {
    const events = [];
    let state = { status: 'NONE', version: 0 };
    let t = nowMs - random() * days * DAY;
    const exec = (command, actor, at) => {
      for (const e of decide(command, state, { now: new Date(at), actor })) {
        state = evolve(state, e);
        events.push({ type: e.type, data: e.data, metadata: { at: new Date(at).toISOString(), actor } });
      }
    };
    const category = pick(CATEGORIES);
    const template = FIELD_CATEGORIES.has(category.toLowerCase()) ? fieldRepair : STANDARD_COMPLAINT;
    const callId = uuid();
    exec(
      {
        type: 'OpenServiceCall',
        data: {
          callId,
          trackingCode: trackingCode(),
          process: template,
          input: {
            channel: pick(CHANNELS),
            priority: weighted(PRIORITIES),
            category,
            product: pick(['Dishwasher DW-300', 'Washer WM-8', 'Fridge FR-2', 'Oven OV-5', 'Fibre 500']),
            region: pick(['north', 'south', 'east', 'west']),
            summary: `Seeded call ${n}: ${category.toLowerCase()}`,
            description: 'Seeded for the read-side benchmark.',
            customer: { name: `Seeded Customer ${n}`, email: `seed-${n}@example.com` },
            receivedBy: 'seed',
            receivedAt: new Date(t - random() * 30 * MINUTE).toISOString(),
          },
        },
      },
      AGENT,
      t,
    );
    // each call has its own pace: most near the expected durations, some far slower
    const pace = around(3, 1);
    const work = new Map(); // human step key -> { next: 'start' | 'end' | 'retry' | 'skip', at, outcome }
    const schedule = (key, expectedDuration, from) => {
      const expected = parseIsoDuration(expectedDuration ?? 'PT30M') ?? 30 * MINUTE;
      const skip = random() < 0.01;
      work.set(key, { next: skip ? 'skip' : 'start', at: from + around(0.4 * expected * pace, 1), expected, outcome: random() < 0.01 ? 'fail' : 'complete' });
    };
    for (let round = 0; round < 1000; round++) {
      // the workflow reacts within a moment
      t += 50 + random() * 250;
      if (t > nowMs) break;
      let acted = false;
      for (const action of nextProcessActions(state.phases)) {
        acted = true;
        if (action.kind === 'StartPhase') exec({ type: 'StartPhase', data: { phaseKey: action.phaseKey } }, WORKFLOW, t);
        else if (action.kind === 'MarkStepsReady') exec({ type: 'MarkStepsReady', data: { phaseKey: action.phaseKey, stepKeys: action.stepKeys } }, WORKFLOW, t);
        else if (action.kind === 'RunAutomatedStep') {
          exec({ type: 'StartStep', data: { stepKey: action.stepKey } }, WORKFLOW, t);
          t += 300 + random() * 1500; // the action's own time
          exec({ type: 'CompleteStep', data: { stepKey: action.stepKey, outcome: 'Reviewed: no earlier calls.' } }, WORKFLOW, t);
        } else if (action.kind === 'CompletePhase') exec({ type: 'CompletePhase', data: { phaseKey: action.phaseKey } }, WORKFLOW, t);
        else if (action.kind === 'ResolveCall') exec({ type: 'ResolveServiceCall', data: {} }, WORKFLOW, t);
      }
      if (state.status === 'RESOLVED') break;
      if (acted) continue;
      // people: a READY human step is started after a wait and ended after a working time, both drawn
      // around its expected duration at the call's pace; a few fail (most are retried by a manager
      // some hours later, the rest wait for one) and a few are skipped by a manager
      for (const step of state.phases.flatMap((p) => p.steps)) {
        if (!step.automated && step.status === 'READY' && !work.has(step.key)) schedule(step.key, step.expectedDuration, t);
      }
      let next;
      for (const [key, w] of work) if (w.next !== 'none' && (!next || w.at < next.w.at)) next = { key, w };
      if (!next || next.w.at > nowMs) break; // what is due later has not happened yet
      const { key, w } = next;
      t = w.at;
      if (w.next === 'skip') {
        exec({ type: 'SkipStep', data: { stepKey: key, reason: 'Not needed for this customer.' } }, MANAGER, t);
        w.next = 'none';
      } else if (w.next === 'start') {
        exec({ type: 'StartStep', data: { stepKey: key } }, AGENT, t);
        Object.assign(w, { next: 'end', at: t + around(0.6 * w.expected * pace, 0.7) });
      } else if (w.next === 'retry') {
        exec({ type: 'RetryStep', data: { stepKey: key } }, MANAGER, t);
        Object.assign(w, { next: 'start', at: t + around(0.2 * w.expected * pace, 1), outcome: 'complete' });
      } else if (w.outcome === 'fail') {
        exec({ type: 'FailStep', data: { stepKey: key, reason: 'Could not be done: parts missing.' } }, AGENT, t);
        // the phase waits for a manager: most retry it within hours, some calls stay stuck
        Object.assign(w, random() < 0.7 ? { next: 'retry', at: t + around(4 * HOUR, 1) } : { next: 'none' });
      } else {
        exec({ type: 'CompleteStep', data: { stepKey: key, outcome: 'Done.' } }, AGENT, t);
        w.next = 'none';
      }
    }
    return { streamId: serviceCallStreamId(callId), events, status: state.status };
  }

  const started = Date.now();
  let lastReport = started;
  let seeded = 0;
  let eventCount = 0;
  const statuses = {};
  while (seeded < calls) {
    const chunk = [];
    for (let i = 0; i < batch && seeded + chunk.length < calls; i++) chunk.push(simulateCall(seeded + chunk.length + 1));
    // appends issued in the same turn are group-committed: one transaction for the whole chunk
    await Promise.all(chunk.map((c) => store.appendToStream(c.streamId, c.events, NO_STREAM)));
    for (const c of chunk) {
      eventCount += c.events.length;
      statuses[c.status] = (statuses[c.status] ?? 0) + 1;
    }
    seeded += chunk.length;
    if (Date.now() - lastReport >= progressSeconds * 1000 || seeded === calls) {
      lastReport = Date.now();
      onProgress({ calls: seeded, of: calls, events: eventCount, seconds: (Date.now() - started) / 1000 });
    }
  }
  const endPosition = await store.lastPosition();
  // the workflows of these calls are idle, waiting for people: the worker must not start them all now
  await writeCheckpoint(readModels, DISPATCHER_CHECKPOINT, endPosition);
  await closeReadModelDatabase(readModels);
  await store.close();
  return {
    calls: seeded,
    events: eventCount,
    seconds: (Date.now() - started) / 1000,
    statuses,
    startPosition,
    endPosition,
    /** events the worker had not dispatched before the seeding; they are now marked dispatched too */
    undispatchedBefore: Math.max(0, startPosition - dispatcherBefore),
  };
}
