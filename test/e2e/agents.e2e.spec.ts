/**
 * Agents over HTTP against the product as `npm start` runs it: a manager registers agents, changes
 * them, plans and cancels absences and sets availability; every role reads them and their load;
 * invalid input is refused with the field path and changes nothing.
 */
import { DEV_KEYS, GraphQLClient } from '../support/graphql-client';
import { Stack, withStackLogs } from '../support/stack';

jest.setTimeout(120_000);

const AGENT_FIELDS =
  'id name regions skills { kind key level } languages roles capacity workingHours { timezone weekly { day from to } holidays } ' +
  'availability absences { id from to reason replacementAgentId cancelledAt } currentAbsence { id reason } openCalls openCallIds loadRatio availableNow lastAssignedAt version';
type Absence = { id: string; from: string; to: string; reason: string; replacementAgentId: string | null; cancelledAt: string | null };
type Agent = {
  id: string;
  name: string;
  regions: string[];
  capacity: number;
  availability: string;
  absences: Absence[];
  currentAbsence: { id: string; reason: string } | null;
  openCalls: number;
  loadRatio: number;
  availableNow: boolean;
  version: number;
};

const REGISTER = `mutation Register($input: RegisterAgentInput!, $key: String) { registerAgent(input: $input, idempotencyKey: $key) { ${AGENT_FIELDS} } }`;
const UPDATE = `mutation Update($input: UpdateAgentInput!, $v: Int) { updateAgent(input: $input, expectedVersion: $v) { ${AGENT_FIELDS} } }`;
const SCHEDULE = `mutation Schedule($input: ScheduleAbsenceInput!) { scheduleAbsence(input: $input) { ${AGENT_FIELDS} } }`;
const CANCEL = `mutation Cancel($agentId: ID!, $absenceId: ID!) { cancelAbsence(agentId: $agentId, absenceId: $absenceId) { ${AGENT_FIELDS} } }`;
const AVAILABILITY = `mutation Availability($agentId: ID!, $a: AgentAvailability!) { setAgentAvailability(agentId: $agentId, availability: $a) { ${AGENT_FIELDS} } }`;
const AGENT = `query Agent($id: ID!) { agent(id: $id) { ${AGENT_FIELDS} } }`;
const AGENTS = 'query Agents($filter: AgentFilter) { agents(filter: $filter) { id } }';
const LOAD = 'query { agentLoad { agents { agentId name availability absent openCalls capacity loadRatio assignmentsToday medianHandlingSeconds } loadSpread openCallsSpread agentsAtWork at } }';

const ANNA = {
  id: 'e2e-anna',
  name: 'Anna Schmidt',
  regions: ['de-north', 'de-east'],
  skills: [
    { kind: 'CATEGORY', key: 'Billing', level: 4 },
    { kind: 'PRODUCT', key: 'router-x1', level: 2 },
  ],
  languages: ['de', 'en-GB'],
  roles: ['dispatcher'],
  capacity: 3,
};

