import { ReadModelDatabase } from '../read-model.database';
import { WaitingCall } from './routing-queue.projection';

/** The most `waiting` returns at once. */
export const MAX_ROUTING_QUEUE = 1000;

const WAITING_SQL = `SELECT doc FROM routing_queue INDEXED BY routing_queue_order ORDER BY due_at, received_at, queued_at, call_id LIMIT ?`;

/** The calls waiting for an agent, in the order they are to be served (see RoutingQueueProjection). */
export class RoutingQueueStore {
  private readonly waitingStatement;
  private readonly countStatement;

  constructor(private readonly db: ReadModelDatabase) {
    this.waitingStatement = db.prepare<[number], string>(WAITING_SQL).pluck();
    this.countStatement = db.prepare<[], number>('SELECT count(*) FROM routing_queue').pluck();
  }

  waiting(limit = MAX_ROUTING_QUEUE): WaitingCall[] {
    const n = Math.max(0, Math.min(Math.trunc(limit), MAX_ROUTING_QUEUE));
    return this.waitingStatement.all(n).map((doc) => JSON.parse(doc) as WaitingCall);
  }

  count(): number {
    return this.countStatement.get() as number;
  }

  /** SQLite's plan for `waiting` (EXPLAIN QUERY PLAN details), for tests. */
  plan(): string[] {
    const rows = this.db.prepare(`EXPLAIN QUERY PLAN ${WAITING_SQL}`).all(10) as { detail: string }[];
    return rows.map((r) => r.detail);
  }
}
