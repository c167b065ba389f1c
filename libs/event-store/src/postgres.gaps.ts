/**
 * The reader's side of the PostgreSQL event store's gap rule (see postgres.event-store.ts): which of
 * the events read after a position may be delivered, and which missing positions are known to stay
 * empty for good. Pure, so it is tested on its own (postgres.gaps.unit.spec.ts).
 */

/** A range of positions, both ends included. */
export interface PositionRange {
  from: number;
  to: number;
}

/** The positions between `after` and the last of `positions` (ascending, all > after) that are missing. */
export function missingRanges(positions: readonly number[], after: number): PositionRange[] {
  const missing: PositionRange[] = [];
  let expected = after + 1;
  for (const position of positions) {
    if (position > expected) missing.push({ from: expected, to: position - 1 });
    expected = position + 1;
  }
  return missing;
}

/**
 * How many of `positions` (ascending, all > after) can be delivered now: those before the first
 * missing range that is not known to be dead. `gap` is that range, when there is one.
 */
export function finalPrefix(
  positions: readonly number[],
  after: number,
  dead: DeadPositions,
): { count: number; gap?: PositionRange } {
  let expected = after + 1;
  for (let i = 0; i < positions.length; i++) {
    const position = positions[i];
    if (position > expected && !dead.covers(expected, position - 1)) {
      return { count: i, gap: { from: expected, to: position - 1 } };
    }
    expected = position + 1;
  }
  return { count: positions.length };
}

/** How many ranges a store instance remembers; forgetting one costs a reader one more wait, never an event. */
const MAX_RANGES = 10_000;

/**
 * Positions known to hold no event, ever: drawn by transactions that rolled back (or lost in a crash).
 * Sorted, disjoint, merged ranges.
 */
export class DeadPositions {
  private ranges: PositionRange[] = [];

  get size(): number {
    return this.ranges.length;
  }

  add(range: PositionRange): void {
    if (range.to < range.from) return;
    let { from, to } = range;
    const kept: PositionRange[] = [];
    let inserted = false;
    for (const r of this.ranges) {
      if (r.to < from - 1) kept.push(r);
      else if (r.from > to + 1) {
        if (!inserted) {
          kept.push({ from, to });
          inserted = true;
        }
        kept.push(r);
      } else {
        from = Math.min(from, r.from);
        to = Math.max(to, r.to);
      }
    }
    if (!inserted) kept.push({ from, to });
    this.ranges = kept.length > MAX_RANGES ? kept.slice(kept.length - MAX_RANGES) : kept;
  }

  /** Whether every position in from..to is known dead. */
  covers(from: number, to: number): boolean {
    let lo = 0;
    let hi = this.ranges.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const r = this.ranges[mid];
      if (r.to < from) lo = mid + 1;
      else if (r.from > from) hi = mid - 1;
      else return r.to >= to;
    }
    return false;
  }
}
