import { ServiceCall } from '@app/domain';
import { EventStore, RecordedEvent, Subscription } from '@app/event-store';
import { EventEmitter } from 'node:events';
import { PROJECTOR_CHECKPOINT, ReadModelDatabase, readCheckpoint, writeCheckpoint } from './read-model.database';
import { Projection } from './projection';
import { createProjections } from './projections';

/**
 * Feeds the read models from the global log. Each event is applied and the checkpoint moved in one
 * SQLite transaction, so after a crash the projector resumes exactly where its last commit left off.
 */
export class Projector {
  private readonly projections: Projection[];
  private readonly changes = new EventEmitter();
  private readonly applyInTransaction: (event: RecordedEvent) => ServiceCall | undefined;
  private waiters: { position: number; resolve: (reached: boolean) => void }[] = [];
  private subscription?: Subscription;
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
    const apply = db.transaction((event: RecordedEvent) => {
      let changed: ServiceCall | undefined;
      for (const projection of this.projections) changed = projection.apply(event) ?? changed;
      writeCheckpoint(this.db, PROJECTOR_CHECKPOINT, event.position);
      return changed;
    });
    // BEGIN IMMEDIATE: the worker writes to this file too (the dispatcher's checkpoint). A deferred
    // transaction that reads first and then writes fails at once with SQLITE_BUSY when the other process
    // committed in between (no busy wait for a stale snapshot), and that stopped the projector for good.
    this.applyInTransaction = (event) => apply.immediate(event);
  }

  get checkpoint(): number {
    return this.position;
  }

  /** Projects until stop(); a failure is reported to onError and projection resumes from the checkpoint. */
  start(onError: (error: unknown) => void): void {
    this.running = true;
    this.subscription = this.store.subscribeToAll((event) => this.handle(event), {
      fromPosition: this.position,
      onError: (error) => {
        onError(error);
        if (this.running) this.retry = setTimeout(() => this.running && this.start(onError), this.retryDelayMs);
      },
    });
  }

  async stop(): Promise<void> {
    this.running = false;
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
    const changed = this.applyInTransaction(event);
    this.position = event.position;
    if (this.waiters.length) {
      const reached = this.waiters.filter((w) => w.position <= this.position);
      this.waiters = this.waiters.filter((w) => w.position > this.position);
      for (const waiter of reached) waiter.resolve(true);
    }
    if (changed) this.changes.emit('call', changed);
    this.changes.emit('event', event, changed);
  }
}
