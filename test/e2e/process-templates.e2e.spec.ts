/**
 * Process templates over HTTP against the real product: defining and versioning them, reading them
 * back, refusing invalid ones with the field of the mistake (storing nothing), roles, category
 * mappings choosing a call's process, and a running call keeping its version (issue 3, items 1-4).
 */
import { DEV_KEYS, GraphQLClient, GraphQLResult, waitFor } from '../support/graphql-client';
import { callInput, CALL_FIELDS, OPEN_CALL } from '../support/service-calls';
import { Stack, withStackLogs } from '../support/stack';

jest.setTimeout(60_000);

const TEMPLATE_FIELDS = `key version title department purpose createdAt definedBy terms { term definition }
  phases { key name steps { key name instructions dependsOn automated action role expectedDuration } }`;
const DEFINE = `mutation Define($input: DefineProcessTemplateInput!) { defineProcessTemplate(input: $input) { ${TEMPLATE_FIELDS} } }`;
const SET_CATEGORY = `mutation Map($category: String!, $processKey: String!) { setCategoryProcess(category: $category, processKey: $processKey) }`;
const LIST = `query { processTemplates { ${TEMPLATE_FIELDS} } }`;
const GET = `query Template($key: String!, $version: Int) { processTemplate(key: $key, version: $version) { ${TEMPLATE_FIELDS} } }`;
const VERSIONS = `query Versions($key: String!) { processTemplateVersions(key: $key) { key version title } }`;
const MAPPINGS = `query { categoryProcesses { category processKey updatedAt } }`;
const OPEN = `mutation Open($input: OpenServiceCallInput!) { openServiceCall(input: $input) { ${CALL_FIELDS} processVersion } }`;
const GET_CALL = `query Call($id: ID!) { serviceCall(id: $id) { ${CALL_FIELDS} processVersion } }`;

interface TemplateView {
  key: string;
  version: number;
  title: string;
  department: string;
  purpose: string;
  createdAt: string;
  definedBy: string;
  terms: { term: string; definition: string }[];
  phases: { key: string; name: string; steps: { key: string; name: string; instructions: string | null; dependsOn: string[]; automated: boolean; action: string | null; role: string | null; expectedDuration: string | null }[] }[];
}
interface CallView {
  id: string;
  processKey: string;
  processVersion: number;
  status: string;
  phases: { key: string; status: string; steps: { key: string; status: string }[] }[];
}

/** The DefineProcessTemplateInput this spec sends: mutable, optionals optional, so a case can break it. */
type TemplateInput = {
  key: string;
  title: string;
  department: string;
  purpose: string;
  terms: { term: string; definition: string }[];
  phases: { key: string; name: string; steps: StepInput[] }[];
};
type StepInput = {
  key: string;
  name?: string;
  instructions?: string;
  dependsOn?: string[];
  automated?: boolean;
  action?: string;
  role?: string;
  expectedDuration?: string;
};

let seq = 0;
/** A valid template with its own key: an inspection in parallel with ordering parts, joining into the repair. */
function template(overrides: Partial<TemplateInput> = {}): TemplateInput {
  return {
    key: `boiler-repair-${process.pid}-${++seq}`,
    title: 'Boiler repair',
    department: 'Field Service',
    purpose: 'Get the heating running again within a day.',
    terms: [{ term: 'Boiler', definition: 'The gas heating unit at the customer’s home.' }],
    phases: [
      {
        key: 'intake',
        name: 'Intake',
        steps: [
          { key: 'record-fault', name: 'Record the fault', role: 'agent', expectedDuration: 'pt15m' },
          { key: 'check-history', name: 'Check the history', automated: true, action: 'review-customer-history', dependsOn: ['record-fault'] },
        ],
      },
      {
        key: 'repair',
        name: 'Repair',
        steps: [
          { key: 'inspect', name: 'Inspect the boiler', role: 'technician', instructions: 'Check pressure and ignition.' },
          { key: 'order-parts', name: 'Order parts' },
          { key: 'fix', name: 'Fix the boiler', dependsOn: ['inspect', 'order-parts'], expectedDuration: 'PT2H' },
        ],
      },
    ],
    ...overrides,
  };
}

