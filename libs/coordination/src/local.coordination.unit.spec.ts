import { LocalCoordination } from './local.coordination';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('LocalCoordination (embedded default: one process leads everything)', () => {
  it('starts a part at once, says it leads it, and stops it on resign', async () => {
    const c = new LocalCoordination();
    const seen: string[] = [];
    const leadership = c.lead('projector', { start: () => void seen.push('start'), stop: () => void seen.push('stop') });
    expect(c.status()).toEqual({ leads: ['projector'], waitingFor: [] });
    await leadership.resign();
    await leadership.resign(); // once
    expect(seen).toEqual(['start', 'stop']);
    expect(c.status().leads).toEqual([]);
  });

  it('runs critical sections of one name one at a time, in call order, also after one fails', async () => {
    const c = new LocalCoordination();
    const order: string[] = [];
    let inside = 0;
    const section = (name: string, ms: number, fail = false) => async () => {
      inside++;
      expect(inside).toBe(1);
      await sleep(ms);
      order.push(name);
      inside--;
      if (fail) throw new Error(name);
    };
    const results = await Promise.allSettled([c.exclusive('routing', section('a', 20)), c.exclusive('routing', section('b', 1, true)), c.exclusive('routing', section('c', 1))]);
    expect(order).toEqual(['a', 'b', 'c']);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
  });
});
