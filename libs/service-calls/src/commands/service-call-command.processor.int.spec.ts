import { ConflictError, NotFoundError, ServiceCallCommand, serviceCallStreamId, STANDARD_COMPLAINT, ValidationError } from '@app/domain';
import { SqliteEventStore } from '@app/event-store';
import { sqliteTestDir } from '../../../event-store/src/testing/sqlite-test-dir';
import { ConcurrentChangeError, ServiceCallCommandProcessor } from './service-call-command.processor';
import { newCallId } from './tracking-code';

describe('ServiceCallCommandProcessor on a real SQLite event store', () => {
  const sqlite = sqliteTestDir('processor-');
  let store: SqliteEventStore;
  let processor: ServiceCallCommandProcessor;
  const person = { actor: 'apikey:test' };
  const workflow = { actor: 'workflow' };

  beforeEach(() => {
    store = sqlite.openEventStore();
    processor = new ServiceCallCommandProcessor(store);
  });

  const open = (callId: string, summary = 'Charged twice'): ServiceCallCommand => ({
    type: 'OpenServiceCall',
    data: {
      callId,
      trackingCode: 'AAAA-BBBB-CCCC',
      process: STANDARD_COMPLAINT,
      input: { channel: 'PHONE', category: 'billing', summary, customer: { name: 'Ada Lovelace', email: 'ada@example.com' } },
    },
  });

  async function callWithRecordComplaintReady(): Promise<string> {
    const callId = newCallId('t');
    await processor.execute(callId, open(callId), person);
    await processor.execute(callId, { type: 'StartPhase', data: { phaseKey: 'intake' } }, workflow);
    await processor.execute(callId, { type: 'MarkStepsReady', data: { phaseKey: 'intake', stepKeys: ['record-complaint'] } }, workflow);
    return callId;
  }

  it('appends the decided events and returns the call as of them, with the position to wait for', async () => {
    const callId = newCallId('t');
    const result = await processor.execute(callId, open(callId), person);
    expect(result.call).toMatchObject({ id: callId, version: 1, status: 'OPEN', processKey: 'standard-complaint' });
    expect(result.events.map((e) => e.type)).toEqual(['ServiceCallOpened']);
    expect(result.position).toBe(await store.lastPosition());
    const stored = await store.readStream(serviceCallStreamId(callId));
    expect(stored[0].metadata).toMatchObject({ actor: 'apikey:test' });
  });

  it('a repeated idempotency key appends nothing and returns the first result', async () => {
    const callId = newCallId('t', 'key-1');
    const first = await processor.execute(callId, open(callId), { ...person, idempotencyKey: 'key-1' });
    const again = await processor.execute(callId, open(callId, 'another summary'), { ...person, idempotencyKey: 'key-1' });
    expect(again.call).toEqual(first.call);
    expect(again.events.map((e) => e.streamVersion)).toEqual(first.events.map((e) => e.streamVersion));
    expect(await store.readStream(serviceCallStreamId(callId))).toHaveLength(1);
  });

  it('the same idempotency key from another actor is a different command', async () => {
    const callId = await callWithRecordComplaintReady();
    await processor.execute(callId, { type: 'StartStep', data: { stepKey: 'record-complaint' } }, { actor: 'apikey:a', idempotencyKey: 'k' });
    await expect(
      processor.execute(callId, { type: 'StartStep', data: { stepKey: 'record-complaint' } }, { actor: 'apikey:b', idempotencyKey: 'k' }),
    ).rejects.toBeInstanceOf(ConflictError);
  });

  it('a stale expectedVersion is a CONFLICT that reports the current version and appends nothing', async () => {
    const callId = await callWithRecordComplaintReady();
    const before = await store.lastPosition();
    const error = await processor
      .execute(callId, { type: 'CompleteStep', data: { stepKey: 'record-complaint' } }, { ...person, expectedVersion: 1 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConflictError);
    expect((error as ConflictError).currentVersion).toBe(3);
    expect(await store.lastPosition()).toBe(before);
  });

  it('refusals change nothing: invalid input, unknown call, unknown step, out of order', async () => {
    const callId = await callWithRecordComplaintReady();
    const before = await store.lastPosition();
    await expect(processor.execute(newCallId('t'), open(newCallId('t'), '   '), person)).rejects.toBeInstanceOf(ValidationError);
    await expect(processor.execute(newCallId('t'), { type: 'StartStep', data: { stepKey: 'x' } }, person)).rejects.toBeInstanceOf(NotFoundError);
    await expect(processor.execute(callId, { type: 'StartStep', data: { stepKey: 'nope' } }, person)).rejects.toBeInstanceOf(NotFoundError);
    await expect(
      processor.execute(callId, { type: 'CompleteStep', data: { stepKey: 'confirm-understanding' } }, person),
    ).rejects.toThrow(/waits for record-complaint/);
    expect(await store.lastPosition()).toBe(before);
  });

  it('concurrent completions of one step: exactly one wins, the others get CONFLICT', async () => {
    const callId = await callWithRecordComplaintReady();
    const attempts = await Promise.allSettled(
      Array.from({ length: 20 }, () => processor.execute(callId, { type: 'CompleteStep', data: { stepKey: 'record-complaint' } }, person)),
    );
    expect(attempts.filter((a) => a.status === 'fulfilled')).toHaveLength(1);
    for (const a of attempts) if (a.status === 'rejected') expect(a.reason).toBeInstanceOf(ConflictError);
    const completed = (await store.readStream(serviceCallStreamId(callId))).filter((e) => e.type === 'StepCompleted');
    expect(completed).toHaveLength(1);
  });

  it('concurrent different changes to one call all land, retried against the new version', async () => {
    const callId = newCallId('t');
    await processor.execute(callId, open(callId), person);
    await processor.execute(callId, { type: 'StartPhase', data: { phaseKey: 'intake' } }, workflow);
    await processor.execute(callId, { type: 'MarkStepsReady', data: { phaseKey: 'intake', stepKeys: ['record-complaint'] } }, workflow);
    // a start and an idempotent workflow repeat race; both must succeed without a lost update
    await Promise.all([
      processor.execute(callId, { type: 'StartStep', data: { stepKey: 'record-complaint' } }, person),
      processor.execute(callId, { type: 'StartPhase', data: { phaseKey: 'intake' } }, workflow),
    ]);
    const types = (await store.readStream(serviceCallStreamId(callId))).map((e) => e.type);
    expect(types).toEqual(['ServiceCallOpened', 'PhaseStarted', 'StepReady', 'StepStarted']);
  });

  it('gives up with a retryable ConcurrentChangeError when another writer wins every append race', async () => {
    const callId = await callWithRecordComplaintReady();
    const streamId = serviceCallStreamId(callId);
    // a second writer that appends to the same call right after every read of it
    const racing = new (class extends SqliteEventStore {
      override async readStream(id: string, from?: number) {
        const events = await super.readStream(id, from);
        await store.appendToStream(id, [{ type: 'SomethingElseHappened', data: {}, metadata: { at: new Date().toISOString() } }], 'any');
        return events;
      }
    })({ path: sqlite.file('events.sqlite') });
    const error = await new ServiceCallCommandProcessor(racing)
      .execute(callId, { type: 'StartStep', data: { stepKey: 'record-complaint' } }, person)
      .catch((e: unknown) => e);
    await racing.close();
    expect(error).toBeInstanceOf(ConcurrentChangeError);
    expect((await store.readStream(streamId)).filter((e) => e.type === 'StepStarted')).toHaveLength(0);
  });
});
