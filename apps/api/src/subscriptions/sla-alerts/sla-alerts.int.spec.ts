/**
 * slaAlerts and slaRisks against the API alone, built and started in a child process on a temporary
 * DATA_DIR (real SQLite files, real WebSocket clients), without Temporal: the workflow's SLA commands
 * (RecordSlaAtRisk, RecordSlaBreach) go through the API's command processor as the worker's would.
 * test/e2e/sla-alerts.e2e.spec.ts has the workflow's timers raise them.
 */
import { ServiceCallCommand, serviceCallStreamId } from '@app/domain';
import { ApiProcess } from '../../../../../test/support/api-process';
import { DEV_KEYS, GraphQLClient, GraphQLErrorBody, waitFor } from '../../../../../test/support/graphql-client';
import { callInput, openCall } from '../../../../../test/support/service-calls';
import { bearer, connect, Pushes } from '../../../../../test/support/subscription-client';

jest.setTimeout(60_000);

const SLA_ALERTS = 'subscription { slaAlerts { alertId callId trackingCode kind target dueAt at } }';
const SLA_RISKS = 'query Risks($first: Int) { slaRisks(first: $first) { id sla { state firstResponseDueAt resolutionDueAt } } }';
const DEFINE = 'mutation Define($input: SlaPolicyInput!) { defineSlaPolicy(input: $input) }';

type Alert = { alertId: string; callId: string; trackingCode: string; kind: string; target: string; dueAt: string; at: string };
type Risk = { id: string; sla: { state: string; firstResponseDueAt: string | null; resolutionDueAt: string } };

