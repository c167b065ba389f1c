// The cluster side of `npm run bench` (issue 11, point 6; BENCH_ONLY=cluster): the deployed shape on
// this machine, beside the embedded default's figures from the same run.
//
// Deployed shape: a throwaway PostgreSQL 15 (scripts/postgres.mjs; the event store in its schema
// event_store, the read models, checkpoints, outbound ledger and coordination in the same database),
// one Temporal dev server (headless, its own SQLite file), TWO API replicas and TWO workers started as
// `npm run start:api` / `npm run start:worker` do (node scripts/start-replica.mjs api|worker, each in
// its own process group and its own DATA_DIR: no shared volume). Then:
//   1. warm-up: BENCH_CLUSTER_WARMUP_CALLS openServiceCall, then waits until their workflows caught up;
//   2. load: BENCH_CLUSTER_CALLS openServiceCall with BENCH_CLUSTER_CONCURRENCY in flight, request n
//      to replica n % 2: throughput, latency p50/p99 (target >= 500/s with p99 < 100 ms); meanwhile the
//      projector lag: the read-model checkpoint ('read-models' in the checkpoints table, moved in the
//      projector's own transaction) polled every BENCH_CLUSTER_LAG_POLL_MS; an event's lag is the
//      database's clock at the poll that first saw the checkpoint at or past its position, minus the
//      event's recorded_at (so it includes up to one poll interval);
//   3. drain: until every opened call has its first step READY (the workflows' side), with progress;
//   4. step -> dependent READY: BENCH_CLUSTER_STEP_SAMPLES calls, one at a time: opened on one replica,
//      record-complaint completed on the OTHER one once READY; StepCompleted -> StepReady of
//      confirm-understanding by the event store's recorded_at (target p50 < 100 ms), and the client's
//      view (a query on the first replica, polled every 5 ms, shows it READY); a query on the first
//      replica right after the other answered must see the completion (read-your-writes across replicas);
//   5. failover, BENCH_CLUSTER_FAILOVER_ROUNDS rounds: the worker that leads the workflow dispatcher
//      (GET /health on its WORKER_HEALTH_PORT) is killed with SIGKILL (its whole process group), a new
//      call is opened at once, and the time is measured until the other worker's /health names the
//      parts the dead one led, and until the new call's first step is READY (recorded_at; target < 10 s);
//      a replacement worker is started for the next round;
//   6. effects: after the read models caught up, every acknowledged call is in the event store once,
//      in the read model once at the stream's version, has its first step READY, and no call has a
//      ServiceCallOpened, PhaseStarted, StepReady or StepCompleted twice (per phase / step).
// Embedded default (unless BENCH_CLUSTER_EMBEDDED=0): the product as `npm start` runs it (bench.mjs's
// launchProduct: SQLite, one API, one worker), steps 1-4 and 6 with the same counts on its one API.
// Every process and temporary folder is removed at the end and on Ctrl-C (registerStop).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import { build } from '../build.mjs';
import { startPostgres } from '../postgres.mjs';
import { ensureTemporalCli } from '../tools.mjs';
import { DEPENDENT_STEP, FIRST_STEP } from './event-log.mjs';
import { COMPLETE, GraphQLClient, OPEN, openInput, STEPS } from './graphql.mjs';
import { openLoad } from './open-load.mjs';
import { allProcesses, cmdline, cpuSeconds, descendants, machineCpu } from './procfs.mjs';
import { portInUse } from './product.mjs';
import { ms, pct, summarize, table } from './stats.mjs';

export const CLUSTER_TARGETS = { openPerSecond: 500, openP99Ms: 100, dependentReadyP50Ms: 100, failoverMs: 10_000 };
const API_KEY = 'dev-integrator-key';
/** the development keys, given explicitly: a replica with EVENTSTORE_CONNECTION_STRING requires API_KEYS */
const API_KEYS = 'dev-integrator-key:INTEGRATOR:dev-integrator,dev-manager-key:MANAGER:dev-manager,dev-agent-key:AGENT:dev-agent';
const PROJECTOR_CHECKPOINT = 'read-models'; // libs/read-models/src/read-model.migrations.ts
const DISPATCHER = 'workflow-dispatcher'; // the part whose leader counts as "the worker that leads"
const COUNTED_EFFECTS = ['ServiceCallOpened', 'PhaseStarted', 'StepReady', 'StepCompleted'];

const sleep = (t) => new Promise((r) => setTimeout(r, t));
const now = () => performance.now();


const stepStatus = (call, key) => {
  for (const phase of call?.phases ?? []) for (const step of phase.steps) if (step.key === key) return step.status;
  return undefined;
};

// ------------------------------------------------------------------------------------ the two stores

