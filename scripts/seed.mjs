// `npm run seed`: appends SEED_CALLS (10,000) service calls in every stage of their process to the
// event store in DATA_DIR (./data), as the read-side benchmark does; see scripts/bench/seed-calls.mjs.
// Stop the product first. Its projector builds the read models from the new events when it starts.
//
// Environment: DATA_DIR (./data), SEED_CALLS (10000), SEED_DAYS (30: calls opened over this many days
// up to now), SEED (1: the same seed gives the same calls).
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from './build.mjs';
import { seedCalls } from './bench/seed-calls.mjs';
import { ensureNodeModules } from './tools.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const number = (name, fallback) => {
  const raw = process.env[name];
  const value = raw === undefined || raw === '' ? fallback : Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a whole number >= 1, got "${raw}"`);
  return value;
};

const dataDir = path.resolve(ROOT, process.env.DATA_DIR || 'data');
const calls = number('SEED_CALLS', 10_000);
await ensureNodeModules();
build();
console.log(`[seed] ${calls} calls into ${dataDir} (stop the product first)`);
const result = await seedCalls({
  root: ROOT,
  dataDir,
  calls,
  days: number('SEED_DAYS', 30),
  seed: number('SEED', 1),
  onProgress: (p) => console.log(`[seed] ${p.calls}/${p.of} calls, ${p.events} events, ${p.seconds.toFixed(1)} s`),
});
console.log(
  `[seed] done: ${result.calls} calls (${Object.entries(result.statuses).map(([s, n]) => `${n} ${s}`).join(', ')}), ` +
    `${result.events} events in ${result.seconds.toFixed(1)} s; log positions ${result.startPosition + 1}..${result.endPosition}`,
);
console.log('[seed] the worker will not start workflows for them (its dispatcher checkpoint is at the end of the log): they wait for people');
if (result.undispatchedBefore) console.log(`[seed] note: ${result.undispatchedBefore} earlier events the worker had not dispatched yet are now skipped by it too`);
