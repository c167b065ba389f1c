import { agentStreamId, STANDARD_COMPLAINT, WORKFLOW_ACTOR } from '@app/domain';
import { EventData } from '@app/event-store';
import { FailingAppends } from '../../../event-store/src/testing/failing-appends';
import { sqliteTestDir } from '../../../event-store/src/testing/sqlite-test-dir';
import { AgentRepository } from '../agents/agent.repository';
import { RegisterAgentCommand } from '../agents/register-agent.command';
import { RegisterAgentHandler } from '../agents/register-agent.handler';
import { ServiceCallCommandProcessor } from '../commands/service-call-command.processor';
import { ServiceCallRepository } from '../commands/service-call.repository';
import { newCallId } from '../commands/tracking-code';
import { AppendOutcomeUnknownError } from '../shared/append-outcome';
import { AssignmentRequest, AssignServiceCallCommand } from './assign-service-call.command';
import { AssignServiceCallHandler } from './assign-service-call.handler';
import { UnassignServiceCallCommand } from './unassign-service-call.command';
import { UnassignServiceCallHandler } from './unassign-service-call.handler';

/**
 * A networked event store (EventStoreDB, PostgreSQL) can answer an append with an error after it
 * committed it (deadline exceeded, connection lost). The sagas must not undo a step that landed.
 */
describe('sagas after an append error that is not a version conflict (a real SQLite store underneath)', () => {
  const sqlite = sqliteTestDir('ambiguous-');
  let store: FailingAppends;
  let agents: AgentRepository;
  let calls: ServiceCallRepository;
  let assign: AssignServiceCallHandler;
  let unassign: UnassignServiceCallHandler;
  const manager = { actor: 'apikey:boss' };
  const routing: AssignmentRequest = { agentId: 'anna', trigger: 'OPENED', override: false, reasons: ['load:0/1'], runnerUp: null, candidates: [] };
  const callAssigned = (_: string, events: EventData[]) => events.some((e) => e.type === 'CallAssigned');
  const refusal = (promise: Promise<unknown>) => promise.then(() => undefined, (e: unknown) => e);

  beforeEach(async () => {
    store = new FailingAppends(sqlite.openEventStore());
    agents = new AgentRepository(store);
    const processor = new ServiceCallCommandProcessor(store);
    calls = new ServiceCallRepository(store);
    assign = new AssignServiceCallHandler(calls, processor, agents);
    unassign = new UnassignServiceCallHandler(calls, processor, agents);
    const register = new RegisterAgentHandler(agents);
    for (const id of ['anna', 'ben']) {
      await register.execute(new RegisterAgentCommand({ id, name: id, regions: ['de-north'], languages: ['de'], skills: [], capacity: 1 }, manager));
    }
  });

  async function open(): Promise<string> {
    const callId = newCallId('t');
    const input = { channel: 'PHONE' as const, category: 'billing', summary: 'Charged twice', customer: { name: 'Ada Lovelace' } };
    await new ServiceCallCommandProcessor(store).execute(callId, { type: 'OpenServiceCall', data: { callId, trackingCode: 'AAAA-BBBB-CCCC', process: STANDARD_COMPLAINT, input } }, manager);
    return callId;
  }
  const openCallsOf = async (agentId: string) => (await agents.load(agentId))?.openCalls;
  const agentEvents = async (agentId: string) => (await store.readStream(agentStreamId(agentId))).map((e) => e.type);

  it.each([
    ['routing (with its key)', routing, { actor: WORKFLOW_ACTOR, idempotencyKey: 'route:1' }],
    ["a manager's assignment without a key", { ...routing, trigger: 'MANUAL' as const, override: true }, manager],
  ])('%s: CallAssigned written, then the append errs: the assignment stands and the agent keeps the slot', async (_, request, options) => {
    const callId = await open();
    store.failNext('after-commit', callAssigned);
    const result = await assign.execute(new AssignServiceCallCommand(callId, request, options));
    expect(store.failures).toBe(1);
    expect(result.call.assignee).toBe('anna');
    expect(result.events.map((e) => e.type)).toEqual(['CallAssigned']);
    expect(result.position).toBe(await store.lastPosition());
    expect((await calls.load(callId))?.assignee).toBe('anna');
    expect(await openCallsOf('anna')).toEqual([callId]);
    expect(await agentEvents('anna')).toEqual(['AgentRegistered', 'AgentCallTaken']);
  });

  it('CallAssigned not written (the append errs before committing): the agent gets the slot back, as for a refusal', async () => {
    const callId = await open();
    store.failNext('before-commit', callAssigned);
    const error = await refusal(assign.execute(new AssignServiceCallCommand(callId, routing, { actor: WORKFLOW_ACTOR, idempotencyKey: 'route:1' })));
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(/DEADLINE_EXCEEDED/);
    expect((await calls.load(callId))?.assignee).toBeUndefined();
    expect(await openCallsOf('anna')).toEqual([]);
    expect(await agentEvents('anna')).toEqual(['AgentRegistered', 'AgentCallTaken', 'AgentCallReleased']);
  });

  it('written, and the stream cannot be read to tell: nothing is undone, and the same key again answers with the assignment', async () => {
    const callId = await open();
    store.failNext('after-commit-unreadable', callAssigned);
    const options = { actor: WORKFLOW_ACTOR, idempotencyKey: 'route:1' };
    const error = await refusal(assign.execute(new AssignServiceCallCommand(callId, routing, options)));
    expect(error).toBeInstanceOf(AppendOutcomeUnknownError);
    expect(await openCallsOf('anna')).toEqual([callId]);

    const again = await assign.execute(new AssignServiceCallCommand(callId, routing, options));
    expect(again.call.assignee).toBe('anna');
    expect(await openCallsOf('anna')).toEqual([callId]);
    expect(await agentEvents('anna')).toEqual(['AgentRegistered', 'AgentCallTaken']);
  });

  it("a manager's reroute without a key: CallUnassigned written, then the append errs: the agent still releases the call", async () => {
    const callId = await open();
    await assign.execute(new AssignServiceCallCommand(callId, routing, { actor: WORKFLOW_ACTOR, idempotencyKey: 'route:1' }));
    store.failNext('after-commit', (_, events) => events.some((e) => e.type === 'CallUnassigned'));
    const result = await unassign.execute(new UnassignServiceCallCommand(callId, { trigger: 'REROUTE', reason: 'the customer asked for someone else' }, manager));
    expect(store.failures).toBe(1);
    expect(result.call.assignee).toBeUndefined();
    expect(result.events.map((e) => e.type)).toEqual(['CallUnassigned']);
    expect(await openCallsOf('anna')).toEqual([]);
  });
});