/** The deployed shape's log and read models, read straight from PostgreSQL (the project's own `pg`). */
function postgresStore(root, url) {
  const { Pool } = createRequire(path.join(root, 'package.json'))('pg');
  const pool = new Pool({ connectionString: url, max: 4 });
  pool.on('error', () => undefined); // the server going away at the end is not news
  const rows = async (text, values) => (await pool.query(text, values)).rows;
  return {
    kind: 'PostgreSQL',
    lastPosition: async () => Number((await rows('SELECT coalesce(max(position), 0) AS p FROM event_store.events'))[0].p),
    /** the projector's checkpoint and the database's clock (ms) at the same moment */
    async checkpointNow() {
      const [r] = await rows(
        `SELECT (SELECT position FROM read_models.checkpoints WHERE name = $1) AS position, extract(epoch FROM clock_timestamp()) * 1000 AS at`,
        [PROJECTOR_CHECKPOINT],
      );
      return { position: Number(r.position ?? 0), at: Number(r.at) };
    },
    async checkpoint(name) {
      const [r] = await rows('SELECT position FROM read_models.checkpoints WHERE name = $1', [name]);
      return Number(r?.position ?? 0);
    },
    eventsIn: async (from, to) =>
      (await rows('SELECT position, extract(epoch FROM recorded_at) * 1000 AS at FROM event_store.events WHERE position > $1 AND position <= $2', [from, to])).map((r) => ({
        position: Number(r.position),
        at: Number(r.at),
      })),
    /** calls opened, and how many of them have their first step READY */
    async progress() {
      const [r] = await rows(
        `SELECT count(*) FILTER (WHERE type = 'ServiceCallOpened') AS opened,
                count(*) FILTER (WHERE type = 'StepReady' AND data->>'stepKey' = $1) AS first_ready
         FROM event_store.events WHERE type IN ('ServiceCallOpened', 'StepReady')`,
        [FIRST_STEP],
      );
      return { opened: Number(r.opened), firstReady: Number(r.first_ready) };
    },
    /** ms (store clock) of the first StepReady of stepKey in the call, or undefined */
    async stepReadyAt(callId, stepKey) {
      const [r] = await rows(
        `SELECT extract(epoch FROM recorded_at) * 1000 AS at FROM event_store.events
         WHERE stream_id = $1 AND type = 'StepReady' AND data->>'stepKey' = $2 ORDER BY position LIMIT 1`,
        [`ServiceCall-${callId}`, stepKey],
      );
      return r ? Number(r.at) : undefined;
    },
    stepEvents: async (callId) =>
      (
        await rows(
          `SELECT type, data->>'stepKey' AS step_key, extract(epoch FROM recorded_at) * 1000 AS at FROM event_store.events
           WHERE stream_id = $1 AND type IN ('StepCompleted', 'StepReady') ORDER BY position`,
          [`ServiceCall-${callId}`],
        )
      ).map((r) => ({ type: r.type, stepKey: r.step_key, at: Number(r.at) })),
    effectRows: async () =>
      (
        await rows(
          `SELECT stream_id, type, data->>'stepKey' AS step_key, data->>'phaseKey' AS phase_key FROM event_store.events
           WHERE type = ANY($1) AND stream_id LIKE 'ServiceCall-%'`,
          [COUNTED_EFFECTS],
        )
      ).map((r) => ({ streamId: r.stream_id, type: r.type, stepKey: r.step_key, phaseKey: r.phase_key })),
    streamVersions: async () =>
      new Map((await rows(`SELECT stream_id, version FROM event_store.streams WHERE stream_id LIKE 'ServiceCall-%'`)).map((r) => [r.stream_id, Number(r.version)])),
    readModelCalls: async () => (await rows('SELECT id, version FROM read_models.service_calls')).map((r) => ({ id: r.id, version: Number(r.version) })),
    /** the events around a call's opening (for a call whose workflow never started) */
    around: async (callId, span = 3) =>
      (
        await rows(
          `SELECT e.position, e.stream_id, e.type, extract(epoch FROM e.recorded_at) * 1000 AS at FROM event_store.events e,
             (SELECT position FROM event_store.events WHERE stream_id = $1 AND type = 'ServiceCallOpened') o
           WHERE e.position BETWEEN o.position - $2 AND o.position + $2 ORDER BY e.position`,
          [`ServiceCall-${callId}`, span],
        )
      ).map((r) => ({ position: Number(r.position), streamId: r.stream_id, type: r.type, at: Number(r.at) })),
    close: () => pool.end().catch(() => undefined),
  };
}

/** The embedded default's SQLite files (read-only, the project's own better-sqlite3), behind the same interface. */
function sqliteStore(root, dataDir) {
  const Database = createRequire(path.join(root, 'package.json'))('better-sqlite3');
  const events = new Database(path.join(dataDir, 'events.sqlite'), { readonly: true, fileMustExist: true });
  const readModels = new Database(path.join(dataDir, 'read-models.sqlite'), { readonly: true, fileMustExist: true });
  const q = {
    last: events.prepare('SELECT coalesce(max(position), 0) FROM events').pluck(),
    checkpoint: readModels.prepare('SELECT position FROM checkpoints WHERE name = ?').pluck(),
    eventsIn: events.prepare('SELECT position, recorded_at AS recordedAt FROM events WHERE position > ? AND position <= ?'),
    progress: events.prepare(
      `SELECT coalesce(sum(type = 'ServiceCallOpened'), 0) AS opened,
              coalesce(sum(type = 'StepReady' AND json_extract(data, '$.stepKey') = ?), 0) AS firstReady
       FROM events WHERE type IN ('ServiceCallOpened', 'StepReady')`,
    ),
    stepReadyAt: events
      .prepare(`SELECT recorded_at FROM events WHERE stream_id = ? AND type = 'StepReady' AND json_extract(data, '$.stepKey') = ? ORDER BY position LIMIT 1`)
      .pluck(),
    stepEvents: events.prepare(
      `SELECT type, json_extract(data, '$.stepKey') AS stepKey, recorded_at AS recordedAt FROM events
       WHERE stream_id = ? AND type IN ('StepCompleted', 'StepReady') ORDER BY position`,
    ),
    effectRows: events.prepare(
      `SELECT stream_id AS streamId, type, json_extract(data, '$.stepKey') AS stepKey, json_extract(data, '$.phaseKey') AS phaseKey FROM events
       WHERE type IN (${COUNTED_EFFECTS.map((t) => `'${t}'`).join(', ')}) AND stream_id LIKE 'ServiceCall-%'`,
    ),
    streams: events.prepare(`SELECT stream_id AS streamId, version FROM streams WHERE stream_id LIKE 'ServiceCall-%'`),
    calls: readModels.prepare('SELECT id, version FROM service_calls'),
  };
  return {
    kind: 'SQLite',
    lastPosition: async () => q.last.get(),
    checkpointNow: async () => ({ position: q.checkpoint.get(PROJECTOR_CHECKPOINT) ?? 0, at: Date.now() }),
    checkpoint: async (name) => q.checkpoint.get(name) ?? 0,
    eventsIn: async (from, to) => q.eventsIn.all(from, to).map((r) => ({ position: r.position, at: Date.parse(r.recordedAt) })),
    progress: async () => q.progress.get(FIRST_STEP),
    stepReadyAt: async (callId, stepKey) => {
      const at = q.stepReadyAt.get(`ServiceCall-${callId}`, stepKey);
      return at ? Date.parse(at) : undefined;
    },
    stepEvents: async (callId) => q.stepEvents.all(`ServiceCall-${callId}`).map((r) => ({ type: r.type, stepKey: r.stepKey, at: Date.parse(r.recordedAt) })),
    effectRows: async () => q.effectRows.all(),
    streamVersions: async () => new Map(q.streams.all().map((r) => [r.streamId, r.version])),
    readModelCalls: async () => q.calls.all(),
    close: async () => {
      events.close();
      readModels.close();
    },
  };
}

// ------------------------------------------------------------------------------------------ CPU

/** CPU per named group of processes (pids found anew at each read), in % of one core, and the machine's. */
class GroupCpuMeter {
  constructor(groups) {
    this.groups = groups; // { name: () => pid[] }
    this.reset();
  }

  reset() {
    this.t0 = now();
    this.start = Object.fromEntries(Object.entries(this.groups).map(([name, pids]) => [name, new Map(pids().map((pid) => [pid, cpuSeconds(pid) ?? 0]))]));
    this.self0 = process.cpuUsage();
    this.machine0 = machineCpu();
  }

  read() {
    const wall = (now() - this.t0) / 1000;
    const perCore = {};
    let ours = 0;
    for (const [name, pids] of Object.entries(this.groups)) {
      let used = 0;
      for (const pid of pids()) {
        const cpu = cpuSeconds(pid);
        if (cpu !== undefined) used += cpu - (this.start[name].get(pid) ?? 0); // a process started since: its whole life
      }
      perCore[name] = (100 * used) / wall;
      ours += used;
    }
    const self = process.cpuUsage(this.self0);
    perCore.bench = (100 * (self.user + self.system)) / 1e6 / wall;
    ours += (self.user + self.system) / 1e6;
    const m = machineCpu();
    const busy = m.busy - this.machine0.busy;
    const total = busy + m.idle - this.machine0.idle;
    return {
      perCore,
      machineBusyPct: total > 0 ? (100 * busy) / total : undefined,
      // % of all cores used by processes other than the product and the bench (others' work on the machine)
      otherPct: total > 0 ? Math.max(0, (100 * (busy / m.ticks - ours)) / (total / m.ticks)) : undefined,
    };
  }
}

