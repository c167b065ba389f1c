import { CallStatus, normaliseCategory, Priority, ServiceCall, ValidationError } from '@app/domain';
import { sql } from 'kysely';
import { ReadModelDatabase } from '../read-model.database';
import { queryPlan, throughIndex } from '../read-model.sql';
import { normalisePhone } from './service-call-summaries.projection';

export interface ServiceCallPage {
  nodes: ServiceCall[];
  endCursor?: string;
  hasNextPage: boolean;
}

export interface ServiceCallFilter {
  status?: CallStatus;
  processKey?: string;
  /** calls whose ACTIVE phase has this key */
  phaseKey?: string;
  assignee?: string;
  /** matched trimmed and case-insensitively */
  category?: string;
  priority?: Priority;
  /** ISO instants: openedAfter <= openedAt < openedBefore */
  openedAfter?: string;
  openedBefore?: string;
  first: number;
  after?: string;
}

const OPEN_STATUSES: readonly CallStatus[] = ['OPEN', 'IN_PROGRESS', 'WAITING_ON_CUSTOMER'];

/** Queries over the call summaries. Newest first; cursors are opaque (opened_at, id) pairs. */
export class ServiceCallSummariesStore {
  constructor(private readonly db: ReadModelDatabase) {}

  async byId(id: string): Promise<ServiceCall | undefined> {
    const row = await this.db.selectFrom('service_calls').select('doc').where('id', '=', id).executeTakeFirst();
    return row ? (JSON.parse(row.doc) as ServiceCall) : undefined;
  }

  /**
   * Open calls that nobody holds and that are not waiting in the routing queue, opened before
   * `openedBefore`, oldest first: the calls routing never saw (one partial index walk).
   */
  async unroutedOpenCalls(openedBefore: string, limit = 500): Promise<string[]> {
    const rows = await this.db
      .selectFrom(throughIndex(this.db, 'service_calls', 'service_calls_unassigned'))
      .select('id')
      .where('assignee', 'is', null)
      // literals, as in the index's own condition: a planner can only match a partial index's condition to constants
      .where('status', 'in', OPEN_STATUSES.map((status) => sql.lit(status)))
      .where('opened_at', '<', openedBefore)
      .where((eb) => eb.not(eb.exists(eb.selectFrom('routing_queue').select('routing_queue.call_id').whereRef('routing_queue.call_id', '=', 'service_calls.id'))))
      .orderBy('opened_at')
      .orderBy('id')
      .limit(limit)
      .execute();
    return rows.map((r) => r.id);
  }

  /** The status of each call given (calls not in the read models are left out). */
  async statuses(ids: readonly string[]): Promise<Map<string, string>> {
    const result = new Map<string, string>();
    for (const id of ids) {
      const row = await this.db.selectFrom('service_calls').select('status').where('id', '=', id).executeTakeFirst();
      if (row) result.set(id, row.status);
    }
    return result;
  }

  async byTrackingCode(code: string): Promise<ServiceCall | undefined> {
    const row = await this.db.selectFrom('service_calls').select('doc').where('tracking_code', '=', code).executeTakeFirst();
    return row ? (JSON.parse(row.doc) as ServiceCall) : undefined;
  }

  /** One page of calls matching every filter given, newest first (see pageQuery). */
  async page(filter: ServiceCallFilter): Promise<ServiceCallPage> {
    const docs = (await pageQuery(this.db, filter).execute()).map((r) => r.doc);
    const nodes = docs.slice(0, filter.first).map((d) => JSON.parse(d) as ServiceCall);
    const last = nodes[nodes.length - 1];
    return { nodes, hasNextPage: docs.length > filter.first, endCursor: last ? encodeCursor(last.openedAt, last.id) : undefined };
  }

  /** The database's plan for a page (see queryPlan): tests check that each filter is an index range scan. */
  pagePlan(filter: ServiceCallFilter): Promise<string[]> {
    return queryPlan(this.db, pageQuery(this.db, filter));
  }

  /** The customer's other calls (same e-mail or phone), newest first. */
  async customerHistory(customer: { email?: string; phone?: string }, excludeId: string, limit = 20): Promise<ServiceCall[]> {
    const phone = normalisePhone(customer.phone);
    const email = customer.email ?? null;
    if (!customer.email && !phone) return [];
    const rows = await this.db
      .selectFrom('service_calls')
      .select('doc')
      .where('id', '<>', excludeId)
      .where((eb) => eb.or([...(email !== null ? [eb('customer_email', '=', email)] : []), ...(phone !== null ? [eb('customer_phone', '=', phone)] : [])]))
      .orderBy('opened_at', 'desc')
      .limit(limit)
      .execute();
    return rows.map((r) => JSON.parse(r.doc) as ServiceCall);
  }
}

/**
 * One page, newest first by (opened_at, id). Every filter is an equality on an indexed column (or the
 * opened_at range), and each has an index that ends in the paging order, so the database walks one
 * index range and stops after the page. The order key never changes, so paging is stable while calls
 * are added or change in between (a call that stops matching simply drops out of later pages).
 */
function pageQuery(db: ReadModelDatabase, filter: ServiceCallFilter) {
  let query = db.selectFrom('service_calls').select('doc');
  if (filter.status !== undefined) query = query.where('status', '=', filter.status);
  if (filter.processKey !== undefined) query = query.where('process_key', '=', filter.processKey);
  if (filter.phaseKey !== undefined) query = query.where('active_phase', '=', filter.phaseKey);
  if (filter.assignee !== undefined) query = query.where('assignee', '=', filter.assignee);
  if (filter.category !== undefined) query = query.where('category_key', '=', normaliseCategory(filter.category));
  if (filter.priority !== undefined) query = query.where('priority', '=', filter.priority);
  if (filter.openedAfter !== undefined) query = query.where('opened_at', '>=', filter.openedAfter);
  // of the cursor and openedBefore, only the tighter upper bound goes to the database, so that the index
  // walk starts there instead of filtering its way down from the looser one
  const cursor = filter.after ? decodeCursor(filter.after) : undefined;
  if (cursor && (filter.openedBefore === undefined || cursor[0] < filter.openedBefore)) {
    query = query.where((eb) => eb(eb.refTuple('opened_at', 'id'), '<', eb.tuple(cursor[0], cursor[1])));
  } else if (filter.openedBefore !== undefined) {
    query = query.where('opened_at', '<', filter.openedBefore);
  }
  return query.orderBy('opened_at', 'desc').orderBy('id', 'desc').limit(filter.first + 1);
}

export function encodeCursor(openedAt: string, id: string): string {
  return Buffer.from(JSON.stringify([openedAt, id])).toString('base64url');
}

/** Throws on a cursor this store did not make. */
export function decodeCursor(cursor: string): [string, string] {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(value) && value.length === 2 && value.every((v) => typeof v === 'string')) return value as [string, string];
  } catch {
    // fall through
  }
  throw new ValidationError('after', 'after is not a cursor returned by this query');
}
