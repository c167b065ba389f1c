// `npm run bench`: performance of the embedded default on this machine (issue 2, item 12; issue 3's
// read side, SLA timers; issue 5: routing; issue 11: the deployed shape). Four sections, the first three each on
// its own product run (routing needs no product); BENCH_ONLY=write|read|sla|routing|failover runs one, and
// BENCH_ONLY=cluster runs the deployed shape's section, which the default run leaves out (it needs PostgreSQL).
//
// Write side: starts the product exactly as `npm start` does (node scripts/start.mjs, fresh temporary
// DATA_DIR, its own ports) and runs, in this order:
//   1. warm-up: BENCH_WARMUP_CALLS openServiceCall at 16 clients, then waits until the workflows have
//      caught up with them (every call has its first step READY);
//   2. "completed step -> dependent step READY" on the quiet system: for BENCH_STEP_SAMPLES calls,
//      completeStep on record-complaint, then the time until confirm-understanding is READY, measured
//      in the event store (recorded_at of StepCompleted vs StepReady) and from the client's view
//      (completeStep answered -> a serviceCall query, polled every BENCH_POLL_MS, shows it READY);
//   3. openServiceCall at 16 concurrent clients for BENCH_SECONDS: throughput, latency
//      p50/p90/p99/max, errors, CPU per process, RSS of API/worker/Temporal at the end;
//   4. the drain: how fast the worker and Temporal bring the calls opened under load to their first
//      READY step (the workflow side's sustained rate), for at most BENCH_DRAIN_TIMEOUT_SECONDS;
//   5. if the backlog drained in time, step 2 again, now after the load;
// then prints a summary with the issue's targets as PASS/FAIL, optionally writes JSON, and stops the
// product (SIGTERM to its process group, SIGKILL after 20 s) and removes the temporary DATA_DIR.
//
// Read side (scripts/bench/read-side.mjs): seeds a fresh DATA_DIR with BENCH_READ_CALLS calls in every
// stage of their process (scripts/bench/seed-calls.mjs, real domain events appended before the product
// starts; their workflows count as idle), starts the product, waits for the projector to build the read
// models, then runs BENCH_READ_CLIENTS clients for BENCH_READ_SECONDS alternating phaseBoard and filtered
// serviceCalls pages; target: p50 < 20 ms and p99 < 50 ms for each query.
//
// Failover (scripts/bench/failover.mjs, issue 18): Temporal, the API and two workers; per round, kill -9
// of the worker holding a call's workflow as its step completes, and the time until the dependent step is
// READY (target: 5 s); then the largest workflow history and the workflow task durations of the run.
// The write side prints the same history/task figures over (at most BENCH_TASK_WORKFLOWS of) its workflows.
//
// Cluster (scripts/bench/cluster.mjs, issue 11; only with BENCH_ONLY=cluster): a throwaway PostgreSQL 15
// (scripts/postgres.mjs) for the event store and the read models, one Temporal dev server, two API replicas
// and two workers (node scripts/start-replica.mjs api|worker); openServiceCall throughput and p50/p99 over
// the two replicas, step -> dependent READY, the projector's lag, failover after kill -9 of the leading
// worker, no lost or doubled effect; then the embedded default (npm start) with the same counts beside it.
// Targets: failover < 10 s, >= 500 opens/s with p99 < 100 ms, step -> READY p50 < 100 ms, nothing lost or doubled.
//
// Routing (scripts/bench/routing.mjs, issue 5): the pure routing policy from dist/, no product: 1,000 random
// agents, 10,000 routeCall decisions (target p99 < 5 ms) and 200 calls served at once to 10 agents.
//
// The step measurement runs before the load as well as after it because the API accepts calls far
// faster than the workflows start their processes: after a full-speed load the backlog can take many
// minutes to drain (the drain figures say how long), and a step measured behind it says nothing.
//
// Environment (all optional):
//   BENCH_SECONDS (20)            measured openServiceCall load    BENCH_CLIENTS (16)
//   BENCH_WARMUP_CALLS (500)      warm-up calls                    BENCH_PROGRESS_SECONDS (2)
//   BENCH_STEP_SAMPLES (100)      completeStep samples per run     BENCH_STEP_CONCURRENCY (1)
//   BENCH_POLL_MS (5)             client-view polling interval     BENCH_SETTLE_TIMEOUT_SECONDS (120)
//   BENCH_DRAIN_TIMEOUT_SECONDS (60) how long to watch the backlog drain after the load
//   BENCH_PORT (3200), BENCH_TEMPORAL_PORT (7400), BENCH_TEMPORAL_UI_PORT (8400)
//   BENCH_ONLY (all)              write | read | sla | routing | failover | cluster: run one section only (sla: scripts/bench/sla-side.mjs)
//   BENCH_CLUSTER_CALLS (2000)    measured opens per shape         BENCH_CLUSTER_CONCURRENCY (32) opens in flight
//   BENCH_CLUSTER_WARMUP_CALLS (200), BENCH_CLUSTER_STEP_SAMPLES (50), BENCH_CLUSTER_FAILOVER_ROUNDS (3)
//   BENCH_CLUSTER_LAG_POLL_MS (10) checkpoint polling for the projector lag
//   BENCH_CLUSTER_DRAIN_TIMEOUT_SECONDS (600), BENCH_CLUSTER_STALL_SECONDS (60) stop waiting when no call's
//   workflow moved for so long; BENCH_CLUSTER_EMBEDDED (1; 0 skips the embedded comparison)
//   (the cluster's API replicas listen on BENCH_PORT and BENCH_PORT+1, the workers' /health on +2 and +3)
//   BENCH_FAILOVER_ROUNDS (5)     kill -9 rounds                   BENCH_FAILOVER_SETTLE_MS (500) wait before a kill
//   BENCH_TASK_WORKFLOWS (2000)   workflow histories read for the history / workflow task figures
//   BENCH_ROUTING_AGENTS (1000), BENCH_ROUTING_DECISIONS (10000), BENCH_ROUTING_WARMUP (1000),
//   BENCH_ROUTING_BROAD (500) worst-case decisions, BENCH_ROUTING_SEED (1)
//   BENCH_SLA_CALLS (2000), BENCH_SLA_FIRST_RESPONSE (PT3M), BENCH_SLA_RESOLUTION (PT4M), BENCH_SLA_GRACE_SECONDS (20)
//   BENCH_READ_CALLS (10000)      calls seeded for the read side   BENCH_READ_CLIENTS (8)
//   BENCH_READ_SECONDS (20)       measured read load               BENCH_READ_DAYS (30) calls opened over so many days
//   BENCH_READ_CATCH_UP_TIMEOUT_SECONDS (600) how long the projector may take to build the read models
//   BENCH_JSON=path               also write the results as JSON   BENCH_KEEP_DATA=1 keep the temp dir
//   BENCH_STRICT=1                exit 1 when a target is missed
//   SQLITE_SYNCHRONOUS, READ_YOUR_WRITES_TIMEOUT_MS are passed through to the product.
// Exit status: 0 when the run completed (whatever the figures), 1 with BENCH_STRICT=1 and a missed
// target, 2 when the run itself failed (the product did not start, a port was taken, ...).
// Built-in Node modules only (plus the project's own better-sqlite3, read-only).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { DEPENDENT_STEP, FIRST_STEP, openEventLog } from './bench/event-log.mjs';
import { COMPLETE, GraphQLClient, OPEN, openInput, STEPS } from './bench/graphql.mjs';
import { CpuMeter, machineCpu, memory } from './bench/procfs.mjs';
import { portInUse, startProduct } from './bench/product.mjs';
import { slaSide } from './bench/sla-side.mjs';
import { readSide } from './bench/read-side.mjs';
import { routingSide } from './bench/routing.mjs';
import { failoverSide } from './bench/failover.mjs';
import { clusterSide } from './bench/cluster.mjs';
import { describeTaskFigures, TASK_TARGET, workflowTaskFigures } from './bench/workflow-tasks.mjs';
import { mib, ms, pct, summarize, table } from './bench/stats.mjs';
import { openLoad } from './bench/open-load.mjs';
import { ensureNodeModules } from './tools.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function numEnv(name, fallback, min = 0) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const v = Number(raw);
  if (!Number.isFinite(v) || v < min) throw new Error(`${name} must be a number >= ${min}, got "${raw}"`);
  return v;
}