/**
 * CPU time per open during the load: of the API replicas and PostgreSQL (the part each open costs:
 * GraphQL, the command, the append, the projection; SQLite runs inside the API), and of every product
 * process (Temporal and the workers also start and run the workflows of calls opened earlier, as far
 * as the CPU left to them allows, so that share is not a cost per open).
 */
function cpuPerOpenLine(f) {
  const perOpenMs = (names) => {
    const share = Object.entries(f.load.cpu.perCore).filter(([name]) => names(name)).reduce((sum, [, v]) => sum + v, 0);
    return ((share / 100) * 1000) / f.load.throughput;
  };
  const front = perOpenMs((name) => name.startsWith('api') || name === 'postgres');
  const all = perOpenMs((name) => name !== 'bench');
  return `${front.toFixed(1)} ms in the API${f.load.cpu.perCore.postgres === undefined ? '' : 's and PostgreSQL'} (${all.toFixed(1)} ms with Temporal and the workers)`;
}

const cpuLine = (c) => `${Object.entries(c.perCore).map(([n, v]) => `${n} ${pct(v)}`).join(' ')}, machine ${pct(c.machineBusyPct)} (others ${pct(c.otherPct)})`;

// ------------------------------------------------------------------------------------ measurements

/**
 * The projector's lag: polls the checkpoint; an event's lag is the clock at the first poll that saw the
 * checkpoint at or past its position, minus its recorded_at. Keeps { position, lagMs } per event.
 */
function lagPoller(store, pollMs) {
  const samples = [];
  let stopped = false;
  let polls = 0;
  let failures = 0;
  const started = now();
  const loop = (async () => {
    let last = (await store.checkpointNow()).position;
    while (!stopped) {
      try {
        const { position, at } = await store.checkpointNow();
        polls++;
        if (position > last) {
          for (const e of await store.eventsIn(last, position)) samples.push({ position: e.position, lagMs: at - e.at });
          last = position;
        }
      } catch {
        failures++;
      }
      await sleep(pollMs);
    }
  })();
  return {
    /** lags of the events in (from, to] */
    between: (from, to) => summarize(samples.filter((s) => s.position > from && s.position <= to).map((s) => s.lagMs)),
    meanPollMs: () => (polls ? (now() - started) / polls : undefined),
    failures: () => failures,
    stop: async () => {
      stopped = true;
      await loop.catch(() => undefined);
    },
  };
}

/**
 * Waits until every call opened so far has its first step READY; progress lines meanwhile. Gives up
 * after timeoutSeconds, or after stallSeconds without any call reaching it (calls whose workflows are
 * stuck: the effects check names them).
 */
async function waitForWorkflows({ store, label, timeoutSeconds, stallSeconds = 60, say, progressSeconds, cpu }) {
  const started = now();
  const first = await store.progress();
  let p = first;
  let lastPrint = now();
  let lastProgress = now();
  let stalled = false;
  while (p.firstReady < p.opened && (now() - started) / 1000 < timeoutSeconds) {
    if ((now() - lastProgress) / 1000 > stallSeconds) {
      stalled = true;
      break;
    }
    if (now() - lastPrint >= progressSeconds * 1000) {
      const dispatcher = await store.checkpoint(DISPATCHER);
      const last = await store.lastPosition();
      say(`[${label}] ${((now() - started) / 1000).toFixed(0).padStart(3)} s  ${p.opened - p.firstReady} calls without a READY step yet, dispatcher at ${dispatcher} of ${last}${cpu ? ` | ${cpuLine(cpu.read())}` : ''}`);
      cpu?.reset();
      lastPrint = now();
    }
    await sleep(500); // a full count each time: the bench's own reads stay small beside the workflows' work
    const before = p.firstReady;
    p = await store.progress();
    if (p.firstReady !== before) lastProgress = now();
  }
  const seconds = (now() - started) / 1000;
  const done = p.firstReady - first.firstReady;
  return {
    drained: p.firstReady >= p.opened,
    stalled,
    seconds,
    backlog: first.opened - first.firstReady,
    remaining: p.opened - p.firstReady,
    // the rate while calls still came (not the idle wait of a stall)
    rate: seconds > 0.5 && done > 0 ? done / ((stalled ? seconds - stallSeconds : seconds) || seconds) : undefined,
  };
}

async function waitFor(what, timeoutMs, check, intervalMs = 5) {
  const deadline = now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (now() > deadline) throw new Error(`${what} not within ${timeoutMs / 1000} s`);
    await sleep(intervalMs);
  }
}

