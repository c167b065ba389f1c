import { callIdOfStream, ServiceCall } from '@app/domain';
import { EventStore, RecordedEvent, Subscription } from '@app/event-store';
import { EventEmitter } from 'node:events';
import { assertCheckpointsBelongTo } from './checkpoints-owner';
import { advanceCheckpoint, lockProjection, PROJECTOR_CHECKPOINT, ReadModelDatabase, readCheckpoint } from './read-model.database';
import { Projection } from './projection';
import { applyToProjections, createProjections } from './projections';
import { projectedCalls } from './service-call-summaries/service-call-summaries.projection';

/** What one batch did: per event the call it changed here; the calls whose events another replica had applied, as they are now. */
interface Applied {
  changes: (ServiceCall | undefined)[];
  appliedElsewhere: Map<string, ServiceCall | undefined>;
}

/** Events applied in one transaction at most; a batch is committed sooner when the log has no more for now. */
const MAX_BATCH = 500;

/**
 * Feeds the read models from the global log. Events are applied and the checkpoint moved in one
 * transaction, so after a crash the projector resumes exactly where its last commit left off.
 * Events that arrive together (a busy API, a catch-up) share a transaction: the read models' indexes
 * make the commit, not the event, the expensive part. One batch is applied at a time, in log order;
 * what arrives meanwhile makes up the next one.
 *
 * Replicas: every API replica runs a projector over the same read models. Their transactions take
 * turns (lockProjection) and each event changes the read models once: a replica applies only what lies
 * past the shared checkpoint, which only moves forward (and a projection skips what it already holds). A replica still tells its own
 * subscribers about every event, also one another replica applied first: then with the call as the
 * read models hold it now (versions may jump, never go back).
 */
export class Projector {
  private readonly projections: Projection[] = createProjections();
  private readonly changes = new EventEmitter();
  private waiters: { position: number; resolve: (reached: boolean) => void }[] = [];
  private subscription?: Subscription;
  /** a failed batch abandons its subscription; events of an abandoned one are ignored */
  private generation = 0;
  private pending: RecordedEvent[] = [];
  private flushScheduled = false;
  /** the batches being applied, one after the other; settled when there is nothing left to apply */
  private draining?: Promise<void>;
  private onError: (error: unknown) => void = () => {};
  private position = 0;
  private running = false;
  private retry?: NodeJS.Timeout;
  private ownerChecked = false;

  constructor(
    private readonly db: ReadModelDatabase,
    private readonly store: EventStore,
    /** after a failed event (e.g. the file busy for longer than its timeout), resume from the checkpoint this much later */
    private readonly retryDelayMs = 1000,
  ) {
    this.changes.setMaxListeners(0);
  }

  get checkpoint(): number {
    return this.position;
  }

  /** Why the last batch failed, until one is applied again (for /health). */
  get failure(): string | undefined {
    return this.lastFailure;
  }
  private lastFailure?: string;

  /** Transactions committed since this projector was made (for figures; events per commit show the batching). */
  commits = 0;

  /**
   * Projects from the stored checkpoint until stop(); resolves once it is subscribed. A failure is
   * reported to onError and projection resumes from the checkpoint. Rejects, at its first start, when
   * the checkpoints belong to another event store or lie past its end (CheckpointsOfAnotherStoreError).
   */
  async start(onError: (error: unknown) => void): Promise<void> {
    // refused (rejects) on checkpoints of another event store, or past its end: nothing to retry
    if (!this.ownerChecked) await assertCheckpointsBelongTo(this.db, this.store);
    this.ownerChecked = true;
    this.running = true;
    this.onError = onError;
    const generation = ++this.generation;
    let from: number;
    try {
      // after a failure, from where this projector's listeners were told last (the shared checkpoint
      // may be ahead, moved by another replica: its events are still news to this replica's subscribers)
      from = this.position > 0 ? this.position : await readCheckpoint(this.db, PROJECTOR_CHECKPOINT);
    } catch (error) {
      this.fail(error);
      return;
    }
    if (generation !== this.generation) return; // stopped meanwhile
    this.advanceTo(from);
    this.subscription = this.store.subscribeToAll(
      (event) => {
        if (generation === this.generation) this.handle(event);
      },
      {
        fromPosition: from,
        onError: (error) => {
          if (generation === this.generation) this.fail(error);
        },
      },
    );
  }

  /** Stops projecting; resolves once the batch being applied, if any, is committed or rolled back. */
  async stop(): Promise<void> {
    this.running = false;
    this.generation++;
    this.pending = [];
    clearTimeout(this.retry);
    await this.subscription?.stop();
    this.subscription = undefined;
    await this.draining;
    for (const waiter of this.waiters) waiter.resolve(false);
    this.waiters = [];
  }