function oneOfEnv(name, values) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return undefined;
  if (!values.includes(raw)) throw new Error(`${name} must be one of ${values.join(', ')}, got "${raw}"`);
  return raw;
}

const cfg = {
  seconds: numEnv('BENCH_SECONDS', 20, 1),
  clients: numEnv('BENCH_CLIENTS', 16, 1),
  warmupCalls: numEnv('BENCH_WARMUP_CALLS', 500),
  progressSeconds: numEnv('BENCH_PROGRESS_SECONDS', 2, 0.5),
  stepSamples: numEnv('BENCH_STEP_SAMPLES', 100, 1),
  stepConcurrency: numEnv('BENCH_STEP_CONCURRENCY', 1, 1),
  pollMs: numEnv('BENCH_POLL_MS', 5),
  settleTimeoutSeconds: numEnv('BENCH_SETTLE_TIMEOUT_SECONDS', 120),
  drainTimeoutSeconds: numEnv('BENCH_DRAIN_TIMEOUT_SECONDS', 60),
  port: numEnv('BENCH_PORT', 3200, 1),
  temporalPort: numEnv('BENCH_TEMPORAL_PORT', 7400, 1),
  temporalUiPort: numEnv('BENCH_TEMPORAL_UI_PORT', 8400, 1),
  json: process.env.BENCH_JSON || undefined,
  keepData: process.env.BENCH_KEEP_DATA === '1',
  strict: process.env.BENCH_STRICT === '1',
  only: oneOfEnv('BENCH_ONLY', ['write', 'read', 'sla', 'routing', 'failover', 'cluster']),
  taskWorkflows: numEnv('BENCH_TASK_WORKFLOWS', 2000, 1),
  failover: {
    rounds: numEnv('BENCH_FAILOVER_ROUNDS', 5, 1),
    settleMs: numEnv('BENCH_FAILOVER_SETTLE_MS', 500),
  },
  cluster: {
    calls: numEnv('BENCH_CLUSTER_CALLS', 2000, 1),
    concurrency: numEnv('BENCH_CLUSTER_CONCURRENCY', 32, 1),
    warmupCalls: numEnv('BENCH_CLUSTER_WARMUP_CALLS', 200),
    stepSamples: numEnv('BENCH_CLUSTER_STEP_SAMPLES', 50, 1),
    failoverRounds: numEnv('BENCH_CLUSTER_FAILOVER_ROUNDS', 3, 1),
    lagPollMs: numEnv('BENCH_CLUSTER_LAG_POLL_MS', 10, 1),
    drainTimeoutSeconds: numEnv('BENCH_CLUSTER_DRAIN_TIMEOUT_SECONDS', 600, 1),
    stallSeconds: numEnv('BENCH_CLUSTER_STALL_SECONDS', 60, 1),
    embedded: process.env.BENCH_CLUSTER_EMBEDDED !== '0',
  },
  routing: {
    agents: numEnv('BENCH_ROUTING_AGENTS', 1000, 1),
    decisions: numEnv('BENCH_ROUTING_DECISIONS', 10_000, 1),
    warmup: numEnv('BENCH_ROUTING_WARMUP', 1000),
    broadDecisions: numEnv('BENCH_ROUTING_BROAD', 500, 1),
    seed: numEnv('BENCH_ROUTING_SEED', 1),
  },
  sla: {
    calls: numEnv('BENCH_SLA_CALLS', 2000, 1),
    firstResponse: process.env.BENCH_SLA_FIRST_RESPONSE || 'PT3M',
    resolution: process.env.BENCH_SLA_RESOLUTION || 'PT4M',
    graceSeconds: numEnv('BENCH_SLA_GRACE_SECONDS', 20, 1),
  },
  read: {
    calls: numEnv('BENCH_READ_CALLS', 10_000, 1),
    clients: numEnv('BENCH_READ_CLIENTS', 8, 1),
    seconds: numEnv('BENCH_READ_SECONDS', 20, 1),
    days: numEnv('BENCH_READ_DAYS', 30, 1),
    catchUpTimeoutSeconds: numEnv('BENCH_READ_CATCH_UP_TIMEOUT_SECONDS', 600, 1),
  },
};
cfg.read.progressSeconds = cfg.progressSeconds;
cfg.read.port = cfg.port;
const API_KEY = 'dev-integrator-key';
const TARGETS = { openPerSecond: 300, openP99Ms: 100, dependentReadyP50Ms: 250 };

