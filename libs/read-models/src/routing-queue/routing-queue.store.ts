import { ReadModelDatabase } from '../read-model.database';
import { queryPlan, throughIndex } from '../read-model.sql';
import { WaitingCall } from './routing-queue.projection';

/** The most `waiting` returns at once. */
export const MAX_ROUTING_QUEUE = 1000;

/** The calls waiting for an agent, in the order they are to be served (see RoutingQueueProjection). */
export class RoutingQueueStore {
  constructor(private readonly db: ReadModelDatabase) {}

  async waiting(limit = MAX_ROUTING_QUEUE): Promise<WaitingCall[]> {
    const n = Math.max(0, Math.min(Math.trunc(limit), MAX_ROUTING_QUEUE));
    const rows = await this.waitingQuery(n).execute();
    return rows.map((r) => JSON.parse(r.doc) as WaitingCall);
  }

  async count(): Promise<number> {
    const row = await this.db.selectFrom('routing_queue').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    return row.n;
  }

  /** The database's plan for `waiting` (see queryPlan), for tests. */
  plan(): Promise<string[]> {
    return queryPlan(this.db, this.waitingQuery(10));
  }

  private waitingQuery(limit: number) {
    return this.db
      .selectFrom(throughIndex(this.db, 'routing_queue', 'routing_queue_order'))
      .select('doc')
      .orderBy('due_at')
      .orderBy('received_at')
      .orderBy('queued_at')
      .orderBy('call_id')
      .limit(limit);
  }
}
