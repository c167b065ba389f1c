import { createHash } from 'node:crypto';
import { PermanentSendError } from './errors';
import { LedgerStore, OutboundKind, SendState } from './ledger/ledger-store';
import { PostgresLedgerStore } from './ledger/postgres.ledger-store';
import { SqliteLedgerStore } from './ledger/sqlite.ledger-store';

export type { OutboundKind } from './ledger/ledger-store';

export interface OutboundLedgerOptions {
  /** e.g. DATA_DIR/outbound.sqlite; ':memory:' for a process-local ledger (when no databaseUrl) */
  path?: string;
  /** PostgreSQL (DATABASE_URL): one ledger for every worker replica */
  databaseUrl?: string;
  synchronous?: 'NORMAL' | 'FULL';
  /**
   * How long an attempt marked 'sending' blocks another attempt with the same key (which then fails
   * transiently and is retried). After it, the attempt is presumed dead (its process crashed) and a
   * new attempt takes over, sending again under the same provider idempotency key / Message-ID.
   */
  inFlightLeaseMs?: number;
  now?: () => number;
}

/**
 * Makes a send happen at most once per idempotency key, across activity retries and processes.
 *
 * Before the attempt the key is recorded as 'sending' (in one transaction that locks the key, so two
 * workers cannot both claim it; the rule is decideClaim); after it, as 'sent' with the result, which
 * every repeat returns without contacting anyone. A permanent refusal is recorded as 'rejected' and
 * repeats throw it again.
 *
 * The one window no ledger can close: the process dies after the provider accepted the message and
 * before 'sent' is written. The key then stays 'sending'; once the lease runs out, a retry sends
 * again. That duplicate is absorbed or made detectable downstream: the HTTP provider receives the
 * same `Idempotency-Key` header, and an e-mail carries the same deterministic Message-ID.
 */
export class OutboundLedger {
  private readonly store: LedgerStore;
  private readonly inFlightLeaseMs: number;
  private readonly now: () => number;

  constructor(options: OutboundLedgerOptions) {
    this.inFlightLeaseMs = options.inFlightLeaseMs ?? 60_000;
    this.now = options.now ?? Date.now;
    if (options.databaseUrl) this.store = new PostgresLedgerStore({ connectionString: options.databaseUrl });
    else if (options.path) this.store = new SqliteLedgerStore({ path: options.path, synchronous: options.synchronous });
    else throw new Error('the outbound ledger needs a file path or a database URL');
  }

  /**
   * Runs `send` unless the key was already sent (then returns the stored result). `request` is what
   * the key stands for; the same key with a different request is refused (PermanentSendError).
   */
  async once<T>(kind: OutboundKind, key: string, request: unknown, send: (attempt: number) => Promise<T>): Promise<T> {
    if (!key) throw new PermanentSendError('an idempotency key is required');
    const fingerprint = createHash('sha256').update(JSON.stringify(request)).digest('hex');
    const claim = await this.store.claim({ kind, key, fingerprint, now: this.now(), leaseMs: this.inFlightLeaseMs });
    if ('done' in claim) return JSON.parse(claim.done) as T;
    let result: T;
    try {
      result = await send(claim.attempt);
    } catch (error) {
      const state: SendState = error instanceof PermanentSendError ? 'rejected' : 'failed';
      await this.finish(kind, key, state, null, error instanceof Error ? error.message : String(error));
      throw error;
    }
    await this.finish(kind, key, 'sent', JSON.stringify(result), null);
    return result;
  }

  /** The recorded state of a key (for tests and diagnostics). */
  async lookup(kind: OutboundKind, key: string): Promise<{ state: SendState; attempts: number; result?: unknown } | undefined> {
    const row = await this.store.find(kind, key);
    if (!row) return undefined;
    return { state: row.state, attempts: row.attempts, ...(row.result ? { result: JSON.parse(row.result) as unknown } : {}) };
  }

  close(): Promise<void> {
    return this.store.close();
  }

  private finish(kind: OutboundKind, key: string, state: SendState, result: string | null, error: string | null): Promise<void> {
    return this.store.finish(kind, key, { state, result, error, at: new Date(this.now()).toISOString() });
  }
}
