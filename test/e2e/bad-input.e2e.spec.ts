/**
 * Bad input over HTTP gets the contract's error code, names the field where one applies, never
 * leaks a stack trace, and changes nothing: no call appears and the target call's version and
 * history stay as they were (docs/contract.md "Errors"; issue 2, item 11).
 */
import { DEV_KEYS, GraphQLClient, GraphQLErrorBody, GraphQLResult, RequestOptions } from '../support/graphql-client';
import { callInput, COMPLETE_STEP, getCall, GET_CALL, LIST_CALLS, listAllCalls, OPEN_CALL, openCall, START_STEP, stepOf, waitForWork } from '../support/service-calls';
import { Stack, withStackLogs } from '../support/stack';

jest.setTimeout(60_000);

const UNKNOWN_CALL = '00000000-0000-4000-8000-000000000000';
const DAY = 24 * 3600 * 1000;

type Code = 'BAD_USER_INPUT' | 'UNAUTHENTICATED' | 'FORBIDDEN' | 'NOT_FOUND' | 'CONFLICT' | 'INTERNAL';

interface Expected {
  code: Code;
  /** the exact field, or a pattern (graphql-jit names a nested variable by its last segment only) */
  field?: string | RegExp;
  /** CONFLICT: the call's version at the time */
  currentVersion?: 'target';
}

/** An error message a client may see: no stack frames, no source paths. */
function expectNoStackTrace(body: string): void {
  const messages = ((JSON.parse(body) as { errors?: GraphQLErrorBody[] }).errors ?? []).map((e) => e.message);
  for (const text of [body, ...messages]) {
    expect(text).not.toMatch(/(^|\n|\\n)\s*at\s/); // a frame line, "    at fn (file:1:2)"
    expect(text).not.toMatch(/\(\S+:\d+:\d+\)/);
    expect(text).not.toMatch(/\S+\.(?:js|ts|mjs|cjs):\d+/);
    expect(text).not.toMatch(/node_modules|\/work\/|node:internal/);
  }
}

