import { PermanentSendError, TransientSendError } from '../errors';

/** What is being sent: contacts and webhooks keep separate key spaces. */
export type OutboundKind = 'contact' | 'webhook';

export type SendState = 'sending' | 'sent' | 'rejected' | 'failed';

/** One key's row, in either database. */
export interface SendRow {
  fingerprint: string;
  state: SendState;
  attempts: number;
  /** epoch ms of the attempt that claimed the key last */
  startedAt: number;
  result: string | null;
  error: string | null;
}

/** What a claim does with the key's row: send (a first or a new attempt), or return what was sent. */
export type ClaimDecision = { insert: true; attempt: 1 } | { retake: true; attempt: number } | { done: string };

/**
 * The ledger's one rule, applied by each store inside its transaction with the key's row locked:
 * an unknown key is claimed; a known key with another request is refused; a sent key returns its
 * result; a rejected one is refused again; one still being sent within its lease is busy (retried
 * later); anything else (failed, or an attempt presumed dead after its lease) is taken over.
 */
export function decideClaim(row: SendRow | undefined, claim: { kind: OutboundKind; key: string; fingerprint: string; now: number; leaseMs: number }): ClaimDecision {
  if (!row) return { insert: true, attempt: 1 };
  if (row.fingerprint !== claim.fingerprint) {
    throw new PermanentSendError(`idempotency key ${claim.key} was already used for a different ${claim.kind}`);
  }
  if (row.state === 'sent') return { done: row.result ?? 'null' };
  if (row.state === 'rejected') throw new PermanentSendError(row.error ?? 'rejected');
  if (row.state === 'sending' && claim.now - row.startedAt < claim.leaseMs) {
    throw new TransientSendError(`${claim.kind} ${claim.key} is being sent by another attempt`);
  }
  return { retake: true, attempt: row.attempts + 1 };
}

export interface ClaimRequest {
  kind: OutboundKind;
  key: string;
  fingerprint: string;
  now: number;
  leaseMs: number;
}

/** Where the ledger keeps its rows: a SQLite file (embedded default) or PostgreSQL (DATABASE_URL). */
export interface LedgerStore {
  /** Applies decideClaim to the key's row under a lock no other claim of the key can pass, and writes what it decided. */
  claim(request: ClaimRequest): Promise<ClaimDecision>;
  finish(kind: OutboundKind, key: string, outcome: { state: SendState; result: string | null; error: string | null; at: string }): Promise<void>;
  find(kind: OutboundKind, key: string): Promise<SendRow | undefined>;
  close(): Promise<void>;
}
