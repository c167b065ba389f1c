import { randomUUID } from 'node:crypto';
import {
  ANY_VERSION,
  EventData,
  EventMetadata,
  EventStore,
  NO_STREAM,
  RecordedEvent,
  WrongExpectedVersionError,
} from './event-store.port';

/**
 * The behaviour every EventStore adapter must have. Each test uses fresh stream ids and only looks at its
 * own streams, so the suite also runs against a shared, non-empty EventStoreDB.
 */
export function describeEventStoreContract(name: string, create: () => Promise<EventStore>): void {
  describe(`EventStore contract: ${name}`, () => {
    let store: EventStore;
    beforeEach(async () => {
      store = await create();
    });
    afterEach(async () => {
      await store.close();
    });

    describe('appendToStream', () => {
      it('creates a stream with NO_STREAM and reports its version and the last position', async () => {
        const id = newStreamId();
        const result = await store.appendToStream(id, [event('A', { n: 1 }), event('B', { n: 2 })], NO_STREAM);

        const events = await store.readStream(id);
        expect(result.nextVersion).toBe(2);
        expect(events.map((e) => [e.streamId, e.streamVersion, e.type, e.data])).toEqual([
          [id, 1, 'A', { n: 1 }],
          [id, 2, 'B', { n: 2 }],
        ]);
        expect(result.position).toBe(events[1].position);
        expect(new Date(events[0].recordedAt).toISOString()).toBe(events[0].recordedAt);
      });

      it('appends when the expected version is exact; 0 means no stream', async () => {
        const id = newStreamId();
        await store.appendToStream(id, [event('A')], 0);
        const result = await store.appendToStream(id, [event('B')], 1);

        expect(result.nextVersion).toBe(2);
        expect((await store.readStream(id)).map((e) => e.type)).toEqual(['A', 'B']);
      });

      it('rejects a stale version with the actual version and appends nothing', async () => {
        const id = newStreamId();
        await store.appendToStream(id, [event('A'), event('B')], NO_STREAM);

        const error = await rejection(store.appendToStream(id, [event('C'), event('D')], 1));

        expect(error).toBeInstanceOf(WrongExpectedVersionError);
        expect(error).toMatchObject({ streamId: id, expected: 1, actual: 2 });
        expect((await store.readStream(id)).map((e) => e.type)).toEqual(['A', 'B']);
      });

      it('rejects NO_STREAM (or 0) on an existing stream, and a version on an unknown one', async () => {
        const id = newStreamId();
        await store.appendToStream(id, [event('A')], NO_STREAM);

        await expect(store.appendToStream(id, [event('B')], NO_STREAM)).rejects.toMatchObject({ actual: 1 });
        await expect(store.appendToStream(id, [event('B')], 0)).rejects.toMatchObject({ actual: 1 });
        await expect(store.appendToStream(newStreamId(), [event('A')], 3)).rejects.toMatchObject({ actual: 0 });
        expect(await store.readStream(id)).toHaveLength(1);
      });

      it('always appends with ANY', async () => {
        const id = newStreamId();
        expect((await store.appendToStream(id, [event('A')], ANY_VERSION)).nextVersion).toBe(1);
        expect((await store.appendToStream(id, [event('B')], ANY_VERSION)).nextVersion).toBe(2);
      });

      it('appends nothing for an empty list, reporting the current version and its last position', async () => {
        const id = newStreamId();
        expect((await store.appendToStream(id, [], NO_STREAM)).nextVersion).toBe(0);
        const written = await store.appendToStream(id, [event('A')], NO_STREAM);

        expect(await store.appendToStream(id, [], 1)).toEqual(written);
        expect(await store.appendToStream(id, [], ANY_VERSION)).toEqual(written);
        await expect(store.appendToStream(id, [], 0)).rejects.toBeInstanceOf(WrongExpectedVersionError);
        expect(await store.readStream(id)).toHaveLength(1);
      });

      it('appends several events atomically, contiguous in the stream and in log order', async () => {
        const id = newStreamId();
        await store.appendToStream(id, [event('A'), event('B'), event('C')], NO_STREAM);
        await expect(store.appendToStream(id, [event('D'), event('E')], 1)).rejects.toThrow(WrongExpectedVersionError);

        const events = await store.readStream(id);
        expect(events.map((e) => e.streamVersion)).toEqual([1, 2, 3]);
        expectIncreasing(events.map((e) => e.position));
      });

      it('lets exactly one of many concurrent appends with the same expected version win', async () => {
        const id = newStreamId();
        await store.appendToStream(id, [event('Opened')], NO_STREAM);

        const attempts = Array.from({ length: 20 }, (_, i) => store.appendToStream(id, [event('Changed', { i })], 1));
        const results = await Promise.allSettled(attempts);

        const won = results.filter((r) => r.status === 'fulfilled');
        const lost = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
        expect(won).toHaveLength(1);
        expect(lost).toHaveLength(19);
        for (const error of lost) expect(error).toMatchObject({ name: 'WrongExpectedVersionError', actual: 2 });
        expect(await store.readStream(id)).toHaveLength(2);
      });

      it('round-trips data and metadata', async () => {
        const id = newStreamId();
        const data = { text: 'Grüße, 你好 "quoted"', n: 1.5, nested: { list: [1, 'two', null, { deep: true }] } };
        const metadata: EventMetadata = {
          at: '2025-03-04T05:06:07.089Z',
          idempotencyKey: 'key-1',
          actor: 'apikey:crm',
          correlationId: 'corr-1',
          causationId: 'cause-1',
          custom: { tags: ['a', 'b'] },
        };
        await store.appendToStream(id, [{ type: 'Noted', data, metadata }], NO_STREAM);

        const [recorded] = await store.readStream(id);
        expect(recorded.data).toEqual(data);
        expect(recorded.metadata).toEqual(metadata);
      });
    });

    describe('readStream', () => {
      it('returns the events in order, after fromVersion', async () => {
        const id = newStreamId();
        await store.appendToStream(id, ['A', 'B', 'C', 'D', 'E'].map((t) => event(t)), NO_STREAM);

        expect((await store.readStream(id)).map((e) => e.type)).toEqual(['A', 'B', 'C', 'D', 'E']);
        expect((await store.readStream(id, 2)).map((e) => e.streamVersion)).toEqual([3, 4, 5]);
        expect(await store.readStream(id, 5)).toEqual([]);
      });

      it('returns [] for an unknown stream', async () => {
        expect(await store.readStream(newStreamId())).toEqual([]);
      });
    });

    describe('readLastEvent', () => {
      it("returns the stream's newest event as readStream has it, and undefined for an unknown stream", async () => {
        const [id, other] = [newStreamId(), newStreamId()];
        expect(await store.readLastEvent(id)).toBeUndefined();
        await store.appendToStream(id, [event('A', { n: 1 }), event('B', { n: 2 })], NO_STREAM);
        await store.appendToStream(other, [event('X')], NO_STREAM);
        expect(await store.readLastEvent(id)).toEqual((await store.readStream(id))[1]);

        await store.appendToStream(id, [event('C', { n: 3 })], 2);
        expect(await store.readLastEvent(id)).toMatchObject({ streamId: id, streamVersion: 3, type: 'C', data: { n: 3 } });
        expect(await store.readLastEvent(other)).toMatchObject({ streamId: other, streamVersion: 1, type: 'X' });
      });
    });

    describe('readAll and lastPosition', () => {
      it('reads the global log in append order across streams, in pages', async () => {
        const [a, b] = [newStreamId(), newStreamId()];
        const start = await store.lastPosition();
        await store.appendToStream(a, [event('A1')], NO_STREAM);
        await store.appendToStream(b, [event('B1'), event('B2')], NO_STREAM);
        const last = await store.appendToStream(a, [event('A2'), event('A3')], 1);

        const all = await store.readAll(start, 1000);
        expect(all.filter((e) => e.streamId === a || e.streamId === b).map((e) => e.type)).toEqual([
          'A1', 'B1', 'B2', 'A2', 'A3',
        ]);
        expectIncreasing(all.map((e) => e.position));
        expect(all.every((e) => e.position > start)).toBe(true);

        const paged: RecordedEvent[] = [];
        for (let from = start; from < last.position; ) {
          const page = await store.readAll(from, 2);
          expect(page.length).toBeGreaterThan(0);
          expect(page.length).toBeLessThanOrEqual(2);
          paged.push(...page);
          from = page[page.length - 1].position;
        }
        expect(paged.filter((e) => e.streamId === a || e.streamId === b)).toEqual(
          all.filter((e) => e.streamId === a || e.streamId === b),
        );
        expectIncreasing(paged.map((e) => e.position));
      });

      it('reports the position of the last event', async () => {
        const before = await store.lastPosition();
        expect(before).toBeGreaterThanOrEqual(0);
        const result = await store.appendToStream(newStreamId(), [event('A'), event('B')], NO_STREAM);

        expect(result.position).toBeGreaterThan(before);
        expect(await store.lastPosition()).toBeGreaterThanOrEqual(result.position);
      });
    });

    describe('identity', () => {
      it('names the store, the same on every call', async () => {
        const identity = await store.identity();
        expect(identity).toMatch(/^[0-9a-f-]{36}$/);
        expect(await store.identity()).toBe(identity);
      });
    });

    describe('subscribeToAll', () => {
      it('catches up, then delivers live appends promptly, one handler call at a time', async () => {
        const id = newStreamId();
        const start = await store.lastPosition();
        await store.appendToStream(id, [event('A'), event('B')], NO_STREAM);

        let running = 0;
        let overlapped = false;
        const got: RecordedEvent[] = [];
        const sub = store.subscribeToAll(
          async (e) => {
            overlapped ||= running > 0;
            running += 1;
            await sleep(1);
            if (e.streamId === id) got.push(e);
            running -= 1;
          },
          { fromPosition: start },
        );
        await waitFor(() => got.length === 2);
        await store.appendToStream(id, [event('C')], 2);
        await store.appendToStream(id, [event('D'), event('E')], 3);
        await waitFor(() => got.length === 5, 1000);
        await sub.stop();

        expect(got.map((e) => e.type)).toEqual(['A', 'B', 'C', 'D', 'E']);
        expectIncreasing(got.map((e) => e.position));
        expect(overlapped).toBe(false);
      });

      it('delivers only events after fromPosition', async () => {
        const id = newStreamId();
        await store.appendToStream(id, [event('A'), event('B'), event('C')], NO_STREAM);
        const [, second] = await store.readStream(id);

        const got: string[] = [];
        const sub = store.subscribeToAll((e) => void (e.streamId === id && got.push(e.type)), {
          fromPosition: second.position,
        });
        await waitFor(() => got.length === 1);
        await sleep(50);
        await sub.stop();

        expect(got).toEqual(['C']);
      });

      it('stops delivering after stop(), which waits for the running handler', async () => {
        const id = newStreamId();
        const start = await store.lastPosition();
        let handlerDone = false;
        const got: string[] = [];
        const sub = store.subscribeToAll(
          async (e) => {
            if (e.streamId !== id) return;
            got.push(e.type);
            await sleep(50);
            handlerDone = true;
          },
          { fromPosition: start },
        );
        await store.appendToStream(id, [event('A')], NO_STREAM);
        await waitFor(() => got.length === 1);
        await sub.stop();
        expect(handlerDone).toBe(true);

        await store.appendToStream(id, [event('B')], 1);
        await sleep(100);
        expect(got).toEqual(['A']);
      });

      it('stops and reports when the handler throws', async () => {
        const id = newStreamId();
        const start = await store.lastPosition();
        await store.appendToStream(id, [event('A'), event('B')], NO_STREAM);
        const failure = new Error('handler failed');
        const errors: unknown[] = [];
        const seen: string[] = [];

        const sub = store.subscribeToAll(
          (e) => {
            if (e.streamId !== id) return;
            seen.push(e.type);
            throw failure;
          },
          { fromPosition: start, onError: (error) => errors.push(error) },
        );
        await waitFor(() => errors.length === 1);
        await sleep(50);
        await sub.stop();

        expect(errors).toEqual([failure]);
        expect(seen).toEqual(['A']);
      });
    });
  });
}

const newStreamId = (): string => `ContractTest-${randomUUID()}`;

function event(type: string, data: Record<string, unknown> = {}): EventData {
  return { type, data, metadata: { at: '2025-01-01T00:00:00.000Z' } };
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the promise to reject');
}

function expectIncreasing(positions: number[]): void {
  positions.slice(1).forEach((p, i) => expect(p).toBeGreaterThan(positions[i]));
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await sleep(2);
  }
}