/** completeStep on one replica, the dependent step READY, seen in the store and from the other replica. */
async function stepSamples({ clients, store, samples, say, label, ids }) {
  say(`\n[${label}] ${samples} calls, one at a time: open on replica A, complete ${FIRST_STEP} on replica B once READY, time until ${DEPENDENT_STEP} is READY`);
  const results = [];
  const failureKinds = new Map();
  let crossReads = 0;
  let crossReadsSeen = 0;
  for (let i = 0; i < samples; i++) {
    const a = clients[i % clients.length];
    const b = clients[(i + 1) % clients.length];
    try {
      const callId = (await a.call(OPEN, openInput(i, label))).openServiceCall.id;
      ids.push(callId);
      await waitFor(`${FIRST_STEP} READY`, 30_000, () => store.stepReadyAt(callId, FIRST_STEP));
      const sent = now();
      await b.call(COMPLETE, { input: { callId, stepKey: FIRST_STEP, outcome: 'Recorded by the benchmark.' } });
      const answered = now();
      if (clients.length > 1) {
        // read-your-writes across replicas: A's first query after B answered sees the completion
        crossReads++;
        const seen = await a.call(STEPS, { id: callId });
        if (stepStatus(seen.serviceCall, FIRST_STEP) === 'COMPLETED') crossReadsSeen++;
      }
      let polls = 0;
      const seenAt = await waitFor(`${DEPENDENT_STEP} READY on the client`, 30_000, async () => {
        polls++;
        const d = await a.call(STEPS, { id: callId });
        return stepStatus(d.serviceCall, DEPENDENT_STEP) === 'READY' && now();
      });
      await waitFor(`${DEPENDENT_STEP} READY in the store`, 10_000, () => store.stepReadyAt(callId, DEPENDENT_STEP));
      const events = await store.stepEvents(callId);
      const completed = events.find((e) => e.type === 'StepCompleted' && e.stepKey === FIRST_STEP);
      const ready = events.find((e) => e.type === 'StepReady' && e.stepKey === DEPENDENT_STEP);
      results.push({ callId, storeMs: ready.at - completed.at, clientMs: seenAt - answered, completeMs: answered - sent, polls });
    } catch (error) {
      const kind = String(error.message ?? error).replace(/[0-9a-zA-Z_-]{20,}/g, '<id>').slice(0, 160);
      failureKinds.set(kind, (failureKinds.get(kind) ?? 0) + 1);
    }
    if ((i + 1) % Math.max(1, Math.round(samples / 4)) === 0) say(`[${label}] ${i + 1}/${samples}`);
  }
  for (const [kind, count] of failureKinds) say(`  failure x${count}: ${kind}`);
  const r = {
    samples,
    failures: samples - results.length,
    failureKinds: Object.fromEntries(failureKinds),
    storeMs: summarize(results.map((s) => s.storeMs)),
    clientMs: summarize(results.map((s) => s.clientMs)),
    completeStepMs: summarize(results.map((s) => s.completeMs)),
    crossReplicaReads: clients.length > 1 ? { sent: crossReads, sawTheChange: crossReadsSeen } : undefined,
  };
  const line = (s) => `p50 ${ms(s.p50, 0)}  p90 ${ms(s.p90, 0)}  p99 ${ms(s.p99, 0)}  max ${ms(s.max, 0)}  (n=${s.count})`;
  say(`[${label}] event store, StepCompleted -> StepReady (recorded_at): ${line(r.storeMs)}`);
  say(`[${label}] client, completeStep answered -> query${clients.length > 1 ? ' on the other replica' : ''} shows READY: ${line(r.clientMs)}`);
  say(`[${label}] completeStep itself: p50 ${ms(r.completeStepMs.p50)} p99 ${ms(r.completeStepMs.p99)}; ${r.failures} failures`);
  if (r.crossReplicaReads) say(`[${label}] read-your-writes across replicas: ${crossReadsSeen} of ${crossReads} first queries on replica A saw the completion B had answered`);
  return r;
}

/**
 * No lost or doubled effect: every acknowledged call once in the store and once in the read model at the
 * stream's version with its first step READY; no call with an opening, phase start, step READY or step
 * completion twice. Waits first for the workflows and the projector to catch up.
 */
async function checkEffects({ store, ids, say, label, stallSeconds }) {
  const drained = await waitForWorkflows({ store, label, timeoutSeconds: 120, stallSeconds, say, progressSeconds: 5 });
  const last = await store.lastPosition();
  let projected = true;
  try {
    await waitFor('the read models at the end of the log', 60_000, async () => (await store.checkpoint(PROJECTOR_CHECKPOINT)) >= last, 100);
  } catch {
    projected = false;
  }
  const acknowledged = new Set(ids);
  const answeredTwice = ids.length - acknowledged.size;
  const counts = new Map(); // streamId -> Map(kind -> n)
  for (const r of await store.effectRows()) {
    const key = r.type === 'ServiceCallOpened' ? r.type : r.type === 'PhaseStarted' ? `${r.type} ${r.phaseKey}` : `${r.type} ${r.stepKey}`;
    let m = counts.get(r.streamId);
    if (!m) counts.set(r.streamId, (m = new Map()));
    m.set(key, (m.get(key) ?? 0) + 1);
  }
  const doubled = [];
  for (const [streamId, m] of counts) for (const [key, n] of m) if (n > 1) doubled.push(`${streamId}: ${key} x${n}`);
  const versions = await store.streamVersions();
  const readModel = new Map();
  let readModelRowsTwice = 0;
  for (const row of await store.readModelCalls()) {
    if (readModel.has(row.id)) readModelRowsTwice++;
    readModel.set(row.id, row.version);
  }
  const lost = [];
  const neverReady = [];
  for (const id of acknowledged) {
    const streamId = `ServiceCall-${id}`;
    const m = counts.get(streamId);
    if (!m?.get('ServiceCallOpened')) lost.push(`${id}: not in the event store`);
    else if (!m.get(`StepReady ${FIRST_STEP}`)) {
      neverReady.push(id);
      lost.push(`${id}: ${FIRST_STEP} never READY (its workflow did not take the call on)`);
    }
    if (!readModel.has(id)) lost.push(`${id}: not in the read model`);
    else if (readModel.get(id) !== versions.get(streamId)) lost.push(`${id}: read model at version ${readModel.get(id)}, stream at ${versions.get(streamId)}`);
  }
  const opened = [...counts.values()].filter((m) => m.get('ServiceCallOpened')).length;
  const result = {
    acknowledged: acknowledged.size,
    answeredTwice,
    inStore: opened,
    unacknowledgedInStore: [...counts.entries()].filter(([s, m]) => m.get('ServiceCallOpened') && !acknowledged.has(s.slice('ServiceCall-'.length))).length,
    inReadModel: readModel.size,
    readModelRowsTwice,
    lost: lost.length,
    neverReady,
    doubled: doubled.length,
    workflowsCaughtUp: drained.drained,
    readModelsCaughtUp: projected,
    examples: [...lost.slice(0, 5), ...doubled.slice(0, 5)],
  };
  result.pass = result.lost === 0 && result.doubled === 0 && answeredTwice === 0 && readModelRowsTwice === 0;
  say(
    `[${label}] ${result.acknowledged} calls acknowledged, ${result.inStore} in the event store (${result.unacknowledgedInStore} without an answer), ${result.inReadModel} in the read model; ` +
      `lost ${result.lost}, doubled ${result.doubled}, ids answered twice ${answeredTwice}${projected ? '' : '; the read models did NOT reach the end of the log within 60 s'}`,
  );
  for (const e of result.examples) say(`  ${e}`);
  return result;
}

/** For calls whose first step never became READY: what Temporal knows of their workflows (before the shape stops). */
async function describeWorkflows({ root, address, ids, say, label }) {
  if (!ids.length) return [];
  const { Connection, WorkflowClient } = createRequire(path.join(root, 'package.json'))('@temporalio/client');
  const lines = [];
  let connection;
  try {
    connection = await Connection.connect({ address });
    const client = new WorkflowClient({ connection, namespace: 'default' });
    for (const id of ids.slice(0, 5)) {
      try {
        const handle = client.getHandle(`service-call-${id}`);
        const d = await handle.describe();
        const history = await handle.fetchHistory();
        const kinds = (history.events ?? []).map((e) => Object.keys(e).find((k) => k.endsWith('EventAttributes'))?.replace(/EventAttributes$/, '') ?? '?');
        lines.push(`${id}: workflow ${d.status.name}, started ${d.startTime.toISOString()}, ${kinds.length} history events: ${kinds.slice(-8).join(', ')}`);
      } catch (error) {
        lines.push(`${id}: ${error.name === 'WorkflowNotFoundError' ? 'no workflow in Temporal (never started)' : error.message}`);
      }
    }
  } catch (error) {
    lines.push(`could not ask Temporal: ${error.message}`);
  } finally {
    await connection?.close().catch(() => undefined);
  }
  for (const line of lines) say(`[${label}] ${line}`);
  return lines;
}

