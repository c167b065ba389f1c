/**
 * Subscriptions against the API alone, built and started in a child process on a temporary DATA_DIR
 * (real SQLite files, real WebSocket clients), without Temporal: the workflow's commands go through
 * the API's command processor as the worker's would, people's through HTTP; the test asks the API
 * over IPC how many subscribers it holds. The e2e test drives the whole product.
 */
import { ServiceCallCommand } from '@app/domain';
import WebSocket from 'ws';
import { ApiProcess } from '../../../../test/support/api-process';
import { DEV_KEYS, GraphQLClient, GraphQLErrorBody, waitFor } from '../../../../test/support/graphql-client';
import { CallEventView, CallView, CALL_FIELDS, openCall, startStep, completeStep, stepOf } from '../../../../test/support/service-calls';
import { bearer, CloseEventLike, connect, openedSockets, Pushes, webSocketUrl } from '../../../../test/support/subscription-client';

jest.setTimeout(60_000);

const CALL_UPDATED = `subscription Updated($id: ID!) { serviceCallUpdated(id: $id) { ${CALL_FIELDS} history { type version } } }`;
const ALERTS = 'subscription { processAlerts { callId trackingCode phaseKey stepKey reason automated by at } }';
const FAIL_STEP = 'mutation Fail($callId: ID!, $stepKey: String!, $reason: String!) { failStep(callId: $callId, stepKey: $stepKey, reason: $reason) { id version } }';

type Updated = { serviceCallUpdated: CallView & { history: Pick<CallEventView, 'type' | 'version'>[] } };
type Alerted = { processAlerts: Record<string, unknown> };

