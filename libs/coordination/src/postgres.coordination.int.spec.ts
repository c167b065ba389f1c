// Leadership and critical sections across replicas, against a real PostgreSQL (started by `npm test`):
// several PostgresCoordination instances stand for several processes; a child process that holds a
// lock and is killed with -9 stands for a replica that dies.
import { spawn } from 'node:child_process';
import { Client } from 'pg';
import { createTestDatabase, describeWithPostgres, TestDatabase } from '../../../test/support/postgres';
import { LOCK_NAMESPACE, lockKey, PostgresCoordination } from './postgres.coordination';

const FAST = { retryMs: 100, checkMs: 100, checkTimeoutMs: 1000 };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function eventually(what: string, probe: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<number> {
  const start = Date.now();
  while (!(await probe())) {
    if (Date.now() - start > timeoutMs) throw new Error(`not within ${timeoutMs} ms: ${what}`);
    await sleep(20);
  }
  return Date.now() - start;
}

/** A part that counts how many processes run it at once. */
function part(running: Set<string>, overlaps: { max: number }, who: string) {
  return {
    start: () => {
      running.add(who);
      overlaps.max = Math.max(overlaps.max, running.size);
    },
    stop: () => {
      running.delete(who);
    },
  };
}

describeWithPostgres('PostgresCoordination (advisory locks)', () => {
  let db: TestDatabase;
  const opened: PostgresCoordination[] = [];
  const replica = () => {
    const c = new PostgresCoordination({ connectionString: db.url, ...FAST });
    opened.push(c);
    return c;
  };

  beforeAll(async () => {
    db = await createTestDatabase('coordination');
  });
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((c) => c.close()));
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('one replica of three leads a part; when it resigns, another takes over; status names both sides', async () => {
    const running = new Set<string>();
    const overlaps = { max: 0 };
    const replicas = ['a', 'b', 'c'].map((who) => ({ who, c: replica() }));
    const leaderships = replicas.map(({ who, c }) => c.lead('projector', part(running, overlaps, who)));
    await eventually('a leader', () => running.size === 1);
    await sleep(500); // the others keep trying meanwhile
    expect(running.size).toBe(1);
    const [first] = [...running];
    const leader = replicas.findIndex((r) => r.who === first);
    expect(replicas[leader].c.status()).toEqual({ leads: ['projector'], waitingFor: [] });
    for (const [i, r] of replicas.entries()) if (i !== leader) expect(r.c.status()).toEqual({ leads: [], waitingFor: ['projector'] });

    await leaderships[leader].resign();
    await eventually('another leader', () => running.size === 1 && !running.has(first));
    expect(overlaps.max).toBe(1);
  });

  it('a replica killed with -9 while leading loses the lock with its session: another leads within a second', async () => {
    // the killed replica: a process of its own holding the part's lock as PostgresCoordination does
    const child = spawn(
      process.execPath,
      [
        '-e',
        `const { Client } = require('pg');
         (async () => {
           const c = new Client({ connectionString: process.argv[1] });
           await c.connect();
           await c.query('SELECT pg_advisory_lock($1, $2)', [${LOCK_NAMESPACE}, ${lockKey('dispatcher')}]);
           process.stdout.write('holding\\n');
           setInterval(() => undefined, 1000);
         })();`,
        db.url,
      ],
      { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'inherit'] },
    );
    await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
    const running = new Set<string>();
    const overlaps = { max: 0 };
    const c = replica();
    c.lead('dispatcher', part(running, overlaps, 'survivor'));
    await sleep(500);
    expect(running.size).toBe(0);
    expect(c.status().waitingFor).toEqual(['dispatcher']);

    child.kill('SIGKILL');
    const tookMs = await eventually('the survivor leads', () => running.has('survivor'));
    expect(tookMs).toBeLessThan(1000);
    expect(c.status()).toEqual({ leads: ['dispatcher'], waitingFor: [] });
  });

  it('a leader whose session is ended by the server stops its part within a check, and leadership moves on', async () => {
    const running = new Set<string>();
    const overlaps = { max: 0 };
    const [a, b] = [replica(), replica()];
    a.lead('supervisor', part(running, overlaps, 'a'));
    await eventually('a leads', () => running.has('a'));
    b.lead('supervisor', part(running, overlaps, 'b'));
    await sleep(300);

    const admin = new Client({ connectionString: db.url });
    await admin.connect();
    try {
      // the holder of the lock is a's session (a partition, a restarted database: the session is gone)
      const { rowCount } = await admin.query(
        "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND classid::bigint = $1 AND objid::bigint = $2 AND granted",
        [LOCK_NAMESPACE, lockKey('supervisor') >>> 0],
      );
      expect(rowCount).toBe(1);
    } finally {
      await admin.end();
    }
    await eventually('a stopped', () => !running.has('a'), 2000);
    await eventually('one of them leads again', () => running.size === 1);
  });

  it('critical sections of the same name never overlap across replicas; other names do not wait', async () => {
    const [a, b] = [replica(), replica()];
    let inside = 0;
    let most = 0;
    const section = async () => {
      inside++;
      most = Math.max(most, inside);
      await sleep(5);
      inside--;
    };
    await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).exclusive('routing', section)));
    expect(most).toBe(1);

    // a section that fails releases the lock
    await expect(a.exclusive('routing', () => Promise.reject(new Error('refused')))).rejects.toThrow('refused');
    await expect(b.exclusive('routing', async () => 'next')).resolves.toBe('next');

    // another name runs beside a held one
    let release!: () => void;
    const held = a.exclusive('routing', () => new Promise<void>((r) => (release = r)));
    await sleep(100);
    await expect(b.exclusive('other', async () => 'free')).resolves.toBe('free');
    release();
    await held;
  });
});
