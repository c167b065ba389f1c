import fc from 'fast-check';
import { FanOut, Overflow, SubscriberQueue } from './fan-out';

async function drain<T>(queue: SubscriberQueue<T>): Promise<T[]> {
  const values: T[] = [];
  while (queue.length) values.push((await queue.next()).value as T);
  return values;
}

describe('subscriber queues', () => {
  it('hand values over in order, to a reader already waiting and to one that comes later', async () => {
    const queue = new SubscriberQueue<number>(10, 'keep-latest');
    const waiting = queue.next();
    queue.push(1);
    queue.push(2);
    queue.push(3);
    expect(await waiting).toEqual({ value: 1, done: false });
    expect(await drain(queue)).toEqual([2, 3]);
  });

  it('keep-latest: a full queue keeps only the newest state', async () => {
    const queue = new SubscriberQueue<number>(3, 'keep-latest');
    for (let v = 1; v <= 5; v++) queue.push(v);
    expect(await drain(queue)).toEqual([4, 5]);
    expect(queue.dropped).toBe(3);
  });

  it('drop-oldest: a full queue drops its oldest value', async () => {
    const queue = new SubscriberQueue<number>(3, 'drop-oldest');
    for (let v = 1; v <= 5; v++) queue.push(v);
    expect(await drain(queue)).toEqual([3, 4, 5]);
    expect(queue.dropped).toBe(2);
  });

  it('return() ends a pending read, empties the queue and ignores later values', async () => {
    const closed = jest.fn();
    const queue = new SubscriberQueue<number>(3, 'keep-latest', closed);
    const pending = queue.next();
    await queue.return();
    expect(await pending).toEqual({ value: undefined, done: true });
    queue.push(1);
    expect(await queue.next()).toEqual({ value: undefined, done: true });
    await queue.return();
    expect(closed).toHaveBeenCalledTimes(1);
  });

  it.each<Overflow>(['keep-latest', 'drop-oldest'])(
    '%s: whatever the interleaving of pushes and reads, order holds, the queue stays bounded and the newest value is never lost',
    async (overflow) => {
      await fc.assert(
        fc.asyncProperty(fc.integer({ min: 1, max: 8 }), fc.array(fc.boolean(), { maxLength: 200 }), async (limit, ops) => {
          const queue = new SubscriberQueue<number>(limit, overflow);
          const read: number[] = [];
          let pushed = 0;
          for (const push of ops) {
            if (push) queue.push(++pushed);
            else if (queue.length) read.push((await queue.next()).value as number);
            expect(queue.length).toBeLessThanOrEqual(limit);
          }
          read.push(...(await drain(queue)));
          for (let i = 1; i < read.length; i++) expect(read[i]).toBeGreaterThan(read[i - 1]);
          if (pushed) expect(read[read.length - 1]).toBe(pushed);
          expect(read.length + queue.dropped).toBe(pushed);
        }),
      );
    },
  );
});

describe('fan-out', () => {
  it('delivers a value to the subscribers of its topic only, and forgets a subscriber when it closes', async () => {
    const fanOut = new FanOut<string>({ limit: 10, overflow: 'keep-latest' });
    const a1 = fanOut.subscribe('a');
    const a2 = fanOut.subscribe('a');
    const b = fanOut.subscribe('b');
    expect(fanOut.subscriberCount).toBe(3);
    fanOut.publish('for a', 'a');
    fanOut.publish('for nobody', 'c');
    expect(await drain(a1)).toEqual(['for a']);
    expect(await drain(a2)).toEqual(['for a']);
    expect(b.length).toBe(0);
    await a1.return();
    fanOut.publish('again', 'a');
    expect(await drain(a2)).toEqual(['again']);
    await a2.return();
    await b.return();
    expect(fanOut.subscriberCount).toBe(0);
  });

  it('closeAll ends every subscription', async () => {
    const fanOut = new FanOut<number>({ limit: 10, overflow: 'drop-oldest' });
    const queues = [fanOut.subscribe(), fanOut.subscribe('x')];
    fanOut.closeAll();
    expect(queues.every((q) => q.isClosed)).toBe(true);
    expect(fanOut.subscriberCount).toBe(0);
  });
});