/** One shape's figures: warm-up, load with the projector's lag, drain, step samples. */
async function measure({ shape, clients, store, cfg, say, cpu, ids }) {
  const tag = shape === 'cluster' ? 'cluster' : 'embedded';
  say(`\n[${tag} warm-up] ${cfg.warmupCalls} openServiceCall, ${cfg.concurrency} in flight over ${clients.length} API ${clients.length > 1 ? 'replicas' : 'process'}`);
  const warm = cfg.warmupCalls > 0 ? await openLoad({ clients, inFlight: cfg.concurrency, calls: cfg.warmupCalls, tag: `${tag}-warm`, onId: (id) => ids.push(id), say }) : undefined;
  if (warm) say(`[${tag} warm-up] ${warm.ok} calls at ${warm.throughput.toFixed(0)}/s, p99 ${ms(warm.latency.p99)}, ${warm.errors} errors; waiting for the workflows to catch up`);
  const settled = await waitForWorkflows({ store, label: `${tag} warm-up`, timeoutSeconds: cfg.drainTimeoutSeconds, stallSeconds: cfg.stallSeconds, say, progressSeconds: cfg.progressSeconds });
  say(`[${tag} warm-up] workflows ${settled.drained ? 'caught up' : `NOT caught up (${settled.remaining} calls${settled.stalled ? `, none moved for ${cfg.stallSeconds} s` : ''})`} in ${settled.seconds.toFixed(1)} s`);

  say(`\n[${tag} load] ${cfg.calls} openServiceCall, ${cfg.concurrency} in flight, alternating over ${clients.length} API ${clients.length > 1 ? 'replicas' : 'process'}; projector lag polled every ${cfg.lagPollMs} ms`);
  const lag = lagPoller(store, cfg.lagPollMs);
  const loadFrom = await store.lastPosition();
  cpu.reset();
  const loadCpu = new GroupCpuMeter(cpu.groups);
  const load = await openLoad({
    clients,
    inFlight: cfg.concurrency,
    calls: cfg.calls,
    tag: `${tag} load`,
    onId: (id) => ids.push(id),
    say,
    progressSeconds: cfg.progressSeconds,
    onProgress: async ({ elapsed, sent, rate, latency, errors }) => {
      const line = cpuLine(cpu.read());
      cpu.reset();
      // the progress line's own reads may fail (the cluster stopping on Ctrl-C): the line goes without them
      const more = await Promise.all([store.progress(), store.checkpoint(PROJECTOR_CHECKPOINT), store.lastPosition()]).then(
        ([p, cp, last]) => `${p.opened - p.firstReady} calls wait for their workflow, projector ${last - cp} events behind`,
        (error) => `(${error.message})`,
      );
      say(`[${tag} load] ${elapsed.toFixed(0).padStart(3)} s ${String(sent).padStart(6)}/${cfg.calls} sent ${rate.toFixed(0).padStart(5)} calls/s  p50 ${ms(latency.p50)}  p99 ${ms(latency.p99)}  errors ${errors} | ${line} | ${more}`);
    },
  });
  const loadCpuUse = loadCpu.read();
  const loadTo = await store.lastPosition();
  say(`[${tag} load] ${load.ok} calls in ${load.seconds.toFixed(1)} s = ${load.throughput.toFixed(1)} calls/s; p50 ${ms(load.latency.p50)} p90 ${ms(load.latency.p90)} p99 ${ms(load.latency.p99)} max ${ms(load.latency.max)}; errors ${load.errors}`);
  say(`[${tag} load] cpu (% of one core): ${cpuLine(loadCpuUse)}`);
  // the load's events reach the read models: wait for them before the lag figure
  await waitFor('the read models at the end of the load', 60_000, async () => (await store.checkpoint(PROJECTOR_CHECKPOINT)) >= loadTo, 20).catch(() => undefined);
  await sleep(cfg.lagPollMs * 3);
  await lag.stop(); // not during the drain: the polling would take CPU from the workflows
  const lagUnderLoad = lag.between(loadFrom, loadTo);
  const loadPollMs = lag.meanPollMs();
  say(`[${tag} load] projector lag over the load's ${lagUnderLoad.count} events: p50 ${ms(lagUnderLoad.p50, 0)} p99 ${ms(lagUnderLoad.p99, 0)} max ${ms(lagUnderLoad.max, 0)} (checkpoint polled every ${loadPollMs?.toFixed(1)} ms on average)`);

  say(`\n[${tag} drain] waiting for the workflows to bring every call to its first READY step (at most ${cfg.drainTimeoutSeconds} s)`);
  cpu.reset();
  const drain = await waitForWorkflows({ store, label: `${tag} drain`, timeoutSeconds: cfg.drainTimeoutSeconds, stallSeconds: cfg.stallSeconds, say, progressSeconds: Math.max(cfg.progressSeconds, 5), cpu });
  say(
    `[${tag} drain] ${drain.drained ? 'caught up' : `NOT caught up (${drain.remaining} left${drain.stalled ? `, none moved for ${cfg.stallSeconds} s` : ''})`} in ${drain.seconds.toFixed(1)} s, ` +
      `${drain.backlog} calls behind at the start (${drain.rate?.toFixed(0) ?? 'n/a'} calls/s)`,
  );

  const quietLag = lagPoller(store, cfg.lagPollMs);
  const quietFrom = await store.lastPosition();
  const steps = await stepSamples({ clients, store, samples: cfg.stepSamples, say, label: `${tag} step`, ids });
  steps.callsBehind = drain.remaining; // calls of the load still without a READY step while the samples ran
  const quietTo = await store.lastPosition();
  await waitFor('the read models at the end of the step samples', 30_000, async () => (await store.checkpoint(PROJECTOR_CHECKPOINT)) >= quietTo, 20).catch(() => undefined);
  await sleep(cfg.lagPollMs * 3);
  await quietLag.stop();
  const lagQuiet = quietLag.between(quietFrom, quietTo);
  say(`[${tag} step] projector lag over those ${lagQuiet.count} events (${drain.drained ? 'quiet system' : `${drain.remaining} calls of the load still behind`}): p50 ${ms(lagQuiet.p50, 0)} p99 ${ms(lagQuiet.p99, 0)} max ${ms(lagQuiet.max, 0)}`);
  return {
    warmUp: warm,
    load: { ...load, cpu: loadCpuUse },
    lag: { underLoad: lagUnderLoad, quiet: lagQuiet, meanPollMs: loadPollMs, pollFailures: lag.failures() + quietLag.failures() },
    drain,
    steps,
  };
}

// ------------------------------------------------------------------------------------------ main

