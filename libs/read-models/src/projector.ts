import { ServiceCall } from '@app/domain';
import { EventStore, RecordedEvent, Subscription } from '@app/event-store';
import { EventEmitter } from 'node:events';
import { PROJECTOR_CHECKPOINT, ReadModelDatabase, readCheckpoint, writeCheckpoint } from './read-model.database';
import { Projection } from './projection';
import { createProjections } from './projections';

/** Events applied in one transaction at most; a batch is committed sooner when the log has no more for now. */
const MAX_BATCH = 500;

/**
 * Feeds the read models from the global log. Events are applied and the checkpoint moved in one
 * SQLite transaction, so after a crash the projector resumes exactly where its last commit left off.
 * Events that arrive together (a busy API, a catch-up) share a transaction: the read models' indexes
 * make the commit, not the event, the expensive part.
 */
export class Projector {
  private readonly projections: Projection[];
  private readonly changes = new EventEmitter();
  private readonly applyInTransaction: (events: readonly RecordedEvent[]) => (ServiceCall | undefined)[];
  private waiters: { position: number; resolve: (reached: boolean) => void }[] = [];
  private subscription?: Subscription;
  /** a failed batch abandons its subscription; events of an abandoned one are ignored */
  private generation = 0;
  private pending: RecordedEvent[] = [];
  private flushScheduled = false;
  private onError: (error: unknown) => void = () => {};
  private position: number;
  private running = false;
  private retry?: NodeJS.Timeout;

  constructor(
    private readonly db: ReadModelDatabase,
    private readonly store: EventStore,
    /** after a failed event (e.g. the file busy for longer than its timeout), resume from the checkpoint this much later */
    private readonly retryDelayMs = 1000,
  ) {
    this.projections = createProjections(db);
    this.position = readCheckpoint(db, PROJECTOR_CHECKPOINT);
    this.changes.setMaxListeners(0);
    const apply = db.transaction((events: readonly RecordedEvent[]) => {
      const changes = events.map((event) => {
        let changed: ServiceCall | undefined;
        for (const projection of this.projections) changed = projection.apply(event) ?? changed;
        return changed;
      });
      writeCheckpoint(this.db, PROJECTOR_CHECKPOINT, events[events.length - 1].position);
      return changes;
    });
    // BEGIN IMMEDIATE: the worker writes to this file too (the dispatcher's checkpoint). A deferred
    // transaction that reads first and then writes fails at once with SQLITE_BUSY when the other process
    // committed in between (no busy wait for a stale snapshot), and that stopped the projector for good.
    this.applyInTransaction = (events) => apply.immediate(events);
  }

  get checkpoint(): number {
    return this.position;
  }

  /** Transactions committed since this projector was made (for figures; events per commit show the batching). */
  commits = 0;

  /** Projects until stop(); a failure is reported to onError and projection resumes from the checkpoint. */
  start(onError: (error: unknown) => void): void {
    this.running = true;
    this.onError = onError;
    const generation = ++this.generation;
    this.subscription = this.store.subscribeToAll(
      (event) => {
        if (generation === this.generation) this.handle(event);
      },
      {
        fromPosition: this.position,
        onError: (error) => {
          if (generation === this.generation) this.fail(error);
        },
      },
    );
  }

  async stop(): Promise<void> {
    this.running = false;
    this.generation++;
    this.pending = [];
    clearTimeout(this.retry);
    await this.subscription?.stop();
    this.subscription = undefined;
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
   * Every event after the read models include it, with the call's new state when it changed one
   * (undefined for other streams and for an event the projections had already applied): for alerts.
   */
  onProjected(listener: (event: RecordedEvent, call: ServiceCall | undefined) => void): () => void {
    this.changes.on('event', listener);
    return () => this.changes.off('event', listener);
  }

  private handle(event: RecordedEvent): void {
    this.pending.push(event);
    if (this.pending.length >= MAX_BATCH) this.flush();
    else if (!this.flushScheduled) {
      // the subscription hands over what it has read without yielding to the event loop; commit
      // when it has no more for now (an immediate runs as soon as it waits or between its batches)
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
  }

  private flush(): void {
    this.flushScheduled = false;
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 0) return;
    let changes: (ServiceCall | undefined)[];
    try {
      changes = this.applyInTransaction(batch);
      this.commits++;
    } catch (error) {
      this.fail(error); // rolled back: nothing of the batch is in the read models
      return;
    }
    this.position = batch[batch.length - 1].position;
    if (this.waiters.length) {
      const reached = this.waiters.filter((w) => w.position <= this.position);
      this.waiters = this.waiters.filter((w) => w.position > this.position);
      for (const waiter of reached) waiter.resolve(true);
    }
    batch.forEach((event, i) => {
      const changed = changes[i];
      if (changed) this.changes.emit('call', changed);
      this.changes.emit('event', event, changed);
    });
  }

  /** Abandons the subscription and resumes from the checkpoint a little later. */
  private fail(error: unknown): void {
    this.generation++;
    this.pending = [];
    const abandoned = this.subscription;
    this.subscription = undefined;
    void abandoned?.stop().catch(() => undefined);
    this.onError(error);
    if (this.running) this.retry = setTimeout(() => this.running && this.start(this.onError), this.retryDelayMs);
  }
}
