import { STANDARD_COMPLAINT, WORKFLOW_ACTOR } from '@app/domain';
import { SqliteEventStore } from '@app/event-store';
import { newCallId, ServiceCallCommandProcessor } from '@app/service-calls';
import { sqliteTestDir } from '../../../../../libs/event-store/src/testing/sqlite-test-dir';
import { ServiceCallRoutingFieldsResolver } from './routing.resolver';

describe("a call's routing fields, from the call as its stream folds it", () => {
  const sqlite = sqliteTestDir('routing-fields-');
  let store: SqliteEventStore;
  let processor: ServiceCallCommandProcessor;
  const fields = new ServiceCallRoutingFieldsResolver();

  beforeEach(() => {
    store = sqlite.openEventStore();
    processor = new ServiceCallCommandProcessor(store);
  });

  it('a queued call shows since when and why it waits; once resolved, it waits for nobody', async () => {
    const callId = newCallId('test');
    const input = { channel: 'PHONE' as const, category: 'billing', summary: 'Charged twice', customer: { name: 'Ada Lovelace' } };
    await processor.execute(callId, { type: 'OpenServiceCall', data: { callId, trackingCode: 'AAAA-BBBB-CCCC', process: STANDARD_COMPLAINT, input } }, { actor: 'apikey:crm' });
    const { call: queued } = await processor.execute(callId, { type: 'QueueServiceCall', data: { reasons: ['no-eligible-agent'] } }, { actor: WORKFLOW_ACTOR, idempotencyKey: 'queue:1' });
    expect(fields.queuedAt(queued)).toBe(queued.queuedAt);
    expect(fields.queueReasons(queued)).toEqual(['no-eligible-agent']);

    const resolution = { agreedSolution: 'Refunded the second charge', implemented: true };
    const { call: resolved } = await processor.execute(callId, { type: 'ResolveServiceCall', data: { resolution } }, { actor: 'apikey:crm', idempotencyKey: 'resolve' });
    expect(resolved.status).toBe('RESOLVED');
    expect(fields.queuedAt(resolved)).toBeNull();
    expect(fields.queueReasons(resolved)).toBeNull();
  });
});
