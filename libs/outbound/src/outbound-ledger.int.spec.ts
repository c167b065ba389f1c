// The outbound ledger's promises, against each of its stores: a SQLite file (the embedded default) and
// PostgreSQL (DATABASE_URL; every worker replica shares it). Two ledgers on one store stand for two workers.
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createTestDatabase, postgresSkipReason, TestDatabase } from '../../../test/support/postgres';
import { PermanentSendError, TransientSendError } from './errors';
import { OutboundLedger, OutboundLedgerOptions } from './outbound-ledger';

type Target = Pick<OutboundLedgerOptions, 'path' | 'databaseUrl'>;

interface StoreUnderTest {
  name: string;
  skip?: string;
  /** a fresh, empty store (the same target for every ledger of one test) */
  create(): Promise<Target>;
  cleanup(): Promise<void>;
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ledger-'));
const databases: TestDatabase[] = [];
const stores: StoreUnderTest[] = [
  { name: 'SQLite file', create: async () => ({ path: path.join(dir, `${randomUUID()}.sqlite`) }), cleanup: async () => fs.rmSync(dir, { recursive: true, force: true }) },
  {
    name: 'PostgreSQL',
    skip: postgresSkipReason(),
    create: async () => {
      const db = await createTestDatabase('ledger');
      databases.push(db);
      return { databaseUrl: db.url };
    },
    cleanup: async () => void (await Promise.all(databases.map((d) => d.drop()))),
  },
];

for (const store of stores) {
  const suite = store.skip ? describe.skip : describe;
  suite(`OutboundLedger on ${store.name}${store.skip ? ` (skipped: ${store.skip})` : ''}`, () => {
    const open: OutboundLedger[] = [];
    let target: Target;
    const ledger = (options: Partial<OutboundLedgerOptions> = {}) => {
      const l = new OutboundLedger({ ...target, ...options });
      open.push(l);
      return l;
    };
    beforeEach(async () => {
      target = await store.create();
    });
    afterEach(async () => {
      await Promise.all(open.splice(0).map((l) => l.close()));
    });
    afterAll(() => store.cleanup());

    it('sends once per key; a repeat returns the stored result; the same key for another request is refused', async () => {
      const l = ledger();
      let sends = 0;
      const send = async () => ({ outcome: 'SENT', n: ++sends });
      expect(await l.once('webhook', 'alert-1', { a: 1 }, send)).toEqual({ outcome: 'SENT', n: 1 });
      expect(await l.once('webhook', 'alert-1', { a: 1 }, send)).toEqual({ outcome: 'SENT', n: 1 });
      // contacts and webhooks keep separate key spaces
      expect(await l.once('contact', 'alert-1', { a: 1 }, send)).toEqual({ outcome: 'SENT', n: 2 });
      await expect(l.once('webhook', 'alert-1', { a: 2 }, send)).rejects.toBeInstanceOf(PermanentSendError);
      expect(sends).toBe(2);
      expect(await l.lookup('webhook', 'alert-1')).toEqual({ state: 'sent', attempts: 1, result: { outcome: 'SENT', n: 1 } });
    });

    it('a permanent refusal is kept (repeats are refused without sending); a transient failure is attempted again', async () => {
      const l = ledger();
      let sends = 0;
      await expect(l.once('contact', 'c-1', {}, () => (sends++, Promise.reject(new PermanentSendError('no such address'))))).rejects.toThrow('no such address');
      await expect(l.once('contact', 'c-1', {}, async () => (sends++, 'x'))).rejects.toThrow('no such address');
      expect(sends).toBe(1);

      await expect(l.once('contact', 'c-2', {}, () => Promise.reject(new Error('timeout')))).rejects.toThrow('timeout');
      expect(await l.lookup('contact', 'c-2')).toMatchObject({ state: 'failed', attempts: 1 });
      expect(await l.once('contact', 'c-2', {}, async (attempt) => `sent on attempt ${attempt}`)).toBe('sent on attempt 2');
    });

    it('two workers claiming the same keys at once: each key is sent exactly once, the other attempt is told to retry', async () => {
      const [a, b] = [ledger(), ledger()];
      const sent = new Map<string, number>();
      const send = (key: string) => async () => {
        sent.set(key, (sent.get(key) ?? 0) + 1);
        await new Promise((r) => setTimeout(r, 5));
        return key;
      };
      const keys = Array.from({ length: 20 }, (_, i) => `k-${i}`);
      const results = await Promise.allSettled(keys.flatMap((key) => [a.once('webhook', key, { key }, send(key)), b.once('webhook', key, { key }, send(key))]));
      for (const key of keys) expect(sent.get(key)).toBe(1);
      const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      expect(refused.every((r) => r.reason instanceof TransientSendError)).toBe(true);
      // retried, the refused attempts get the stored result
      for (const key of keys) expect(await b.once('webhook', key, { key }, send(key))).toBe(key);
      expect([...sent.values()].every((n) => n === 1)).toBe(true);
    });

    it('an attempt that died mid-send is taken over after its lease, and a restarted ledger still knows what was sent', async () => {
      let now = 1_000_000;
      const dead = ledger({ now: () => now, inFlightLeaseMs: 60_000 });
      void dead.once('contact', 'k', {}, () => new Promise<never>(() => undefined));
      await new Promise((r) => setTimeout(r, 50));
      const other = ledger({ now: () => now, inFlightLeaseMs: 60_000 });
      await expect(other.once('contact', 'k', {}, async () => 'sent')).rejects.toBeInstanceOf(TransientSendError);
      now += 60_001;
      expect(await other.once('contact', 'k', {}, async (attempt) => `sent on attempt ${attempt}`)).toBe('sent on attempt 2');
      await other.close();
      const restarted = ledger();
      expect(await restarted.once('contact', 'k', {}, async () => 'again')).toBe('sent on attempt 2');
    });
  });
}
