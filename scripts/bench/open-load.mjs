// The openServiceCall load of every bench section: `inFlight` requests at a time, request n to
// clients[n % clients.length] (one API, or alternating over replicas), for `seconds` or `calls`.
import { performance } from 'node:perf_hooks';
import { OPEN, openInput } from './graphql.mjs';
import { summarize } from './stats.mjs';

const now = () => performance.now();

/**
 * Resolves { seconds, inFlight, ok, errors, errorKinds, throughput, latency }. `onId` gets each opened
 * call's id; `onProgress({ elapsed, sent, rate, latency, errors })` runs every `progressSeconds` with the
 * figures of that interval (it may return a promise; its failure is its own business).
 */
export async function openLoad({ clients, inFlight, seconds = Infinity, calls = Infinity, tag, say, onId, onProgress, progressSeconds = 2 }) {
  const latencies = [];
  const errorKinds = new Map();
  let errors = 0;
  let sent = 0;
  let interval = [];
  let intervalErrors = 0;
  const started = now();
  const end = started + seconds * 1000;

  async function oneClient() {
    while (now() < end && sent < calls) {
      const n = sent++;
      const t0 = now();
      let r;
      try {
        r = await clients[n % clients.length].request(OPEN, openInput(n, tag));
      } catch (error) {
        r = { errors: [{ code: 'NETWORK', message: String(error.message ?? error) }] };
      }
      const dt = now() - t0;
      const id = r.data?.openServiceCall?.id;
      if (r.errors || !id) {
        errors++;
        intervalErrors++;
        const kind = r.errors?.[0] ? `${r.errors[0].code}: ${r.errors[0].message.slice(0, 120)}` : 'no id in the answer';
        errorKinds.set(kind, (errorKinds.get(kind) ?? 0) + 1);
      } else {
        onId?.(id);
        latencies.push(dt);
        interval.push(dt);
      }
    }
  }

  let lastTick = started;
  const timer =
    onProgress &&
    setInterval(() => {
      const t = now();
      const latency = summarize(interval);
      const figures = { elapsed: (t - started) / 1000, sent, rate: (latency.count * 1000) / (t - lastTick), latency, errors: intervalErrors };
      interval = [];
      intervalErrors = 0;
      lastTick = t;
      void Promise.resolve(onProgress(figures)).catch(() => undefined);
    }, progressSeconds * 1000);

  await Promise.all(Array.from({ length: Math.min(inFlight, calls) }, oneClient));
  if (timer) clearInterval(timer);
  const wall = (now() - started) / 1000;
  for (const [kind, count] of errorKinds) say(`  error x${count}: ${kind}`);
  return { seconds: wall, inFlight, ok: latencies.length, errors, errorKinds: Object.fromEntries(errorKinds), throughput: latencies.length / wall, latency: summarize(latencies) };
}