describe('process templates (e2e)', () => {
  let stack: Stack | undefined;
  let manager: GraphQLClient;
  let integrator: GraphQLClient;
  let agent: GraphQLClient;
  const e2e = (body: () => Promise<void>) => withStackLogs(() => stack, body);

  beforeAll(async () => {
    stack = await Stack.start({ name: 'process-templates' });
    manager = new GraphQLClient(stack.graphqlUrl, DEV_KEYS.MANAGER);
    integrator = manager.as(DEV_KEYS.INTEGRATOR);
    agent = manager.as(DEV_KEYS.AGENT);
  }, 240_000);

  afterAll(async () => {
    await stack?.dispose();
  }, 60_000);

  const define = async (input: Record<string, unknown>) => (await manager.ok<{ defineProcessTemplate: TemplateView }>(DEFINE, { input })).defineProcessTemplate;
  const list = async (client = manager) => (await client.ok<{ processTemplates: TemplateView[] }>(LIST)).processTemplates;
  const get = async (key: string, version?: number, client = manager) => (await client.ok<{ processTemplate: TemplateView | null }>(GET, { key, version })).processTemplate;
  const openCall = async (input: Record<string, unknown>) => (await integrator.ok<{ openServiceCall: CallView }>(OPEN, { input })).openServiceCall;

  it(
    'standard-complaint is version 1 of an ordinary template, defined by the system at start-up',
    e2e(async () => {
      const builtIn = await get('standard-complaint', undefined, agent);
      expect(builtIn).toMatchObject({ key: 'standard-complaint', version: 1, definedBy: 'system', title: 'Standard complaint' });
      expect(builtIn!.phases.map((p) => p.key)).toEqual(['intake', 'diagnosis', 'resolution']);
      expect(builtIn!.phases[1].steps[0]).toMatchObject({ key: 'review-customer-history', automated: true, action: 'review-customer-history' });
      expect((await list(agent)).map((t) => t.key)).toContain('standard-complaint');
    }),
  );

  it(
    'defines a template, then its next version; lists the latest of each, gets any version, lists all versions',
    e2e(async () => {
      const input = template();
      const v1 = await define(input);
      expect(v1).toMatchObject({ key: input.key, version: 1, title: 'Boiler repair', definedBy: 'apikey:dev-manager', terms: input.terms });
      expect(Date.now() - Date.parse(v1.createdAt)).toBeLessThan(60_000);
      // stored normalised: defaults filled in, durations upper-cased, unset optionals null
      expect(v1.phases[0].steps).toEqual([
        { key: 'record-fault', name: 'Record the fault', instructions: null, dependsOn: [], automated: false, action: null, role: 'agent', expectedDuration: 'PT15M' },
        { key: 'check-history', name: 'Check the history', instructions: null, dependsOn: ['record-fault'], automated: true, action: 'review-customer-history', role: null, expectedDuration: null },
      ]);
      // read-your-writes: the answer came once the read models had it
      expect(await get(input.key)).toEqual(v1);

      const v2 = await define({ ...input, title: 'Boiler repair, revised', terms: null });
      expect(v2).toMatchObject({ key: input.key, version: 2, title: 'Boiler repair, revised', terms: [] });
      expect(await get(input.key)).toEqual(v2);
      expect(await get(input.key, 1)).toEqual(v1);
      expect(await get(input.key, 3)).toBeNull();
      expect(await get('no-such-template')).toBeNull();

      const latest = await list(integrator);
      expect(latest.filter((t) => t.key === input.key)).toEqual([v2]);
      expect(new Set(latest.map((t) => t.key)).size).toBe(latest.length);
      const versions = (await agent.ok<{ processTemplateVersions: { version: number; title: string }[] }>(VERSIONS, { key: input.key })).processTemplateVersions;
      expect(versions.map((v) => [v.version, v.title])).toEqual([
        [1, 'Boiler repair'],
        [2, 'Boiler repair, revised'],
      ]);
    }),
  );

  it(
    'an idempotency key makes a retried definition return the same version; a stale expectedVersion is a CONFLICT',
    e2e(async () => {
      const input = template();
      const first = await define({ ...input, idempotencyKey: 'retry-me' });
      expect(await define({ ...input, idempotencyKey: 'retry-me' })).toEqual(first);
      expect((await get(input.key))!.version).toBe(1);

      const stale = await manager.request(DEFINE, { input: { ...input, expectedVersion: 0 } });
      expect(stale.errors?.[0].extensions).toMatchObject({ code: 'CONFLICT', currentVersion: 1, field: 'expectedVersion' });
      expect((await define({ ...input, expectedVersion: 1 })).version).toBe(2);
    }),
  );

  describe('an invalid template is refused with BAD_USER_INPUT naming the field, and nothing is stored', () => {
    type Mistake = [string, (t: TemplateInput) => void, string | RegExp, RegExp?];
    const cases: Mistake[] = [
      ['a blank title', (t) => (t.title = '  '), 'title'],
      ['a blank key', (t) => (t.key = ''), 'key'],
      ['a key with capitals', (t) => (t.key = 'Boiler-Repair'), 'key', /lowercase/],
      ['a duplicate phase key', (t) => (t.phases[1].key = 'intake'), 'phases[1].key', /already the key of phases\[0\]/],
      ['a duplicate step key across phases', (t) => (t.phases[1].steps[0].key = 'record-fault'), 'phases[1].steps[0].key', /already used by phases\[0\]\.steps\[0\]/],
      ['an empty phase', (t) => (t.phases[1].steps = []), 'phases[1].steps', /no steps/],
      ['no phases', (t) => (t.phases = []), 'phases'],
      ['a dependency on an unknown step', (t) => (t.phases[1].steps[2].dependsOn = ['inspect', 'ghost']), 'phases[1].steps[2].dependsOn', /"ghost"/],
      ['a dependency on a step of another phase', (t) => (t.phases[1].steps[2].dependsOn = ['record-fault']), 'phases[1].steps[2].dependsOn', /of phase "intake"/],
      ['a dependency cycle', (t) => (t.phases[1].steps[0].dependsOn = ['fix']), 'phases[1].steps[0].dependsOn', /cycle: inspect -> fix -> inspect/],
      ['a step depending on itself', (t) => (t.phases[1].steps[1].dependsOn = ['order-parts']), 'phases[1].steps[1].dependsOn', /cycle: order-parts -> order-parts/],
      ['an automated step without an action', (t) => delete t.phases[0].steps[1].action, 'phases[0].steps[1].action', /must name an action, one of: review-customer-history, notify-customer/],
      ['an unknown action', (t) => (t.phases[0].steps[1].action = 'launch-rocket'), 'phases[0].steps[1].action', /known actions: review-customer-history, notify-customer/],
      ['an action on a human step', (t) => (t.phases[1].steps[0].action = 'notify-customer'), 'phases[1].steps[0].action', /not automated/],
      ['a malformed duration', (t) => (t.phases[1].steps[2].expectedDuration = 'two hours'), 'phases[1].steps[2].expectedDuration', /ISO 8601/],
      ['a blank term', (t) => (t.terms[0].term = ' '), 'terms[0].term'],
      ['a step without a name (refused by GraphQL itself)', (t) => delete t.phases[1].steps[1].name, /phases\[1\]\.steps\[1\]/],
    ];

    let existing: TemplateView;
    beforeAll(async () => {
      existing = await define(template());
    }, 60_000);

    // every row gets four values: jest takes a fourth parameter with no value for a done callback
    it.each(cases.map(([name, mistake, field, message]) => [name, mistake, field, message ?? null] as const))(
      '%s',
      (_name, mistake, field, message) =>
        e2e(async () => {
          const before = await list();
          // a mistake in the next version of an existing template, which must stay at version 1
          const input = template({ key: existing.key });
          mistake(input);
          const result: GraphQLResult<unknown> = await manager.request(DEFINE, { input });
          expect(result.errors).toHaveLength(1);
          const [error] = result.errors!;
          expect(error.extensions?.code).toBe('BAD_USER_INPUT');
          if (typeof field === 'string') expect(error.extensions?.field).toBe(field);
          else expect(error.extensions?.field).toMatch(field);
          if (message) expect(error.message).toMatch(message);
          expect(result.body).not.toMatch(/\s+at\s+\S+\s+\(|node_modules|\.ts:\d+/);
          expect(await list()).toEqual(before);
          expect((await get(existing.key))!.version).toBe(1);
        })(),
    );
  });

  it(
    'only managers define templates and map categories: FORBIDDEN for integrators and agents, who may read them',
    e2e(async () => {
      const before = await list();
      for (const client of [integrator, agent]) {
        const defined = await client.request(DEFINE, { input: template() });
        expect(defined.errors?.[0].extensions?.code).toBe('FORBIDDEN');
        const mapped = await client.request(SET_CATEGORY, { category: 'boilers', processKey: 'standard-complaint' });
        expect(mapped.errors?.[0].extensions?.code).toBe('FORBIDDEN');
        expect(await list(client)).toEqual(before);
        expect((await client.ok<{ categoryProcesses: { category: string }[] }>(MAPPINGS)).categoryProcesses.map((m) => m.category)).not.toContain('boilers');
      }
      const anonymous = await manager.as(null).request(LIST);
      expect(anonymous.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    }),
  );

  it(
    'setCategoryProcess makes calls of that category (any case) run the mapped template; an explicit processKey wins; unknown keys are refused',
    e2e(async () => {
      const boiler = await define(template());
      const category = `Boilers ${process.pid}`;
      expect(await manager.ok(SET_CATEGORY, { category, processKey: boiler.key })).toEqual({ setCategoryProcess: true });
      const mappings = (await agent.ok<{ categoryProcesses: { category: string; processKey: string }[] }>(MAPPINGS)).categoryProcesses;
      expect(mappings).toContainEqual(expect.objectContaining({ category: category.toLowerCase(), processKey: boiler.key }));

      const mapped = await openCall(callInput({ category: category.toUpperCase() }));
      expect(mapped).toMatchObject({ processKey: boiler.key, processVersion: 1 });
      expect(mapped.phases.map((p) => p.key)).toEqual(['intake', 'repair']);
      const explicit = await openCall(callInput({ category, processKey: 'standard-complaint' }));
      expect(explicit).toMatchObject({ processKey: 'standard-complaint', processVersion: 1 });
      expect((await openCall(callInput({ category: 'unmapped things' }))).processKey).toBe('standard-complaint');

      const unknown = await manager.request(SET_CATEGORY, { category, processKey: 'no-such-template' });
      expect(unknown.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'processKey' });
      const blank = await manager.request(SET_CATEGORY, { category: ' ', processKey: boiler.key });
      expect(blank.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'category' });
      expect((await openCall(callInput({ category }))).processKey).toBe(boiler.key);
      const badKey = await integrator.request(OPEN_CALL, { input: callInput({ processKey: 'no-such-template' }) });
      expect(badKey.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'processKey' });
    }),
  );

  it(
    "a call opened on version 1 keeps version 1's phases after version 2 is defined; the next call runs version 2",
    e2e(async () => {
      const v1 = await define(template());
      const onV1 = await openCall(callInput({ processKey: v1.key }));
      // the process is running (its first step is READY) when version 2 arrives
      await waitFor(
        async () => (await integrator.ok<{ serviceCall: CallView }>(GET_CALL, { id: onV1.id })).serviceCall.phases[0].steps[0].status === 'READY',
        30_000,
        { description: 'record-fault READY' },
      );
      const v2 = await define({
        ...template({ key: v1.key }),
        phases: [{ key: 'swap', name: 'Swap the boiler', steps: [{ key: 'swap-boiler', name: 'Swap it' }] }],
      });
      expect(v2.version).toBe(2);

      const still = (await integrator.ok<{ serviceCall: CallView }>(GET_CALL, { id: onV1.id })).serviceCall;
      expect(still).toMatchObject({ processKey: v1.key, processVersion: 1 });
      expect(still.phases.map((p) => p.key)).toEqual(['intake', 'repair']);
      expect(still.phases.flatMap((p) => p.steps.map((s) => s.key))).toEqual(v1.phases.flatMap((p) => p.steps.map((s) => s.key)));

      const onV2 = await openCall(callInput({ processKey: v1.key }));
      expect(onV2).toMatchObject({ processVersion: 2, phases: [expect.objectContaining({ key: 'swap' })] });
    }),
  );
});
