/**
 * What a subscriber's queue does when it is full because the client reads slower than values come:
 * - `keep-latest`: drop everything queued and keep only the new value (each value is a whole state,
 *   e.g. a call, so the newest one is all that matters; the client sees a jump in versions);
 * - `drop-oldest`: drop the oldest queued value (each value is news of its own, e.g. an alert).
 */
export type Overflow = 'keep-latest' | 'drop-oldest';

/**
 * One subscriber's bounded queue, read as the async iterator GraphQL subscriptions consume.
 * push() never waits, so a slow client never holds up whoever publishes (the projector).
 */
export class SubscriberQueue<T> implements AsyncIterableIterator<T> {
  private buffer: T[] = [];
  private waiting?: (result: IteratorResult<T>) => void;
  private closed = false;
  /** values this subscriber never got because its queue overflowed */
  dropped = 0;

  constructor(
    private readonly limit: number,
    private readonly overflow: Overflow,
    private readonly onClose: () => void = () => undefined,
  ) {}

  get isClosed(): boolean {
    return this.closed;
  }

  get length(): number {
    return this.buffer.length;
  }

  push(value: T): void {
    if (this.closed) return;
    if (this.waiting) {
      const resolve = this.waiting;
      this.waiting = undefined;
      resolve({ value, done: false });
      return;
    }
    if (this.buffer.length >= this.limit) {
      const drop = this.overflow === 'keep-latest' ? this.buffer.length : 1;
      this.buffer.splice(0, drop);
      this.dropped += drop;
    }
    this.buffer.push(value);
  }

  next(): Promise<IteratorResult<T>> {
    if (this.buffer.length) return Promise.resolve({ value: this.buffer.shift()!, done: false });
    if (this.closed) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => (this.waiting = resolve));
  }

  /** The subscription ended (the client completed it or disconnected): forget everything at once. */
  return(): Promise<IteratorResult<T>> {
    this.close();
    return Promise.resolve({ value: undefined, done: true });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.buffer = [];
    this.waiting?.({ value: undefined, done: true });
    this.waiting = undefined;
    this.onClose();
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<T> {
    return this;
  }
}

/**
 * Fans published values out to subscribers, each with its own bounded queue. A `topic` routes a
 * value to that topic's subscribers only (e.g. one call's), so publishing costs nothing for the rest.
 */
export class FanOut<T> {
  private readonly topics = new Map<string, Set<SubscriberQueue<T>>>();

  constructor(private readonly options: { limit: number; overflow: Overflow }) {}

  subscribe(topic = ''): SubscriberQueue<T> {
    let subscribers = this.topics.get(topic);
    if (!subscribers) this.topics.set(topic, (subscribers = new Set()));
    const queue: SubscriberQueue<T> = new SubscriberQueue<T>(this.options.limit, this.options.overflow, () => {
      subscribers.delete(queue);
      if (subscribers.size === 0 && this.topics.get(topic) === subscribers) this.topics.delete(topic);
    });
    subscribers.add(queue);
    return queue;
  }

  publish(value: T, topic = ''): void {
    const subscribers = this.topics.get(topic);
    if (subscribers) for (const queue of subscribers) queue.push(value);
  }

  /** How many subscriptions are open (a closed one is gone at once: nothing leaks on disconnect). */
  get subscriberCount(): number {
    let count = 0;
    for (const subscribers of this.topics.values()) count += subscribers.size;
    return count;
  }

  closeAll(): void {
    for (const subscribers of [...this.topics.values()]) for (const queue of [...subscribers]) queue.close();
  }
}