describe('bad input (e2e)', () => {
  let stack: Stack | undefined;
  let client: GraphQLClient;
  /** a call waiting for its first human step (record-complaint READY): nothing changes it but us */
  let target: { id: string; version: number };
  const e2e = (body: () => Promise<void>) => withStackLogs(() => stack, body);

  beforeAll(async () => {
    stack = await Stack.start({ name: 'bad-input' });
    client = new GraphQLClient(stack.graphqlUrl, DEV_KEYS.INTEGRATOR);
    const opened = await openCall(client);
    const settled = await waitForWork(client, opened.id);
    expect(stepOf(settled, 'record-complaint').status).toBe('READY');
    target = { id: settled.id, version: settled.version };
  }, 240_000);

  afterAll(async () => {
    await stack?.dispose();
  }, 60_000);

  /** What must not change: how many calls there are, and the target call's version and history. */
  async function snapshot(): Promise<{ calls: number; version: number; history: number }> {
    const [calls, call] = await Promise.all([listAllCalls(client), getCall(client, target.id, true)]);
    return { calls: calls.length, version: call.version, history: call.history!.length };
  }

  async function expectRefused(send: () => Promise<GraphQLResult<unknown>>, expected: Expected): Promise<GraphQLErrorBody> {
    const before = await snapshot();
    const result = await send();
    expect(result.status).toBe(200);
    expect(result.errors).toHaveLength(1);
    const [error] = result.errors!;
    expect(error.extensions?.code).toBe(expected.code);
    if (expected.field instanceof RegExp) expect(error.extensions?.field).toMatch(expected.field);
    else if (expected.field) expect(error.extensions?.field).toBe(expected.field);
    if (expected.currentVersion === 'target') expect(error.extensions?.currentVersion).toBe(before.version);
    expect(result.data === null || Object.values(result.data as object).every((v) => v === null)).toBe(true);
    expect(error.message).toEqual(expect.any(String));
    expect(error.message.length).toBeGreaterThan(0);
    expectNoStackTrace(result.body);
    // the client had nothing to retry into being: the next read shows the same state
    expect(await snapshot()).toEqual(before);
    return error;
  }

  const open = (input: Record<string, unknown>, options?: RequestOptions) => () => client.request(OPEN_CALL, { input }, options);
  const withCustomer = (customer: Record<string, unknown>) => callInput({ customer: { name: 'Ada Lovelace', ...customer } });
  const without = (key: string) => {
    const input = callInput();
    delete input[key];
    return input;
  };

  describe('openServiceCall refuses invalid input with BAD_USER_INPUT and the field', () => {
    const future = () => new Date(Date.now() + DAY).toISOString();
    const cases: [string, () => Record<string, unknown>, string | RegExp][] = [
      ['an empty customer name', () => withCustomer({ name: '' }), 'customer.name'],
      ['a blank customer name', () => withCustomer({ name: '  \t ' }), 'customer.name'],
      ['an oversized customer name (201 characters)', () => withCustomer({ name: 'n'.repeat(201) }), 'customer.name'],
      ['a malformed e-mail (no dot in the domain)', () => withCustomer({ email: 'ada@example' }), 'customer.email'],
      ['a malformed e-mail (two @)', () => withCustomer({ email: 'ada@@example.com' }), 'customer.email'],
      ['a malformed e-mail (a space)', () => withCustomer({ email: 'ada lovelace@example.com' }), 'customer.email'],
      ['a malformed phone (words)', () => withCustomer({ phone: 'call me maybe' }), 'customer.phone'],
      ['a malformed phone (too few digits)', () => withCustomer({ phone: '12345' }), 'customer.phone'],
      ['a malformed phone (letters)', () => withCustomer({ phone: '+49 30 CALL-NOW' }), 'customer.phone'],
      ['a blank summary', () => callInput({ summary: '   ' }), 'summary'],
      ['an empty summary', () => callInput({ summary: '' }), 'summary'],
      ['an oversized summary (501 characters)', () => callInput({ summary: 's'.repeat(501) }), 'summary'],
      ['an oversized description (10001 characters)', () => callInput({ description: 'd'.repeat(10_001) }), 'description'],
      ['a blank category', () => callInput({ category: ' ' }), 'category'],
      ['an unknown channel (variable)', () => callInput({ channel: 'FAX' }), 'channel'],
      ['a channel in lower case (variable)', () => callInput({ channel: 'phone' }), 'channel'],
      ['an unknown priority (variable)', () => callInput({ priority: 'SUPER_URGENT' }), 'priority'],
      ['an unknown preferred channel (variable)', () => withCustomer({ preferredChannel: 'PIGEON' }), /(^|\.)preferredChannel$/],
      ['receivedAt in the future', () => callInput({ receivedAt: future() }), 'receivedAt'],
      ['receivedAt that is not a date', () => callInput({ receivedAt: 'yesterday' }), 'receivedAt'],
      ['receivedAt without an offset', () => callInput({ receivedAt: '2025-03-10T09:30:00' }), 'receivedAt'],
      ['receivedAt on 30 February', () => callInput({ receivedAt: '2025-02-30T09:30:00Z' }), 'receivedAt'],
      ['an unknown processKey', () => callInput({ processKey: 'no-such-process' }), 'processKey'],
      ['a missing summary', () => without('summary'), 'summary'],
      ['a summary that is not text', () => callInput({ summary: 42 }), 'summary'],
      ['an oversized idempotencyKey', () => callInput({ idempotencyKey: 'k'.repeat(201) }), 'idempotencyKey'],
    ];
    it.each(cases)('%s', (_name, input, field) => e2e(() => expectRefused(open(input()), { code: 'BAD_USER_INPUT', field }).then(() => undefined))());
  });

  describe('step mutations refuse unknown calls and steps, steps out of order and stale versions', () => {
    const complete = (input: Record<string, unknown>) => () => client.request(COMPLETE_STEP, { input });
    const start = (variables: Record<string, unknown>) => () => client.request(START_STEP, variables);
    const cases: [string, () => () => Promise<GraphQLResult<unknown>>, Expected][] = [
      ['completeStep on an unknown call id', () => complete({ callId: UNKNOWN_CALL, stepKey: 'record-complaint' }), { code: 'NOT_FOUND', field: 'callId' }],
      ['startStep on an unknown call id', () => start({ callId: UNKNOWN_CALL, stepKey: 'record-complaint' }), { code: 'NOT_FOUND', field: 'callId' }],
      ['completeStep on a malformed call id', () => complete({ callId: 'not-a-call-id', stepKey: 'record-complaint' }), { code: 'NOT_FOUND', field: 'callId' }],
      ['completeStep on an unknown step', () => complete({ callId: target.id, stepKey: 'no-such-step' }), { code: 'NOT_FOUND', field: 'stepKey' }],
      ['startStep on an unknown step', () => start({ callId: target.id, stepKey: 'no-such-step' }), { code: 'NOT_FOUND', field: 'stepKey' }],
      ['completeStep with a blank step key', () => complete({ callId: target.id, stepKey: '  ' }), { code: 'BAD_USER_INPUT', field: 'stepKey' }],
      [
        'completing a step before the step it depends on',
        () => complete({ callId: target.id, stepKey: 'confirm-understanding' }),
        { code: 'CONFLICT', field: 'stepKey', currentVersion: 'target' },
      ],
      [
        'starting a step before the step it depends on',
        () => start({ callId: target.id, stepKey: 'confirm-understanding' }),
        { code: 'CONFLICT', field: 'stepKey', currentVersion: 'target' },
      ],
      [
        'completing a step of a phase that has not started',
        () => complete({ callId: target.id, stepKey: 'identify-cause' }),
        { code: 'CONFLICT', field: 'stepKey', currentVersion: 'target' },
      ],
      [
        'completing an automated step by hand',
        () => complete({ callId: target.id, stepKey: 'review-customer-history' }),
        // only the system runs an automated step: not a matter of the call's state
        { code: 'FORBIDDEN', field: 'stepKey' },
      ],
      [
        'a stale expectedVersion',
        () => complete({ callId: target.id, stepKey: 'record-complaint', expectedVersion: target.version - 1 }),
        { code: 'CONFLICT', field: 'expectedVersion', currentVersion: 'target' },
      ],
      [
        'an expectedVersion from the future',
        () => start({ callId: target.id, stepKey: 'record-complaint', expectedVersion: target.version + 5 }),
        { code: 'CONFLICT', currentVersion: 'target' },
      ],
      ['expectedVersion 0', () => complete({ callId: target.id, stepKey: 'record-complaint', expectedVersion: 0 }), { code: 'BAD_USER_INPUT', field: 'expectedVersion' }],
      [
        'an oversized outcome (5001 characters)',
        () => complete({ callId: target.id, stepKey: 'record-complaint', outcome: 'o'.repeat(5001) }),
        { code: 'BAD_USER_INPUT', field: 'outcome' },
      ],
    ];
    it.each(cases)('%s', (_name, send, expected) => e2e(() => expectRefused(send(), expected).then(() => undefined))());

    it(
      'serviceCall answers null for an unknown id',
      e2e(async () => {
        for (const id of [UNKNOWN_CALL, 'not-a-call-id']) {
          const result = await client.request<{ serviceCall: unknown }>(GET_CALL, { id });
          expect(result.errors).toBeUndefined();
          expect(result.data!.serviceCall).toBeNull();
        }
      }),
    );

    it(
      'serviceCalls refuses a page size out of range and a cursor it did not make',
      e2e(async () => {
        await expectRefused(() => client.request(LIST_CALLS, { first: 0 }), { code: 'BAD_USER_INPUT', field: 'first' });
        await expectRefused(() => client.request(LIST_CALLS, { first: 1000 }), { code: 'BAD_USER_INPUT', field: 'first' });
        await expectRefused(() => client.request(LIST_CALLS, { after: 'not-a-cursor' }), { code: 'BAD_USER_INPUT', field: 'after' });
        await expectRefused(() => client.request(LIST_CALLS, { status: 'SOMEWHERE' }), { code: 'BAD_USER_INPUT', field: 'status' });
      }),
    );
  });

  describe('authentication and roles', () => {
    const completeTarget = (options: RequestOptions) => () =>
      client.request(COMPLETE_STEP, { input: { callId: target.id, stepKey: 'record-complaint' } }, options);
    const cases: [string, () => () => Promise<GraphQLResult<unknown>>, Code][] = [
      ['openServiceCall without a key', () => open(callInput(), { apiKey: null }), 'UNAUTHENTICATED'],
      ['completeStep without a key', () => completeTarget({ apiKey: null }), 'UNAUTHENTICATED'],
      ['serviceCalls without a key', () => () => client.request(LIST_CALLS, {}, { apiKey: null }), 'UNAUTHENTICATED'],
      ['serviceCall without a key', () => () => client.request(GET_CALL, { id: target.id }, { apiKey: null }), 'UNAUTHENTICATED'],
      ['openServiceCall with an unknown key', () => open(callInput(), { apiKey: 'not-a-key' }), 'UNAUTHENTICATED'],
      ['completeStep with an unknown key', () => completeTarget({ apiKey: 'dev-integrator-key-x' }), 'UNAUTHENTICATED'],
      ['a key sent with the wrong scheme', () => open(callInput(), { authorization: 'Basic dev-integrator-key' }), 'UNAUTHENTICATED'],
      ['an empty bearer token', () => open(callInput(), { authorization: 'Bearer ' }), 'UNAUTHENTICATED'],
      ['an AGENT opening a call', () => open(callInput(), { apiKey: DEV_KEYS.AGENT }), 'FORBIDDEN'],
    ];
    it.each(cases)('%s', (_name, send, code) => e2e(() => expectRefused(send(), { code }).then(() => undefined))());

    it(
      'an unauthenticated caller learns nothing about the call',
      e2e(async () => {
        const result = await client.request(GET_CALL, { id: target.id }, { apiKey: null });
        expect(result.body).not.toContain('Ada Lovelace');
        expect(result.body).not.toContain('example.com');
      }),
    );
  });

  describe('requests the server cannot make sense of', () => {
    const raw = (body: string) => () => client.post(body);
    const cases: [string, () => () => Promise<GraphQLResult<unknown>>, Code[]][] = [
      ['malformed JSON', () => raw('{"query": "{ serviceCalls { nodes { id } } }"'), ['BAD_USER_INPUT']],
      ['a body without a query', () => raw('{}'), ['BAD_USER_INPUT']],
      ['a query that is not text', () => raw('{"query": 42}'), ['BAD_USER_INPUT', 'INTERNAL']],
      ['a query that is not GraphQL', () => raw(JSON.stringify({ query: 'SELECT * FROM events' })), ['BAD_USER_INPUT']],
      ['a field that does not exist', () => raw(JSON.stringify({ query: '{ serviceCalls { nodes { id password } } }' })), ['BAD_USER_INPUT']],
      ['an operation name that does not exist', () => raw(JSON.stringify({ query: '{ __typename }', operationName: 'Nope' })), ['BAD_USER_INPUT']],
      ['variables that are not an object', () => raw(JSON.stringify({ query: OPEN_CALL, variables: 'input' })), ['BAD_USER_INPUT']],
      ['a body over the size limit (1.1 MB)', () => raw(JSON.stringify({ query: OPEN_CALL, variables: { input: callInput({ description: 'x'.repeat(1_100_000) }) } })), ['BAD_USER_INPUT']],
    ];
    it.each(cases)('%s: a contract code, no stack trace, nothing changed', (_name, send, codes) =>
      e2e(async () => {
        const before = await snapshot();
        const result = await send()();
        expect(result.errors?.length).toBeGreaterThan(0);
        for (const error of result.errors!) expect(codes).toContain(error.extensions?.code);
        expectNoStackTrace(result.body);
        if (result.errors!.some((e) => e.extensions?.code === 'INTERNAL')) expect(result.errors![0].message).toBe('internal error');
        expect(await snapshot()).toEqual(before);
      })(),
    );
  });

  describe('after all that, the call is intact', () => {
    it(
      'the target call still works, a repeated completion is refused, and an idempotent retry appends nothing',
      e2e(async () => {
        const before = await getCall(client, target.id, true);
        expect(before.version).toBe(target.version);
        expect(before.history!.map((e) => e.type)).toEqual(['ServiceCallOpened', 'PhaseStarted', 'StepReady']);

        const first = { callId: target.id, stepKey: 'record-complaint', expectedVersion: target.version, idempotencyKey: 'bad-input-final' };
        const done = await client.ok<{ completeStep: { version: number } }>(COMPLETE_STEP, { input: first });
        expect(done.completeStep.version).toBe(target.version + 1);
        await waitForWork(client, target.id); // confirm-understanding READY
        target = { id: target.id, version: (await getCall(client, target.id)).version };

        await expectRefused(() => client.request(COMPLETE_STEP, { input: { callId: target.id, stepKey: 'record-complaint' } }), {
          code: 'CONFLICT',
          field: 'stepKey',
          currentVersion: 'target',
        });
        const before2 = await snapshot();
        // the same request again (e.g. the answer was lost): the first result, not a conflict, and no new event
        const retry = await client.ok<{ completeStep: { version: number } }>(COMPLETE_STEP, { input: first });
        expect(retry.completeStep.version).toBeGreaterThanOrEqual(done.completeStep.version);
        expect(await snapshot()).toEqual(before2);
        const history = (await getCall(client, target.id, true)).history!;
        expect(history.filter((e) => e.type === 'StepCompleted')).toHaveLength(1);
      }),
    );

    it(
      'input right at the limits is accepted (500-character summary, 10000-character description)',
      e2e(async () => {
        const call = await openCall(client, callInput({ summary: 's'.repeat(500), description: 'd'.repeat(10_000), receivedAt: new Date(Date.now() - DAY).toISOString() }));
        expect(call.summary).toHaveLength(500);
        expect(call.version).toBe(1);
      }),
    );
  });
});