  /** Resolves true once the read models include the given global position, false after the timeout. */
  waitFor(position: number, timeoutMs: number): Promise<boolean> {
    if (this.position >= position) return Promise.resolve(true);
    return new Promise((resolve) => {
      const waiter = { position, resolve: (reached: boolean) => { clearTimeout(timer); resolve(reached); } };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        resolve(false);
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  /** Every change of a call after it reached the read models (for subscriptions). */
  onCallChanged(listener: (call: ServiceCall) => void): () => void {
    this.changes.on('call', listener);
    return () => this.changes.off('call', listener);
  }

  /**
   * Every event after the read models include it, with the call it belongs to as they hold it (after
   * the event; later, when another replica applied it first), undefined for other streams: for alerts.
   */
  onProjected(listener: (event: RecordedEvent, call: ServiceCall | undefined) => void): () => void {
    this.changes.on('event', listener);
    return () => this.changes.off('event', listener);
  }

  /**
   * The events after `after` up to `upTo` (by default, what the read models include now), oldest first,
   * each with its call as the read models hold it now: for a subscriber that comes back with the place
   * it left off (an alert's cursor). Read from the log page by page, as the caller consumes them.
   */
  async *projectedSince(after: number, upTo = this.position): AsyncGenerator<[RecordedEvent, ServiceCall | undefined]> {
    for (let from = after; from < upTo; ) {
      const events = (await this.store.readAll(from, MAX_BATCH)).filter((e) => e.position <= upTo);
      if (events.length === 0) return;
      const calls = await projectedCalls(this.db, callIdsOf(events));
      for (const event of events) {
        const callId = callIdOfStream(event.streamId);
        yield [event, callId ? calls.get(callId) : undefined];
      }
      from = events[events.length - 1].position;
    }
  }

  private handle(event: RecordedEvent): void {
    this.pending.push(event);
    if (this.pending.length >= MAX_BATCH) this.drain();
    else if (!this.flushScheduled) {
      // the subscription hands over what it has read without yielding to the event loop; commit
      // when it has no more for now (an immediate runs as soon as it waits or between its batches)
      this.flushScheduled = true;
      setImmediate(() => {
        this.flushScheduled = false;
        this.drain();
      });
    }
  }

  /** Applies what is pending, batch after batch, unless a drain is already doing so. */
  private drain(): void {
    if (this.draining) return;
    this.draining = (async () => {
      while (this.pending.length) {
        const generation = this.generation;
        const batch = this.pending.splice(0, MAX_BATCH);
        let applied: Applied;
        try {
          applied = await this.apply(batch);
          this.commits++;
          this.lastFailure = undefined;
        } catch (error) {
          if (generation === this.generation) this.fail(error); // rolled back: nothing of the batch is in the read models
          return;
        }
        this.advanceTo(batch[batch.length - 1].position);
        this.tell(batch, applied);
      }
    })().finally(() => {
      this.draining = undefined;
      if (this.pending.length) this.drain(); // arrived between the last look and now
    });
  }

  /**
   * One transaction: the batch through every projection, then the checkpoint. Also reads, for the
   * calls whose events another replica had applied, the call as the read models hold it now. A batch
   * the shared checkpoint covers already (another replica applied it) is only looked up: no lock
   * taken, nothing written.
   */
  private async apply(batch: readonly RecordedEvent[]): Promise<Applied> {
    const last = batch[batch.length - 1].position;
    if ((await readCheckpoint(this.db, PROJECTOR_CHECKPOINT)) >= last) {
      return { changes: batch.map(() => undefined), appliedElsewhere: await projectedCalls(this.db, callIdsOf(batch)) };
    }
    return this.db.transaction().execute(async (trx) => {
      await lockProjection(trx);
      // what the shared checkpoint covers another replica has applied (in log order, the checkpoint moved
      // in the same transaction): only looked up, not applied again
      const appliedUpTo = await readCheckpoint(trx, PROJECTOR_CHECKPOINT);
      const changes: (ServiceCall | undefined)[] = [];
      for (const event of batch) changes.push(event.position > appliedUpTo ? await applyToProjections(trx, this.projections, event) : undefined);
      await advanceCheckpoint(trx, PROJECTOR_CHECKPOINT, last);
      const appliedElsewhere = await projectedCalls(trx, callIdsOf(batch.filter((_, i) => !changes[i])));
      return { changes, appliedElsewhere };
    });
  }

  /**
   * The listeners hear of each event in log order, with the call it changed. A call whose event
   * another replica applied is told as the read models hold it now, once per batch (at its last event).
   */
  private tell(batch: readonly RecordedEvent[], { changes, appliedElsewhere }: Applied): void {
    const lastOfCall = new Map<string, number>();
    batch.forEach((event, i) => {
      const callId = callIdOfStream(event.streamId);
      if (callId && appliedElsewhere.has(callId)) lastOfCall.set(callId, i);
    });
    batch.forEach((event, i) => {
      const callId = callIdOfStream(event.streamId);
      const now = callId ? appliedElsewhere.get(callId) : undefined;
      const call = changes[i] ?? (now && now.version >= event.streamVersion ? now : undefined);
      if (changes[i]) this.changes.emit('call', changes[i]);
      else if (call && lastOfCall.get(callId!) === i) this.changes.emit('call', call);
      this.changes.emit('event', event, call);
    });
  }

  private advanceTo(position: number): void {
    this.position = position;
    if (this.waiters.length) {
      const reached = this.waiters.filter((w) => w.position <= this.position);
      this.waiters = this.waiters.filter((w) => w.position > this.position);
      for (const waiter of reached) waiter.resolve(true);
    }
  }

  /** Abandons the subscription and resumes from the checkpoint a little later (after the batch being applied, if any). */
  private fail(error: unknown): void {
    this.lastFailure = error instanceof Error ? error.message : String(error);
    this.generation++;
    this.pending = [];
    const abandoned = this.subscription;
    this.subscription = undefined;
    void abandoned?.stop().catch(() => undefined);
    this.onError(error);
    if (this.running) {
      this.retry = setTimeout(() => {
        void Promise.resolve(this.draining).then(() => (this.running ? this.start(this.onError) : undefined));
      }, this.retryDelayMs);
    }
  }
}

/** The calls these events belong to, once each. */
function callIdsOf(events: readonly RecordedEvent[]): string[] {
  return [...new Set(events.map((e) => callIdOfStream(e.streamId)).filter((id): id is string => !!id))];
}
