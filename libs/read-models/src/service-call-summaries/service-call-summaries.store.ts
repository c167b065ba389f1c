import { CallStatus, normaliseCategory, Priority, ServiceCall, ValidationError } from '@app/domain';
import type Database from 'better-sqlite3';
import { ReadModelDatabase } from '../read-model.database';
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

/** Queries over the call summaries. Newest first; cursors are opaque (opened_at, id) pairs. */
export class ServiceCallSummariesStore {
  /** prepared page queries by their SQL (one per combination of filters used) */
  private readonly statements = new Map<string, Database.Statement>();

  constructor(private readonly db: ReadModelDatabase) {}

  byId(id: string): ServiceCall | undefined {
    const doc = this.db.prepare('SELECT doc FROM service_calls WHERE id = ?').pluck().get(id) as string | undefined;
    return doc ? (JSON.parse(doc) as ServiceCall) : undefined;
  }

  /**
   * Open calls that nobody holds and that are not waiting in the routing queue, opened before
   * `openedBefore`, oldest first: the calls routing never saw (one partial index walk).
   */
  unroutedOpenCalls(openedBefore: string, limit = 500): string[] {
    return this.db
      .prepare(
        `SELECT id FROM service_calls INDEXED BY service_calls_unassigned
         WHERE assignee IS NULL AND status IN ('OPEN', 'IN_PROGRESS', 'WAITING_ON_CUSTOMER') AND opened_at < ?
           AND NOT EXISTS (SELECT 1 FROM routing_queue WHERE call_id = service_calls.id)
         ORDER BY opened_at, id LIMIT ?`,
      )
      .pluck()
      .all(openedBefore, limit) as string[];
  }

  /** The status of each call given (calls not in the read models are left out). */
  statuses(ids: readonly string[]): Map<string, string> {
    const statement = this.db.prepare('SELECT status FROM service_calls WHERE id = ?').pluck();
    const result = new Map<string, string>();
    for (const id of ids) {
      const status = statement.get(id) as string | undefined;
      if (status !== undefined) result.set(id, status);
    }
    return result;
  }

  byTrackingCode(code: string): ServiceCall | undefined {
    const doc = this.db.prepare('SELECT doc FROM service_calls WHERE tracking_code = ?').pluck().get(code) as string | undefined;
    return doc ? (JSON.parse(doc) as ServiceCall) : undefined;
  }

  /** One page of calls matching every filter given, newest first (see pageQuery). */
  page(filter: ServiceCallFilter): ServiceCallPage {
    const { sql, params } = pageQuery(filter);
    let statement = this.statements.get(sql);
    if (!statement) this.statements.set(sql, (statement = this.db.prepare(sql).pluck()));
    const docs = statement.all(...params, filter.first + 1) as string[];
    const nodes = docs.slice(0, filter.first).map((d) => JSON.parse(d) as ServiceCall);
    const last = nodes[nodes.length - 1];
    return { nodes, hasNextPage: docs.length > filter.first, endCursor: last ? encodeCursor(last.openedAt, last.id) : undefined };
  }

  /** SQLite's plan for a page (EXPLAIN QUERY PLAN details): tests check that each filter is an index range scan. */
  pagePlan(filter: ServiceCallFilter): string[] {
    const { sql, params } = pageQuery(filter);
    const rows = this.db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params, filter.first + 1) as { detail: string }[];
    return rows.map((r) => r.detail);
  }

  /** The customer's other calls (same e-mail or phone), newest first. */
  customerHistory(customer: { email?: string; phone?: string }, excludeId: string, limit = 20): ServiceCall[] {
    const phone = normalisePhone(customer.phone);
    if (!customer.email && !phone) return [];
    const docs = this.db
      .prepare(
        `SELECT doc FROM service_calls WHERE id <> ? AND ((? IS NOT NULL AND customer_email = ?) OR (? IS NOT NULL AND customer_phone = ?))
         ORDER BY opened_at DESC LIMIT ?`,
      )
      .pluck()
      .all(excludeId, customer.email ?? null, customer.email ?? null, phone, phone, limit) as string[];
    return docs.map((d) => JSON.parse(d) as ServiceCall);
  }
}

/**
 * One page, newest first by (opened_at, id). Every filter is an equality on an indexed column (or the
 * opened_at range), and each has an index that ends in the paging order, so SQLite walks one index
 * range and stops after the page. The order key never changes, so paging is stable while calls are
 * added or change in between (a call that stops matching simply drops out of later pages).
 */
function pageQuery(filter: ServiceCallFilter): { sql: string; params: unknown[] } {
  const where: string[] = [];
  const params: unknown[] = [];
  const equal = (column: string, value: string | undefined) => {
    if (value === undefined) return;
    where.push(`${column} = ?`);
    params.push(value);
  };
  equal('status', filter.status);
  equal('process_key', filter.processKey);
  equal('active_phase', filter.phaseKey);
  equal('assignee', filter.assignee);
  equal('category_key', filter.category === undefined ? undefined : normaliseCategory(filter.category));
  equal('priority', filter.priority);
  if (filter.openedAfter !== undefined) {
    where.push('opened_at >= ?');
    params.push(filter.openedAfter);
  }
  // of the cursor and openedBefore, only the tighter upper bound goes to SQLite, so that the index walk
  // starts there instead of filtering its way down from the looser one
  const cursor = filter.after ? decodeCursor(filter.after) : undefined;
  if (cursor && (filter.openedBefore === undefined || cursor[0] < filter.openedBefore)) {
    where.push('(opened_at, id) < (?, ?)');
    params.push(...cursor);
  } else if (filter.openedBefore !== undefined) {
    where.push('opened_at < ?');
    params.push(filter.openedBefore);
  }
  const sql = `SELECT doc FROM service_calls ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY opened_at DESC, id DESC LIMIT ?`;
  return { sql, params };
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