describe('slaAlerts and slaRisks (the API alone)', () => {
  let api: ApiProcess;
  let http: GraphQLClient;
  let manager: GraphQLClient;
  const clients: { dispose: () => void | Promise<void> }[] = [];
  const client = (key: string) => {
    const c = connect(api.graphqlUrl, { connectionParams: bearer(key) });
    clients.push(c);
    return c;
  };
  const asWorkflow = (callId: string, command: ServiceCallCommand) =>
    api.invoke('libs/service-calls/src/index', 'ServiceCallCommandProcessor', 'execute', [callId, command, { actor: 'workflow' }]);
  const alertSubscribers = () => api.invoke<number>('apps/api/src/subscriptions/sla-alerts/sla-alerts', 'SlaAlerts', 'subscriberCount');

  beforeAll(async () => {
    api = await ApiProcess.start();
    http = new GraphQLClient(api.graphqlUrl, DEV_KEYS.INTEGRATOR);
    manager = http.as(DEV_KEYS.MANAGER);
  }, 120_000);

  afterEach(async () => {
    await Promise.all(clients.splice(0).map(async (c) => c.dispose()));
  });

  afterAll(async () => {
    await api?.stop();
  });

  it('answers FORBIDDEN to anyone but a manager, for the subscription and the query', async () => {
    for (const key of [DEV_KEYS.AGENT, DEV_KEYS.INTEGRATOR]) {
      const errors = (await new Pushes(client(key), SLA_ALERTS).failed()) as GraphQLErrorBody[];
      expect(errors[0].extensions).toEqual({ code: 'FORBIDDEN' });
      expect((await http.as(key).request(SLA_RISKS)).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    }
    await waitFor(async () => (await alertSubscribers()) === 0, 5_000, { description: 'no subscriber left behind' });
    for (const first of [0, -1, 501]) {
      expect((await manager.request(SLA_RISKS, { first })).errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'first' });
    }
  });

  it('sends every manager one alert per SlaAtRisk and SlaBreached, once each, in order', async () => {
    const first = new Pushes<{ slaAlerts: Alert }>(client(DEV_KEYS.MANAGER), SLA_ALERTS);
    const second = new Pushes<{ slaAlerts: Alert }>(client(DEV_KEYS.MANAGER), SLA_ALERTS);
    await waitFor(async () => (await alertSubscribers()) === 2, 5_000, { description: 'both subscriptions to start' });

    const call = await openCall(http);
    const dueAt = new Date(Date.now() + 60_000).toISOString();
    await asWorkflow(call.id, { type: 'RecordSlaAtRisk', data: { target: 'FIRST_RESPONSE', dueAt } });
    await asWorkflow(call.id, { type: 'RecordSlaAtRisk', data: { target: 'FIRST_RESPONSE', dueAt } }); // a timer firing again: nothing recorded
    await asWorkflow(call.id, { type: 'RecordSlaBreach', data: { target: 'FIRST_RESPONSE', dueAt } }); // SlaBreached + ServiceCallEscalated
    // the same alert appended again (as no command would): still one alert per id
    await api.invoke('libs/event-store/src/index', 'EventStore', 'appendToStream', [
      serviceCallStreamId(call.id),
      [{ type: 'SlaAtRisk', data: { target: 'FIRST_RESPONSE', dueAt, at: new Date().toISOString() }, metadata: { at: new Date().toISOString(), actor: 'workflow' } }],
      'any',
    ]);
    await asWorkflow(call.id, { type: 'RecordSlaMet', data: { target: 'RESOLUTION', dueAt } }); // MET: no alert

    const base = { callId: call.id, trackingCode: call.trackingCode, target: 'FIRST_RESPONSE', dueAt, at: expect.any(String) };
    const expected = [
      { ...base, kind: 'AT_RISK', alertId: `sla:${call.id}:FIRST_RESPONSE:AT_RISK:${dueAt}` },
      { ...base, kind: 'BREACHED', alertId: `sla:${call.id}:FIRST_RESPONSE:BREACHED:${dueAt}` },
    ];
    for (const pushes of [first, second]) {
      expect((await pushes.until((v) => v.length >= 2, 10_000, 'two alerts')).map((v) => v.slaAlerts)).toEqual(expected);
    }
    // the events after the breach were projected too (a query shows them), and brought no further alert
    await waitFor(async () => {
      const data = await http.ok<{ serviceCall: { version: number } }>('query($id: ID!) { serviceCall(id: $id) { version } }', { id: call.id });
      return data.serviceCall.version === 6;
    }, 5_000, { description: 'every event projected' });
    expect(first.values.length).toBe(2);
    expect(second.values.length).toBe(2);
  });

  it('slaRisks lists the calls whose SLA is AT_RISK or BREACHED now, soonest due first, by the query time', async () => {
    const category = `sla risks ${Date.now()}`;
    // around the clock: first response within 2 s (AT_RISK after 1 s), resolution within 1 h
    await manager.ok(DEFINE, { input: { key: `risks-${Date.now()}`, category, firstResponseTarget: 'PT2S', resolutionTarget: 'PT1H', warnAt: 0.5 } });
    const a = await openCall(http, callInput({ category }));
    const b = await openCall(http, callInput({ category }));
    const paused = await openCall(http, callInput({ category }));
    await http.ok('mutation($callId: ID!) { waitForCustomer(callId: $callId, reason: "photos") { version } }', { callId: paused.id });
    const risks = async (first?: number) => (await manager.ok<{ slaRisks: Risk[] }>(SLA_RISKS, { first })).slaRisks.filter((r) => [a.id, b.id, paused.id].includes(r.id));

    expect(await risks()).toEqual([]); // ON_TRACK for another second
    await waitFor(async () => (await risks()).length === 2, 5_000, { description: 'both at risk' });
    const atRisk = await risks();
    expect(atRisk.map((r) => r.id)).toEqual([a.id, b.id]);
    expect(atRisk[0].sla.firstResponseDueAt! <= atRisk[1].sla.firstResponseDueAt!).toBe(true);
    await waitFor(async () => (await risks()).every((r) => r.sla.state === 'BREACHED'), 5_000, { description: 'both breached' });
    expect((await risks()).map((r) => r.id)).toEqual([a.id, b.id]);
    expect((await manager.ok<{ slaRisks: Risk[] }>(SLA_RISKS, { first: 1 })).slaRisks).toHaveLength(1);
  });
});
