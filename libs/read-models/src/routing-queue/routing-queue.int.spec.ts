import { sql } from 'kysely';
import { DEFAULT_SLA_POLICY, ServiceCallCommand, SlaPolicy, STANDARD_COMPLAINT, WORKFLOW_ACTOR } from '@app/domain';
import { SqliteEventStore } from '@app/event-store';
import { newCallId, ServiceCallCommandProcessor } from '@app/service-calls';
import { sqliteTestDir } from '../../../event-store/src/testing/sqlite-test-dir';
import { createProjections } from '../projections';
import { Projector } from '../projector';
import { ReadModelDatabase } from '../read-model.database';
import { CallScenarios, minutesFrom } from '../testing/call-scenarios';
import { planShape } from '../testing/plan-shape';
import { readModelTargets } from '../testing/read-model-targets';
import { RoutingQueueStore } from './routing-queue.store';
import { waitingCallOf } from './routing-queue.projection';

/** Around the clock: first response within 1 h, resolution within 4 h. */
const FAST: SlaPolicy = { ...DEFAULT_SLA_POLICY, key: 'fast', firstResponseTarget: 'PT1H', resolutionTarget: 'PT4H', warnAt: 0.5, businessHours: null };
const SLOW: SlaPolicy = { ...FAST, key: 'slow', firstResponseTarget: 'PT8H', resolutionTarget: 'P2D' };
const T0 = new Date('2026-03-02T08:00:00.000Z');
const t = minutesFrom(T0);
const PERSON = { actor: 'apikey:manager' };