const ANSI_COLOUR = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g');
let interrupted = false;
const say = (line = '') => interrupted || console.log(line); // quiet while a Ctrl-C stops the product
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const now = () => performance.now();
const round = (v, d = 1) => (v === undefined ? undefined : Math.round(v * 10 ** d) / 10 ** d);

// ---------------------------------------------------------------------------------------------- GraphQL


/** A product log line without its timestamps, ids and numbers, so that alike lines count together. */
const warningKind = (line) =>
  line
    .replace(/^\[Nest\] \d+\s+-\s+\S+,\s+\S+\s+\S*\s*/, '')
    .replace(/^time=\S+\s+/, '')
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi, '<id>')
    .replace(/\d+/g, 'N')
    .slice(0, 150);

const stepStatus = (call, key) => {
  for (const phase of call?.phases ?? []) for (const step of phase.steps) if (step.key === key) return step.status;
  return undefined;
};

// ---------------------------------------------------------------------------------------- the machine

function describeMachine() {
  const cpus = os.cpus();
  let distro = '';
  try {
    distro = fs.readFileSync('/etc/os-release', 'utf8').match(/^PRETTY_NAME="?([^"\n]*)"?/m)?.[1] ?? '';
  } catch {
    // no os-release: the distribution stays unnamed
  }
  return {
    cpuModel: cpus[0]?.model?.trim() ?? 'unknown',
    cores: cpus.length,
    cpuMHz: cpus[0]?.speed || undefined,
    memoryGiB: round(os.totalmem() / 2 ** 30, 1),
    node: process.version,
    os: `${distro || os.type()} (${os.type()} ${os.release()} ${os.arch()})`,
    loadAverage: os.loadavg().map((v) => round(v, 2)),
  };
}

/** % of the whole machine busy over a short sample: other people's work disturbs the figures. */
async function machineBusy(sampleMs = 1000) {
  const a = machineCpu();
  await sleep(sampleMs);
  const b = machineCpu();
  const busy = b.busy - a.busy;
  const total = busy + b.idle - a.idle;
  return total > 0 ? (100 * busy) / total : undefined;
}

// ------------------------------------------------------------------------------------------- the load

async function pollStep(client, callId, stepKey, pollMs, timeoutMs) {
  const deadline = now() + timeoutMs;
  let polls = 0;
  for (;;) {
    polls++;
    const data = await client.call(STEPS, { id: callId });
    const status = stepStatus(data.serviceCall, stepKey);
    if (status === 'READY') return { seenAt: now(), polls };
    if (now() > deadline) throw new Error(`${stepKey} of ${callId} not READY within ${timeoutMs} ms (last: ${status})`);
    if (pollMs > 0) await sleep(pollMs);
  }
}

/** Runs fn over items with at most `limit` in flight. */
async function mapLimit(items, limit, fn) {
  const results = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        results[i] = await fn(items[i], i);
      }
    }),
  );
  return results;
}

// ------------------------------------------------------------------------------------------------ main

let product;
let workDir;
let cleaningUp;
/** a section that starts its own processes (failover) registers how to stop them */
let stopSection;

