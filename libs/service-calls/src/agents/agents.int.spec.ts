import { agentStreamId, ConflictError, NotFoundError, ValidationError } from '@app/domain';
import { SqliteEventStore } from '@app/event-store';
import { sqliteTestDir } from '../../../event-store/src/testing/sqlite-test-dir';
import { AgentRepository } from './agent.repository';
import { ChangeAgentCommand } from './change-agent.command';
import { ChangeAgentHandler } from './change-agent.handler';
import { RegisterAgentCommand } from './register-agent.command';
import { RegisterAgentHandler } from './register-agent.handler';

const PROFILE = { name: 'Anna', regions: ['de-north'], skills: [{ kind: 'CATEGORY', key: 'billing', level: 3 }], languages: ['de'], capacity: 2 };

describe('agents on a real SQLite event store', () => {
  const sqlite = sqliteTestDir('agents-');
  let store: SqliteEventStore;
  let agents: AgentRepository;
  let register: RegisterAgentHandler;
  let change: ChangeAgentHandler;
  const manager = { actor: 'apikey:boss' };

  beforeEach(() => {
    store = sqlite.openEventStore();
    agents = new AgentRepository(store);
    register = new RegisterAgentHandler(agents);
    change = new ChangeAgentHandler(agents);
  });

  const refusal = (promise: Promise<unknown>) => promise.then(() => undefined, (e: unknown) => e as Error & { field?: string });

  it('registers with a generated id, or a chosen one once; the same idempotency key returns the first result', async () => {
    const generated = await register.execute(new RegisterAgentCommand(PROFILE, manager));
    expect(generated.agent.id).toMatch(/^agt_[0-9a-z]{26}$/);
    const chosen = await register.execute(new RegisterAgentCommand({ ...PROFILE, id: 'anna' }, manager));
    expect(chosen.agent).toMatchObject({ id: 'anna', version: 1, availability: 'AVAILABLE' });
    expect(await refusal(register.execute(new RegisterAgentCommand({ ...PROFILE, id: 'anna' }, manager)))).toBeInstanceOf(ConflictError);

    const first = await register.execute(new RegisterAgentCommand(PROFILE, { ...manager, idempotencyKey: 'k1' }));
    const again = await register.execute(new RegisterAgentCommand(PROFILE, { ...manager, idempotencyKey: 'k1' }));
    expect(again.agent.id).toBe(first.agent.id);
    expect(again.position).toBe(first.position);
    expect(await store.readStream(agentStreamId(first.agent.id))).toHaveLength(1);
  });

  it('refuses bad input with the field path and appends nothing', async () => {
    const before = await store.lastPosition();
    const bad = await refusal(register.execute(new RegisterAgentCommand({ ...PROFILE, skills: [{ kind: 'CATEGORY', key: 'x', level: 9 }] }, manager)));
    expect(bad).toBeInstanceOf(ValidationError);
    expect(bad?.field).toBe('skills[0].level');
    expect((await refusal(register.execute(new RegisterAgentCommand({ ...PROFILE, id: 'Anna B' }, manager))))?.field).toBe('id');
    await register.execute(new RegisterAgentCommand({ ...PROFILE, id: 'anna' }, manager));
    const absence = { from: '2030-01-01T00:00:00Z', to: '2030-01-05T00:00:00Z', reason: 'holiday', replacementAgentId: 'nobody' };
    const missing = await refusal(change.execute(new ChangeAgentCommand('anna', { type: 'ScheduleAbsence', data: { absenceId: 'a1', input: absence } }, manager)));
    expect(missing).toBeInstanceOf(NotFoundError);
    expect(missing?.field).toBe('replacementAgentId');
    expect(await store.lastPosition()).toBe(before + 1);
    expect(await refusal(change.execute(new ChangeAgentCommand('nobody', { type: 'UpdateAgent', data: { input: { capacity: 3 } } }, manager)))).toBeInstanceOf(NotFoundError);
  });

  it('expectedVersion guards a manager edit', async () => {
    await register.execute(new RegisterAgentCommand({ ...PROFILE, id: 'anna' }, manager));
    await change.execute(new ChangeAgentCommand('anna', { type: 'UpdateAgent', data: { input: { capacity: 4 } } }, { ...manager, expectedVersion: 1 }));
    const stale = await refusal(change.execute(new ChangeAgentCommand('anna', { type: 'UpdateAgent', data: { input: { capacity: 5 } } }, { ...manager, expectedVersion: 1 })));
    expect(stale).toBeInstanceOf(ConflictError);
    expect((stale as ConflictError).currentVersion).toBe(2);
  });

  it('concurrent takeCall never over-assigns: of 20 racing calls exactly `capacity` land', async () => {
    await register.execute(new RegisterAgentCommand({ ...PROFILE, id: 'anna', capacity: 3 }, manager));
    const results = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => agents.takeCall('anna', `call-${i}`)));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(3);
    for (const r of results) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(ConflictError);
    const agent = await agents.load('anna');
    expect(agent?.openCalls).toHaveLength(3);
    // a released slot can be taken again; an override may go past capacity
    await agents.releaseCall('anna', agent!.openCalls[0], 'resolved');
    await agents.takeCall('anna', 'call-new');
    await agents.takeCall('anna', 'call-override', { override: true });
    expect((await agents.load('anna'))?.openCalls).toHaveLength(4);
  });
});