describe.each(readModelTargets())('routing queue read model ($dialect)', (target) => {
  const sqlite = sqliteTestDir('routing-queue-');
  let events: SqliteEventStore;
  let db: ReadModelDatabase;
  let processor: ServiceCallCommandProcessor;
  let scenarios: CallScenarios;
  let queue: RoutingQueueStore;
  let projector: Projector;
  let seq = 0;

  beforeEach(async () => {
    events = sqlite.openEventStore();
    db = await target.open();
    sqlite.atTeardown(() => target.close(db));
    processor = new ServiceCallCommandProcessor(events);
    scenarios = new CallScenarios(events);
    queue = new RoutingQueueStore(db);
    projector = new Projector(db, events);
    await projector.start((e) => {
      throw e;
    });
    sqlite.atTeardown(() => projector.stop());
  });

  const run = (callId: string, at: Date, command: ServiceCallCommand, actor = PERSON.actor) => processor.execute(callId, command, { actor, now: at });
  const open = async (receivedAt: Date, policy: SlaPolicy | undefined = FAST, channel: 'PHONE' | 'EMAIL' = 'PHONE', callId = newCallId('test')): Promise<string> => {
    const n = ++seq;
    const input = { channel, priority: 'NORMAL', category: 'billing', language: 'de', summary: `call ${n}`, customer: { name: `C ${n}` }, receivedAt: receivedAt.toISOString() } as const;
    await run(callId, receivedAt, { type: 'OpenServiceCall', data: { callId, trackingCode: `TRK-Q-${n}`, process: STANDARD_COMPLAINT, input, ...(policy ? { slaPolicy: policy } : {}) } });
    return callId;
  };
  const enqueue = (callId: string, at: Date) => run(callId, at, { type: 'QueueServiceCall', data: { reasons: ['no-eligible-agent', 'agents:0'] } }, WORKFLOW_ACTOR);
  const assign = (callId: string, at: Date, agentId = 'anna') =>
    run(callId, at, { type: 'AssignServiceCall', data: { agentId, trigger: 'QUEUE', reasons: ['load:0/3'] } }, WORKFLOW_ACTOR);
  const settled = async () => expect(await projector.waitFor(await events.lastPosition(), 5000)).toBe(true);
  const ids = async () => (await queue.waiting()).map((w) => w.callId);

  it('serves the soonest SLA due time first (calls of old policies too), then the oldest, then by queue time and id', async () => {
    const slow = await open(t(0), SLOW); // due 08:00 later
    const fast = await open(t(30), FAST); // first response due 01:30
    const older = await open(t(20), FAST); // due 01:20
    const legacy = await open(t(-600), undefined); // no copied policy: the built-in default (4 h first response)
    // equal due times (same receivedAt, same policy): queued earlier first, then the call id
    const tieA = await open(t(40), FAST, 'PHONE', 'call-tie-a');
    const tieB = await open(t(40), FAST, 'PHONE', 'call-tie-b');
    const tieC = await open(t(40), FAST, 'PHONE', 'call-tie-c');
    await enqueue(slow, t(41));
    await enqueue(fast, t(41));
    await enqueue(older, t(42));
    await enqueue(legacy, t(42));
    await enqueue(tieC, t(43));
    await enqueue(tieB, t(44));
    await enqueue(tieA, t(44));
    const notQueued = await open(t(1), FAST);
    await settled();

    expect(await ids()).toEqual([legacy, older, fast, tieC, tieA, tieB, slow]);
    expect(await ids()).not.toContain(notQueued);
    expect(await queue.count()).toBe(7);
    expect((await queue.waiting(2)).map((w) => w.callId)).toEqual([legacy, older]);
    expect((await queue.waiting())[1]).toEqual({
      callId: older,
      trackingCode: expect.stringMatching(/^TRK-Q-/) as unknown,
      dueAt: t(80).toISOString(),
      queuedAt: t(42).toISOString(),
      receivedAt: t(20).toISOString(),
      request: { callId: older, region: null, category: 'billing', product: null, language: 'de', excludeAgentIds: [], preferredAgentId: null },
      reasons: ['no-eligible-agent', 'agents:0'],
      callback: null,
      version: 2,
    });
  });

  it('a due time moves with the first response: then the resolution counts', async () => {
    const a = await open(t(0)); // first response due 01:00
    const b = await open(t(10)); // 01:10
    await enqueue(a, t(11));
    await enqueue(b, t(11));
    await settled();
    expect(await ids()).toEqual([a, b]);
    // someone answers a (a CUSTOMER_MEETING note is a first response): its next due time is the resolution at 04:00
    await run(a, t(12), { type: 'AddNote', data: { kind: 'CUSTOMER_MEETING', text: 'called the customer' } });
    await settled();
    expect(await ids()).toEqual([b, a]);
    expect((await queue.waiting())[1]).toMatchObject({ callId: a, dueAt: t(240).toISOString(), version: 3 });
  });

  it('shows a callback request, and drops the call once it has an agent or is finished', async () => {
    const assigned = await open(t(0));
    const resolved = await open(t(1));
    const waiting = await open(t(2));
    for (const id of [assigned, resolved, waiting]) await enqueue(id, t(3));
    await run(waiting, t(4), { type: 'RequestCallback', data: { phone: '+49 30 1234567', windowFrom: t(60).toISOString(), windowTo: t(120).toISOString() } });
    await settled();
    expect(await ids()).toEqual([assigned, resolved, waiting]);
    expect((await queue.waiting())[2].callback).toEqual({ phone: '+49 30 1234567', windowFrom: t(60).toISOString(), windowTo: t(120).toISOString() });

    await assign(assigned, t(5));
    await scenarios.finish(resolved, t(6));
    await settled();
    expect(await ids()).toEqual([waiting]);
    expect(await queue.count()).toBe(1);

    // taken off again and queued again: back in the queue, at its place
    await run(assigned, t(7), { type: 'UnassignServiceCall', data: { trigger: 'REROUTE', reason: 'wrong team', expectedAgentId: 'anna' } });
    await settled();
    expect(await ids()).toEqual([waiting]); // unassigned is not queued: routing runs first
    await enqueue(assigned, t(8));
    await settled();
    expect(await ids()).toEqual([assigned, waiting]);
  });

  it('agrees with a rebuild from the log, and with waitingCallOf of each call', async () => {
    const calls = [];
    for (let i = 0; i < 12; i++) calls.push(await open(t(i % 4), i % 3 === 0 ? SLOW : FAST));
    for (const [i, id] of calls.entries()) if (i % 5 !== 4) await enqueue(id, t(10 + (i % 3)));
    await assign(calls[0], t(20));
    await settled();
    const live = await queue.waiting();
    expect(live).toHaveLength(9);
    for (const w of live) expect(w).toEqual(waitingCallOf(await scenarios.call(w.callId), t(20)));

    // a projector from scratch over the same log gives the same queue
    const db2 = await target.open();
    const again = new Projector(db2, events);
    await again.start((e) => {
      throw e;
    });
    expect(await again.waitFor(await events.lastPosition(), 5000)).toBe(true);
    await again.stop();
    expect(await new RoutingQueueStore(db2).waiting()).toEqual(live);
    await target.close(db2);
    expect(createProjections().some((p) => p.tables.includes('routing_queue'))).toBe(true);
  });

  it('is one walk of the serving-order index, without sorting', async () => {
    if (target.dialect === 'postgres') await sql`analyze routing_queue`.execute(db); // with statistics, as autovacuum keeps them
    expect(planShape(target.dialect, await queue.plan())).toMatchObject({ indexes: ['routing_queue_order'], sorts: false, tableScan: false });
  });
});