export async function clusterSide({ root, cfg, say, machine, setWorkDir, registerStop, launchEmbedded, cleanUp }) {
  say(`\n=== cluster: PostgreSQL 15, one Temporal dev server, 2 API replicas and 2 workers (npm run start:api / start:worker); ${cfg.calls} opens at ${cfg.concurrency} in flight, ${cfg.stepSamples} step samples, ${cfg.failoverRounds} failover rounds ===`);
  const apiPorts = [cfg.port, cfg.port + 1];
  const healthPorts = [cfg.port + 2, cfg.port + 3];
  for (const p of [...apiPorts, ...healthPorts, cfg.temporalPort]) {
    if (await portInUse(p)) throw new Error(`port ${p} is already in use; set BENCH_PORT (uses it and the next three) / BENCH_TEMPORAL_PORT`);
  }
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'scb-bench-cluster-'));
  setWorkDir(workDir);
  const log = fs.createWriteStream(path.join(workDir, 'product.log'));
  const children = new Set();
  let pg;
  let store;
  const clients = [];
  let stopped;
  const stopAll = () =>
    (stopped ??= (async () => {
      for (const child of children) {
        try {
          process.kill(-child.pid, 'SIGTERM');
        } catch {
          // the group is gone already
        }
      }
      for (let waited = 0; children.size > 0 && waited < 20_000; waited += 100) await sleep(100);
      for (const child of children) {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          // the group is gone already
        }
      }
      for (let waited = 0; children.size > 0 && waited < 5_000; waited += 100) await sleep(100);
      for (const c of clients) c.close();
      await store?.close();
      await pg?.stop();
      await new Promise((r) => log.end(r));
    })());
  registerStop(stopAll);

  const warnings = { count: 0, shown: 0 };
  /** the workers' leadership changes and dispatcher failures, with the time they were printed */
  const leadership = [];
  /** a process in its own group; `ready` resolves on a line matching readyLine */
  function launch(name, command, args, env, readyLine) {
    const child = spawn(command, args, { cwd: root, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(child);
    const exited = new Promise((r) => child.once('exit', (code, signal) => (children.delete(child), r({ code, signal }))));
    let ready = false;
    let resolveReady;
    const readyPromise = new Promise((r) => (resolveReady = r));
    for (const stream of [child.stdout, child.stderr]) {
      readline.createInterface({ input: stream, crlfDelay: Infinity }).on('line', (raw) => {
        const line = raw.replace(new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g'), '');
        log.write(`[${name} ${child.pid}] ${line}\n`);
        if (/: (leading|stopped leading)\b|session failed|dispatch failed/.test(line)) leadership.push({ at: Date.now(), name, line: line.replace(/^\[Nest\]\s+\d+\s+-\s+/, '').slice(0, 200) });
        if (!ready && readyLine?.test(line)) (ready = true), resolveReady();
        if (ready && /\b(WARN|ERROR)\b|Error/.test(line)) {
          warnings.count++;
          if (warnings.shown++ < 5) say(`  [${name}] ${line.slice(0, 300)}`);
        }
      });
    }
    const within = (timeoutMs) =>
      Promise.race([
        readyPromise,
        exited.then((e) => Promise.reject(new Error(`${name} exited (${e.signal ?? e.code}) before it was ready; see ${workDir}/product.log`))),
        sleep(timeoutMs).then(() => Promise.reject(new Error(`${name} not ready within ${timeoutMs / 1000} s; see ${workDir}/product.log`))),
      ]);
    return { name, child, pid: child.pid, exited, within, markReady: () => ((ready = true), resolveReady()) };
  }

  say(`[cluster] building dist/ and starting PostgreSQL`);
  build();
  const t0 = now();
  pg = await startPostgres();
  if (pg.unavailable) throw new Error(`PostgreSQL is not available: ${pg.unavailable}`);
  say(`[cluster] PostgreSQL ${pg.version} on 127.0.0.1:${pg.port} (data folder ${pg.dataDir}) in ${(pg.startupMs / 1000).toFixed(1)} s`);
  const cli = await ensureTemporalCli();
  const address = `127.0.0.1:${cfg.temporalPort}`;
  const temporal = launch('temporal', cli, [
    'server', 'start-dev', '--headless', '--db-filename', path.join(workDir, 'temporal.sqlite'),
    '--ip', '127.0.0.1', '--port', String(cfg.temporalPort),
    '--log-level', 'error', '--namespace', 'default', '--sqlite-pragma', 'journal_mode=wal', '--sqlite-pragma', 'synchronous=normal',
  ], process.env);
  for (let waited = 0; !(await portInUse(cfg.temporalPort)); waited += 200) {
    if (waited > 60_000) throw new Error('the Temporal dev server did not come up within 60 s');
    if (!children.has(temporal.child)) throw new Error(`the Temporal dev server exited; see ${workDir}/product.log`);
    await sleep(200);
  }

  const base = { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1', DATABASE_URL: pg.url, EVENTSTORE_CONNECTION_STRING: pg.url, TEMPORAL_ADDRESS: address, API_KEYS };
  delete base.WORKER_HEALTH_PORT;
  delete base.PORT;
  const startApi = (i) => {
    const dataDir = path.join(workDir, `api-${i + 1}`);
    const r = launch(`api-${i + 1}`, process.execPath, ['scripts/start-replica.mjs', 'api'], { ...base, PORT: String(apiPorts[i]), DATA_DIR: dataDir }, /\[start:api\] ready/);
    return { ...r, ready: r.within(180_000) };
  };
  const health = async (port) => {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(2000) });
      return { ok: res.ok, ...(await res.json()) };
    } catch {
      return undefined;
    }
  };
  const startWorker = (i) => {
    const dataDir = path.join(workDir, `worker-${i + 1}`);
    const r = launch(`worker-${i + 1}`, process.execPath, ['scripts/start-replica.mjs', 'worker'], { ...base, WORKER_HEALTH_PORT: String(healthPorts[i]), DATA_DIR: dataDir });
    // ready: its /health answers 200 and it campaigns for (or leads) its parts
    const ready = (async () => {
      await waitFor(`worker-${i + 1}'s /health`, 180_000, async () => {
        if (!children.has(r.child)) throw new Error(`worker-${i + 1} exited before it was ready; see ${workDir}/product.log`);
        const h = await health(healthPorts[i]);
        return h?.ok && (h.leads?.length || h.waitingFor?.length);
      }, 200);
      r.markReady();
    })();
    return { ...r, slot: i, healthPort: healthPorts[i], ready };
  };
  say(`[cluster] Temporal dev server on ${address}; starting api-1 (:${apiPorts[0]}), api-2 (:${apiPorts[1]}), worker-1 (health :${healthPorts[0]}), worker-2 (health :${healthPorts[1]}) in ${workDir}`);
  const apis = [startApi(0), startApi(1)];
  const workers = [startWorker(0), startWorker(1)];
  await Promise.all([...apis, ...workers].map((p) => p.ready));
  say(`[cluster] ready after ${((now() - t0) / 1000).toFixed(1)} s`);

  const mainOf = (groupPid) => descendants(groupPid).filter((p) => cmdline(p.pid).includes('dist/apps/')).map((p) => p.pid);
  const postmaster = () => allProcesses().find((p) => cmdline(p.pid).includes(`port=${pg.port}`) && /(^|\/)postgres\b/.test(cmdline(p.pid).split(' ')[0]))?.pid;
  const cpu = new GroupCpuMeter({
    'api-1': () => mainOf(apis[0].pid),
    'api-2': () => mainOf(apis[1].pid),
    'worker-1': () => workers.filter((w) => w.slot === 0).flatMap((w) => mainOf(w.pid)),
    'worker-2': () => workers.filter((w) => w.slot === 1).flatMap((w) => mainOf(w.pid)),
    temporal: () => [temporal.pid],
    postgres: () => {
      const pm = postmaster();
      return pm ? [pm, ...descendants(pm).map((p) => p.pid)] : [];
    },
  });

  store = postgresStore(root, pg.url);
  for (const port of apiPorts) clients.push(new GraphQLClient({ port, apiKey: API_KEY, sockets: cfg.concurrency }));
  const clusterIds = [];
  const cluster = await measure({ shape: 'cluster', clients, store, cfg, say, cpu, ids: clusterIds });

  // -------------------------------------------------------------------------------------- failover
  say(`\n[failover] ${cfg.failoverRounds} rounds: kill -9 of the worker leading ${DISPATCHER}, a new call opened at once; until the other worker leads and the call's ${FIRST_STEP} is READY`);
  const rounds = [];
  for (let round = 1; round <= cfg.failoverRounds; round++) {
    const status = await waitFor('one worker leading the dispatcher', 30_000, async () => {
      const hs = await Promise.all(workers.map(async (w) => ({ worker: w, h: await health(w.healthPort) })));
      const leaders = hs.filter(({ h }) => h?.leads?.includes(DISPATCHER));
      return leaders.length === 1 && hs.every(({ h }) => h?.ok) && hs;
    }, 100);
    const { worker: victim, h: victimHealth } = status.find(({ h }) => h.leads.includes(DISPATCHER));
    const survivor = workers.find((w) => w !== victim);
    const parts = victimHealth.leads;
    const killedAt = Date.now();
    const killedAtPerf = now();
    process.kill(-victim.pid, 'SIGKILL');
    workers.splice(workers.indexOf(victim), 1);
    const opened = await clients[round % clients.length].request(OPEN, openInput(round, 'failover'));
    const callId = opened.data?.openServiceCall?.id;
    if (!callId) throw new Error(`failover round ${round}: openServiceCall failed: ${JSON.stringify(opened.errors)}`);
    clusterIds.push(callId);
    const takeover = waitFor(`${survivor.name} leading ${parts.join(', ')}`, 60_000, async () => {
      const h = await health(survivor.healthPort);
      return parts.every((p) => h?.leads?.includes(p)) && now();
    }, 20).then((at) => at - killedAtPerf, () => undefined);
    const readyAt = await waitFor(`${FIRST_STEP} of the new call READY`, 60_000, () => store.stepReadyAt(callId, FIRST_STEP), 10).catch(() => undefined);
    const takeoverMs = await takeover;
    const readyMs = readyAt === undefined ? undefined : readyAt - killedAt;
    rounds.push({ victim: victim.name, parts, takeoverMs, readyMs });
    say(
      `[failover] round ${round}: killed ${victim.name} (group ${victim.pid}, led ${parts.join(', ')}); ${survivor.name} led them after ${takeoverMs === undefined ? 'NOT within 60 s' : ms(takeoverMs, 0)}; ` +
        `a call opened right after the kill had ${FIRST_STEP} READY ${readyMs === undefined ? 'NOT within 60 s' : `${ms(readyMs, 0)} after the kill`}`,
    );
    await victim.exited;
    const replacement = startWorker(victim.slot);
    workers.push(replacement);
    await replacement.ready;
  }
  const failover = {
    rounds,
    takeoverMs: summarize(rounds.map((r) => r.takeoverMs ?? Infinity)),
    readyMs: summarize(rounds.map((r) => r.readyMs ?? Infinity)),
  };

  say(`\n[cluster effects] checking every acknowledged call (${clusterIds.length}) in the event store and the read model`);
  const clusterEffects = await checkEffects({ store, ids: clusterIds, say, label: 'cluster effects', stallSeconds: cfg.stallSeconds });
  clusterEffects.workflows = await describeWorkflows({ root, address, ids: clusterEffects.neverReady, say, label: 'cluster effects' });
  for (const id of clusterEffects.neverReady.slice(0, 3)) {
    const around = await store.around(id).catch(() => []);
    const opened = around.find((e) => e.streamId === `ServiceCall-${id}`);
    say(`[cluster effects] ${id}: opened at position ${opened?.position} (${opened ? new Date(opened.at).toISOString() : '?'}); dispatcher checkpoint now ${await store.checkpoint(DISPATCHER)}; the log around it:`);
    for (const e of around) say(`    ${e.position}  ${new Date(e.at).toISOString()}  ${e.type}  ${e.streamId}`);
    const near = leadership.filter((l) => opened && Math.abs(l.at - opened.at) < 30_000);
    say(`[cluster effects] workers' leadership lines within 30 s of it: ${near.length ? '' : 'none'}`);
    for (const l of near) say(`    ${new Date(l.at).toISOString()}  ${l.name}  ${l.line}`);
  }
  const leadershipChanges = leadership.filter((l) => /: leading\b/.test(l.line)).length;
  say(`[cluster effects] "leading" lines of the workers over the whole run: ${leadershipChanges} (2 parts at start, plus 2 per failover round when one worker leads both: ${2 + 2 * rounds.length})`);
  clusterEffects.leadershipLines = leadership.map((l) => `${new Date(l.at).toISOString()} ${l.name} ${l.line}`);
  const clusterWarnings = warnings.count;
  say('');
  await cleanUp(); // stops the cluster (stopAll) and removes its folder

  // -------------------------------------------------------------------------------------- embedded
  let embedded;
  if (cfg.embedded) {
    say(`\n=== embedded default for comparison: npm start (SQLite, one API, one worker, its own Temporal dev server), the same counts ===`);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scb-bench-cluster-embedded-'));
    setWorkDir(dir);
    const { procs, watch } = await launchEmbedded(path.join(dir, 'data'));
    const embeddedStore = sqliteStore(root, path.join(dir, 'data'));
    const client = new GraphQLClient({ port: cfg.port, apiKey: API_KEY, sockets: cfg.concurrency });
    const ids = [];
    try {
      const embeddedCpu = new GroupCpuMeter({ api: () => [procs.api].filter(Boolean), worker: () => [procs.worker].filter(Boolean), temporal: () => [procs.temporal].filter(Boolean) });
      const figures = await measure({ shape: 'embedded', clients: [client], store: embeddedStore, cfg, say, cpu: embeddedCpu, ids });
      say(`\n[embedded effects] checking every acknowledged call (${ids.length})`);
      const effects = await checkEffects({ store: embeddedStore, ids, say, label: 'embedded effects', stallSeconds: cfg.stallSeconds });
      effects.workflows = await describeWorkflows({ root, address: `127.0.0.1:${cfg.temporalPort}`, ids: effects.neverReady, say, label: 'embedded effects' });
      embedded = { ...figures, effects, warnings: watch.count };
    } finally {
      client.close();
      await embeddedStore.close();
      say('');
      await cleanUp();
    }
  }

  // -------------------------------------------------------------------------------------- summary
  const T = CLUSTER_TARGETS;
  const mark = (ok) => (ok ? 'PASS' : 'MISSED');
  const openOk = (f) => f.load.throughput >= T.openPerSecond && f.load.latency.p99 < T.openP99Ms && f.load.errors === 0;
  const stepOk = (f) => f.steps.storeMs.count > 0 && f.steps.storeMs.p50 < T.dependentReadyP50Ms && f.steps.failures === 0;
  const failoverOk = failover.readyMs.max < T.failoverMs && failover.takeoverMs.max < T.failoverMs;
  const pass = {
    opens: openOk(cluster),
    stepToReady: stepOk(cluster),
    failover: failoverOk,
    noLostOrDoubled: clusterEffects.pass,
  };
  const both = (fn, okFn) => [fn(cluster) + (okFn ? ` ${mark(okFn(cluster))}` : ''), embedded ? fn(embedded) + (okFn ? ` ${mark(okFn(embedded))}` : '') : 'not run'];
  const p50p99 = (s) => `${ms(s.p50, 0)} / ${ms(s.p99, 0)}`;
  const effectsLine = (e) => `lost ${e.lost}, doubled ${e.doubled} (${e.inStore} calls in the store, ${e.inReadModel} in the read model)`;
  const rows = [
    ['figure', 'cluster: 2 API + 2 workers, PostgreSQL', 'embedded default (npm start, SQLite)', 'target'],
    [`openServiceCall throughput (${cfg.calls} calls, ${cfg.concurrency} in flight)`, ...both((f) => `${f.load.throughput.toFixed(0)} calls/s`), `>= ${T.openPerSecond}/s`],
    ['openServiceCall latency p50 / p99', ...both((f) => `${ms(f.load.latency.p50)} / ${ms(f.load.latency.p99)}`), `p99 < ${T.openP99Ms} ms`],
    ['openServiceCall: both together, errors', ...both((f) => `${f.load.errors} errors`, openOk), `>= ${T.openPerSecond}/s, p99 < ${T.openP99Ms} ms, 0 errors`],
    ['CPU during the load, % of one core', ...both((f) => cpuLine(f.load.cpu)), ''],
    ['CPU per open during the load', ...both(cpuPerOpenLine), ''],
    ['step -> dependent READY p50 / p99 (event store)', ...both((f) => `${p50p99(f.steps.storeMs)}${f.steps.callsBehind ? ` (${f.steps.callsBehind} calls of the load still behind)` : ''}`, stepOk), `p50 < ${T.dependentReadyP50Ms} ms`],
    ['the same, client view (query on the other replica)', ...both((f) => `${p50p99(f.steps.clientMs)} (${f.steps.failures} failed)`), ''],
    ['read-your-writes across replicas', `${cluster.steps.crossReplicaReads.sawTheChange} of ${cluster.steps.crossReplicaReads.sent} first queries saw the change`, 'n/a (one API)', ''],
    ['projector lag p50 / p99, under the load', ...both((f) => `${p50p99(f.lag.underLoad)} (n=${f.lag.underLoad.count})`), ''],
    ['projector lag p50 / p99, during the step samples', ...both((f) => `${p50p99(f.lag.quiet)} (n=${f.lag.quiet.count})`), ''],
    [
      'workflows: calls behind at end of load; caught up in',
      ...both(
        (f) =>
          `${f.drain.backlog}; ${f.drain.drained ? `${f.drain.seconds.toFixed(0)} s` : f.drain.stalled ? `NOT: ${f.drain.remaining} stuck after ${f.drain.seconds.toFixed(0)} s` : `NOT within ${cfg.drainTimeoutSeconds} s`} (${f.drain.rate?.toFixed(0) ?? 'n/a'} calls/s)`,
      ),
      '',
    ],
    [`failover: kill -9 of the leading worker -> other worker leads (max of ${rounds.length})`, ms(failover.takeoverMs.max, 0), 'n/a (one worker)', `< ${T.failoverMs / 1000} s`],
    [`failover: kill -9 -> new call's ${FIRST_STEP} READY p50 / max`, `${ms(failover.readyMs.p50, 0)} / ${ms(failover.readyMs.max, 0)} ${mark(failoverOk)}`, 'n/a (one worker)', `< ${T.failoverMs / 1000} s`],
    ['lost or doubled effects', `${effectsLine(clusterEffects)} ${mark(clusterEffects.pass)}`, embedded ? `${effectsLine(embedded.effects)} ${mark(embedded.effects.pass)}` : 'not run', 'none'],
    ['product warnings/errors logged after ready', String(clusterWarnings), embedded ? String(embedded.warnings) : 'not run', ''],
  ];
  say('=== cluster summary ===');
  say(`${machine.cpuModel}, ${machine.cores} cores, ${machine.memoryGiB} GiB, Node ${machine.node}, ${machine.os}`);
  say(`load average at start ${machine.loadAverage.join(' ')}, machine busy before start ${pct(machine.busyBeforeStartPct)} of all cores (others' work disturbs the figures)`);
  say(`cluster: PostgreSQL ${pg.version} (fsync off, as the tests run it), Temporal dev server (SQLite), every process on this one machine; projector lag includes up to one checkpoint poll (~${cluster.lag.meanPollMs?.toFixed(0)} ms)`);
  say('');
  say(table(rows));
  say('');
  say(`target: failover < ${T.failoverMs / 1000} s (other worker leads, and a new call's first step READY): ${mark(failoverOk)}`);
  say(`target: >= ${T.openPerSecond} openServiceCall/s with p99 < ${T.openP99Ms} ms over two API replicas: ${mark(pass.opens)}`);
  say(`target: step -> dependent READY p50 < ${T.dependentReadyP50Ms} ms: ${mark(pass.stepToReady)}`);
  say(`target: no lost or doubled effect: ${mark(pass.noLostOrDoubled)}`);
  return {
    pass: Object.values(pass).every(Boolean),
    json: { targets: T, pass, postgresVersion: pg.version, cluster: { ...cluster, failover, effects: clusterEffects, warnings: clusterWarnings }, embedded: embedded ?? null },
  };
}