/** Stops the running product and removes its temporary folder; after it, another section may start its own. */
async function cleanUp() {
  cleaningUp ??= (async () => {
    if (stopSection) {
      await stopSection();
      stopSection = undefined;
    }
    if (product) {
      const stopped = await product.stop();
      product = undefined;
      console.log(`[bench] product stopped in ${stopped.seconds.toFixed(1)} s${stopped.graceful ? '' : ' (needed SIGKILL)'}${stopped.leftOver ? `; ${stopped.leftOver} process(es) left` : ''}`);
    }
    if (workDir && !cfg.keepData) fs.rmSync(workDir, { recursive: true, force: true });
    else if (workDir) console.log(`[bench] data kept in ${workDir}`);
    workDir = undefined;
  })().finally(() => (cleaningUp = undefined));
  return cleaningUp;
}

/**
 * Starts the product on dataDir (output to workDir/product.log) and waits until it is ready. Warnings
 * and errors it logs after that are counted by kind (the first five are shown).
 */
async function launchProduct(dataDir) {
  for (const p of [cfg.port, cfg.temporalPort, cfg.temporalUiPort]) {
    if (await portInUse(p)) throw new Error(`port ${p} is already in use (a previous bench still running?); set BENCH_PORT / BENCH_TEMPORAL_PORT / BENCH_TEMPORAL_UI_PORT`);
  }
  say(`\n[bench] starting the product: node scripts/start.mjs, PORT=${cfg.port} TEMPORAL_PORT=${cfg.temporalPort} TEMPORAL_UI_PORT=${cfg.temporalUiPort} DATA_DIR=${dataDir}`);
  const watch = { count: 0, shown: 0, kinds: new Map() };
  const t0 = now();
  product = startProduct({
    root: ROOT,
    env: { PORT: String(cfg.port), DATA_DIR: dataDir, TEMPORAL_PORT: String(cfg.temporalPort), TEMPORAL_UI_PORT: String(cfg.temporalUiPort) },
    logFile: path.join(workDir, 'product.log'),
    onLine: (raw, ready) => {
      const line = raw.replace(ANSI_COLOUR, '');
      if (!ready) {
        if (!/\bLOG\b/.test(line) && line.trim()) say(`  [product] ${line}`); // Nest's start-up chatter stays in the log file
        return;
      }
      if (/\b(WARN|ERROR)\b|Error/.test(line)) {
        watch.count++;
        const kind = warningKind(line);
        watch.kinds.set(kind, (watch.kinds.get(kind) ?? 0) + 1);
        if (watch.shown++ < 5) say(`  [product] ${line}`);
      }
    },
  });
  await product.ready;
  const startSeconds = (now() - t0) / 1000;
  say(`[bench] ready after ${startSeconds.toFixed(1)} s (includes the build)`);

  let procs = product.processes();
  for (let i = 0; i < 20 && !(procs.api && procs.worker && procs.temporal); i++) {
    await sleep(100);
    procs = product.processes();
  }
  say(`[bench] pids: api ${procs.api ?? '?'}, worker ${procs.worker ?? '?'}, temporal ${procs.temporal ?? '?'}`);
  return { procs, startSeconds, watch };
}

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    if (interrupted) return;
    console.log(`\n[bench] ${signal}: stopping the product`);
    interrupted = true;
    cleanUp().finally(() => process.exit(130));
  });
}

async function main() {
  await ensureNodeModules(); // a fresh clone: as npm start and npm test do (the build needs the compiler)
  const machine = describeMachine();
  const config = {
    sqliteSynchronous: (process.env.SQLITE_SYNCHRONOUS || 'NORMAL').toUpperCase(),
    sqliteSynchronousSource: process.env.SQLITE_SYNCHRONOUS ? 'SQLITE_SYNCHRONOUS' : 'product default, libs/config',
    readYourWritesTimeoutMs: Number(process.env.READ_YOUR_WRITES_TIMEOUT_MS || 5000),
    ...cfg,
  };

  say(`=== service-call-backend benchmark (${cfg.only === 'cluster' ? 'deployed shape, with the embedded default beside it' : 'embedded default'}) ===`);
  say(`machine   ${machine.cpuModel}, ${machine.cores} cores${machine.cpuMHz ? ` @ ${machine.cpuMHz} MHz` : ''}, ${machine.memoryGiB} GiB RAM`);
  say(`          Node ${machine.node}, ${machine.os}`);
  machine.busyBeforeStartPct = round(await machineBusy(), 0);
  say(`          load average ${machine.loadAverage.join(' ')}; busy before start: ${pct(machine.busyBeforeStartPct)} of all cores (others' work disturbs the figures)`);
  say(`config    SQLite synchronous=${config.sqliteSynchronous} (${config.sqliteSynchronousSource}); read-your-writes wait <= ${config.readYourWritesTimeoutMs} ms`);
  say(`sections  ${cfg.only ?? 'write, read, sla, routing and failover'}`);

  const results = {};
  if (cfg.only === undefined || cfg.only === 'write') results.write = await writeSide(machine, config);
  if (cfg.only === undefined || cfg.only === 'read') {
    results.read = await readSide({
      root: ROOT,
      cfg: cfg.read,
      say,
      setWorkDir: (dir) => (workDir = dir),
      launch: (dataDir) => launchProduct(dataDir),
    });
    say('');
    await cleanUp();
  }

  if (cfg.only === undefined || cfg.only === 'sla') {
    results.sla = await slaSide({
      root: ROOT,
      cfg: { ...cfg.sla, port: cfg.port, progressSeconds: Math.max(cfg.progressSeconds, 5) },
      say,
      setWorkDir: (dir) => (workDir = dir),
      launch: (dataDir) => launchProduct(dataDir),
    });
    say('');
    await cleanUp();
  }

  if (cfg.only === undefined || cfg.only === 'routing') {
    results.routing = await routingSide({ root: ROOT, cfg: cfg.routing, say });
    say('');
  }

  if (cfg.only === undefined || cfg.only === 'failover') {
    results.failover = await failoverSide({
      root: ROOT,
      cfg: { ...cfg.failover, port: cfg.port, temporalPort: cfg.temporalPort, temporalUiPort: cfg.temporalUiPort },
      say,
      setWorkDir: (dir) => (workDir = dir),
      registerStop: (stop) => (stopSection = stop),
    });
    say('');
    await cleanUp();
  }

  if (cfg.only === 'cluster') {
    results.cluster = await clusterSide({
      root: ROOT,
      cfg: { ...cfg.cluster, port: cfg.port, temporalPort: cfg.temporalPort, progressSeconds: cfg.progressSeconds },
      say,
      machine,
      setWorkDir: (dir) => (workDir = dir),
      registerStop: (stop) => (stopSection = stop),
      launchEmbedded: (dataDir) => launchProduct(dataDir),
      cleanUp,
    });
    say('');
    await cleanUp();
  }

  if (cfg.json) {
    const result = { at: new Date().toISOString(), machine, config, ...(results.write?.json ?? {}), ...(results.read ? { readSide: results.read.json } : {}), ...(results.sla ? { slaTimers: results.sla.json } : {}), ...(results.routing ? { routing: results.routing.json } : {}), ...(results.failover ? { failover: results.failover.json } : {}), ...(results.cluster ? { cluster: results.cluster.json } : {}) };
    fs.writeFileSync(cfg.json, `${JSON.stringify(result, (_, v) => (typeof v === 'number' ? round(v, 2) : v), 2)}\n`);
    say(`[bench] results written to ${cfg.json}`);
  }
  return Object.values(results).every((r) => r.pass);
}

