// The SLA-timer side of `npm run bench` (issue 4): BENCH_SLA_CALLS (2,000) open calls whose SLA
// timers all fall due at the same moments, on the embedded default. Target: the lag between a due time
// and its SlaBreached event, p99 under 2 s.
//
//   1. starts the product on a fresh DATA_DIR and defines an around-the-clock policy for a category of
//      its own (first response BENCH_SLA_FIRST_RESPONSE, default PT3M; resolution BENCH_SLA_RESOLUTION,
//      default PT4M; AT_RISK at 80 %);
//   2. opens the calls with one shared `receivedAt`, so every call's timers fall due at the same four
//      moments (first response at risk / breached, resolution at risk / breached), and waits until each
//      call's workflow is running (first step READY; progress lines);
//   3. after the last due moment, reads every SlaAtRisk / SlaBreached event from the event store and
//      reports, per moment, how many were recorded and the lag (recorded_at - due time) p50/p99/max, plus
//      the worker's and Temporal's memory with the calls' workflows waiting on their timers.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import { GraphQLClient } from './graphql.mjs';
import { memory } from './procfs.mjs';
import { ms, summarize, table } from './stats.mjs';

export const SLA_TARGET = { lagP99Ms: 2000 };
const MANAGER_KEY = 'dev-manager-key';
const CATEGORY = 'bench-sla';
const now = () => performance.now();
const sleep = (t) => new Promise((r) => setTimeout(r, t));

const DEFINE = `mutation Define($input: SlaPolicyInput!) { defineSlaPolicy(input: $input) }`;
const OPEN = `mutation Open($input: OpenServiceCallInput!) { openServiceCall(input: $input) { id } }`;

