// The read side of `npm run bench` (issue 3): phaseBoard and filtered serviceCalls pages with
// BENCH_READ_CALLS (10,000) calls in the read models, at BENCH_READ_CLIENTS (8) concurrent clients for
// BENCH_READ_SECONDS (20). Target: p50 under 20 ms and p99 under 50 ms, for each query.
//
//   1. seeds a fresh DATA_DIR with the calls (scripts/bench/seed-calls.mjs: real domain events in every
//      stage of their process, appended before the product starts; their workflows count as idle);
//   2. starts the product on it and waits until the projector has built the read models from the log
//      (progress lines: position, events/s);
//   3. warms up, then runs the clients, each cycling through phaseBoard (the two seeded processes in
//      turn) and two kinds of filtered page: processKey + phaseKey + priority, and status + category
//      (values rotating over phases, priorities, statuses and categories; 20 calls a page);
//   4. reports p50/p90/p99/max per query, the API's CPU and the machine's load, PASS/FAIL per query.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { build } from '../build.mjs';
import { openEventLog } from './event-log.mjs';
import { GraphQLClient } from './graphql.mjs';
import { CpuMeter } from './procfs.mjs';
import { SEED_CATEGORIES, seedCalls } from './seed-calls.mjs';
import { ms, pct, summarize, table } from './stats.mjs';

export const READ_TARGETS = { p50Ms: 20, p99Ms: 50 };
const MANAGER_KEY = 'dev-manager-key';
const now = () => performance.now();
const sleep = (t) => new Promise((r) => setTimeout(r, t));

const BOARD = `query Board($processKey: String!) { phaseBoard(processKey: $processKey) {
  processKey processVersion asOf
  phases { key name order callsInPhase stepsReady stepsInProgress stepsFailed longestWaitingSince completedVisits
    medianSeconds medianDuration p90Seconds p90Duration expectedDuration overdueCount
    overdueCalls { callId trackingCode priority status assignee phaseStartedAt dueAt overdueSeconds overdueBy } } } }`;
const PAGE = `query Page($status: CallStatus, $processKey: String, $phaseKey: String, $priority: Priority, $category: String, $first: Int, $after: String) {
  serviceCalls(status: $status, processKey: $processKey, phaseKey: $phaseKey, priority: $priority, category: $category, first: $first, after: $after) {
    nodes { id trackingCode status priority category summary processKey openedAt assignee customer { name } }
    endCursor hasNextPage } }`;

const PROCESSES = { 'standard-complaint': ['intake', 'diagnosis', 'resolution'], 'field-repair': ['triage', 'site-visit', 'close-out'] };
const PRIORITIES = ['LOW', 'NORMAL', 'HIGH', 'URGENT'];
const STATUSES = ['IN_PROGRESS', 'RESOLVED', 'OPEN'];
const CATEGORIES = [...new Set(SEED_CATEGORIES.map((c) => c.toLowerCase()))];

/** The n-th request of each kind: every value combination comes round in turn. */
const QUERIES = {
  phaseBoard: (n) => ({ query: BOARD, variables: { processKey: Object.keys(PROCESSES)[n % 2] } }),
  'serviceCalls processKey+phaseKey+priority': (n) => {
    const processKey = Object.keys(PROCESSES)[n % 2];
    const phases = PROCESSES[processKey];
    return { query: PAGE, variables: { processKey, phaseKey: phases[Math.floor(n / 2) % phases.length], priority: PRIORITIES[Math.floor(n / 6) % 4], first: 20 } };
  },
  'serviceCalls status+category': (n) => ({
    query: PAGE,
    variables: { status: STATUSES[n % STATUSES.length], category: CATEGORIES[Math.floor(n / STATUSES.length) % CATEGORIES.length], first: 20 },
  }),
};
const CYCLE = ['phaseBoard', 'serviceCalls processKey+phaseKey+priority', 'phaseBoard', 'serviceCalls status+category'];

/**
 * cfg: { calls, seconds, clients, days, catchUpTimeoutSeconds, progressSeconds, port }
 * launch(dataDir): starts the product on dataDir, resolves { procs, watch } once it is ready.
 * setWorkDir(dir): hands the temporary folder to the caller's clean-up.
 */
