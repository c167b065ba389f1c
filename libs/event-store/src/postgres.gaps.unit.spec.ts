import { DeadPositions, finalPrefix, missingRanges } from './postgres.gaps';

describe('PostgreSQL event store: the gap rule', () => {
  const dead = (...ranges: [number, number][]): DeadPositions => {
    const d = new DeadPositions();
    for (const [from, to] of ranges) d.add({ from, to });
    return d;
  };

  it('delivers everything when nothing is missing', () => {
    expect(finalPrefix([5, 6, 7], 4, dead())).toEqual({ count: 3 });
    expect(finalPrefix([], 4, dead())).toEqual({ count: 0 });
  });

  it('stops before the first missing position, also right after `after`', () => {
    expect(finalPrefix([5, 6, 9, 10], 4, dead())).toEqual({ count: 2, gap: { from: 7, to: 8 } });
    expect(finalPrefix([7, 8], 4, dead())).toEqual({ count: 0, gap: { from: 5, to: 6 } });
  });

  it('passes missing positions known to be dead, and only when all of the range is', () => {
    expect(finalPrefix([5, 6, 9, 10], 4, dead([7, 8]))).toEqual({ count: 4 });
    expect(finalPrefix([5, 6, 9, 10], 4, dead([7, 7]))).toEqual({ count: 2, gap: { from: 7, to: 8 } });
    expect(finalPrefix([7, 9, 12], 4, dead([1, 6], [8, 8]))).toEqual({ count: 2, gap: { from: 10, to: 11 } });
  });

  it('lists the missing ranges below the last position read', () => {
    expect(missingRanges([5, 6, 9, 12], 2)).toEqual([
      { from: 3, to: 4 },
      { from: 7, to: 8 },
      { from: 10, to: 11 },
    ]);
    expect(missingRanges([3, 4], 2)).toEqual([]);
  });

  it('keeps dead ranges merged and answers for ranges inside them', () => {
    const d = dead([10, 12], [20, 20], [13, 14], [1, 3], [16, 19]);
    expect(d.size).toBe(3); // 1-3, 10-14, 16-20
    expect(d.covers(10, 14)).toBe(true);
    expect(d.covers(11, 11)).toBe(true);
    expect(d.covers(14, 16)).toBe(false);
    expect(d.covers(15, 15)).toBe(false);
    expect(d.covers(16, 20)).toBe(true);
    expect(d.covers(0, 1)).toBe(false);
    d.add({ from: 15, to: 15 });
    expect(d.size).toBe(2);
    expect(d.covers(10, 20)).toBe(true);
    d.add({ from: 0, to: 30 });
    expect(d.size).toBe(1);
    expect(d.covers(0, 30)).toBe(true);
  });
});