describe('agents over HTTP (e2e)', () => {
  let stack: Stack | undefined;
  let manager: GraphQLClient;
  const e2e = (body: () => Promise<void>) => withStackLogs(() => stack, body);

  beforeAll(async () => {
    stack = await Stack.start({ name: 'agents' });
    manager = new GraphQLClient(stack.graphqlUrl, DEV_KEYS.MANAGER);
  }, 240_000);

  afterAll(async () => {
    await stack?.dispose();
  }, 60_000);

  const getAgent = async (id: string, client = manager): Promise<Agent | null> => (await client.ok<{ agent: Agent | null }>(AGENT, { id })).agent;
  const ids = async (filter: Record<string, unknown> | null) => (await manager.ok<{ agents: { id: string }[] }>(AGENTS, { filter })).agents.map((a) => a.id);

  it(
    'a manager registers agents (chosen or generated id, idempotent by key); every role reads them; others may not change them',
    e2e(async () => {
      const anna = (await manager.ok<{ registerAgent: Agent }>(REGISTER, { input: ANNA })).registerAgent;
      expect(anna).toMatchObject({
        id: 'e2e-anna',
        languages: ['de', 'en-gb'],
        availability: 'AVAILABLE',
        absences: [],
        currentAbsence: null,
        openCalls: 0,
        loadRatio: 0,
        availableNow: true,
        version: 1,
        workingHours: null,
      });
      // read-your-writes: a query after the answer sees the agent, whatever the role
      for (const key of [DEV_KEYS.INTEGRATOR, DEV_KEYS.AGENT]) expect(await getAgent('e2e-anna', manager.as(key))).toMatchObject({ name: 'Anna Schmidt' });

      const ben = { name: 'Ben', regions: ['*'], skills: [{ kind: 'CATEGORY', key: 'shipping', level: 3 }], languages: ['fr'], capacity: 2 };
      const first = (await manager.ok<{ registerAgent: Agent }>(REGISTER, { input: ben, key: 'e2e-ben' })).registerAgent;
      const again = (await manager.ok<{ registerAgent: Agent }>(REGISTER, { input: ben, key: 'e2e-ben' })).registerAgent;
      expect(first.id).toMatch(/^agt_[0-9a-z]{26}$/);
      expect(again).toEqual(first);

      const taken = await manager.request(REGISTER, { input: ANNA });
      expect(taken.errors?.[0]?.extensions).toMatchObject({ code: 'CONFLICT', field: 'id' });
      for (const key of [DEV_KEYS.INTEGRATOR, DEV_KEYS.AGENT]) {
        const refused = await manager.as(key).request(AVAILABILITY, { agentId: 'e2e-anna', a: 'OFFLINE' });
        expect(refused.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      }
      expect(await getAgent('nobody')).toBeNull();
      expect((await getAgent('e2e-anna'))?.version).toBe(1);
    }),
  );

  it(
    'invalid input is refused with the field path and changes nothing',
    e2e(async () => {
      const bad = async (query: string, variables: Record<string, unknown>) => (await manager.request(query, variables)).errors?.[0]?.extensions;
      const input = { ...ANNA, id: 'e2e-bad' };
      expect(await bad(REGISTER, { input: { ...input, skills: [{ kind: 'CATEGORY', key: 'billing', level: 6 }] } })).toMatchObject({ code: 'BAD_USER_INPUT', field: 'skills[0].level' });
      expect(await bad(REGISTER, { input: { ...input, capacity: 0 } })).toMatchObject({ code: 'BAD_USER_INPUT', field: 'capacity' });
      expect(await bad(REGISTER, { input: { ...input, languages: ['german'] } })).toMatchObject({ code: 'BAD_USER_INPUT', field: 'languages[0]' });
      expect(await bad(REGISTER, { input: { ...input, regions: [] } })).toMatchObject({ code: 'BAD_USER_INPUT', field: 'regions' });
      expect(await bad(REGISTER, { input: { ...input, name: ' ' } })).toMatchObject({ code: 'BAD_USER_INPUT', field: 'name' });
      expect(await bad(REGISTER, { input: { ...input, id: 'Not An Id' } })).toMatchObject({ code: 'BAD_USER_INPUT', field: 'id' });
      expect(
        await bad(REGISTER, { input: { ...input, workingHours: { timezone: 'Europe/Berlin', weekly: [{ day: 'MON', from: '17:00', to: '09:00' }] } } }),
      ).toMatchObject({ code: 'BAD_USER_INPUT', field: 'workingHours.weekly[0].to' });
      expect(await getAgent('e2e-bad')).toBeNull();

      expect(await bad(UPDATE, { input: { agentId: 'e2e-anna', capacity: 1001 } })).toMatchObject({ code: 'BAD_USER_INPUT', field: 'capacity' });
      expect(await bad(UPDATE, { input: { agentId: 'nobody', capacity: 2 } })).toMatchObject({ code: 'NOT_FOUND', field: 'agentId' });
      const absence = { agentId: 'e2e-anna', from: '2030-01-10T00:00:00Z', to: '2030-01-09T00:00:00Z', reason: 'holiday' };
      expect(await bad(SCHEDULE, { input: absence })).toMatchObject({ code: 'BAD_USER_INPUT', field: 'to' });
      expect(await bad(SCHEDULE, { input: { ...absence, to: '2030-01-20T00:00:00Z', replacementAgentId: 'e2e-anna' } })).toMatchObject({
        code: 'BAD_USER_INPUT',
        field: 'replacementAgentId',
      });
      expect(await bad(SCHEDULE, { input: { ...absence, to: '2030-01-20T00:00:00Z', replacementAgentId: 'nobody' } })).toMatchObject({ code: 'NOT_FOUND', field: 'replacementAgentId' });
      expect(await bad(CANCEL, { agentId: 'e2e-anna', absenceId: 'abs_nothing' })).toMatchObject({ code: 'NOT_FOUND', field: 'absenceId' });
      expect((await getAgent('e2e-anna'))?.version).toBe(1);
    }),
  );

  it(
    'update (guarded by expectedVersion), absences scheduled and cancelled, availability, and the filters',
    e2e(async () => {
      const updated = (await manager.ok<{ updateAgent: Agent }>(UPDATE, { input: { agentId: 'e2e-anna', capacity: 5, name: 'Anna S.' }, v: 1 })).updateAgent;
      expect(updated).toMatchObject({ capacity: 5, name: 'Anna S.', regions: ['de-north', 'de-east'], version: 2 });
      const stale = await manager.request(UPDATE, { input: { agentId: 'e2e-anna', capacity: 6 }, v: 1 });
      expect(stale.errors?.[0]?.extensions).toMatchObject({ code: 'CONFLICT', currentVersion: 2 });

      // an absence in force now: no longer available now, and it shows as the current absence
      const now = Date.now();
      const running = { agentId: 'e2e-anna', from: new Date(now - 60_000).toISOString(), to: new Date(now + 3_600_000).toISOString(), reason: 'doctor' };
      const absent = (await manager.ok<{ scheduleAbsence: Agent }>(SCHEDULE, { input: running })).scheduleAbsence;
      expect(absent.currentAbsence?.reason).toBe('doctor');
      expect(absent.availableNow).toBe(false);
      expect(await ids({ available: true, skill: 'billing' })).not.toContain('e2e-anna');
      const absenceId = absent.absences[0].id;
      const back = (await manager.ok<{ cancelAbsence: Agent }>(CANCEL, { agentId: 'e2e-anna', absenceId })).cancelAbsence;
      expect(back).toMatchObject({ currentAbsence: null, availableNow: true });
      expect(back.absences[0].cancelledAt).toEqual(expect.any(String));
      expect(await ids({ available: true, skill: 'billing' })).toContain('e2e-anna');
      // cancelling again changes nothing
      expect((await manager.ok<{ cancelAbsence: Agent }>(CANCEL, { agentId: 'e2e-anna', absenceId })).cancelAbsence.version).toBe(back.version);

      const away = (await manager.ok<{ setAgentAvailability: Agent }>(AVAILABILITY, { agentId: 'e2e-anna', a: 'AWAY' })).setAgentAvailability;
      expect(away).toMatchObject({ availability: 'AWAY', availableNow: false });
      expect(await ids({ availability: 'AWAY' })).toEqual(['e2e-anna']);
      expect(await ids({ region: 'de-east', availability: 'AVAILABLE' })).not.toContain('e2e-anna');
      await manager.ok(AVAILABILITY, { agentId: 'e2e-anna', a: 'AVAILABLE' });
      expect(await ids({ region: 'DE-EAST', skill: 'ROUTER-X1', language: 'en' })).toEqual(['e2e-anna']);
      // Ben covers every region with "*", but has no billing skill
      expect((await ids({ region: 'fr-south' })).length).toBe(1);
      expect(await ids({ region: 'fr-south', skill: 'billing' })).toEqual([]);
    }),
  );

  it(
    'managers see the team load; other roles may not',
    e2e(async () => {
      const { agentLoad } = await manager.ok<{ agentLoad: { agents: { agentId: string }[]; loadSpread: number; openCallsSpread: number; agentsAtWork: number } }>(LOAD);
      expect(agentLoad.agents.find((a) => a.agentId === 'e2e-anna')).toEqual({
        agentId: 'e2e-anna',
        name: 'Anna S.',
        availability: 'AVAILABLE',
        absent: false,
        openCalls: 0,
        capacity: 5,
        loadRatio: 0,
        assignmentsToday: 0,
        medianHandlingSeconds: null,
      });
      expect(agentLoad).toMatchObject({ loadSpread: 0, openCallsSpread: 0, agentsAtWork: 2 });
      expect((await manager.as(DEV_KEYS.AGENT).request(LOAD)).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    }),
  );
});
