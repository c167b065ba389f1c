import { Pool, PoolClient } from 'pg';
import { ClaimDecision, ClaimRequest, decideClaim, LedgerStore, OutboundKind, SendRow, SendState } from './ledger-store';

/** The ledger's own schema in the shared database, beside the read models and the event store. */
const SCHEMA = 'outbound';

/** Versioned: each entry runs once, in order, recorded in outbound.schema_version. Never edit one that shipped. */
const MIGRATIONS: readonly string[] = [
  `CREATE TABLE ${SCHEMA}.outbound_sends (
     kind        text   NOT NULL,
     key         text   NOT NULL,
     fingerprint text   NOT NULL,
     state       text   NOT NULL,
     attempts    integer NOT NULL,
     started_at  bigint NOT NULL,
     result      text,
     error       text,
     updated_at  text   NOT NULL,
     PRIMARY KEY (kind, key)
   )`,
];

const SELECT_ROW = `SELECT fingerprint, state, attempts, started_at::float8 AS "startedAt", result, error FROM ${SCHEMA}.outbound_sends WHERE kind = $1 AND key = $2`;

/**
 * The ledger in PostgreSQL (DATABASE_URL), shared by every worker replica: a claim inserts the key's
 * row or locks it (SELECT ... FOR UPDATE) in one transaction, so two workers claiming one key take turns
 * and exactly one of them sends.
 */
export class PostgresLedgerStore implements LedgerStore {
  private readonly pool: Pool;
  private readonly ready: Promise<void>;

  constructor(options: { connectionString: string }) {
    this.pool = new Pool({ connectionString: options.connectionString, max: 4 });
    this.pool.on('error', () => undefined); // an idle connection that dies is replaced on the next query
    this.ready = this.migrate();
    this.ready.catch(() => undefined); // reported by the first use
  }

  async claim(request: ClaimRequest): Promise<ClaimDecision> {
    return this.inTransaction(async (client) => {
      const at = new Date(request.now).toISOString();
      const inserted = await client.query(
        `INSERT INTO ${SCHEMA}.outbound_sends (kind, key, fingerprint, state, attempts, started_at, updated_at)
         VALUES ($1, $2, $3, 'sending', 1, $4, $5) ON CONFLICT (kind, key) DO NOTHING`,
        [request.kind, request.key, request.fingerprint, request.now, at],
      );
      if (inserted.rowCount === 1) return decideClaim(undefined, request);
      const { rows } = await client.query<SendRow>(`${SELECT_ROW} FOR UPDATE`, [request.kind, request.key]);
      const decision = decideClaim(rows[0], request);
      if ('retake' in decision) {
        await client.query(
          `UPDATE ${SCHEMA}.outbound_sends SET state = 'sending', attempts = attempts + 1, started_at = $1, error = NULL, updated_at = $2 WHERE kind = $3 AND key = $4`,
          [request.now, at, request.kind, request.key],
        );
      }
      return decision;
    });
  }

  async finish(kind: OutboundKind, key: string, outcome: { state: SendState; result: string | null; error: string | null; at: string }): Promise<void> {
    await this.ready;
    await this.pool.query(`UPDATE ${SCHEMA}.outbound_sends SET state = $1, result = $2, error = $3, updated_at = $4 WHERE kind = $5 AND key = $6`, [
      outcome.state,
      outcome.result,
      outcome.error,
      outcome.at,
      kind,
      key,
    ]);
  }

  async find(kind: OutboundKind, key: string): Promise<SendRow | undefined> {
    await this.ready;
    const { rows } = await this.pool.query<SendRow>(SELECT_ROW, [kind, key]);
    return rows[0];
  }

  async close(): Promise<void> {
    if (this.pool.ended) return;
    await this.ready.catch(() => undefined);
    await this.pool.end();
  }

  private async inTransaction<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
    await this.ready;
    return this.transaction(work);
  }

  private async transaction<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  /** Brings the schema to the newest version; replicas starting together take turns (an advisory lock). */
  private async migrate(): Promise<void> {
    await this.transaction(async (client) => {
      await client.query(`SELECT pg_advisory_xact_lock(hashtext('outbound-ledger-migrations'))`);
      await client.query(`CREATE SCHEMA IF NOT EXISTS ${SCHEMA}`);
      await client.query(`CREATE TABLE IF NOT EXISTS ${SCHEMA}.schema_version (version integer NOT NULL)`);
      const { rows } = await client.query<{ version: number }>(`SELECT version FROM ${SCHEMA}.schema_version`);
      const version = rows[0]?.version ?? 0;
      if (version > MIGRATIONS.length) throw new Error(`the outbound ledger's schema is version ${version}, newer than this release knows (${MIGRATIONS.length})`);
      for (const statement of MIGRATIONS.slice(version)) await client.query(statement);
      if (rows.length === 0) await client.query(`INSERT INTO ${SCHEMA}.schema_version (version) VALUES ($1)`, [MIGRATIONS.length]);
      else await client.query(`UPDATE ${SCHEMA}.schema_version SET version = $1`, [MIGRATIONS.length]);
    });
  }
}
