import { CallStatus, ServiceCall, ValidationError } from '@app/domain';
import { ReadModelDatabase } from '../read-model.database';
import { normalisePhone } from './service-call-summaries.projection';

export interface ServiceCallPage {
  nodes: ServiceCall[];
  endCursor?: string;
  hasNextPage: boolean;
}

export interface ServiceCallFilter {
  status?: CallStatus;
  first: number;
  after?: string;
}

/** Queries over the call summaries. Newest first; cursors are opaque (opened_at, id) pairs. */
export class ServiceCallSummariesStore {
  constructor(private readonly db: ReadModelDatabase) {}

  byId(id: string): ServiceCall | undefined {
    const doc = this.db.prepare('SELECT doc FROM service_calls WHERE id = ?').pluck().get(id) as string | undefined;
    return doc ? JSON.parse(doc) : undefined;
  }

  byTrackingCode(code: string): ServiceCall | undefined {
    const doc = this.db.prepare('SELECT doc FROM service_calls WHERE tracking_code = ?').pluck().get(code) as string | undefined;
    return doc ? JSON.parse(doc) : undefined;
  }

  page(filter: ServiceCallFilter): ServiceCallPage {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.status) {
      where.push('status = ?');
      params.push(filter.status);
    }
    if (filter.after) {
      const [openedAt, id] = decodeCursor(filter.after);
      where.push('(opened_at < ? OR (opened_at = ? AND id < ?))');
      params.push(openedAt, openedAt, id);
    }
    const sql = `SELECT doc FROM service_calls ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
                 ORDER BY opened_at DESC, id DESC LIMIT ?`;
    const docs = this.db.prepare(sql).pluck().all(...params, filter.first + 1) as string[];
    const nodes = docs.slice(0, filter.first).map((d) => JSON.parse(d) as ServiceCall);
    const last = nodes[nodes.length - 1];
    return { nodes, hasNextPage: docs.length > filter.first, endCursor: last ? encodeCursor(last.openedAt, last.id) : undefined };
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
    return docs.map((d) => JSON.parse(d));
  }
}

export function encodeCursor(openedAt: string, id: string): string {
  return Buffer.from(JSON.stringify([openedAt, id])).toString('base64url');
}

/** Throws on a cursor this store did not make. */
export function decodeCursor(cursor: string): [string, string] {
  try {
    const value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(value) && value.length === 2 && value.every((v) => typeof v === 'string')) return value as [string, string];
  } catch {
    // fall through
  }
  throw new ValidationError('after', 'after is not a cursor returned by this query');
}
