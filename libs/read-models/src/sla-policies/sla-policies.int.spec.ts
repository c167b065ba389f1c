import { DEFAULT_SLA_POLICY } from '@app/domain';
import { SqliteEventStore } from '@app/event-store';
import { DefineSlaPolicyCommand, DefineSlaPolicyHandler, seedDefaultSlaPolicy } from '@app/service-calls';
import { sqliteTestDir } from '../../../event-store/src/testing/sqlite-test-dir';
import { Projector } from '../projector';
import { ReadModelDatabase } from '../read-model.database';
import { readModelTargets } from '../testing/read-model-targets';
import { SlaPoliciesProjection } from './sla-policies.projection';
import { SlaPoliciesStore } from './sla-policies.store';

describe.each(readModelTargets())('SLA policies read model ($dialect)', (target) => {
  const sqlite = sqliteTestDir('sla-read-model-');
  let events: SqliteEventStore;
  let db: ReadModelDatabase;

  beforeEach(async () => {
    events = sqlite.openEventStore();
    db = await target.open();
    sqlite.atTeardown(() => target.close(db));
  });

  it('keeps the newest definition per key, and a redelivered older one changes nothing', async () => {
    await seedDefaultSlaPolicy(events);
    const define = new DefineSlaPolicyHandler(events);
    const manager = { actor: 'apikey:boss' };
    await define.execute(new DefineSlaPolicyCommand({ key: 'vip', priority: 'URGENT', resolutionTarget: 'P1D' }, manager));
    const last = await define.execute(new DefineSlaPolicyCommand({ key: 'vip', priority: 'URGENT', resolutionTarget: 'PT6H', warnAt: 0.5 }, manager));

    const projector = new Projector(db, events);
    await projector.start((e) => {
      throw e;
    });
    expect(await projector.waitFor(last.position, 2000)).toBe(true);
    await projector.stop();

    const store = new SlaPoliciesStore(db);
    expect(await store.latest()).toEqual([
      expect.objectContaining({ ...DEFAULT_SLA_POLICY, version: 1, definedBy: 'system' }),
      expect.objectContaining({ key: 'vip', priority: 'URGENT', resolutionTarget: 'PT6H', warnAt: 0.5, version: 2, definedBy: 'apikey:boss' }),
    ]);

    // a redelivery of version 1 of `vip` does not bring the old targets back
    const first = (await events.readStream('SlaPolicy-vip'))[0];
    await new SlaPoliciesProjection().apply(db, first);
    expect((await store.latest())[1]).toEqual(expect.objectContaining({ resolutionTarget: 'PT6H', version: 2 }));
  });
});
