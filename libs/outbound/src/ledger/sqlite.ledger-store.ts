import Database from 'better-sqlite3';
import { ClaimDecision, ClaimRequest, decideClaim, LedgerStore, OutboundKind, SendRow, SendState } from './ledger-store';

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

const SELECT_ROW = 'SELECT fingerprint, state, attempts, started_at AS startedAt, result, error FROM outbound_sends WHERE kind = ? AND key = ?';

/** The ledger in a SQLite file (DATA_DIR/outbound.sqlite). A claim is one immediate transaction: two workers on the file take turns. */
export class SqliteLedgerStore implements LedgerStore {
  private readonly db: Database.Database;
  private readonly claimTx: (request: ClaimRequest) => ClaimDecision;

  constructor(options: { path: string; synchronous?: 'NORMAL' | 'FULL' }) {
    this.db = new Database(options.path, { timeout: 5000 });
    if (options.path !== ':memory:') this.db.pragma('journal_mode = WAL');
    this.db.pragma(`synchronous = ${options.synchronous === 'FULL' ? 'FULL' : 'NORMAL'}`);
    this.db.exec(SCHEMA);
    const get = this.db.prepare<[string, string], SendRow>(SELECT_ROW);
    const insert = this.db.prepare<[string, string, string, number, string]>(
      `INSERT INTO outbound_sends (kind, key, fingerprint, state, attempts, started_at, updated_at) VALUES (?, ?, ?, 'sending', 1, ?, ?)`,
    );
    const retake = this.db.prepare<[number, string, string, string]>(
      `UPDATE outbound_sends SET state = 'sending', attempts = attempts + 1, started_at = ?, error = NULL, updated_at = ? WHERE kind = ? AND key = ?`,
    );
    const tx = this.db.transaction((request: ClaimRequest): ClaimDecision => {
      const decision = decideClaim(get.get(request.kind, request.key), request);
      const at = new Date(request.now).toISOString();
      if ('insert' in decision) insert.run(request.kind, request.key, request.fingerprint, request.now, at);
      if ('retake' in decision) retake.run(request.now, at, request.kind, request.key);
      return decision;
    });
    this.claimTx = (request) => tx.immediate(request);
  }

  async claim(request: ClaimRequest): Promise<ClaimDecision> {
    return this.claimTx(request);
  }

  async finish(kind: OutboundKind, key: string, outcome: { state: SendState; result: string | null; error: string | null; at: string }): Promise<void> {
    this.db
      .prepare('UPDATE outbound_sends SET state = ?, result = ?, error = ?, updated_at = ? WHERE kind = ? AND key = ?')
      .run(outcome.state, outcome.result, outcome.error, outcome.at, kind, key);
  }

  async find(kind: OutboundKind, key: string): Promise<SendRow | undefined> {
    return this.db.prepare<[string, string], SendRow>(SELECT_ROW).get(kind, key);
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}
