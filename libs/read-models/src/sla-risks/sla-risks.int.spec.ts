import { sql } from 'kysely';
import { callSla, DEFAULT_SLA_POLICY, ServiceCall, ServiceCallCommand, SlaPolicy, STANDARD_COMPLAINT } from '@app/domain';
import { SqliteEventStore } from '@app/event-store';
import { newCallId, ServiceCallCommandProcessor } from '@app/service-calls';
import { sqliteTestDir } from '../../../event-store/src/testing/sqlite-test-dir';
import { Projector } from '../projector';
import { ReadModelDatabase } from '../read-model.database';
import { ServiceCallSummariesStore } from '../service-call-summaries/service-call-summaries.store';
import { CallScenarios, minutesFrom } from '../testing/call-scenarios';
import { planShape } from '../testing/plan-shape';
import { readModelTargets } from '../testing/read-model-targets';
import { SlaRisksStore } from './sla-risks.store';
import { slaWatchOf } from './sla-watch';

/** Around the clock: first response within 1 h (AT_RISK after 30 min), resolution within 4 h (AT_RISK after 2 h). */
const POLICY: SlaPolicy = { ...DEFAULT_SLA_POLICY, key: 'fast', firstResponseTarget: 'PT1H', resolutionTarget: 'PT4H', warnAt: 0.5, businessHours: null };
const T0 = new Date('2026-03-02T08:00:00.000Z');
const t = minutesFrom(T0);
const PERSON = { actor: 'apikey:agent' };

