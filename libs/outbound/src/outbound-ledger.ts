import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import { PermanentSendError, TransientSendError } from './errors';

export interface OutboundLedgerOptions {
  /** e.g. DATA_DIR/outbound.sqlite; ':memory:' for a process-local ledger */
  path: string;
  synchronous?: 'NORMAL' | 'FULL';
  /**
   * How long an attempt marked 'sending' blocks another attempt with the same key (which then fails
   * transiently and is retried). After it, the attempt is presumed dead (its process crashed) and a
   * new attempt takes over, sending again under the same provider idempotency key / Message-ID.
   */
  inFlightLeaseMs?: number;
  now?: () => number;
}

/** What is being sent: contacts and webhooks keep separate key spaces. */
export type OutboundKind = 'contact' | 'webhook';

type State = 'sending' | 'sent' | 'rejected' | 'failed';

interface Row {
  fingerprint: string;
  state: State;
  attempts: number;
  started_at: number;
  result: string | null;
  error: string | null;
}

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS outbound_sends (
    kind        TEXT    NOT NULL,
    key         TEXT    NOT NULL,
    fingerprint TEXT    NOT NULL,
    state       TEXT    NOT NULL,
    attempts    INTEGER NOT NULL,
    started_at  INTEGER NOT NULL,
    result      TEXT,
    error       TEXT,
    updated_at  TEXT    NOT NULL,
    PRIMARY KEY (kind, key)
  ) WITHOUT ROWID;
`;

type Claim<T> = { done: T } | { attempt: number };

/**
 * Makes a send happen at most once per idempotency key, across activity retries and processes.
 *
 * Before the attempt the key is recorded as 'sending' (in one immediate transaction, so two workers
 * cannot both claim it); after it, as 'sent' with the result, which every repeat returns without
 * contacting anyone. A permanent refusal is recorded as 'rejected' and repeats throw it again.
 *
 * The one window no ledger can close: the process dies after the provider accepted the message and
 * before 'sent' is written. The key then stays 'sending'; once the lease runs out, a retry sends
 * again. That duplicate is absorbed or made detectable downstream: the HTTP provider receives the
 * same `Idempotency-Key` header, and an e-mail carries the same deterministic Message-ID.
 */
export class OutboundLedger {
  private readonly db: Database.Database;
  private readonly inFlightLeaseMs: number;
  private readonly now: () => number;
  private readonly claimTx: Database.Transaction<(kind: OutboundKind, key: string, fingerprint: string) => Claim<string>>;

  constructor(options: OutboundLedgerOptions) {
    this.inFlightLeaseMs = options.inFlightLeaseMs ?? 60_000;
    this.now = options.now ?? Date.now;
    this.db = new Database(options.path, { timeout: 5000 });
    if (options.path !== ':memory:') this.db.pragma('journal_mode = WAL');
    this.db.pragma(`synchronous = ${options.synchronous === 'FULL' ? 'FULL' : 'NORMAL'}`);
    this.db.exec(SCHEMA);
    const get = this.db.prepare<[string, string], Row>(
      'SELECT fingerprint, state, attempts, started_at, result, error FROM outbound_sends WHERE kind = ? AND key = ?',
    );
    const insert = this.db.prepare<[string, string, string, number, string]>(
      `INSERT INTO outbound_sends (kind, key, fingerprint, state, attempts, started_at, updated_at)
       VALUES (?, ?, ?, 'sending', 1, ?, ?)`,
    );
    const retake = this.db.prepare<[number, string, string, string]>(
      `UPDATE outbound_sends SET state = 'sending', attempts = attempts + 1, started_at = ?, error = NULL, updated_at = ?
       WHERE kind = ? AND key = ?`,
    );
    this.claimTx = this.db.transaction((kind: OutboundKind, key: string, fingerprint: string): Claim<string> => {
      const now = this.now();
      const at = new Date(now).toISOString();
      const row = get.get(kind, key);
      if (!row) {
        insert.run(kind, key, fingerprint, now, at);
        return { attempt: 1 };
      }
      if (row.fingerprint !== fingerprint) {
        throw new PermanentSendError(`idempotency key ${key} was already used for a different ${kind}`);
      }
      if (row.state === 'sent') return { done: row.result! };
      if (row.state === 'rejected') throw new PermanentSendError(row.error ?? 'rejected');
      if (row.state === 'sending' && now - row.started_at < this.inFlightLeaseMs) {
        throw new TransientSendError(`${kind} ${key} is being sent by another attempt`);
      }
      retake.run(now, at, kind, key);
      return { attempt: row.attempts + 1 };
    });
  }

  /**
   * Runs `send` unless the key was already sent (then returns the stored result). `request` is what
   * the key stands for; the same key with a different request is refused (PermanentSendError).
   */
  async once<T>(kind: OutboundKind, key: string, request: unknown, send: (attempt: number) => Promise<T>): Promise<T> {
    if (!key) throw new PermanentSendError('an idempotency key is required');
    const fingerprint = createHash('sha256').update(JSON.stringify(request)).digest('hex');
    const claim = this.claimTx.immediate(kind, key, fingerprint);
    if ('done' in claim) return JSON.parse(claim.done) as T;
    let result: T;
    try {
      result = await send(claim.attempt);
    } catch (error) {
      const state: State = error instanceof PermanentSendError ? 'rejected' : 'failed';
      this.finish(kind, key, state, null, error instanceof Error ? error.message : String(error));
      throw error;
    }
    this.finish(kind, key, 'sent', JSON.stringify(result), null);
    return result;
  }

  /** The recorded state of a key (for tests and diagnostics). */
  lookup(kind: OutboundKind, key: string): { state: State; attempts: number; result?: unknown } | undefined {
    const row = this.db
      .prepare<[string, string], Row>('SELECT fingerprint, state, attempts, started_at, result, error FROM outbound_sends WHERE kind = ? AND key = ?')
      .get(kind, key);
    if (!row) return undefined;
    return { state: row.state, attempts: row.attempts, ...(row.result ? { result: JSON.parse(row.result) } : {}) };
  }

  close(): void {
    this.db.close();
  }

  private finish(kind: OutboundKind, key: string, state: State, result: string | null, error: string | null): void {
    this.db
      .prepare(`UPDATE outbound_sends SET state = ?, result = ?, error = ?, updated_at = ? WHERE kind = ? AND key = ?`)
      .run(state, result, error, new Date(this.now()).toISOString(), kind, key);
  }
}