export async function slaSide({ root, cfg, say, launch, setWorkDir }) {
  say(`\n=== SLA timers: ${cfg.calls} open calls whose timers fall due together ===`);
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'scb-bench-sla-'));
  setWorkDir(workDir);
  const dataDir = path.join(workDir, 'data');
  const { procs, watch } = await launch(dataDir);
  const client = new GraphQLClient({ port: cfg.port, apiKey: MANAGER_KEY, sockets: 16 });

  const defined = await client.request(DEFINE, {
    input: { key: 'bench-sla', category: CATEGORY, firstResponseTarget: cfg.firstResponse, resolutionTarget: cfg.resolution, warnAt: 0.8 },
  });
  if (defined.errors) throw new Error(`defineSlaPolicy failed: ${JSON.stringify(defined.errors)}`);

  // ------------------------------------------------------------------------------ open with one receivedAt
  const receivedAt = new Date(Date.now() - 1000).toISOString();
  say(`[sla] opening ${cfg.calls} calls received at ${receivedAt}; targets ${cfg.firstResponse} / ${cfg.resolution}`);
  let next = 0;
  let failed = 0;
  const t0 = now();
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < cfg.calls) {
        const n = next++;
        const r = await client.request(OPEN, {
          input: { channel: 'PHONE', category: CATEGORY, summary: `SLA bench call ${n}`, receivedAt, customer: { name: `Bench ${n}`, email: `bench.${n}@example.com` } },
        });
        if (r.errors) failed++;
      }
    }),
  );
  say(`[sla] opened in ${((now() - t0) / 1000).toFixed(1)} s (${failed} failed)`);

  const Database = createRequire(path.join(root, 'package.json'))('better-sqlite3');
  const events = new Database(path.join(dataDir, 'events.sqlite'), { readonly: true, fileMustExist: true });
  const running = events.prepare(`SELECT count(DISTINCT stream_id) FROM events WHERE type = 'StepReady'`).pluck();
  const recorded = events.prepare(
    `SELECT type, json_extract(data, '$.target') AS target, json_extract(data, '$.dueAt') AS dueAt, recorded_at AS recordedAt
     FROM events WHERE type IN ('SlaAtRisk', 'SlaBreached')`,
  );
  const count = events.prepare(`SELECT count(*) FROM events WHERE type IN ('SlaAtRisk', 'SlaBreached')`).pluck();

  const lastDue = Date.parse(receivedAt) + isoMs(cfg.resolution);
  const firstMoment = Date.parse(receivedAt) + 0.8 * isoMs(cfg.firstResponse);
  let lastSay = 0;
  let warned = false;
  for (;;) {
    const started = running.get();
    const t = Date.now();
    if (t > lastDue + cfg.graceSeconds * 1000) break;
    if (now() - lastSay > cfg.progressSeconds * 1000) {
      say(`[sla] ${started} of ${cfg.calls} workflows running; ${count.get()} SLA alerts recorded; ${Math.round((lastDue - t) / 1000)} s to the last due moment`);
      lastSay = now();
    }
    if (!warned && started < cfg.calls && t > firstMoment - 5000) {
      warned = true;
      say('[sla] warning: not every workflow is running before the first due moment');
    }
    await sleep(1000);
  }
  const mem = {
    worker: procs.worker ? memory(procs.worker) : {},
    temporal: procs.temporal ? memory(procs.temporal) : {},
    api: procs.api ? memory(procs.api) : {},
  };

  const byMoment = new Map();
  for (const row of recorded.all()) {
    const key = `${row.type} ${row.target}`;
    const lags = byMoment.get(key) ?? [];
    lags.push(Date.parse(row.recordedAt) - Date.parse(row.dueAt));
    byMoment.set(key, lags);
  }
  events.close();

  // an at-risk event's due time is the target's; its own moment is 80 % of the way there
  const momentOf = (type, target) => {
    const targetMs = isoMs(target === 'FIRST_RESPONSE' ? cfg.firstResponse : cfg.resolution);
    return Date.parse(receivedAt) + (type === 'SlaAtRisk' ? 0.8 : 1) * targetMs;
  };
  const rows = [];
  let breachLags = [];
  for (const [key, lags] of [...byMoment].sort()) {
    const [type, target] = key.split(' ');
    const moment = momentOf(type, target);
    const dueAtMs = Date.parse(receivedAt) + isoMs(target === 'FIRST_RESPONSE' ? cfg.firstResponse : cfg.resolution);
    const fromMoment = lags.map((lag) => lag + dueAtMs - moment);
    if (type === 'SlaBreached') breachLags = breachLags.concat(fromMoment);
    const s = summarize(fromMoment);
    rows.push([key, String(lags.length), ms(s.p50), ms(s.p99), ms(s.max)]);
  }
  say(`\n=== SLA timers summary (${cfg.calls} calls) ===`);
  say(table([['moment', 'recorded', 'lag p50', 'lag p99', 'lag max'], ...rows]));
  const breach = summarize(breachLags);
  const mib = (kib) => (kib ? `${(kib / 1024).toFixed(0)} MiB` : '?');
  say(`RSS with the calls' workflows waiting: worker ${mib(mem.worker.rssKiB)} (peak ${mib(mem.worker.peakRssKiB)}), Temporal ${mib(mem.temporal.rssKiB)}, API ${mib(mem.api.rssKiB)}`);
  const complete = (byMoment.get('SlaBreached RESOLUTION')?.length ?? 0) === cfg.calls;
  const pass = complete && breach.p99 < SLA_TARGET.lagP99Ms;
  say(`target 4: ${cfg.calls} calls' SlaBreached within p99 ${SLA_TARGET.lagP99Ms} ms of the due time: ${pass ? 'PASS' : 'FAIL'} (p99 ${ms(breach.p99)}${complete ? '' : `, only ${byMoment.get('SlaBreached RESOLUTION')?.length ?? 0} resolution breaches recorded`})`);
  say(`product warnings/errors logged after ready: ${watch.count}`);
  return { pass, json: { calls: cfg.calls, moments: Object.fromEntries(rows.map((r) => [r[0], { recorded: Number(r[1]), p50: r[2], p99: r[3], max: r[4] }])), memory: mem } };
}

function isoMs(duration) {
  const m = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/.exec(duration);
  if (!m) throw new Error(`not a supported duration: ${duration}`);
  const [, d, h, mi, s] = m.map((v) => Number(v ?? 0));
  return (((d * 24 + h) * 60 + mi) * 60 + s) * 1000;
}