describe.each(readModelTargets())('slaRisks read model ($dialect)', (target) => {
  const sqlite = sqliteTestDir('sla-risks-');
  let events: SqliteEventStore;
  let db: ReadModelDatabase;
  let processor: ServiceCallCommandProcessor;
  let scenarios: CallScenarios;
  let risks: SlaRisksStore;
  let summaries: ServiceCallSummariesStore;
  let projector: Projector;
  let seq = 0;

  beforeEach(async () => {
    events = sqlite.openEventStore();
    db = await target.open();
    sqlite.atTeardown(() => target.close(db));
    processor = new ServiceCallCommandProcessor(events);
    scenarios = new CallScenarios(events);
    risks = new SlaRisksStore(db);
    summaries = new ServiceCallSummariesStore(db);
    projector = new Projector(db, events);
    await projector.start((e) => {
      throw e;
    });
    sqlite.atTeardown(() => projector.stop());
  });

  const run = async (callId: string, at: Date, command: ServiceCallCommand) => {
    const result = await processor.execute(callId, command, { ...PERSON, now: at });
    return result;
  };
  const open = async (at: Date, policy: SlaPolicy = POLICY): Promise<string> => {
    const callId = newCallId('test');
    const n = ++seq;
    const input = { channel: 'PHONE', priority: 'NORMAL', category: 'billing', summary: `call ${n}`, customer: { name: `C ${n}` }, receivedAt: at.toISOString() } as const;
    await run(callId, at, { type: 'OpenServiceCall', data: { callId, trackingCode: `TRK-SLA-${n}`, process: STANDARD_COMPLAINT, input, slaPolicy: policy } });
    return callId;
  };
  const settled = async () => expect(await projector.waitFor(await events.lastPosition(), 5000)).toBe(true);
  const ids = async (now: Date, first = 50) => (await risks.atRisk(now, first)).map((c) => c.id);
  const allCalls = async (): Promise<ServiceCall[]> => (await db.selectFrom('service_calls').select('doc').execute()).map((r) => JSON.parse(r.doc) as ServiceCall);

  /** The read model's answer equals what callSla says of every call at that moment. */
  const expectAgreesWithCallSla = async (now: Date) => {
    const listed = await risks.atRisk(now, 500);
    const expected = (await allCalls())
      .filter((c) => ['AT_RISK', 'BREACHED'].includes(callSla(c, now).state))
      .map((c) => c.id)
      .sort();
    expect({ now, ids: listed.map((c) => c.id).sort() }).toEqual({ now, ids: expected });
    const due = listed.map((c) => {
      const sla = callSla(c, now);
      return Math.min(...[sla.firstRespondedAt ? Infinity : sla.firstResponseDueAt?.getTime() ?? Infinity, sla.resolutionDueAt.getTime()]);
    });
    expect(due).toEqual([...due].sort((a, b) => a - b));
  };

  it('lists AT_RISK and BREACHED calls soonest due first, leaving out responded, paused and resolved ones, as callSla judges them', async () => {
    const a = await open(t(0)); // first response: at risk 00:30, due 01:00
    const b = await open(t(10)); // at risk 00:40, due 01:10
    const responded = await open(t(5)); // responded at 00:20: only the resolution counts (at risk 02:05, due 04:05)
    await scenarios.advance(responded, t(6));
    await scenarios.start(responded, t(20), 'record-complaint');
    const paused = await open(t(0)); // waits for the customer from 00:05 until 00:50: everything 45 min later
    await run(paused, t(5), { type: 'WaitForCustomer', data: { reason: 'photos of the damage' } });
    const resolved = await open(t(0));
    await scenarios.finish(resolved, t(15));
    const defaultPolicy = await open(t(0), DEFAULT_SLA_POLICY); // 4 h first response: at risk 03:12
    await settled();

    expect(await ids(t(29))).toEqual([]);
    expect(await ids(t(30))).toEqual([a]); // at risk from warnAt on, inclusive
    expect(await ids(t(45))).toEqual([a, b]);
    expect(await ids(t(45), 1)).toEqual([a]);
    expect(await ids(t(65))).toEqual([a, b]); // a BREACHED (due 01:00) leads
    expect(callSla((await risks.atRisk(t(65), 1))[0], t(65)).state).toBe('BREACHED');

    await run(paused, t(50), { type: 'RecordCustomerResponse', data: {} });
    await settled();
    expect(await ids(t(74))).toEqual([a, b]);
    expect(await ids(t(75))).toEqual([a, b, paused]); // its first response now due at 01:45
    expect(await ids(t(110))).not.toContain(responded);
    expect(await ids(t(130))).toContain(responded); // its resolution at risk from 02:05
    expect(await ids(t(200))).toEqual([a, b, paused, defaultPolicy, responded]); // due 01:00, 01:10, 01:45, 04:00, 04:05
    expect(await ids(t(200), 2)).toEqual([a, b]);
    expect(await ids(t(24 * 60))).not.toContain(resolved);

    for (const minute of [0, 29, 30, 45, 60, 65, 74, 75, 110, 125, 130, 200, 245, 300, 24 * 60]) await expectAgreesWithCallSla(t(minute));
    expect((await summaries.byId(resolved))?.status).toBe('RESOLVED');
    await expectStoredFiguresFresh();
  });

  /** The projection recomputes the figures only when their inputs change: what it kept is what a recomputation gives. */
  const expectStoredFiguresFresh = async () => {
    const rows = await db.selectFrom('service_calls').select(['doc', 'sla_at_risk_at as atRiskAt', 'sla_due_at as dueAt']).execute();
    expect(rows.length).toBeGreaterThan(0);
    for (const { doc, atRiskAt, dueAt } of rows) expect(dueAt ? { atRiskAt, dueAt } : null).toEqual(slaWatchOf(JSON.parse(doc) as ServiceCall));
  };

  it('keeps a call that was already BREACHED when it started waiting for the customer, and drops it once resolved', async () => {
    const late = await open(t(0));
    const early = await open(t(0));
    await run(late, t(70), { type: 'WaitForCustomer', data: { reason: 'asked after the first response was due' } });
    await run(early, t(40), { type: 'WaitForCustomer', data: { reason: 'asked while at risk' } });
    await settled();
    expect(await ids(t(80))).toEqual([late]);
    expect(callSla((await summaries.byId(late))!, t(80)).state).toBe('BREACHED');
    expect(callSla((await summaries.byId(early))!, t(80)).state).toBe('PAUSED');
    for (const minute of [45, 80, 500]) await expectAgreesWithCallSla(t(minute));

    await run(late, t(90), { type: 'RecordCustomerResponse', data: {} });
    await scenarios.finish(late, t(100));
    await settled();
    expect(await ids(t(500))).toEqual([]);
    await expectStoredFiguresFresh();
  });

  it('keeps a call whose breach the workflow recorded, also while it waits for the customer', async () => {
    const call = await open(t(0));
    // the workflow's clock ran a little ahead of this reader's: it recorded the breach at 00:58
    await processor.execute(call, { type: 'RecordSlaBreach', data: { target: 'FIRST_RESPONSE', dueAt: t(58).toISOString() } }, { actor: 'workflow', now: t(58) });
    await scenarios.advance(call, t(59));
    await scenarios.start(call, t(59), 'record-complaint'); // in time by the clock alone (due 01:00)
    await run(call, t(63), { type: 'WaitForCustomer', data: { reason: 'waiting' } });
    await settled();
    expect(await ids(t(64))).toEqual([call]);
    expect(callSla((await summaries.byId(call))!, t(64)).state).toBe('BREACHED');
    for (const minute of [64, 100, 500]) await expectAgreesWithCallSla(t(minute));
    await expectStoredFiguresFresh();
  });

  it('lists a call from the moment the workflow recorded it AT_RISK, when that is a little before this clock says so', async () => {
    const call = await open(t(0)); // first response at risk 00:30 by the clock
    await processor.execute(call, { type: 'RecordSlaAtRisk', data: { target: 'FIRST_RESPONSE', dueAt: t(60).toISOString() } }, { actor: 'workflow', now: t(29) });
    const other = await open(t(0));
    await processor.execute(other, { type: 'RecordSlaAtRisk', data: { target: 'FIRST_RESPONSE', dueAt: t(61).toISOString() } }, { actor: 'workflow', now: t(29) }); // not its due time
    await settled();
    expect(await ids(t(28))).toEqual([]);
    expect(await ids(t(29))).toEqual([call]);
    expect((await ids(t(30))).sort()).toEqual([call, other].sort()); // the same due time: by id
    for (const minute of [29, 30, 61]) await expectAgreesWithCallSla(t(minute)); // (a query never comes before what it reads was recorded)
    await expectStoredFiguresFresh();
  });

  it('is one walk of the due-time index, without sorting', async () => {
    if (target.dialect === 'postgres') await sql`analyze service_calls`.execute(db); // with statistics, as autovacuum keeps them
    expect(planShape(target.dialect, await risks.plan())).toMatchObject({ indexes: ['service_calls_sla_due'], sorts: false, tableScan: false });
  });
});
