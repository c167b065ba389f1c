// The failover side of `npm run bench` (issue 18, item 5): two workers, one of them killed with -9
// while it holds a call's workflow. Target: the step's dependents READY within 5 s of the kill.
//
// Starts the embedded Temporal dev server (its own SQLite file), the API and TWO worker processes
// (node dist/apps/{api,worker}/src/main.js, as `npm start` runs them; the product's own configuration
// defaults, so the sticky-queue and workflow task timeouts are those of libs/config), then, per round:
//   1. opens a call and waits until its first step is READY (the call's workflow ran on one worker,
//      which keeps it in its sticky cache);
//   2. reads from the workflow's history which worker completed its last workflow task (identity
//      `<pid>@<host>`), kills that process with SIGKILL and at once completes the READY step over
//      GraphQL (the surviving worker's dispatcher delivers the event; the workflow task waits on the
//      dead worker's sticky queue, then the survivor replays the history and acts);
//   3. measures the time from the kill to the dependent step's StepReady (event store recorded_at),
//      then starts a replacement worker for the next round.
// Prints p50/max over BENCH_FAILOVER_ROUNDS rounds, then the largest workflow history and the workflow
// task durations of the run's workflows (scripts/bench/workflow-tasks.mjs).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { createRequire } from 'node:module';
import { build } from '../build.mjs';
import { ensureTemporalCli } from '../tools.mjs';
import { DEPENDENT_STEP, FIRST_STEP } from './event-log.mjs';
import { GraphQLClient } from './graphql.mjs';
import { portInUse } from './product.mjs';
import { ms, summarize, table } from './stats.mjs';
import { describeTaskFigures, TASK_TARGET, workflowTaskFigures } from './workflow-tasks.mjs';

export const FAILOVER_TARGET = { readyAfterKillMs: 5000 };
const API_KEY = 'dev-integrator-key';
const sleep = (t) => new Promise((r) => setTimeout(r, t));
const OPEN = `mutation Open($input: OpenServiceCallInput!) { openServiceCall(input: $input) { id } }`;
const COMPLETE = `mutation Complete($input: CompleteStepInput!) { completeStep(input: $input) { id version } }`;