export async function readSide({ root, cfg, say, launch, setWorkDir }) {
  say(`\n=== read side: phaseBoard and filtered serviceCalls with ${cfg.calls} calls, ${cfg.clients} clients, ${cfg.seconds} s ===`);
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'scb-bench-read-'));
  setWorkDir(workDir);
  const dataDir = path.join(workDir, 'data');

  // ------------------------------------------------------------------------------------- 1. seed
  build(); // the seeder runs the product's own domain code from dist/
  say(`[seed] ${cfg.calls} calls opened over the last ${cfg.days} days, played forward to now, into ${dataDir}`);
  const seeded = await seedCalls({
    root,
    dataDir,
    calls: cfg.calls,
    days: cfg.days,
    progressSeconds: cfg.progressSeconds,
    onProgress: (p) => say(`[seed] ${p.calls}/${p.of} calls, ${p.events} events, ${p.seconds.toFixed(1)} s`),
  });
  say(
    `[seed] ${seeded.calls} calls (${Object.entries(seeded.statuses).map(([s, n]) => `${n} ${s}`).join(', ')}), ${seeded.events} events ` +
      `in ${seeded.seconds.toFixed(1)} s (${(seeded.events / seeded.seconds).toFixed(0)} events/s); dispatcher checkpoint at the end of the log: their workflows are idle, waiting for people`,
  );

  // ------------------------------------------------------------------------------------- 2. start, project
  // the projector starts with the API, so it works while the rest of the product comes up: watch its
  // checkpoint in the read-model file from the start
  const log = openEventLog(root, dataDir);
  const started = now();
  let launched;
  let launchFailed;
  const launching = launch(dataDir).then((l) => (launched = l), (error) => (launchFailed = error));
  let last = { at: started, position: log.checkpoints().projector };
  let target = log.lastPosition();
  say(`[project] the product's projector builds the read models from ${target} events`);
  for (;;) {
    if (launchFailed) throw launchFailed;
    const position = log.checkpoints().projector;
    target = log.lastPosition(); // the product appends its built-in templates at start-up
    if (launched && position >= target) break;
    if ((now() - started) / 1000 > cfg.catchUpTimeoutSeconds) throw new Error(`the projector did not catch up within ${cfg.catchUpTimeoutSeconds} s (at ${position} of ${target})`);
    if (now() - last.at >= cfg.progressSeconds * 1000) {
      const rate = ((position - last.position) * 1000) / (now() - last.at);
      say(`[project] ${((now() - started) / 1000).toFixed(0).padStart(4)} s  projector at ${position} of ${target} (${rate.toFixed(0)} events/s)${launched ? '' : ', product starting'}`);
      last = { at: now(), position };
    }
    await sleep(100);
  }
  await launching;
  const { procs, watch } = launched;
  const projection = { events: target, seconds: (now() - started) / 1000 };
  projection.eventsPerSecond = target / projection.seconds;
  say(`[project] caught up ${projection.seconds.toFixed(1)} s after the product's start: ${target} events (${projection.eventsPerSecond.toFixed(0)} events/s, start-up included)`);
  log.close();
  const shape = readModelShape(root, dataDir);
  say(`[project] read models: ${shape.calls} calls, ${shape.activeCalls} in a phase, ${shape.overdueCalls} of them overdue now, ${shape.visits} completed phase visits`);

  // ------------------------------------------------------------------------------------- 3. load
  const client = new GraphQLClient({ port: cfg.port, apiKey: MANAGER_KEY, sockets: cfg.clients });
  const sent = Object.fromEntries(Object.keys(QUERIES).map((k) => [k, 0]));
  const next = (kind) => QUERIES[kind](sent[kind]++);
  // warm-up: the JIT, SQLite's page cache and graphql-jit's compiled queries
  for (let i = 0; i < 30; i++) {
    for (const kind of Object.keys(QUERIES)) {
      const { query, variables } = next(kind);
      await client.call(query, variables);
    }
  }
  say(`[load] ${cfg.clients} clients for ${cfg.seconds} s, each cycling: ${CYCLE.join(' -> ')}`);
  const latencies = Object.fromEntries(Object.keys(QUERIES).map((k) => [k, []]));
  const errors = new Map();
  const end = now() + cfg.seconds * 1000;
  const loadMeter = new CpuMeter({ api: procs.api, worker: procs.worker, temporal: procs.temporal });
  let tick = { at: now(), done: 0 };
  let done = 0;
  const progress = setInterval(() => {
    const c = loadMeter.read();
    say(`[load] ${(cfg.seconds - (end - now()) / 1000).toFixed(0).padStart(3)} s  ${(((done - tick.done) * 1000) / (now() - tick.at)).toFixed(0)} requests/s | cpu api ${pct(c.perCore.api)} bench ${pct(c.perCore.bench)}, machine ${pct(c.machineBusyPct)} (others ${pct(c.otherPct)})`);
    tick = { at: now(), done };
  }, cfg.progressSeconds * 1000);
  await Promise.all(
    Array.from({ length: cfg.clients }, async (_, i) => {
      for (let n = i; now() < end; n++) {
        const kind = CYCLE[n % CYCLE.length];
        const { query, variables } = next(kind);
        const t0 = now();
        let r;
        try {
          r = await client.request(query, variables);
        } catch (error) {
          r = { errors: [{ code: 'NETWORK', message: String(error.message ?? error) }] };
        }
        const dt = now() - t0;
        done++;
        if (r.errors) {
          const key = `${kind}: ${r.errors[0].code} ${r.errors[0].message.slice(0, 120)}`;
          errors.set(key, (errors.get(key) ?? 0) + 1);
        } else latencies[kind].push(dt);
      }
    }),
  );
  clearInterval(progress);
  const cpu = loadMeter.read();
  client.close();
  for (const [kind, count] of errors) say(`  error x${count}: ${kind}`);

  // ------------------------------------------------------------------------------------- 4. report
  const results = Object.fromEntries(
    Object.entries(latencies).map(([kind, values]) => {
      const s = summarize(values);
      const failed = [...errors].filter(([k]) => k.startsWith(`${kind}:`)).reduce((sum, [, n]) => sum + n, 0);
      return [kind, { ...s, perSecond: s.count / cfg.seconds, errors: failed, pass: s.count > 0 && failed === 0 && s.p50 < READ_TARGETS.p50Ms && s.p99 < READ_TARGETS.p99Ms }];
    }),
  );
  const all = summarize(Object.values(latencies).flat());
  const verdict = (ok) => (ok ? 'PASS' : 'FAIL');
  say('');
  say(`=== read side summary (${cfg.calls} calls, ${cfg.clients} clients, ${cfg.seconds} s; machine busy ${pct(cpu.machineBusyPct)}, others ${pct(cpu.otherPct)}) ===`);
  say(
    table([
      ['query', 'n', 'req/s', 'p50', 'p90', 'p99', 'max', 'errors', `p50 < ${READ_TARGETS.p50Ms} ms, p99 < ${READ_TARGETS.p99Ms} ms`],
      ...Object.entries(results).map(([kind, r]) => [kind, r.count, r.perSecond.toFixed(0), ms(r.p50), ms(r.p90), ms(r.p99), ms(r.max), r.errors, verdict(r.pass)]),
      ['all', all.count, (all.count / cfg.seconds).toFixed(0), ms(all.p50), ms(all.p90), ms(all.p99), ms(all.max), errors.size ? [...errors.values()].reduce((a, b) => a + b, 0) : 0, ''],
    ]),
  );
  say(`CPU during the load, % of one core: api ${pct(cpu.perCore.api)}, worker ${pct(cpu.perCore.worker)}, temporal ${pct(cpu.perCore.temporal)}, bench ${pct(cpu.perCore.bench)}`);
  say(`product warnings/errors logged after ready: ${watch.count}${watch.count ? ` (${[...watch.kinds.keys()].slice(0, 3).join(' | ')})` : ''}`);
  say(`projector catch-up: ${projection.events} events ${projection.seconds.toFixed(1)} s after the product's start (${projection.eventsPerSecond.toFixed(0)} events/s, start-up included)`);
  const pass = Object.values(results).every((r) => r.pass);
  say(`target 3: phaseBoard and filtered serviceCalls with ${cfg.calls} calls, p50 < ${READ_TARGETS.p50Ms} ms and p99 < ${READ_TARGETS.p99Ms} ms at ${cfg.clients} clients: ${verdict(pass)}`);
  return { pass, json: { config: cfg, productWarnings: { total: watch.count, byKind: Object.fromEntries(watch.kinds) }, seeded, projection, readModels: shape, queries: results, all, cpu, errors: Object.fromEntries(errors), targets: READ_TARGETS } };
}

/** What the read models hold (read-only): the figures the load ran against. */
function readModelShape(root, dataDir) {
  const log = openEventLog(root, dataDir);
  try {
    const db = log.readModels;
    const nowIso = new Date().toISOString();
    return {
      calls: db.prepare('SELECT count(*) FROM service_calls').pluck().get(),
      activeCalls: db.prepare('SELECT count(*) FROM service_calls WHERE active_phase IS NOT NULL').pluck().get(),
      overdueCalls: db.prepare('SELECT count(*) FROM service_calls WHERE phase_due_at < ?').pluck().get(nowIso),
      visits: db.prepare('SELECT count(*) FROM phase_visits').pluck().get(),
    };
  } finally {
    log.close();
  }
}