describe('GraphQL subscriptions over WebSocket (the API alone)', () => {
  let api: ApiProcess;
  let graphqlUrl: string;
  let http: GraphQLClient;
  const clients: { dispose: () => void | Promise<void> }[] = [];
  const client = (options: Parameters<typeof connect>[1]) => {
    const c = connect(graphqlUrl, options);
    clients.push(c);
    return c;
  };
  const asWorkflow = (callId: string, command: ServiceCallCommand) =>
    api.invoke('libs/service-calls/src/index', 'ServiceCallCommandProcessor', 'execute', [callId, command, { actor: 'workflow' }]);
  /** open subscriptions as the API counts them */
  const subscribers = async () => ({
    calls: await api.invoke<number>('apps/api/src/subscriptions/service-call-updated/service-call-changes', 'ServiceCallChanges', 'subscriberCount'),
    alerts: await api.invoke<number>('apps/api/src/subscriptions/process-alerts/process-alerts', 'ProcessAlerts', 'subscriberCount'),
  });
  const untilSubscribers = (calls: number, alerts: number, description: string) =>
    waitFor(async () => {
      const now = await subscribers();
      return now.calls === calls && now.alerts === alerts;
    }, 5_000, { description });

  beforeAll(async () => {
    api = await ApiProcess.start();
    graphqlUrl = api.graphqlUrl;
    http = new GraphQLClient(graphqlUrl, DEV_KEYS.INTEGRATOR);
  }, 120_000);

  afterEach(async () => {
    await Promise.all(clients.splice(0).map(async (c) => c.dispose()));
  });

  afterAll(async () => {
    await api?.stop();
  });

  it('pushes the current state, then every change of that call only, in version order, with resolved fields', async () => {
    const call = await openCall(http);
    const other = await openCall(http);
    const updates = new Pushes<Updated>(client({ connectionParams: bearer(DEV_KEYS.INTEGRATOR) }), CALL_UPDATED, { id: call.id });
    await updates.until((v) => v.length === 1, 10_000, 'the current state');
    expect(updates.values[0].serviceCallUpdated).toMatchObject({ id: call.id, version: 1, status: 'OPEN', progress: 0, history: [{ type: 'ServiceCallOpened', version: 1 }] });

    await asWorkflow(call.id, { type: 'StartPhase', data: { phaseKey: 'intake' } });
    await asWorkflow(other.id, { type: 'StartPhase', data: { phaseKey: 'intake' } });
    await asWorkflow(call.id, { type: 'MarkStepsReady', data: { phaseKey: 'intake', stepKeys: ['record-complaint'] } });
    await startStep(http, call.id, 'record-complaint');
    await completeStep(http, call.id, 'record-complaint', { outcome: 'noted' });
    await asWorkflow(call.id, { type: 'MarkStepsReady', data: { phaseKey: 'intake', stepKeys: ['confirm-understanding'] } });

    const pushed = (await updates.until((v) => v.at(-1)?.serviceCallUpdated.version === 6, 10_000, 'version 6')).map((v) => v.serviceCallUpdated);
    expect(pushed.map((c) => c.id)).toEqual(Array(6).fill(call.id));
    expect(pushed.map((c) => c.version)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(pushed.map((c) => stepOf(c, 'record-complaint').status)).toEqual(['PENDING', 'PENDING', 'READY', 'IN_PROGRESS', 'COMPLETED', 'COMPLETED']);
    expect(pushed.map((c) => stepOf(c, 'confirm-understanding').status)).toEqual(['PENDING', 'PENDING', 'PENDING', 'PENDING', 'PENDING', 'READY']);
    expect(pushed[1].phases[0]).toMatchObject({ key: 'intake', status: 'ACTIVE' });
    expect(pushed.map((c) => c.history.length)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(pushed[5].history.at(-1)).toEqual({ type: 'StepReady', version: 6 });
    expect(pushed[4].progress).toBeGreaterThan(0);
    expect(pushed[4].phases[0].progress).toBe(0.5);
    // a push means the read models have it: a query now shows at least that version
    expect((await http.ok<{ serviceCall: { version: number } }>('query($id: ID!) { serviceCall(id: $id) { version } }', { id: call.id })).serviceCall.version).toBeGreaterThanOrEqual(6);
  });

  it('authenticates connection_init: Authorization or authorization, at the top or in headers, or the upgrade request header', async () => {
    const call = await openCall(http);
    const ways = [
      { connectionParams: { Authorization: `Bearer ${DEV_KEYS.AGENT}` } },
      { connectionParams: { authorization: `Bearer ${DEV_KEYS.AGENT}` } },
      { connectionParams: { headers: { Authorization: `Bearer ${DEV_KEYS.MANAGER}` } } },
      { connectionParams: { headers: { authorization: `Bearer ${DEV_KEYS.MANAGER}` } } },
      { headers: { authorization: `Bearer ${DEV_KEYS.INTEGRATOR}` } },
    ];
    for (const way of ways) {
      const updates = new Pushes<Updated>(client(way), CALL_UPDATED, { id: call.id });
      await updates.until((v) => v.length === 1, 10_000, `the current state with ${JSON.stringify(way)}`);
      expect(updates.values[0].serviceCallUpdated.id).toBe(call.id);
    }
  });

  it('refuses a connection without a known key with close code 4403 Forbidden', async () => {
    const call = await openCall(http);
    const refusals = [
      {},
      { connectionParams: bearer('no-such-key') },
      { connectionParams: { Authorization: DEV_KEYS.MANAGER } }, // not "Bearer <key>"
      { connectionParams: bearer('no-such-key'), headers: { authorization: `Bearer ${DEV_KEYS.MANAGER}` } }, // the payload's key counts
      { headers: { authorization: 'Bearer no-such-key' } },
    ];
    for (const refusal of refusals) {
      const updates = new Pushes<Updated>(client(refusal), CALL_UPDATED, { id: call.id });
      const failure = (await updates.failed()) as CloseEventLike;
      expect({ refusal, code: failure.code, reason: failure.reason }).toEqual({ refusal, code: 4403, reason: 'Forbidden' });
      expect(updates.values).toEqual([]);
    }
  });

  it('answers FORBIDDEN for a role that may not subscribe, and BAD_USER_INPUT / NOT_FOUND for bad ids and documents, without stack traces', async () => {
    const agent = client({ connectionParams: bearer(DEV_KEYS.AGENT) });
    const cases: [string, Record<string, unknown> | undefined, { code: string; field?: string }][] = [
      [ALERTS, undefined, { code: 'FORBIDDEN' }],
      [CALL_UPDATED, { id: 'not-an-id' }, { code: 'BAD_USER_INPUT', field: 'id' }],
      [CALL_UPDATED, { id: '00000000-0000-4000-8000-000000000000' }, { code: 'NOT_FOUND', field: 'id' }],
      ['subscription { serviceCallUpdated(id: "00000000-0000-4000-8000-000000000000") { id noSuchField } }', undefined, { code: 'BAD_USER_INPUT' }],
    ];
    for (const [query, variables, expected] of cases) {
      const pushes = new Pushes(agent, query, variables);
      const errors = (await pushes.failed()) as GraphQLErrorBody[];
      expect({ query, extensions: errors[0].extensions }).toEqual({ query, extensions: expected });
      expect(JSON.stringify(errors)).not.toMatch(/\n\s+at |\.ts:\d+/);
    }
    // none of them left a subscriber behind
    await untilSubscribers(0, 0, 'no subscribers');
  });

  it('processAlerts tells a manager of every failed step, by a person or by the automation', async () => {
    const manager = client({ connectionParams: bearer(DEV_KEYS.MANAGER) });
    const alerts = new Pushes<Alerted>(manager, ALERTS);
    await waitFor(async () => (await subscribers()).alerts > 0, 5_000, { description: 'the alerts subscription to start' });

    const call = await openCall(http);
    await asWorkflow(call.id, { type: 'StartPhase', data: { phaseKey: 'intake' } });
    await asWorkflow(call.id, { type: 'MarkStepsReady', data: { phaseKey: 'intake', stepKeys: ['record-complaint'] } });
    await http.ok(FAIL_STEP, { callId: call.id, stepKey: 'record-complaint', reason: 'the customer hung up' }, { apiKey: DEV_KEYS.AGENT });
    await http.ok('mutation($callId: ID!) { retryStep(callId: $callId, stepKey: "record-complaint") { version } }', { callId: call.id });
    await asWorkflow(call.id, { type: 'FailStep', data: { stepKey: 'record-complaint', reason: 'gateway timeout after 5 attempts' } });

    const received = (await alerts.until((v) => v.length === 2, 10_000, 'two alerts')).map((v) => v.processAlerts);
    expect(received).toEqual([
      { callId: call.id, trackingCode: call.trackingCode, phaseKey: 'intake', stepKey: 'record-complaint', reason: 'the customer hung up', automated: false, by: 'apikey:dev-agent', at: expect.any(String) },
      { callId: call.id, trackingCode: call.trackingCode, phaseKey: 'intake', stepKey: 'record-complaint', reason: 'gateway timeout after 5 attempts', automated: true, by: 'workflow', at: expect.any(String) },
    ]);
    expect(Date.parse(received[0].at as string)).not.toBeNaN();
  });

  it('processAlerts with after: a manager who comes back gets every alert raised since its last cursor, none twice, then the live ones', async () => {
    const RESUMED = 'subscription($after: String) { processAlerts(after: $after) { callId stepKey reason cursor } }';
    type Resumed = { processAlerts: { callId: string; stepKey: string; reason: string; cursor: string } };
    const call = await openCall(http);
    await asWorkflow(call.id, { type: 'StartPhase', data: { phaseKey: 'intake' } });
    await asWorkflow(call.id, { type: 'MarkStepsReady', data: { phaseKey: 'intake', stepKeys: ['record-complaint'] } });
    const fail = async (reason: string) => {
      await http.ok('mutation($callId: ID!) { retryStep(callId: $callId, stepKey: "record-complaint") { version } }', { callId: call.id }).catch(() => undefined);
      await asWorkflow(call.id, { type: 'FailStep', data: { stepKey: 'record-complaint', reason } });
    };

    const first = client({ connectionParams: bearer(DEV_KEYS.MANAGER) });
    const before = new Pushes<Resumed>(first, RESUMED);
    await untilSubscribers(0, 1, 'the first alerts subscription');
    await fail('attempt 1');
    const [seen] = (await before.until((v) => v.length === 1, 10_000, 'the first alert')).map((v) => v.processAlerts);
    expect(seen).toEqual({ callId: call.id, stepKey: 'record-complaint', reason: 'attempt 1', cursor: expect.stringMatching(/^\d+$/) });
    await first.dispose(); // the manager's connection goes away
    await untilSubscribers(0, 0, 'the manager gone');

    await fail('attempt 2'); // raised while nobody listened
    await fail('attempt 3');
    const again = client({ connectionParams: bearer(DEV_KEYS.MANAGER) });
    const after = new Pushes<Resumed>(again, RESUMED, { after: seen.cursor });
    await after.until((v) => v.length === 2, 10_000, 'the alerts missed');
    await fail('attempt 4'); // live again
    const received = (await after.until((v) => v.length === 3, 10_000, 'the live alert')).map((v) => v.processAlerts);
    expect(received.map((a) => a.reason)).toEqual(['attempt 2', 'attempt 3', 'attempt 4']);
    const cursors = [seen, ...received].map((a) => Number(a.cursor));
    expect([...cursors].sort((x, y) => x - y)).toEqual(cursors);
    expect(new Set(cursors).size).toBe(4);

    // ending a resumed subscription that waits for its next alert frees it at once
    after.stop();
    await untilSubscribers(0, 0, 'the resumed subscription gone');
    // a cursor that is not one is refused, naming the argument
    const refused = new Pushes<Resumed>(again, RESUMED, { after: 'yesterday' });
    expect(((await refused.failed()) as GraphQLErrorBody[])[0].extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'after' });
  });

  it('forgets a subscriber when it completes its subscription, when its client disconnects, and when its socket is cut', async () => {
    const call = await openCall(http);
    const started = async (updates: Pushes<Updated>) => updates.until((v) => v.length === 1, 10_000, 'the current state');
    // the other tests' clients are gone (their sockets close asynchronously)
    await untilSubscribers(0, 0, 'no subscribers to begin with');

    // complete one of two subscriptions on a connection
    const first = client({ connectionParams: bearer(DEV_KEYS.MANAGER) });
    const a = new Pushes<Updated>(first, CALL_UPDATED, { id: call.id });
    const b = new Pushes<Updated>(first, CALL_UPDATED, { id: call.id });
    const alerted = new Pushes<Alerted>(first, ALERTS);
    await Promise.all([started(a), started(b)]);
    await untilSubscribers(2, 1, 'two call subscribers and one for alerts');
    a.stop();
    await untilSubscribers(1, 1, 'one call subscriber after complete');

    // the client goes away properly
    await first.dispose();
    await untilSubscribers(0, 0, 'no subscribers after dispose');
    expect(alerted.values).toEqual([]);

    // the network goes away: the server only sees the TCP connection end
    const second = client({ connectionParams: bearer(DEV_KEYS.MANAGER) });
    await started(new Pushes<Updated>(second, CALL_UPDATED, { id: call.id }));
    new Pushes<Alerted>(second, ALERTS);
    await untilSubscribers(1, 1, 'both subscriptions');
    openedSockets.at(-1)!.terminate();
    await untilSubscribers(0, 0, 'no subscribers after the socket was cut');

    // and a change of a call nobody follows any more breaks nothing
    await asWorkflow(call.id, { type: 'StartPhase', data: { phaseKey: 'intake' } });
    const version = async () => (await http.ok<{ serviceCall: { version: number } }>('query($id: ID!) { serviceCall(id: $id) { version } }', { id: call.id })).serviceCall.version;
    await waitFor(async () => (await version()) === 2, 5_000, { description: 'the change projected' });
  });

  it('a client that stops reading holds up neither the projector nor other subscribers, and then gets the newest state', async () => {
    const call = await openCall(http);
    const notes = 300;
    const text = 'a long note that makes every state of the call bigger than the last '.repeat(28); // ~1.9 kB
    const fast = new Pushes<{ serviceCallUpdated: { version: number } }>(client({ connectionParams: bearer(DEV_KEYS.MANAGER) }), 'subscription($id: ID!) { serviceCallUpdated(id: $id) { version } }', { id: call.id });
    const slow = new Pushes<{ serviceCallUpdated: { version: number; notes: { text: string }[] } }>(
      client({ connectionParams: bearer(DEV_KEYS.MANAGER) }),
      'subscription($id: ID!) { serviceCallUpdated(id: $id) { version notes { text } } }',
      { id: call.id },
    );
    await Promise.all([fast.until((v) => v.length === 1), slow.until((v) => v.length === 1)]);
    // the slow client's socket (opened last) stops reading: TCP fills up and the server's writes to it wait
    const slowSocket = (openedSockets.at(-1) as unknown as { _socket: { pause(): void; resume(): void } })._socket;
    slowSocket.pause();
    for (let n = 0; n < notes; n++) {
      await api.invoke('libs/service-calls/src/index', 'ServiceCallCommandProcessor', 'execute', [call.id, { type: 'AddNote', data: { kind: 'INTERNAL', text } }, { actor: 'apikey:dev-manager' }]);
    }
    const last = 1 + notes;
    await fast.until((v) => v.at(-1)?.serviceCallUpdated.version === last, 30_000, 'every version for the fast client');
    expect(fast.values.map((v) => v.serviceCallUpdated.version)).toEqual(Array.from({ length: last }, (_, i) => i + 1));

    slowSocket.resume();
    await slow.until((v) => v.at(-1)?.serviceCallUpdated.version === last, 30_000, 'the newest state for the slow client');
    const versions = slow.values.map((v) => v.serviceCallUpdated.version);
    for (let i = 1; i < versions.length; i++) expect(versions[i]).toBeGreaterThan(versions[i - 1]);
    // its queue overflowed and kept only the newest state: versions jumped
    expect(versions.length).toBeLessThan(last);
    expect(slow.values.at(-1)!.serviceCallUpdated.notes).toHaveLength(notes);
  });

  it('also speaks the legacy graphql-ws protocol (subscriptions-transport-ws), refusing with connection_error', async () => {
    const call = await openCall(http);
    const accepted = await legacyExchange(DEV_KEYS.INTEGRATOR, `subscription { serviceCallUpdated(id: "${call.id}") { id version } }`);
    expect(accepted).toEqual([
      { type: 'connection_ack' },
      { type: 'data', id: '1', payload: { data: { serviceCallUpdated: { id: call.id, version: 1 } } } },
    ]);
    const refused = await legacyExchange('no-such-key', `subscription { serviceCallUpdated(id: "${call.id}") { id version } }`);
    expect(refused).toEqual([{ type: 'connection_error', payload: { message: 'unknown API key' } }]);
  });

  /** connection_init, then start; the messages received (keep-alives left out) until data or the close. */
  async function legacyExchange(key: string, query: string): Promise<unknown[]> {
    const socket = new WebSocket(webSocketUrl(graphqlUrl), 'graphql-ws');
    const received: { type: string }[] = [];
    let closed = false;
    socket.on('message', (data: Buffer) => {
      const message = JSON.parse(data.toString()) as { type: string };
      if (message.type === 'ka') return;
      received.push(message);
      if (message.type === 'connection_ack') socket.send(JSON.stringify({ id: '1', type: 'start', payload: { query } }));
    });
    socket.on('close', () => (closed = true));
    await new Promise((resolve) => socket.once('open', resolve));
    socket.send(JSON.stringify({ type: 'connection_init', payload: bearer(key) }));
    await waitFor(() => closed || received.some((m) => m.type === 'data'), 10_000, { description: 'data or the close' });
    socket.terminate();
    return received;
  }
});