export async function failoverSide({ root, cfg, say, setWorkDir, registerStop }) {
  say(`\n=== failover: two workers, kill -9 of the one holding the call's workflow, ${cfg.rounds} rounds ===`);
  for (const p of [cfg.port, cfg.temporalPort, cfg.temporalUiPort]) {
    if (await portInUse(p)) throw new Error(`port ${p} is already in use; set BENCH_PORT / BENCH_TEMPORAL_PORT / BENCH_TEMPORAL_UI_PORT`);
  }
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'scb-bench-failover-'));
  setWorkDir(workDir);
  const dataDir = path.join(workDir, 'data');
  fs.mkdirSync(dataDir, { recursive: true });
  build();
  const cli = await ensureTemporalCli();
  const address = `127.0.0.1:${cfg.temporalPort}`;
  const log = fs.createWriteStream(path.join(workDir, 'product.log'));
  const children = new Set();
  const env = { ...process.env, PORT: String(cfg.port), DATA_DIR: dataDir, TEMPORAL_ADDRESS: address };
  for (const name of ['EVENTSTORE_CONNECTION_STRING', 'DATABASE_URL', 'API_KEYS']) delete env[name];

  /** a process of the product in its own group; `ready` resolves when a line matches readyLine */
  function launch(name, command, args, readyLine) {
    const child = spawn(command, args, { cwd: root, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(child);
    const exited = new Promise((r) => child.once('exit', (code, signal) => (children.delete(child), r({ code, signal }))));
    let resolveReady;
    const ready = new Promise((r) => (resolveReady = r));
    for (const stream of [child.stdout, child.stderr]) {
      readline.createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) => {
        log.write(`[${name} ${child.pid}] ${line}\n`);
        if (readyLine?.test(line)) resolveReady();
      });
    }
    const within = (ms, what) =>
      Promise.race([ready, exited.then((e) => Promise.reject(new Error(`${what} exited (${e.signal ?? e.code}); see ${workDir}/product.log`))), sleep(ms).then(() => Promise.reject(new Error(`${what} not ready within ${ms / 1000} s`)))]);
    return { name, child, pid: child.pid, exited, ready: readyLine ? within(120_000, name) : Promise.resolve() };
  }
  const stopAll = async () => {
    for (const child of children) {
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {
        // the group is gone already
      }
    }
    for (let waited = 0; children.size > 0 && waited < 15_000; waited += 100) await sleep(100);
    for (const child of children) {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // the group is gone already
      }
    }
    await new Promise((r) => log.end(r));
  };
  registerStop(stopAll);

  say(`[failover] starting Temporal dev server on ${address}, the API on ${cfg.port} and two workers (DATA_DIR=${dataDir})`);
  launch('temporal', cli, [
    'server', 'start-dev', '--db-filename', path.join(dataDir, 'temporal.sqlite'),
    '--ip', '127.0.0.1', '--port', String(cfg.temporalPort), '--ui-port', String(cfg.temporalUiPort),
    '--log-level', 'error', '--namespace', 'default', '--sqlite-pragma', 'journal_mode=wal', '--sqlite-pragma', 'synchronous=normal',
  ]);
  for (let waited = 0; !(await portInUse(cfg.temporalPort)); waited += 200) {
    if (waited > 60_000) throw new Error('the Temporal dev server did not come up within 60 s');
    await sleep(200);
  }
  const api = launch('api', process.execPath, ['dist/apps/api/src/main.js']);
  const startWorker = () => launch('worker', process.execPath, ['dist/apps/worker/src/main.js'], /worker on task queue/);
  const workers = new Map();
  for (const w of [startWorker(), startWorker()]) workers.set(w.pid, w);
  await Promise.all([...workers.values()].map((w) => w.ready));
  const client = new GraphQLClient({ port: cfg.port, apiKey: API_KEY, sockets: 4 });
  for (let waited = 0; ; waited += 200) {
    const ok = await fetch(`http://127.0.0.1:${cfg.port}/health`).then((r) => r.ok).catch(() => false);
    if (ok) break;
    if (waited > 90_000) throw new Error(`the API did not come up within 90 s; see ${workDir}/product.log`);
    await sleep(200);
  }
  say(`[failover] ready: api ${api.pid}, workers ${[...workers.keys()].join(', ')}`);

  const req = createRequire(path.join(root, 'package.json'));
  const Database = req('better-sqlite3');
  const { Connection, WorkflowClient } = req('@temporalio/client');
  const connection = await Connection.connect({ address });
  const temporal = new WorkflowClient({ connection, namespace: 'default' });
  const events = new Database(path.join(dataDir, 'events.sqlite'), { readonly: true, fileMustExist: true });
  const stepReadyAt = events.prepare(
    `SELECT recorded_at FROM events WHERE stream_id = ? AND type = 'StepReady' AND json_extract(data, '$.stepKey') = ? ORDER BY position LIMIT 1`,
  ).pluck();
  const waitReady = async (callId, stepKey, timeoutMs) => {
    for (const started = Date.now(); Date.now() - started < timeoutMs; await sleep(5)) {
      const at = stepReadyAt.get(`ServiceCall-${callId}`, stepKey);
      if (at) return Date.parse(at);
    }
    return undefined;
  };
  /** the pid of the worker that completed the workflow's last workflow task */
  const holderOf = async (callId) => {
    const history = await temporal.getHandle(`service-call-${callId}`).fetchHistory();
    const completed = (history.events ?? []).filter((e) => e.workflowTaskCompletedEventAttributes).pop();
    return Number(String(completed?.workflowTaskCompletedEventAttributes.identity ?? '').split('@')[0]);
  };

  const results = [];
  try {
    for (let round = 1; round <= cfg.rounds; round++) {
      const opened = await client.call(OPEN, {
        input: { channel: 'PHONE', category: 'bench-failover', summary: `Failover round ${round}`, customer: { name: `Failover ${round}`, email: `failover.${round}@example.com` } },
      });
      const callId = opened.openServiceCall.id;
      if (!(await waitReady(callId, FIRST_STEP, 60_000))) throw new Error(`round ${round}: ${FIRST_STEP} not READY within 60 s`);
      await sleep(cfg.settleMs); // the workflow's task after the step's READY is done; it sits in one worker's cache
      const holder = await holderOf(callId);
      const victim = workers.get(holder);
      if (!victim) throw new Error(`round ${round}: the workflow's last task was done by pid ${holder}, not one of the workers ${[...workers.keys()].join(', ')}`);
      const killedAt = Date.now();
      process.kill(victim.pid, 'SIGKILL');
      workers.delete(victim.pid);
      const done = await client.request(COMPLETE, { input: { callId, stepKey: FIRST_STEP, outcome: 'done', idempotencyKey: `failover-${round}` } });
      if (done.errors) throw new Error(`round ${round}: completeStep failed: ${JSON.stringify(done.errors)}`);
      const readyAt = await waitReady(callId, DEPENDENT_STEP, 60_000);
      const ms = readyAt === undefined ? undefined : readyAt - killedAt;
      results.push(ms ?? Infinity);
      say(`[failover] round ${round}: killed worker ${victim.pid}; ${DEPENDENT_STEP} READY ${ms === undefined ? 'not within 60 s' : `${(ms / 1000).toFixed(2)} s`} after the kill`);
      await victim.exited;
      const replacement = startWorker();
      workers.set(replacement.pid, replacement);
      await replacement.ready;
    }
    const s = summarize(results);
    say(`\n=== failover summary (${cfg.rounds} rounds) ===`);
    say(table([['figure', 'p50', 'max'], ['kill -9 of the holding worker -> dependent step READY', ms(s.p50, 0), ms(s.max, 0)]]));
    const pass = s.max <= FAILOVER_TARGET.readyAfterKillMs;
    say(`target (issue 18): dependents READY within ${FAILOVER_TARGET.readyAfterKillMs / 1000} s of kill -9: ${pass ? 'PASS' : 'FAIL'} (max ${ms(s.max, 0)})`);

    const tasks = await workflowTaskFigures({ root, address, say });
    for (const line of describeTaskFigures(tasks)) say(line);
    say(`target (issue 18): no workflow task over ${TASK_TARGET.maxTaskMs} ms: ${tasks.overTarget === 0 ? 'PASS' : 'FAIL'}`);
    return { pass, json: { rounds: results, p50Ms: s.p50, maxMs: s.max, workflowTasks: tasks } };
  } finally {
    events.close();
    client.close();
    await connection.close();
  }
}
