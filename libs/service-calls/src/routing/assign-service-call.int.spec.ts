import { agentStreamId, ConflictError, LIMITS, STANDARD_COMPLAINT, ValidationError, WORKFLOW_ACTOR } from '@app/domain';
import { SqliteEventStore } from '@app/event-store';
import { sqliteTestDir } from '../../../event-store/src/testing/sqlite-test-dir';
import { AgentRepository } from '../agents/agent.repository';
import { RegisterAgentCommand } from '../agents/register-agent.command';
import { RegisterAgentHandler } from '../agents/register-agent.handler';
import { ServiceCallCommandProcessor } from '../commands/service-call-command.processor';
import { ServiceCallRepository } from '../commands/service-call.repository';
import { newCallId } from '../commands/tracking-code';
import { AgentRefusedCallError, AssignmentRequest, AssignServiceCallCommand } from './assign-service-call.command';
import { AssignServiceCallHandler } from './assign-service-call.handler';
import { UnassignServiceCallCommand } from './unassign-service-call.command';
import { UnassignServiceCallHandler } from './unassign-service-call.handler';

describe("assignment and unassignment: the agent's stream and the call's, on a real SQLite event store", () => {
  const sqlite = sqliteTestDir('assign-');
  let store: SqliteEventStore;
  let agents: AgentRepository;
  let processor: ServiceCallCommandProcessor;
  let assign: AssignServiceCallHandler;
  let unassign: UnassignServiceCallHandler;
  const manager = { actor: 'apikey:boss' };
  const manual = (agentId: string, extra: Partial<AssignmentRequest> = {}): AssignmentRequest => ({ agentId, trigger: 'MANUAL', override: true, candidates: [], ...extra });

  beforeEach(async () => {
    store = sqlite.openEventStore();
    agents = new AgentRepository(store);
    processor = new ServiceCallCommandProcessor(store);
    const calls = new ServiceCallRepository(store);
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
    await processor.execute(callId, { type: 'OpenServiceCall', data: { callId, trackingCode: 'AAAA-BBBB-CCCC', process: STANDARD_COMPLAINT, input } }, manager);
    return callId;
  }
  const openCallsOf = async (agentId: string) => (await agents.load(agentId))?.openCalls;
  const refusal = (promise: Promise<unknown>) => promise.then(() => undefined, (e: unknown) => e);

  it("a manager's assignment: the agent takes the call (past capacity), the call records it, the agent who had it releases it; the same key again changes nothing", async () => {
    const callId = await open();
    await agents.takeCall('ben', 'another-call'); // Ben is full: a manager may still give him the call
    const toAnna = await assign.execute(new AssignServiceCallCommand(callId, manual('anna'), { ...manager, idempotencyKey: 'k1' }));
    expect(toAnna.call.assignee).toBe('anna');
    expect(toAnna.agent?.openCalls).toEqual([callId]);

    const toBen = await assign.execute(new AssignServiceCallCommand(callId, manual('ben', { reason: 'he knows the customer' }), { ...manager, idempotencyKey: 'k2' }));
    expect(toBen.call.assignee).toBe('ben');
    expect(toBen.call.assignments.at(-1)).toMatchObject({ agentId: 'ben', previousAgentId: 'anna', trigger: 'MANUAL', automatic: false, reason: 'he knows the customer' });
    expect(await openCallsOf('ben')).toEqual(['another-call', callId]);
    expect(await openCallsOf('anna')).toEqual([]);
    // read-your-writes waits for the release too
    expect(toBen.position).toBe(await store.lastPosition());

    const before = await store.lastPosition();
    const again = await assign.execute(new AssignServiceCallCommand(callId, manual('ben', { reason: 'he knows the customer' }), { ...manager, idempotencyKey: 'k2' }));
    expect(again.events.map((e) => e.streamVersion)).toEqual(toBen.events.map((e) => e.streamVersion));
    expect(again.agent).toBeUndefined();
    expect(await store.lastPosition()).toBe(before);
  });

  it('refused by the call after the agent took it (a stale version): the agent gets the slot back', async () => {
    const callId = await open();
    const error = await refusal(assign.execute(new AssignServiceCallCommand(callId, manual('anna'), { ...manager, expectedVersion: 7 })));
    expect(error).toBeInstanceOf(ConflictError);
    expect(error).toMatchObject({ field: 'expectedVersion', currentVersion: 1 });
    expect(await openCallsOf('anna')).toEqual([]);
    expect((await store.readStream(agentStreamId('anna'))).map((e) => [e.type, e.data.reason])).toEqual([
      ['AgentRegistered', undefined],
      ['AgentCallTaken', undefined],
      ['AgentCallReleased', 'assignment-refused'],
    ]);
  });

  it("an agent who cannot take the call refuses it (routing then tries another); a note the call would refuse is refused before anyone takes it", async () => {
    const callId = await open();
    await agents.takeCall('anna', 'another-call');
    const before = await store.lastPosition();
    const full = await refusal(
      assign.execute(new AssignServiceCallCommand(callId, { agentId: 'anna', trigger: 'OPENED', override: false, reasons: ['load:0/1'], runnerUp: null, candidates: [] }, { actor: WORKFLOW_ACTOR, idempotencyKey: 'route:1' })),
    );
    expect(full).toBeInstanceOf(AgentRefusedCallError);
    expect(full).toMatchObject({ agentId: 'anna', code: 'CONFLICT', message: expect.stringContaining('at capacity') as unknown });

    const note = await refusal(assign.execute(new AssignServiceCallCommand(callId, manual('ben', { reason: 'x'.repeat(LIMITS.outcome + 1) }), manager)));
    expect(note).toBeInstanceOf(ValidationError);
    expect(note).toMatchObject({ field: 'reason' });
    expect(await store.lastPosition()).toBe(before);
  });

  it('a reroute takes the agent off the call and releases them, once per key; a call without an agent is refused', async () => {
    const callId = await open();
    await assign.execute(new AssignServiceCallCommand(callId, manual('anna'), { ...manager, idempotencyKey: 'give' }));
    const rerouted = await unassign.execute(new UnassignServiceCallCommand(callId, { trigger: 'REROUTE', reason: 'the customer asked for someone else' }, { ...manager, idempotencyKey: 'r1' }));
    expect(rerouted.call.assignee).toBeUndefined();
    expect(rerouted.events.map((e) => e.type)).toEqual(['CallUnassigned']);
    expect(rerouted.call).toMatchObject({ routingTrigger: 'REROUTE', routingExcluded: ['anna'] });
    expect(await openCallsOf('anna')).toEqual([]);
    expect(rerouted.position).toBe(await store.lastPosition());

    const before = await store.lastPosition();
    const again = await unassign.execute(new UnassignServiceCallCommand(callId, { trigger: 'REROUTE', reason: 'the customer asked for someone else' }, { ...manager, idempotencyKey: 'r1' }));
    expect(again.events.map((e) => e.streamVersion)).toEqual(rerouted.events.map((e) => e.streamVersion));
    expect(await store.lastPosition()).toBe(before);

    const nobody = await refusal(unassign.execute(new UnassignServiceCallCommand(callId, { trigger: 'REROUTE', reason: 'again' }, manager)));
    expect(nobody).toBeInstanceOf(ConflictError);
    expect((nobody as Error).message).toMatch(/waits for an agent/);
  });

  it("routing takes an absent agent off the call, naming the replacement; a slot still held for a call that moved on is given back", async () => {
    const callId = await open();
    await assign.execute(new AssignServiceCallCommand(callId, manual('anna'), { ...manager, idempotencyKey: 'give' }));
    const absent = { trigger: 'ASSIGNEE_ABSENT' as const, reason: 'absent: ill', agentId: 'anna', preferredAgentId: 'ben' };
    const taken = await unassign.execute(new UnassignServiceCallCommand(callId, absent, { actor: 'routing', idempotencyKey: 'unassign:anna:abs-1' }));
    expect(taken.call).toMatchObject({ routingTrigger: 'ASSIGNEE_ABSENT', preferredAgentId: 'ben' });
    expect(await openCallsOf('anna')).toEqual([]);

    // the call went to Ben meanwhile, but Anna's stream still holds it (a release lost in a crash)
    const other = await open();
    await assign.execute(new AssignServiceCallCommand(other, manual('ben'), { ...manager, idempotencyKey: 'give' }));
    await agents.takeCall('anna', other, { override: true });
    const stale = await unassign.execute(new UnassignServiceCallCommand(other, { ...absent, preferredAgentId: null }, { actor: 'routing', idempotencyKey: 'unassign:anna:abs-1' }));
    expect(stale.events).toEqual([]);
    expect(stale.call.assignee).toBe('ben');
    expect(await openCallsOf('anna')).toEqual([]);
    expect(await openCallsOf('ben')).toEqual([other]);
  });
});
