// Small statistics and formatting helpers for scripts/bench.mjs.

/** Nearest-rank percentile of an ascending-sorted array (p in 0..100); undefined when empty. */
export function percentile(sorted, p) {
  if (sorted.length === 0) return undefined;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

/** count, mean, p50, p90, p99, max (and min) of a list of numbers. */
export function summarize(values) {
  const sorted = Float64Array.from(values).sort();
  const n = sorted.length;
  let sum = 0;
  for (const v of sorted) sum += v;
  return {
    count: n,
    min: n ? sorted[0] : undefined,
    mean: n ? sum / n : undefined,
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    max: n ? sorted[n - 1] : undefined,
  };
}

export const ms = (v, digits = 1) => (v === undefined || Number.isNaN(v) ? 'n/a' : `${v.toFixed(digits)} ms`);
export const mib = (kib) => (kib === undefined ? 'n/a' : `${(kib / 1024).toFixed(0)} MiB`);
export const pct = (v) => (v === undefined ? 'n/a' : `${v.toFixed(0)}%`);

/** A plain-text table: rows are arrays of cells; the first row is the header. */
export function table(rows) {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => String(r[c] ?? '').length)));
  const line = (r) => r.map((cell, c) => String(cell ?? '').padEnd(widths[c])).join('  ').trimEnd();
  return [line(rows[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)].join('\n');
}