/** The write side: openServiceCall load and the step -> dependent READY latency (see the file header). */
async function writeSide(machine, config) {
  say(`\n=== write side: ${cfg.clients} clients: ${cfg.warmupCalls} warm-up calls, then ${cfg.seconds} s measured; ${cfg.stepSamples} step samples at concurrency ${cfg.stepConcurrency}, client poll every ${cfg.pollMs} ms ===`);
  workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'scb-bench-'));
  const dataDir = path.join(workDir, 'data');
  const { procs, startSeconds, watch } = await launchProduct(dataDir);
  const warningKinds = watch.kinds;

  const log = openEventLog(ROOT, dataDir);
  config.journalMode = log.journalMode();
  const client = new GraphQLClient({ port: cfg.port, apiKey: API_KEY, sockets: Math.max(cfg.clients, cfg.stepConcurrency * 2) });
  const cpuLine = (c) =>
    `cpu api ${pct(c.perCore.api)} worker ${pct(c.perCore.worker)} temporal ${pct(c.perCore.temporal)} bench ${pct(c.perCore.bench)}, machine ${pct(c.machineBusyPct)} (others ${pct(c.otherPct)})`;
  const memoryOf = () => Object.fromEntries(Object.entries(procs).map(([name, pid]) => [name, memory(pid)]));

  /** Waits until every call opened so far has its first step READY (the workflows caught up). */
  async function waitForWorkflows(label, timeoutSeconds) {
    const meter = new CpuMeter(procs);
    let tick = new CpuMeter(procs);
    const started = now();
    const first = log.progress();
    const firstDispatched = log.checkpoints().dispatcher;
    const backlog = first.opened - first.firstReady;
    let p = first;
    let lastPrint = now();
    while (p.firstReady < p.opened && (now() - started) / 1000 < timeoutSeconds) {
      if (now() - lastPrint >= cfg.progressSeconds * 1000) {
        const { dispatcher } = log.checkpoints();
        say(
          `[${label}] ${((now() - started) / 1000).toFixed(0).padStart(3)} s  ${p.opened - p.firstReady} calls without a READY step yet, ` +
            `dispatcher at ${dispatcher} of ${p.position} | ${cpuLine(tick.read())}`,
        );
        tick = new CpuMeter(procs);
        lastPrint = now();
      }
      await sleep(100);
      p = log.progress();
    }
    const seconds = (now() - started) / 1000;
    const progressed = p.firstReady - first.firstReady;
    const remaining = p.opened - p.firstReady;
    const rate = seconds > 0.5 && progressed > 0 ? progressed / seconds : undefined;
    const { dispatcher } = log.checkpoints();
    return {
      drained: remaining === 0,
      seconds,
      backlog,
      progressed,
      remaining,
      ratePerSecond: rate,
      projectedSeconds: remaining && rate ? remaining / rate : 0,
      // the dispatcher (worker) reads the log and signal-with-starts each call's workflow
      dispatcherBehindAtStart: first.position - firstDispatched,
      dispatcherBehindAtEnd: p.position - dispatcher,
      dispatcherEventsPerSecond: seconds > 0.5 ? (dispatcher - firstDispatched) / seconds : undefined,
      cpu: meter.read(),
    };
  }

  async function stepSamples(label) {
    say(`\n[${label}] ${cfg.stepSamples} calls: complete ${FIRST_STEP}, then time until ${DEPENDENT_STEP} is READY`);
    const ids = await mapLimit(Array.from({ length: cfg.stepSamples }, (_, i) => i), 4, async (i) => (await client.call(OPEN, openInput(i, label))).openServiceCall.id);
    const settled = await waitForWorkflows(label, 60);
    if (!settled.drained) say(`[${label}] warning: ${settled.remaining} calls still without a READY step after 60 s`);
    const meter = new CpuMeter(procs);
    const started = now();
    let done = 0;
    const failureKinds = new Map();
    const samples = await mapLimit(ids, cfg.stepConcurrency, async (callId) => {
      try {
        await pollStep(client, callId, FIRST_STEP, cfg.pollMs, 30_000);
        const sent = now();
        await client.call(COMPLETE, { input: { callId, stepKey: FIRST_STEP, outcome: 'Recorded by the benchmark.' } });
        const answered = now();
        const { seenAt, polls } = await pollStep(client, callId, DEPENDENT_STEP, cfg.pollMs, 30_000);
        if (++done % Math.max(1, Math.round(cfg.stepSamples / 4)) === 0) say(`[${label}] ${done}/${cfg.stepSamples}`);
        return { callId, completeStepMs: answered - sent, clientMs: seenAt - answered, polls };
      } catch (error) {
        const kind = String(error.message ?? error).replace(/[0-9a-zA-Z_-]{20,}/g, '<id>').slice(0, 160);
        failureKinds.set(kind, (failureKinds.get(kind) ?? 0) + 1);
        return undefined;
      }
    });
    const cpu = meter.read();
    for (const [kind, count] of failureKinds) say(`  failure x${count}: ${kind}`);
    const ok = samples.filter(Boolean);
    const inStore = ok.map((s) => log.completionToDependentReady(s.callId)).filter(Boolean);
    const result = {
      samples: cfg.stepSamples,
      failures: cfg.stepSamples - ok.length,
      failureKinds: Object.fromEntries(failureKinds),
      seconds: (now() - started) / 1000,
      eventStoreMs: summarize(inStore.map((s) => s.ms)),
      clientMs: summarize(ok.map((s) => s.clientMs)),
      completeStepMs: summarize(ok.map((s) => s.completeStepMs)),
      pollsPerSample: summarize(ok.map((s) => s.polls)),
      cpu,
    };
    const line = (s) => `p50 ${ms(s.p50, 0)}  p90 ${ms(s.p90, 0)}  p99 ${ms(s.p99, 0)}  max ${ms(s.max, 0)}  (n=${s.count})`;
    say(`[${label}] event store, StepCompleted -> StepReady (recorded_at): ${line(result.eventStoreMs)}`);
    say(`[${label}] client, completeStep answered -> query shows READY:    ${line(result.clientMs)}`);
    say(`[${label}] completeStep itself: p50 ${ms(result.completeStepMs.p50)} p99 ${ms(result.completeStepMs.p99)}; ${result.failures} failures; ${cpuLine(cpu)}`);
    return result;
  }

  // ------------------------------------------------------------------------------------- 1. warm-up
  say(`\n[warm-up] ${cfg.warmupCalls} openServiceCall at ${cfg.clients} clients`);
  const warm = await openLoad({ clients: [client], inFlight: cfg.clients, calls: cfg.warmupCalls, tag: 'warm', say });
  say(`[warm-up] ${warm.ok} calls at ${warm.throughput.toFixed(0)}/s, p99 ${ms(warm.latency.p99)}, ${warm.errors} errors; waiting for the workflows to catch up`);
  const settle = await waitForWorkflows('warm-up', cfg.settleTimeoutSeconds);
  say(`[warm-up] workflows ${settle.drained ? 'caught up' : 'NOT caught up'} in ${settle.seconds.toFixed(1)} s (${settle.ratePerSecond?.toFixed(0) ?? 'n/a'} calls/s)`);

  // ------------------------------------------------------------------------------------- 2. step, quiet
  const stepBefore = await stepSamples('step');

  // ------------------------------------------------------------------------------------- 3. open load
  say(`\n[load] openServiceCall at ${cfg.clients} concurrent clients for ${cfg.seconds} s`);
  const loadFrom = log.lastPosition();
  const meter = new CpuMeter(procs);
  let tick = new CpuMeter(procs);
  const load = await openLoad({
    clients: [client],
    inFlight: cfg.clients,
    seconds: cfg.seconds,
    tag: 'load',
    say,
    progressSeconds: cfg.progressSeconds,
    onProgress: ({ elapsed, rate, latency, errors }) => {
      const c = tick.read();
      tick = new CpuMeter(procs);
      const p = log.progress();
      say(
        `[load] ${elapsed.toFixed(0).padStart(3)} s ${rate.toFixed(0).padStart(5)} calls/s  p50 ${ms(latency.p50)}  p99 ${ms(latency.p99)}  errors ${errors} | ${cpuLine(c)} | ${p.opened - p.firstReady} calls wait for their workflow`,
      );
    },
  });
  const loadCpu = meter.read();
  const loadTo = log.lastPosition();
  const memoryAtLoadEnd = memoryOf();
  say(`[load] ${load.ok} calls in ${load.seconds.toFixed(1)} s = ${load.throughput.toFixed(1)} calls/s; p50 ${ms(load.latency.p50)} p90 ${ms(load.latency.p90)} p99 ${ms(load.latency.p99)} max ${ms(load.latency.max)}; errors ${load.errors}`);
  say(`[load] ${cpuLine(loadCpu)}`);
  say(`[load] RSS api ${mib(memoryAtLoadEnd.api?.rssKiB)}, worker ${mib(memoryAtLoadEnd.worker?.rssKiB)}, temporal ${mib(memoryAtLoadEnd.temporal?.rssKiB)}`);

  // ------------------------------------------------------------------------------------- 4. drain
  say(`\n[drain] watching the workflows catch up with the load for at most ${cfg.drainTimeoutSeconds} s`);
  const drain = await waitForWorkflows('drain', cfg.drainTimeoutSeconds);
  say(
    drain.drained
      ? `[drain] caught up in ${drain.seconds.toFixed(1)} s with ${drain.backlog} calls behind at the end of the load (${drain.ratePerSecond?.toFixed(0) ?? 'n/a'} calls/s)`
      : `[drain] NOT caught up: ${drain.backlog} calls behind at the end of the load, ${drain.remaining} still after ${drain.seconds.toFixed(0)} s ` +
          `(${drain.ratePerSecond?.toFixed(0) ?? 'n/a'} calls/s: about ${(drain.projectedSeconds / 60).toFixed(0)} more minutes)`,
  );
  say(
    `[drain] dispatcher: ${drain.dispatcherBehindAtStart} events behind at the end of the load, ${drain.dispatcherBehindAtEnd} now ` +
      `(${drain.dispatcherEventsPerSecond?.toFixed(0) ?? 'n/a'} events/s signalled to Temporal)`,
  );
  say(`[drain] ${cpuLine(drain.cpu)}`);
  // the whole path under load: opened -> dispatcher -> Temporal -> workflow -> first step READY
  const openToReady = summarize(log.openToFirstReady(loadFrom, loadTo));
  say(`[drain] calls of the load that reached ${FIRST_STEP} READY so far (n=${openToReady.count} of ${load.ok}), opened -> READY: p50 ${ms(openToReady.p50, 0)} p99 ${ms(openToReady.p99, 0)}`);

  // ------------------------------------------------------------------------------------- 5. step, after load
  let stepAfter;
  if (drain.drained) stepAfter = await stepSamples('step-after-load');
  else say(`[drain] skipping the step measurement after the load: it would measure the backlog, not the step`);

  // ------------------------------------------------------------------------------------- workflow tasks
  say(`\n[tasks] reading the histories of up to ${cfg.taskWorkflows} workflows (newest first) for the history size and workflow task durations`);
  const tasks = await workflowTaskFigures({ root: ROOT, address: `127.0.0.1:${cfg.temporalPort}`, limit: cfg.taskWorkflows, say }).catch((error) => {
    say(`[tasks] could not read the histories: ${error.message}`);
    return undefined;
  });

  // ------------------------------------------------------------------------------------- stop
  const memoryAtEnd = memoryOf();
  const events = log.eventCount();
  const eventsFileMiB = fs.statSync(path.join(dataDir, 'events.sqlite')).size / 2 ** 20;
  log.close();
  client.close();
  say('');
  await cleanUp();

  // ------------------------------------------------------------------------------------- summary
  const warnings = watch.count;
  const openPass = load.throughput >= TARGETS.openPerSecond && load.latency.p99 < TARGETS.openP99Ms && load.errors === 0;
  const stepFor = stepAfter ?? stepBefore;
  const stepPass = stepFor.eventStoreMs.count > 0 && stepFor.eventStoreMs.p50 < TARGETS.dependentReadyP50Ms && stepFor.failures === 0;
  const verdict = (ok) => (ok ? 'PASS' : 'FAIL');
  const c = loadCpu.perCore;
  const stepRows = (label, s) =>
    s
      ? [
          [`${label}: event store p50 / p99`, `${ms(s.eventStoreMs.p50, 0)} / ${ms(s.eventStoreMs.p99, 0)}`, s === stepFor ? `p50 < ${TARGETS.dependentReadyP50Ms} ms` : '', s === stepFor ? verdict(stepPass) : ''],
          [`${label}: client view p50 / p99`, `${ms(s.clientMs.p50, 0)} / ${ms(s.clientMs.p99, 0)}`, '', ''],
          [`${label}: samples failed`, `${s.failures} of ${s.samples}`, '', ''],
        ]
      : [[`${label}`, 'not measured (backlog did not drain)', '', '']];
  say('=== write side summary ===');
  say(`${machine.cpuModel}, ${machine.cores} cores, ${machine.memoryGiB} GiB, Node ${machine.node}, ${machine.os}`);
  say(`SQLite synchronous=${config.sqliteSynchronous}, journal_mode=${config.journalMode}; machine busy before start ${pct(machine.busyBeforeStartPct)}, during the load ${pct(loadCpu.machineBusyPct)} (others ${pct(loadCpu.otherPct)})`);
  say('');
  say(
    table([
      ['measure', 'value', 'target', 'result'],
      [`openServiceCall throughput (${cfg.clients} clients, ${cfg.seconds} s)`, `${load.throughput.toFixed(1)} calls/s`, `>= ${TARGETS.openPerSecond}/s`, verdict(load.throughput >= TARGETS.openPerSecond)],
      ['openServiceCall latency p50 / p90', `${ms(load.latency.p50)} / ${ms(load.latency.p90)}`, '', ''],
      ['openServiceCall latency p99', ms(load.latency.p99), `< ${TARGETS.openP99Ms} ms`, verdict(load.latency.p99 < TARGETS.openP99Ms)],
      ['openServiceCall latency max', ms(load.latency.max), '', ''],
      ['openServiceCall errors', `${load.errors} of ${load.ok + load.errors}`, '0', verdict(load.errors === 0)],
      ['CPU during load, % of one core', `api ${pct(c.api)}, worker ${pct(c.worker)}, temporal ${pct(c.temporal)}, bench ${pct(c.bench)}`, '', ''],
      ['RSS at end of load', `api ${mib(memoryAtLoadEnd.api?.rssKiB)}, worker ${mib(memoryAtLoadEnd.worker?.rssKiB)}, temporal ${mib(memoryAtLoadEnd.temporal?.rssKiB)}`, '', ''],
      ['peak RSS (VmHWM), whole run', `api ${mib(memoryAtEnd.api?.peakRssKiB)}, worker ${mib(memoryAtEnd.worker?.peakRssKiB)}, temporal ${mib(memoryAtEnd.temporal?.peakRssKiB)}`, '', ''],
      ...stepRows('step -> dependent READY, quiet', stepBefore),
      ...stepRows('step -> dependent READY, after load', stepAfter),
      ['workflows: calls behind at end of load', `${drain.backlog}`, '', ''],
      ['workflows: dispatcher behind at end of load / after', `${drain.dispatcherBehindAtStart} / ${drain.dispatcherBehindAtEnd} events (${drain.dispatcherEventsPerSecond?.toFixed(0) ?? 'n/a'}/s)`, '', ''],
      ['workflows: catch-up rate (calls to 1st READY/s)', `${drain.ratePerSecond?.toFixed(0) ?? 'n/a'} calls/s${drain.drained ? `, caught up in ${drain.seconds.toFixed(0)} s` : `, ${drain.remaining} left after ${drain.seconds.toFixed(0)} s`}`, '', ''],
      [`opened -> ${FIRST_STEP} READY under load p50 / p99`, `${ms(openToReady.p50, 0)} / ${ms(openToReady.p99, 0)} (n=${openToReady.count})`, '', ''],
      ['event store at end', `${events} events, ${eventsFileMiB.toFixed(1)} MiB`, '', ''],
      ['product warnings/errors logged after ready', String(warnings), '0', warnings ? 'check' : ''],
      ...(tasks
        ? [
            [`largest workflow history (${tasks.workflows} read)`, `${tasks.largest.events} events (${tasks.largest.type})`, '', ''],
            ['workflow task duration p50 / p99 / max', `${ms(tasks.tasks.p50, 0)} / ${ms(tasks.tasks.p99, 0)} / ${ms(tasks.tasks.max, 0)} (${tasks.tasks.count} tasks)`, `none > ${TASK_TARGET.maxTaskMs} ms`, verdict(tasks.overTarget === 0)],
          ]
        : []),
    ]),
  );
  if (tasks) for (const line of describeTaskFigures(tasks)) say(line);
  if (warningKinds.size) {
    say('');
    say('product warnings/errors by kind:');
    for (const [kind, count] of [...warningKinds].sort((a, b) => b[1] - a[1]).slice(0, 8)) say(`  ${String(count).padStart(6)}  ${kind}`);
  }
  say('');
  say(`target 1: >= ${TARGETS.openPerSecond} openServiceCall/s with p99 < ${TARGETS.openP99Ms} ms at ${cfg.clients} clients, no errors: ${verdict(openPass)}`);
  say(`target 2: p50 < ${TARGETS.dependentReadyP50Ms} ms from a completed step to its dependent step READY (${stepAfter ? 'after the load' : 'quiet system; the load did not drain'}): ${verdict(stepPass)}`);

  return {
    pass: openPass && stepPass,
    json: {
      startSeconds,
      targets: TARGETS,
      pass: { openServiceCall: openPass, stepToDependentReady: stepPass },
      warmUp: { ...warm, workflowsCaughtUp: settle },
      stepToDependentReady: { quiet: stepBefore, afterLoad: stepAfter ?? null },
      openServiceCall: { ...load, cpu: loadCpu, memoryAtEnd: memoryAtLoadEnd },
      drain: { ...drain, openToFirstReadyMs: openToReady },
      memoryAtEnd,
      eventStore: { events, fileMiB: eventsFileMiB },
      productWarnings: { total: warnings, byKind: Object.fromEntries(warningKinds) },
      workflowTasks: tasks ?? null,
    },
  };
}

main()
  .then(async (pass) => {
    await cleanUp();
    process.exit(cfg.strict && !pass ? 1 : 0);
  })
  .catch(async (error) => {
    if (interrupted) return; // the signal handler stops the product and exits
    console.error(`[bench] failed: ${error.stack ?? error}`);
    if (workDir) {
      try {
        const tail = fs.readFileSync(path.join(workDir, 'product.log'), 'utf8').split('\n').slice(-30).join('\n');
        console.error(`--- last lines of the product's output ---\n${tail}`);
      } catch {
        // no log written yet: nothing to show
      }
    }
    await cleanUp();
    process.exit(2);
  });
