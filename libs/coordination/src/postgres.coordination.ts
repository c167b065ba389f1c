import { Client, Pool } from 'pg';
import { Coordination, CoordinationStatus, LeaderRole, Leadership } from './coordination';

export interface PostgresCoordinationOptions {
  connectionString: string;
  /** how often a replica that does not lead tries again (default 1 s): the takeover time after the leader died */
  retryMs?: number;
  /** how often a leader checks that its session (and so its lock) is still there (default 1 s) */
  checkMs?: number;
  /** a check that takes longer than this counts as a lost session (default 3 s) */
  checkTimeoutMs?: number;
  log?: (message: string) => void;
}

/** All advisory locks of this product share one namespace (the first key of the two-key form). */
export const LOCK_NAMESPACE = 0x5ca1_1ed;

/** The lock's second key: FNV-1a of the name, as a signed 32-bit integer (stable across versions and machines). */
export function lockKey(name: string): number {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(name, 'utf8')) hash = Math.imul(hash ^ byte, 0x01000193);
  return hash | 0;
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
  });

/** Ends the session; a session whose server is gone may never answer the goodbye: give up after `ms`. */
async function endWithin(session: Client, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([session.end().catch(() => undefined), new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}

/**
 * Leadership and critical sections through PostgreSQL advisory locks.
 *
 * Leadership of a name is a session-level lock (`pg_try_advisory_lock`) held by a connection of its
 * own: the lock lives exactly as long as the session. A replica killed with -9 loses its socket, the
 * server ends the session and frees the lock, and the next replica's try (every `retryMs`) wins. A
 * leader checks its session every `checkMs`; when a check fails or hangs (the database restarted, a
 * network partition), it stops its part before anyone else can have the lock for long, then competes
 * again on a new connection. Locks rather than partitioning by call id: each part is small enough for
 * one process (one projector transaction per batch, one dispatcher cursor), and a single leader keeps
 * each part's order and checkpoint exactly as in the embedded default.
 *
 * A critical section is a transaction-level lock (`pg_advisory_xact_lock`) on a pooled connection,
 * released by COMMIT, ROLLBACK or the session's end.
 */
export class PostgresCoordination extends Coordination {
  private readonly pool: Pool;
  private readonly leading = new Set<string>();
  private readonly waiting = new Set<string>();
  private readonly campaigns = new Set<Leadership>();

  constructor(private readonly options: PostgresCoordinationOptions) {
    super();
    this.pool = new Pool({ connectionString: options.connectionString, max: 4 });
    this.pool.on('error', (error) => this.log(`idle connection failed: ${error.message}`));
  }

  lead(name: string, role: LeaderRole): Leadership {
    const stopped = new AbortController();
    const running = this.campaign(name, role, stopped.signal);
    const leadership: Leadership = {
      resign: async () => {
        stopped.abort();
        await running;
        this.campaigns.delete(leadership);
      },
    };
    this.campaigns.add(leadership);
    return leadership;
  }

  async exclusive<T>(name: string, work: () => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock($1, $2)', [LOCK_NAMESPACE, lockKey(name)]);
      const result = await work();
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  status(): CoordinationStatus {
    return { leads: [...this.leading].sort(), waitingFor: [...this.waiting].sort() };
  }

  async close(): Promise<void> {
    await Promise.all([...this.campaigns].map((c) => c.resign()));
    await this.pool.end();
  }

  /** Competes for `name` until resigned: leads while the lock is held, stops the part when it is lost. */
  private async campaign(name: string, role: LeaderRole, stopped: AbortSignal): Promise<void> {
    const { retryMs = 1000 } = this.options;
    while (!stopped.aborted) {
      this.waiting.add(name);
      const session = new Client({ connectionString: this.options.connectionString, application_name: `lead:${name}` });
      session.on('error', (error) => this.log(`${name}: session failed: ${error.message}`));
      try {
        await session.connect();
        await this.holdWhileLeading(name, role, session, stopped);
      } catch (error) {
        this.log(`${name}: ${error instanceof Error ? error.message : String(error)}`);
      } finally {
        this.waiting.delete(name);
        await endWithin(session, 2000);
      }
      await sleep(retryMs, stopped);
    }
  }

  private async holdWhileLeading(name: string, role: LeaderRole, session: Client, stopped: AbortSignal): Promise<void> {
    const { retryMs = 1000, checkMs = 1000 } = this.options;
    const key = lockKey(name);
    while (!stopped.aborted) {
      const { rows } = await session.query<{ got: boolean }>('SELECT pg_try_advisory_lock($1, $2) AS got', [LOCK_NAMESPACE, key]);
      if (rows[0]?.got) break;
      await sleep(retryMs, stopped);
    }
    if (stopped.aborted) return;
    this.waiting.delete(name);
    this.leading.add(name);
    this.log(`${name}: leading`);
    try {
      await role.start();
      while (!stopped.aborted) {
        await sleep(checkMs, stopped);
        if (!stopped.aborted) await this.check(session);
      }
    } finally {
      this.leading.delete(name);
      await role.stop();
      this.log(`${name}: stopped leading`);
    }
  }

  /** The session is alive (and so holds its locks), or this throws within checkTimeoutMs. */
  private async check(session: Client): Promise<void> {
    const { checkTimeoutMs = 3000 } = this.options;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`session check took over ${checkTimeoutMs} ms`)), checkTimeoutMs);
    });
    try {
      await Promise.race([session.query('SELECT 1'), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  private log(message: string): void {
    this.options.log?.(message);
  }
}
